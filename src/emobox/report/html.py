"""The HTML leaderboard: a static site that opens from disk with no server — sortable tables
(EmoBox Table 4 / Table 5 layouts, SER Evals Table 3), the plots, and a page per run with its
identity, metrics, validation curves and confusion matrix. Every string is escaped."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path

from emobox.report import plots
from emobox.report.formats import Grid
from emobox.report.views import build_views, report_grids
from emobox.runs.results import ResultsDB, RunRecord

STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em}
th{background:#f0f0f0;cursor:pointer;user-select:none}td{text-align:right}
td:first-child{text-align:left}.note{color:#666;font-size:.9em}img{max-width:100%}
b{color:#0a5}"""
#: Click a header to sort by that column (numbers by value, text alphabetically).
SORT_JS = """document.querySelectorAll('table.sortable').forEach(function(t){
 t.querySelectorAll('th').forEach(function(th,col){th.addEventListener('click',function(){
  var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
  var asc=th.getAttribute('data-order')!=='asc';th.setAttribute('data-order',asc?'asc':'desc');
  function key(r){var s=r.cells[col].textContent.trim(),n=parseFloat(s);
   return isNaN(n)?s.toLowerCase():n;}
  rows.sort(function(a,b){var x=key(a),y=key(b);if(x===y)return 0;
   var c=(typeof x===typeof y)?(x<y?-1:1):(typeof x==='number'?-1:1);return asc?c:-c;});
  rows.forEach(function(r){body.appendChild(r);});});});});"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}"
            f"</title><style>{STYLE}</style></head><body><h1>{_e(title)}</h1>{body}"
            f"<script>{SORT_JS}</script></body></html>\n")


def _cell(grid: Grid, i: int, j: int, text: str) -> str:
    """One table cell: bold where stressed, linked to its run page, its tip on hover."""
    body = _e(text)
    if (i, j) in grid.bold:
        body = f"<b>{body}</b>"
    if (i, j) in grid.links:
        body = f"<a href='runs/{_e(grid.links[(i, j)])}.html'>{body}</a>"
    tip = grid.tips.get((i, j))
    return f"<td title='{_e(tip)}'>{body}</td>" if tip else f"<td>{body}</td>"


def _grid(grid: Grid, table_id: str) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in grid.columns)
    rows = "".join("<tr>" + "".join(_cell(grid, i, j, c) for j, c in enumerate(row)) + "</tr>"
                   for i, row in enumerate(grid.rows))
    return (f"<h2>{_e(grid.title)}</h2><p class='note'>{_e(grid.note)}</p>"
            f"<table class='sortable' id='{_e(table_id)}'><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _img(path: Path, root: Path, alt: str) -> str:
    return f"<p><img src='{_e(path.relative_to(root).as_posix())}' alt='{_e(alt)}'></p>"


def build_site(db: ResultsDB, out: str | Path, records: Sequence[RunRecord] | None = None,
               compare_paper: bool = False, show_progress: bool = True) -> Path:
    """Write the leaderboard for `records` (default: every run) into `out`; returns the
    index page."""
    from emobox.progress import progress_bar

    out = Path(out)
    (out / "runs").mkdir(parents=True, exist_ok=True)
    records = list(db.runs() if records is None else records)
    views = build_views(records)
    listed = [r for r in records if not r.key.protocol.endswith("-config")]
    sections: list[str] = []
    grids = [(f"{kind}-{n}", grid) for n, (kind, grid)
             in enumerate(report_grids(views, compare_paper=compare_paper))]
    plotted = len(views.cross) + len(views.ood) + len(views.layers) + 1
    with progress_bar("HTML report", len(grids) + plotted + len(listed), "pages and plots",
                      show_progress) as bar:
        def step() -> None:
            if bar is not None:
                bar.advance()

        for table_id, grid in grids:
            sections.append(_grid(grid, table_id))
            step()
        for n, m in enumerate(views.cross):
            png = plots.cross_heatmap(m, out / "plots" / f"cross-{n}")[0]
            sections.append(_img(png, out, f"cross-corpus heatmap {m.label}"))
            step()
        if any(m.average is not None for m in views.cross):
            sections.append(_img(plots.eq1_bars(views.cross, out / "plots" / "eq1")[0], out,
                                 "Eq. 1 averages"))
        step()
        for n, m in enumerate(views.ood):
            if m.summary is not None:
                sections.append(_img(plots.ood_bars(m, out / "plots" / f"ood-{n}")[0], out,
                                     f"OOD bars {m.label}"))
            step()
        for n, curve in enumerate(views.layers):
            sections.append(_img(plots.layer_curve(curve, out / "plots" / f"layers-{n}")[0],
                                 out, f"UA per layer: {curve['corpus']} ({curve['setting']})"))
            step()
        run_rows = "".join(
            f"<tr><td><a href='runs/{_e(r.run_id)}.html'>{_e(r.run_id)}</a></td>"
            f"<td>{_e(r.key.protocol)}</td><td>{_e(r.key.model)}</td>"
            f"<td>{_e(r.key.train_corpus)}</td><td>{_e(r.key.test_corpus)}</td>"
            f"<td>{_e(r.key.fold)}</td>"
            f"<td>{100 * r.metrics.get('ua', float('nan')):.1f}</td></tr>"
            for r in listed)
        sections.append("<h2>Runs</h2><table class='sortable' id='runs'><thead><tr><th>run</th>"
                        "<th>protocol</th><th>model</th><th>train</th><th>test</th><th>fold</th>"
                        f"<th>UA</th></tr></thead><tbody>{run_rows}</tbody></table>")
        for r in listed:
            _run_page(db, r, out)
            step()
    index = out / "index.html"
    index.write_text(_page("emobox leaderboard", "".join(sections)), encoding="utf-8")
    return index


def _run_page(db: ResultsDB, r: RunRecord, out: Path) -> None:
    parts = [f"<h2>Identity</h2><pre>{_e(json.dumps(r.key.to_dict(), indent=1))}</pre>",
             "<h2>Metrics</h2><table><tbody>" + "".join(
                 f"<tr><td>{_e(k)}</td><td>{100 * v:.2f}</td></tr>"
                 for k, v in r.metrics.items() if isinstance(v, float)) + "</tbody></table>"]
    curves = r.info.get("curves") or []
    if any(c.get("valid_ua") for c in curves):
        png = plots.valid_curves(curves, out / "runs" / f"{r.run_id}-curves",
                                 f"validation UA ({r.run_id})")[0]
        parts.append("<h2>Validation curves</h2>" + _img(png, out / "runs", "curves"))
    if "confusion" in r.metrics:
        png = plots.confusion(r.metrics["labels"], r.metrics["confusion"],
                              out / "runs" / f"{r.run_id}-confusion", "confusion")[0]
        parts.append("<h2>Confusion matrix</h2>" + _img(png, out / "runs", "confusion"))
    notes = r.info.get("notes") or []
    if notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes)
                     + "</ul>")
    (out / "runs" / f"{r.run_id}.html").write_text(
        _page(f"run {r.run_id}", "<p><a href='../index.html'>← leaderboard</a></p>"
              + "".join(parts)), encoding="utf-8")
