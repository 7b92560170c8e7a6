"""The filter bar of the index: languages and source of each corpus (from its `CorpusInfo`),
and the settings (the labels of the report's rows and columns). A table row names the
corpora it is about and its setting, a column header its setting or corpus, read from the
grid's own cells: a cell naming a known corpus (``a`` or ``a → b``), a header naming a
setting (``label`` or ``label (paper)``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from emobox.report.site.page import esc
from emobox.workspace import Workspace

UNKNOWN = "unknown"


def corpus_facets(names: Iterable[str], workspace: Workspace | None = None
                  ) -> dict[str, dict[str, Any]]:
    """{corpus: {languages, source}} from each corpus's `CorpusInfo` (the registry, else the
    record `prepare` left in `workspace`); ``unknown`` when neither has it."""
    from emobox.corpora import corpus_info, get_corpus
    from emobox.errors import EmoboxError

    found = {}
    for name in sorted(set(names)):
        try:
            info = corpus_info(workspace, name) if workspace else get_corpus(name).info
            found[name] = {"languages": list(info.languages), "source": info.source}
        except EmoboxError:
            found[name] = {"languages": [UNKNOWN], "source": UNKNOWN}
    return found


def corpora_of(text: str, known: dict[str, Any]) -> list[str]:
    """The corpora a row's first cell names (``a``, ``a → b``), or none."""
    names = [part.strip() for part in text.split("→")]
    return names if all(n in known for n in names) else []


def setting_of(text: str, settings: set[str]) -> str | None:
    """The setting a header or first cell names, or None."""
    text = text.removesuffix(" (paper)")
    return text if text in settings else None


def attrs(first: str, facets: dict[str, Any], settings: set[str]) -> str:
    """The data attributes of a row (from its first cell) or a column (from its header); a
    row of averages (``average …``) is a summary, hidden once a filter hides one of its rows."""
    corpora = corpora_of(first, facets)
    setting = setting_of(first, settings)
    return ((f" data-corpora='{esc(' '.join(corpora))}'" if corpora else "")
            + (f" data-setting='{esc(setting)}'" if setting else "")
            + (" data-summary=''" if first.startswith("average") else ""))


def filter_bar(facets: dict[str, dict[str, Any]], settings: Iterable[str]) -> str:
    """The three selects and the facts the script filters by."""
    def select(name: str, label: str, values: Iterable[str]) -> str:
        options = "".join(f"<option value='{esc(v)}'>{esc(v)}</option>" for v in sorted(values))
        return (f"<label>{esc(label)} <select name='{name}' id='filter-{name}'>"
                f"<option value=''>all</option>{options}</select></label>")

    languages = {lang for f in facets.values() for lang in f["languages"]}
    sources = {f["source"] for f in facets.values()}
    data = json.dumps(facets, ensure_ascii=False).replace("<", "\\u003c")
    return (f"<div class='filters' id='filters'>{select('lang', 'language', languages)}"
            f"{select('source', 'source', sources)}{select('setting', 'setting', settings)}"
            f"<span class='note'>language and source: the corpus's registry record; a "
            f"cross-corpus pair is shown when both corpora match</span></div>"
            f"<script>window.CORPUS_FACETS={data};</script>")
