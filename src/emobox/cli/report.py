"""`emobox report`: the tables stored in the results database, one per setting; Markdown,
CSV, LaTeX or JSON; plots; the HTML leaderboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from emobox.cli.app import app, out
from emobox.cli.options import JsonOption, WorkspaceOption, print_json, workspace_of
from emobox.metrics import BOOTSTRAP_RESAMPLES, SIGNIFICANCE_ALPHA


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
    compare: Annotated[tuple[str, str] | None, typer.Option(
        "--compare", metavar="A B", help="Model A against model B: per corpus (each setting "
        "both ran in) the difference of the --metric means over folds with its paired "
        "bootstrap interval and p-value, and the average over those corpora with its "
        "interval.", show_default=False)] = None,
    alpha: Annotated[float, typer.Option(help="Significance level of the ranks with ties and "
                                         "the comparisons; the intervals are 1 − α.")
                     ] = SIGNIFICANCE_ALPHA,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples of every interval and "
                                           "test.")] = BOOTSTRAP_RESAMPLES,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap resamples.")] = 0,
    ece: Annotated[bool, typer.Option("--ece", help="Add the calibration table: the expected "
                                      "calibration error of every cell (15 equal-width "
                                      "bins; OOD cells also before logit adjustment); with "
                                      "--plots a reliability diagram per run.")] = False,
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
    with its missing cells and never reduced. Every cell carries its bootstrap interval
    (speaker or utterance level, said in the caption) and Table 4 ranks with ties: settings
    not significantly worse than the best share its rank."""
    from emobox.errors import EmoboxError
    from emobox.features import store_name
    from emobox.metrics import METRICS
    from emobox.report.contamination import workspace_selections
    from emobox.report.formats import FORMATS
    from emobox.report.significance import Resampling
    from emobox.report.views import build_views, report_grids, views_json
    from emobox.runs.results import ResultsDB

    if fmt not in FORMATS:
        raise EmoboxError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if metric not in METRICS:
        raise EmoboxError(f"--metric must be one of {', '.join(METRICS)}, not {metric!r}")
    if not 0 < alpha < 1:
        raise EmoboxError(f"--alpha must be between 0 and 1, not {alpha}")
    if resamples < 10:
        raise EmoboxError(f"--resamples must be at least 10, not {resamples}")
    ws = workspace_of(workspace)
    if not ws.results.is_file():
        raise EmoboxError(f"no results in {ws.root} (run `emobox run` or `emobox demo` first)")
    with ResultsDB(ws.results, readonly=True) as db:
        wanted = store_name(model) if model else None
        compared = [store_name(m) for m in compare] if compare else []
        for name, given in [(wanted, model), *zip(compared, compare or ())]:
            if name is not None and name not in db.models():
                raise EmoboxError(f"no results for model {given!r} in {ws.results} (models "
                                  f"there: {', '.join(db.models()) or 'none'})")
        records = [r for r in db.runs(corpus=corpus) if r.key.model in compared] \
            if compare else db.runs(model=wanted, corpus=corpus)
        if not records:
            raise EmoboxError(f"no results{f' for corpus {corpus!r}' if corpus else ''} in "
                              f"{ws.results}")
        views = build_views(records, db=db, workspace=ws,
                            resampling=Resampling(resamples, seed, alpha),
                            exclude_contaminated=exclude_contaminated,
                            selections=workspace_selections(ws))
        if compare:
            _compare(views, compared, metric, fmt, json_output)
            return
        if plots_dir is not None:
            _plots(views, plots_dir, db if ece else None)
        if html_dir is not None:
            from emobox.report.html import build_site

            index = build_site(db, html_dir, records, compare_paper=compare_paper,
                               workspace=ws, views=views)
            out.print(f"HTML leaderboard: {index}", soft_wrap=True)
        grids = [g for _, g in report_grids(views, metric=metric, compare_paper=compare_paper,
                                            ece=ece)]
        if json_output or fmt == "json":
            print_json({**views_json(views), "tables": [g.to_dict() for g in grids]})
            return
    _print(grids, fmt)
    if fmt == "rich":  # the terminal also shows each OOD matrix cell by cell
        from rich.markup import escape

        from emobox.report.tables import ood_table

        for m in views.ood:
            out.print(ood_table(m))
            out.print(f"[dim]{escape(m.caption)}[/]", soft_wrap=True)


def _print(grids: list, fmt: str) -> None:
    if fmt != "rich":
        typer.echo("\n".join(g.render(fmt) for g in grids), nl=False)
        return
    from rich.markup import escape

    for g in grids:
        out.print(g.rich())
        out.print(f"[dim]{escape(g.note)}[/]", soft_wrap=True)


def _compare(views: Any, models: list[str], metric: str, fmt: str, json_output: bool
             ) -> None:
    from emobox.errors import EmoboxError
    from emobox.report.compare import compare_grids

    grids = compare_grids(views, models[0], models[1], metric)
    if not grids:
        raise EmoboxError(f"--compare: {models[0]} and {models[1]} share no intra-corpus "
                          "setting with a corpus both were run on")
    if json_output or fmt == "json":
        print_json({"compare": [g.to_dict() for g in grids]})
        return
    _print(grids, fmt)


def _plots(views: Any, folder: Path, db: Any = None) -> None:
    """The report's plots; with `db` (``--ece``) a reliability diagram per run."""
    from emobox.report import plots

    written = []
    if db is not None:
        from emobox.report.calibration import run_calibration

        for record in views.stats.by_id.values():
            curves = run_calibration(db, record)
            if curves:
                k = record.key
                written += plots.reliability(
                    curves, folder / f"reliability-{record.run_id}",
                    f"{k.model}: {k.train_corpus} → {k.test_corpus}, fold {k.fold} "
                    f"({k.protocol}, run {record.run_id[:8]})")
    for m in views.cross:
        written += plots.cross_heatmap(m, folder / f"cross-{plots.slug(m.label)}")
    if any(m.average is not None for m in views.cross):
        written += plots.eq1_bars(views.cross, folder / "eq1-averages")
    for m in views.ood:
        if m.summary is not None:
            written += plots.ood_bars(m, folder / f"ood-{plots.slug(m.label)}", views.stats)
    if views.intra:
        written += plots.intra_heatmap(views.intra, folder / "intra-heatmap")
    for c in views.layers:
        written += plots.layer_curve(c, folder / f"layers-{plots.slug(c['setting'])}-"
                                     f"{plots.slug(c['corpus'])}")
    out.print(f"{len(written)} plot files in {folder}", soft_wrap=True)
