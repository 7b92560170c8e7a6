"""The HTML leaderboard: a static site that opens from disk with no server — sortable tables
(EmoBox Table 4 / Table 5 layouts, SER Evals Table 3, the cost table), filters by language,
source and setting, every cell linked to its run page, the plots, a page per run
(`report.site.runs`) and a page per prepared corpus (`report.site.corpora`). Every string is
escaped. A rebuild into the same folder renders only the pages and figures whose inputs
changed (`report.site.cache`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emobox.report import plots
from emobox.report.formats import Grid
from emobox.report.significance import Resampling
from emobox.report.site.cache import SiteCache, digest
from emobox.report.site.filters import attrs, corpus_facets, filter_bar
from emobox.report.site.page import FILTER_JS, esc, page
from emobox.report.site.runs import page_digest, run_page
from emobox.report.views import Views, build_views, report_grids
from emobox.runs.results import ResultsDB, RunRecord
from emobox.workspace import Workspace


def _cell(grid: Grid, i: int, j: int, text: str) -> str:
    """One table cell: bold where stressed, linked to its run page, its tip on hover."""
    body = esc(text)
    if (i, j) in grid.bold:
        body = f"<b>{body}</b>"
    if (i, j) in grid.links:
        body = f"<a href='runs/{esc(grid.links[(i, j)])}.html'>{body}</a>"
    tip = grid.tips.get((i, j))
    return f"<td title='{esc(tip)}'>{body}</td>" if tip else f"<td>{body}</td>"


def _grid(grid: Grid, table_id: str, facets: dict[str, Any], settings: set[str]) -> str:
    head = "".join(f"<th{attrs(c, facets, settings)}>{esc(c)}</th>" for c in grid.columns)
    rows = "".join(f"<tr{attrs(row[0], facets, settings) if row else ''}>"
                   + "".join(_cell(grid, i, j, c) for j, c in enumerate(row)) + "</tr>"
                   for i, row in enumerate(grid.rows))
    return (f"<h2>{esc(grid.title)}</h2><p class='note'>{esc(grid.note)}</p>"
            f"<table class='sortable filterable' id='{esc(table_id)}'><thead><tr>{head}</tr>"
            f"</thead><tbody>{rows}</tbody></table>")


def _img(path: Path, root: Path, alt: str) -> str:
    return f"<p><img src='{esc(path.relative_to(root).as_posix())}' alt='{esc(alt)}'></p>"


def run_settings(views: Views) -> dict[str, str]:
    """run id → the label of the row or matrix that shows it."""
    found = {rid: row.label for row in views.intra for rid in row.run_ids}
    for m in [*views.cross, *views.ood]:
        found.update({rid: m.label for rid in m.runs.values()})
    return found


def _figures(views: Views, out: Path, cache: SiteCache) -> list[str]:
    """The index's matplotlib figures, each made again only when its data changed."""
    shown = []

    def figure(name: str, data: Any, make: Any, alt: str) -> None:
        rel = f"plots/{name}"
        cache.keep(rel, digest(name, data), lambda: make(out / rel),
                   [f"{rel}.png", f"{rel}.svg"])
        shown.append(_img(out / f"{rel}.png", out, alt))

    if views.intra:
        figure("intra-heatmap", views.intra,
               lambda p: plots.intra_heatmap(views.intra, p), "setting × corpus heatmap")
    for n, m in enumerate(views.cross):
        figure(f"cross-{n}", m, lambda p, m=m: plots.cross_heatmap(m, p),
               f"cross-corpus heatmap {m.label}")
    if any(m.average is not None for m in views.cross):
        figure("eq1", views.cross, lambda p: plots.eq1_bars(views.cross, p), "Eq. 1 averages")
    for n, m in enumerate(views.ood):
        if m.summary is not None:
            figure(f"ood-{n}", m, lambda p, m=m: plots.ood_bars(m, p, views.stats),
                   f"OOD bars {m.label}")
    for n, curve in enumerate(views.layers):
        figure(f"layers-{n}", curve, lambda p, c=curve: plots.layer_curve(c, p),
               f"UA per layer: {curve['corpus']} ({curve['setting']})")
    return shown


def build_site(db: ResultsDB, out: str | Path, records: Sequence[RunRecord] | None = None,
               compare_paper: bool = False, show_progress: bool = True,
               workspace: Workspace | None = None, exclude_contaminated: bool = False,
               resampling: Resampling | None = None, views: Views | None = None) -> Path:
    """Write the leaderboard for `records` (default: every run) into `out`, with a page per
    prepared corpus of `workspace` and its cost table (cells the model may have seen marked,
    and with `exclude_contaminated` left out of the averages; every cell's interval drawn by
    `resampling`, default `Resampling()`); returns the index page. Pages
    and figures whose inputs did not change since the last build into `out` are kept as they
    are; pages of runs no longer shown are removed. `views`: those of `records`, when the
    caller has built them already (then the two options before it are theirs)."""
    from emobox.progress import progress_bar
    from emobox.report.contamination import workspace_selections
    from emobox.report.site.corpora import corpus_pages

    out = Path(out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    records = list(db.runs() if records is None else records)
    if views is None:
        views = build_views(records, db=db, workspace=workspace, resampling=resampling,
                            exclude_contaminated=exclude_contaminated,
                            selections=workspace_selections(workspace) if workspace else None)
    listed = [r for r in records if not r.key.protocol.endswith("-config")]
    cache = SiteCache(out)
    facets = corpus_facets({c for r in records for c in (r.key.train_corpus,
                                                        r.key.test_corpus)}, workspace)
    by_run = run_settings(views)
    settings = {*by_run.values(), *(c["setting"] for c in views.layers)}
    with progress_bar("HTML report", len(listed) + 2, "pages", show_progress) as bar:
        corpora = corpus_pages(workspace, out, cache) if workspace is not None else []
        if bar is not None:
            bar.advance()
        sections = [filter_bar(facets, settings)]
        if corpora:
            sections.append("<nav><b>Corpora:</b> " + " ".join(
                f"<a href='corpora/{esc(c)}.html'>{esc(c)}</a>" for c in corpora) + "</nav>")
        for n, (kind, grid) in enumerate(report_grids(views, compare_paper=compare_paper)):
            sections.append(_grid(grid, f"{kind}-{n}", facets, settings))
        sections += _figures(views, out, cache)
        sections.append(_runs_table(listed, by_run))
        for r in listed:
            cache.render(f"runs/{r.run_id}.html", page_digest(r), lambda r=r: run_page(r, db))
            if bar is not None:
                bar.advance()
        cache.prune("runs")
        index = out / "index.html"
        index.write_text(page("emobox leaderboard", "".join(sections), scripts=FILTER_JS),
                         encoding="utf-8")
        cache.save()
        if bar is not None:
            bar.advance()
    return index


def _runs_table(listed: Sequence[RunRecord], by_run: dict[str, str]) -> str:
    def row(r: RunRecord) -> str:
        corpora = " ".join(dict.fromkeys((r.key.train_corpus, r.key.test_corpus)))
        setting = by_run.get(r.run_id)
        return (f"<tr data-corpora='{esc(corpora)}'"
                + (f" data-setting='{esc(setting)}'" if setting else "") + ">"
                f"<td><a href='runs/{esc(r.run_id)}.html'>{esc(r.run_id)}</a></td>"
                f"<td>{esc(r.key.protocol)}</td><td>{esc(setting or r.key.model)}</td>"
                f"<td>{esc(r.key.train_corpus)}</td><td>{esc(r.key.test_corpus)}</td>"
                f"<td>{esc(r.key.fold)}</td>"
                f"<td>{100 * r.metrics.get('ua', float('nan')):.1f}</td></tr>")

    return ("<h2>Runs</h2><p class='note'>every stored run shown above; UA in percent on its "
            "test set; setting: the label of the row or matrix that shows it</p>"
            "<table class='sortable filterable' id='runs'><thead><tr><th>run</th>"
            "<th>protocol</th><th>setting</th><th>train</th><th>test</th><th>fold</th>"
            f"<th>UA</th></tr></thead><tbody>{''.join(row(r) for r in listed)}</tbody></table>")
