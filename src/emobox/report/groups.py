"""Averages of the intra-corpus table per group of corpora: per language, per source (acted,
TV, podcast, talk show, …) and per number of classes.

Each cell is the mean, over the corpora of the group that a setting has, of that setting's
per-corpus mean over folds (the Table 4 number), with the number of corpora it averages; a
setting (`IntraRow.label`) is one column, so settings never share a cell. Language and
source come from `CorpusInfo` (a corpus with two languages, e.g. ESD's Chinese and English,
counts in each); the number of classes is the run's own label count. A corpus whose
`CorpusInfo` is unknown falls in the group "unknown". Marked cells (`report.contamination`)
carry the mark; with ``--exclude-contaminated`` they are left out and the cell says how many.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from emobox.report.formats import Grid
from emobox.report.tables import MARK, IntraRow, intra_caption

if TYPE_CHECKING:
    from emobox.corpora import CorpusInfo

#: How a corpus's `CorpusInfo` is found (registry corpora by default).
InfoOf = Callable[[str], "CorpusInfo | None"]


def registry_info(corpus: str) -> CorpusInfo | None:
    """The registry's `CorpusInfo` of `corpus`, or None for a corpus it does not know."""
    from emobox.corpora import get_corpus
    from emobox.errors import EmoboxError

    try:
        return get_corpus(corpus).info
    except EmoboxError:
        return None


#: group kind → (column heading, the groups of a row)
GROUPINGS: dict[str, tuple[str, Callable[[IntraRow, CorpusInfo | None], list[str]]]] = {
    "language": ("language", lambda r, i: list(i.languages) if i else ["unknown"]),
    "source": ("source", lambda r, i: [i.source] if i else ["unknown"]),
    "classes": ("classes", lambda r, i: [str(r.n_classes) if r.n_classes else "unknown"]),
}


def group_grid(rows: Sequence[IntraRow], kind: str, metric: str = "ua",
               info: InfoOf = registry_info) -> Grid | None:
    """One grid: a row per group (of `GROUPINGS[kind]`), the corpora of the group, and per
    setting the mean of `metric` over the group's corpora it has (None without rows)."""
    if not rows:
        return None
    heading, groups_of = GROUPINGS[kind]
    infos = {r.corpus: info(r.corpus) for r in rows}
    members: dict[str, dict[str, list[IntraRow]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        for g in groups_of(r, infos[r.corpus]):
            members[g][r.label].append(r)
    labels = sorted({r.label for r in rows})
    out, tips = [], {}
    for i, group in enumerate(sorted(members, key=lambda g: (g == "unknown", _order(g)))):
        corpora = sorted({r.corpus for rs in members[group].values() for r in rs})
        line = [group, ", ".join(corpora)]
        for j, label in enumerate(labels, 2):
            line.append(_cell(members[group].get(label, []), metric))
            have = members[group].get(label)
            if have:
                tips[(i, j)] = ", ".join(f"{r.corpus} {100 * r.stats[metric][0]:.1f}"
                                         + (MARK if r.mark else "") for r in have)
        out.append(line)
    name = metric.upper() if metric != "macro_f1" else "F1"
    how = {"language": "a corpus with several languages counts in each",
           "source": "source as CorpusInfo states it",
           "classes": "classes: the run's own label count"}[kind]
    note = (f"{intra_caption(rows)} · percent: mean over the group's corpora that the setting "
            f"has of its per-corpus {name} mean over folds; n = corpora averaged · {how}")
    title = {"classes": "number of classes"}.get(kind, heading)
    return Grid(f"Intra-corpus {name} per {title}", note,
                [heading, "corpora", *labels], out, tips=tips)


def _order(group: str) -> tuple[int, str]:
    return (int(group), "") if group.isdigit() else (0, group)


def _cell(rows: Sequence[IntraRow], metric: str) -> str:
    """"mean (n=k)", marked where a marked corpus is in the mean, or saying how many
    marked corpora were left out."""
    kept = [r for r in rows if not r.dropped]
    left = len(rows) - len(kept)
    if not kept:
        return f"— ({left}{MARK} left out)" if left else ""
    mean = sum(r.stats[metric][0] for r in kept) / len(kept)
    mark = MARK if any(r.mark for r in kept) else ""
    out = f"{100 * mean:.1f}{mark} (n={len(kept)}"
    return out + (f"; {left}{MARK} left out)" if left else ")")


def group_grids(rows: Sequence[IntraRow], metric: str = "ua",
                info: InfoOf = registry_info) -> list[Grid]:
    """The per-language, per-source and per-number-of-classes grids of `rows`."""
    grids = [group_grid(rows, kind, metric, info) for kind in GROUPINGS]
    return [g for g in grids if g is not None]
