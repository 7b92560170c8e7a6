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
    ci: Annotated[bool, typer.Option("--ci", help="Add 95 % bootstrap intervals (first fold's "
                                     "test predictions) to the Table 4 layout.")] = False,
    plots_dir: Annotated[Path | None, typer.Option("--plots", help="Write the plots (PNG and "
                                                   "SVG) into this folder.",
                                                   show_default=False)] = None,
    html_dir: Annotated[Path | None, typer.Option("--html", help="Write the HTML leaderboard "
                                                  "into this folder.", show_default=False)
                        ] = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Print the intra-corpus tables, cross-corpus matrices and SER Evals summaries stored in
    the results database. Results of different schemes, label spaces, recipes,
    hyperparameters, priors or seeds are never mixed: each setting gets its own table, with
    the line that says what it shows."""
    from emobox.errors import EmoboxError
    from emobox.features import store_name
    from emobox.report import (
        cross_json,
        cross_matrices,
        intra_json,
        intra_rows,
        layer_curves,
        ood_json,
        ood_matrices,
        print_tables,
    )
    from emobox.report.formats import FORMATS, table3, table4, table5
    from emobox.runs import ResultsDB

    if fmt not in FORMATS:
        raise EmoboxError(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if metric not in ("ua", "wa", "macro_f1"):
        raise EmoboxError(f"--metric must be ua, wa or macro_f1, not {metric!r}")
    ws = workspace_of(workspace)
    if not ws.results.is_file():
        raise EmoboxError(f"no results in {ws.root} (run `emobox run` or `emobox demo` first)")
    with ResultsDB(ws.results) as db:
        wanted = store_name(model) if model else None
        if wanted is not None and wanted not in db.models():
            raise EmoboxError(f"no results for model {model!r} in {ws.results} (models there: "
                              f"{', '.join(db.models()) or 'none'})")
        records = db.runs(model=wanted, corpus=corpus)
        if not records:
            raise EmoboxError(f"no results{f' for corpus {corpus!r}' if corpus else ''} in "
                              f"{ws.results}")
        rows, matrices, ood = intra_rows(records), cross_matrices(records), ood_matrices(records)
        intervals = _intervals(db, rows, metric) if ci else None
        if plots_dir is not None:
            _plots(matrices, ood, layer_curves(records), plots_dir)
        if html_dir is not None:
            from emobox.report.html import build_site

            index = build_site(db, html_dir, records, compare_paper=compare_paper)
            out.print(f"HTML leaderboard: {index}", soft_wrap=True)
    if json_output or fmt == "json":
        print_json({"intra": intra_json(rows), "cross": cross_json(matrices),
                    "ood": ood_json(ood), "layers": layer_curves(records)})
        return
    grids = [*table4(rows, metric, compare_paper, intervals),
             *table5(matrices, compare_paper), *table3(ood)]
    if fmt != "rich":
        typer.echo("\n".join(g.render(fmt) for g in grids), nl=False)
    elif compare_paper or ci:
        for g in grids:
            out.print(g.rich())
            out.print(f"[dim]{g.note}[/]", soft_wrap=True)
    else:
        print_tables(out, rows, matrices, ood=ood)


def _intervals(db, rows, metric: str) -> dict[str, tuple[float, float]]:
    from emobox.metrics import bootstrap_ci

    found = {}
    for row in rows:
        run = row.run_ids[0]
        record = db.find(run)[0]
        pairs = db.predictions(record.id)
        found[run] = bootstrap_ci([p[1] for p in pairs], [p[2] for p in pairs],
                                  record.metrics["labels"], metric=metric)
    return found


def _plots(matrices, ood, curves, folder: Path) -> None:
    from emobox.report import plots

    written = []
    for n, m in enumerate(matrices):
        written += plots.cross_heatmap(m, folder / f"cross-{m.model}-{n}")
    if matrices:
        written += plots.eq1_bars(matrices, folder / "eq1-averages")
    for n, m in enumerate(ood):
        written += plots.ood_bars(m, folder / f"ood-{m.model}-{n}")
    for c in curves:
        written += plots.layer_curve(c, folder / f"layers-{c['model']}-{c['corpus']}")
    out.print(f"{len(written)} plot files in {folder}", soft_wrap=True)
