"""`emobox report`: the tables stored in the results database, one per setting; Markdown,
CSV, LaTeX or JSON; plots; the HTML leaderboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from emobox.cli.app import app, out
from emobox.cli.options import JsonOption, WorkspaceOption, print_json, workspace_of


@app.command("report")
def report_command(
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model.",
                                              show_default=False)] = None,
    corpus: Annotated[str | None, typer.Option("--corpus", "-c", help="Only this corpus.",
                                               show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="rich (the terminal), md, csv, "
                                     "latex or json.")] = "rich",
    metric: Annotated[str, typer.Option(help="Metric of the Table 4 layout: ua, wa or "
                                        "macro_f1.")] = "ua",
    compare_paper: Annotated[bool, typer.Option(
        "--compare-paper", help="Set EmoBox's published numbers (Tables 4 and 5) beside "
        "yours.")] = False,
    ci: Annotated[bool, typer.Option("--ci", help="Add to each mean over folds of the Table 4 "
                                     "layout its 95 % bootstrap interval (test utterances "
                                     "resampled within each fold, then averaged).")] = False,
    exclude_contaminated: Annotated[bool, typer.Option(
        "--exclude-contaminated", help="Leave the cells marked † (the model's training data "
        "include the test corpus, or the test set was selected with the model's own lineage) "
        "out of every average; captions say how many.")] = False,
    plots_dir: Annotated[Path | None, typer.Option("--plots", help="Write the plots (PNG and "
                                                   "SVG) into this folder.",
                                                   show_default=False)] = None,
    html_dir: Annotated[Path | None, typer.Option("--html", help="Write the HTML leaderboard "
                                                  "into this folder (with a page per prepared "
                                                  "corpus; a rebuild renders only what "
                                                  "changed).", show_default=False)
                        ] = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Print the intra-corpus table, its averages per language, source and number of
    classes, cross-corpus matrices, SER Evals summaries and layer tables stored in the
    results database; a cell whose model may have seen its test data is marked †. Every
    identity field that differs among the runs shown (layer, seed, scheme, label space,
    prior, recipe, test split, corpus set, …) labels its row or column, the constant ones the
    caption; a matrix holds one corpus set in one setting, and an incomplete one is shown
    with its missing cells and never reduced."""
    from emobox.errors import EmoboxError
    from emobox.features import store_name
    from emobox.metrics import METRICS
    from emobox.report.contamination import workspace_selections
    from emobox.report.formats import FORMATS
    from emobox.report.views import build_views, print_views, report_grids, views_json
    from emobox.runs.results import ResultsDB

    if fmt not in FORMATS:
        raise EmoboxError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if metric not in METRICS:
        raise EmoboxError(f"--metric must be one of {', '.join(METRICS)}, not {metric!r}")
    ws = workspace_of(workspace)
    if not ws.results.is_file():
        raise EmoboxError(f"no results in {ws.root} (run `emobox run` or `emobox demo` first)")
    with ResultsDB(ws.results, readonly=True) as db:
        wanted = store_name(model) if model else None
        if wanted is not None and wanted not in db.models():
            raise EmoboxError(f"no results for model {model!r} in {ws.results} (models there: "
                              f"{', '.join(db.models()) or 'none'})")
        records = db.runs(model=wanted, corpus=corpus)
        if not records:
            raise EmoboxError(f"no results{f' for corpus {corpus!r}' if corpus else ''} in "
                              f"{ws.results}")
        views = build_views(records, exclude_contaminated=exclude_contaminated,
                            selections=workspace_selections(ws), workspace=ws)
        intervals = _intervals(db, views.intra, metric) if ci else None
        if plots_dir is not None:
            _plots(views, plots_dir)
        if html_dir is not None:
            from emobox.report.html import build_site

            index = build_site(db, html_dir, records, compare_paper=compare_paper,
                               workspace=ws, exclude_contaminated=exclude_contaminated)
            out.print(f"HTML leaderboard: {index}", soft_wrap=True)
    if json_output or fmt == "json":
        print_json(views_json(views))
        return
    ci_note = (f"[low, high]: 95 % bootstrap interval of the mean over folds "
               f"({BOOTSTRAP_NOTE})") if ci else ""
    grids = [g for _, g in report_grids(views, metric=metric, compare_paper=compare_paper,
                                        intervals=intervals, ci_note=ci_note)]
    if fmt != "rich":
        typer.echo("\n".join(g.render(fmt) for g in grids), nl=False)
    elif compare_paper or ci:
        for g in grids:
            out.print(g.rich())
            out.print(f"[dim]{g.note}[/]", soft_wrap=True)
    else:
        print_views(out, views, metric)


#: How the intervals of `--ci` are drawn (said in the caption).
BOOTSTRAP_NOTE = "1000 resamples of the test utterances within each fold, seed 0"


def _intervals(db, rows, metric: str) -> dict[str, tuple[float, float]]:
    """The interval of each row's mean over folds, keyed by the row's first run id."""
    from emobox.metrics import fold_mean_ci

    found = {}
    for row in rows:
        folds = []
        labels = None
        for run_id in row.run_ids:
            record = db.find(run_id)[0]
            pairs = db.predictions(record.id)
            labels = record.metrics["labels"]
            folds.append(([p[1] for p in pairs], [p[2] for p in pairs]))
        found[row.run_ids[0]] = fold_mean_ci(folds, labels, metric=metric)
    return found


def _plots(views, folder: Path) -> None:
    from emobox.report import plots

    written = []
    for m in views.cross:
        written += plots.cross_heatmap(m, folder / f"cross-{plots.slug(m.label)}")
    if any(m.average is not None for m in views.cross):
        written += plots.eq1_bars(views.cross, folder / "eq1-averages")
    for m in views.ood:
        if m.summary is not None:
            written += plots.ood_bars(m, folder / f"ood-{plots.slug(m.label)}")
    if views.intra:
        written += plots.intra_heatmap(views.intra, folder / "intra-heatmap")
    for c in views.layers:
        written += plots.layer_curve(c, folder / f"layers-{plots.slug(c['setting'])}-"
                                     f"{plots.slug(c['corpus'])}")
    out.print(f"{len(written)} plot files in {folder}", soft_wrap=True)
