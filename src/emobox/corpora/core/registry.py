"""The corpus registry: every module in `emobox.corpora` that defines ``CORPUS`` or ``CORPORA``,
the demo corpora (`emobox.demo.corpora`), and corpora that other packages declare in the
entry-point group ``emobox.corpora`` (plugins; a name clash is an error).

Adding a corpus is one module with one declaration; nothing else to edit.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import lru_cache
from importlib.metadata import entry_points

from emobox.corpora.core.spec import Corpus
from emobox.errors import EmoboxError

#: The entry-point group through which other packages add corpora (``CORPUS``-like objects:
#: a `Corpus`, a list of them, or a function returning either).
PLUGIN_GROUP = "emobox.corpora"
#: Modules outside `emobox.corpora` that declare corpora too.
EXTRA_MODULES = ("emobox.demo.corpora",)


@lru_cache(maxsize=1)
def _load() -> dict[str, Corpus]:
    import emobox.corpora as package

    found: dict[str, Corpus] = {}
    names = [f"{package.__name__}.{m.name}" for m in pkgutil.iter_modules(package.__path__)
             if not m.ispkg and not m.name.startswith("_") and m.name != "info"]
    for module_name in [*names, *EXTRA_MODULES]:
        module = importlib.import_module(module_name)
        declared = list(getattr(module, "CORPORA", ()))
        if hasattr(module, "CORPUS"):
            declared.append(module.CORPUS)
        for corpus in declared:
            if corpus.name in found:
                raise RuntimeError(f"corpus {corpus.name!r} declared twice")
            found[corpus.name] = corpus
    for plugin in entry_points(group=PLUGIN_GROUP):  # third-party packages' corpora
        try:
            loaded = plugin.load()
        except Exception as exc:  # a broken plugin is named, not a traceback
            raise EmoboxError(f"corpus plugin {plugin.name!r} ({plugin.value}) failed to load: "
                              f"{exc}") from None
        declared = loaded() if callable(loaded) and not isinstance(loaded, Corpus) else loaded
        for corpus in declared if isinstance(declared, list | tuple) else [declared]:
            if not isinstance(corpus, Corpus):
                raise EmoboxError(f"corpus plugin {plugin.name!r} gave {type(corpus).__name__}, "
                                  "not a Corpus")
            if corpus.name in found:
                raise EmoboxError(f"corpus plugin {plugin.name!r} declares {corpus.name!r}, "
                                  "which already exists (plugins add corpora, never replace)")
            found[corpus.name] = corpus
    return dict(sorted(found.items()))


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower().replace("é", "e"))


def list_corpora(protocol: str | None = None) -> list[Corpus]:
    """All registered corpora, sorted by name; optionally only those of one protocol."""
    corpora = list(_load().values())
    if protocol is not None:
        corpora = [c for c in corpora if protocol in c.info.protocols]
    return corpora


def get_corpus(name: str) -> Corpus:
    """Look a corpus up by registry name or display name (case and punctuation ignored)."""
    registry = _load()
    if name in registry:
        return registry[name]
    wanted = _norm(name)
    for corpus in registry.values():
        if wanted in (_norm(corpus.name), _norm(corpus.info.display_name)):
            return corpus
    raise EmoboxError(f"unknown corpus {name!r} (run `emobox corpora` for the list)")


def markdown_table(corpora: list[Corpus] | None = None) -> str:
    """The registry as a Markdown table (the README's corpus table is this text)."""
    corpora = list_corpora() if corpora is None else corpora
    lines = ["| name | corpus | lang | protocols | #cls | #emo | #spk | #utts | hours | "
             "SER Evals cluster |", "|" + "---|" * 10]

    def num(value: object) -> str:
        return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)

    for c in corpora:
        i = c.info
        lines.append(f"| {i.name} | {i.display_name} | {', '.join(i.languages)} | "
                     f"{', '.join(i.protocols)} | {i.n_classes} | {num(i.n_emotions)} | "
                     f"{num(i.n_speakers)} | {num(i.n_utterances)} | {num(i.hours)} | "
                     f"{i.serval_cluster or ''} |")
    return "\n".join(lines) + "\n"
