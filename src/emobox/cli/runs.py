"""`emobox runs list|show|delete|export` and `emobox predict`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from emobox.cli.app import app, out
from emobox.cli.options import JsonOption, WorkspaceOption, print_json, workspace_of

runs_app = typer.Typer(help="List, inspect, delete and export stored runs.",
                       no_args_is_help=True)
app.add_typer(runs_app, name="runs")

RunArgument = Annotated[str, typer.Argument(help="A run id (see `emobox runs list`).",
                                            metavar="RUN_ID")]


def _db(workspace: Path | None, *, readonly: bool = True):
    """The workspace's results database, read-only unless the command writes (delete)."""
    from emobox.errors import EmoboxError
    from emobox.runs import ResultsDB

    ws = workspace_of(workspace)
    if not ws.results.is_file():
        raise EmoboxError(f"no results in {ws.root} (run `emobox run` or `emobox demo` first)")
    return ResultsDB(ws.results, readonly=readonly)


def _listed(runs, protocol: str | None, configs: bool = False) -> list:
    """The runs `runs list` and `runs export` show: per-configuration sweep rows only when
    asked (`--protocol X-config` or `--configs`)."""
    return [r for r in runs if configs or protocol or not r.key.protocol.endswith("-config")]


def _find(db, run_id: str):
    from emobox.errors import EmoboxError

    found = db.find(run_id)
    if len(found) != 1:
        raise EmoboxError(f"run {run_id!r}: {'no such run' if not found else 'ambiguous'} "
                          "(see `emobox runs list`)")
    return found[0]


def _flat(r) -> dict:
    k = r.key
    return {"run": r.run_id, "protocol": k.protocol, "model": k.model, "train": k.train_corpus,
            "test": k.test_corpus, "fold": k.fold, "scheme": k.scheme, "space": k.label_space,
            "recipe": k.recipe, "prior": k.prior, "seed": k.seed, "layer": k.layer,
            "corpora": "+".join(k.corpora), "classes": "/".join(k.labels),
            **{m: r.metrics.get(m) for m in ("ua", "wa", "macro_f1", "n")},
            "emobox": r.version, "created": r.created}


@runs_app.command("list")
def list_command(
    protocol: Annotated[str | None, typer.Option(help="Only this protocol.",
                                                 show_default=False)] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Only this model.",
                                              show_default=False)] = None,
    corpus: Annotated[str | None, typer.Option("--corpus", "-c", help="Only this corpus.",
                                               show_default=False)] = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """The stored runs (per-configuration sweep rows left out unless --protocol asks)."""
    from rich.table import Table

    with _db(workspace) as db:
        runs = _listed(db.runs(protocol=protocol, model=model, corpus=corpus), protocol)
    rows = [_flat(r) for r in runs]
    if json_output:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} runs")
    for col in ("run", "protocol", "model", "train", "test", "fold", "scheme", "recipe", "UA"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["run"], r["protocol"], r["model"], r["train"], r["test"], r["fold"],
                      r["scheme"], r["recipe"],
                      "" if r["ua"] is None else f"{100 * r['ua']:.1f}")
    out.print(table)


@runs_app.command("show")
def show_command(run: RunArgument, workspace: WorkspaceOption = None,
                 json_output: JsonOption = False) -> None:
    """A run's identity, metrics and how it went (chosen configuration, notes), as JSON."""
    with _db(workspace) as db:
        r = _find(db, run)
    data = {"run": r.run_id, "key": r.key.to_dict(), "metrics": r.metrics,
            "info": {k: v for k, v in r.info.items() if k != "curves"},
            "emobox": r.version}
    del json_output  # the record is JSON either way
    print_json(data)


@runs_app.command("delete")
def delete_command(runs: Annotated[list[str], typer.Argument(help="Run ids.",
                                                             metavar="RUN_ID...")],
                   workspace: WorkspaceOption = None) -> None:
    """Delete runs, their predictions and their saved heads."""
    import shutil

    with _db(workspace, readonly=False) as db:
        found = [_find(db, r) for r in runs]
        db.delete([r.run_id for r in found])
        for r in found:
            shutil.rmtree(db.heads_dir / r.run_id, ignore_errors=True)
    out.print(f"deleted {len(found)} run(s)")


@runs_app.command("export")
def export_runs_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="A .csv or .parquet file.")],
    configs: Annotated[bool, typer.Option(
        "--configs", help="Also the per-configuration sweep rows (validation curves, no test "
        "metrics).")] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """The runs `runs list` lists, one row each (identity fields and metrics), in CSV or
    Parquet."""
    import csv

    from emobox.errors import EmoboxError

    with _db(workspace) as db:
        rows = [_flat(r) for r in _listed(db.runs(), None, configs)]
    if output.suffix == ".csv":
        with output.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["run"])
            writer.writeheader()
            writer.writerows(rows)
    elif output.suffix == ".parquet":
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise EmoboxError("Parquet export needs pyarrow: pip install 'emobox[parquet]'"
                              ) from None
        pq.write_table(pa.Table.from_pylist(rows), output)
    else:
        raise EmoboxError(f"--output must end in .csv or .parquet, not {output.name!r}")
    out.print(f"{len(rows)} runs → {output}", soft_wrap=True)


@app.command("predict")
def predict_command(
    audio: Annotated[list[Path], typer.Argument(help="Audio files (wav, flac, mp3, ogg, "
                                                "mp4, …).", metavar="AUDIO...")],
    run: Annotated[str | None, typer.Option(help="A run whose head to use.",
                                            show_default=False)] = None,
    model_dir: Annotated[Path | None, typer.Option(help="A head exported with `emobox export "
                                                   "head`.", show_default=False)] = None,
    window: Annotated[float | None, typer.Option(help="Predict per window of this many "
                                                 "seconds (long files).", min=0.5,
                                                 show_default=False)] = None,
    device: Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")] = "cpu",
    allow_pickle: Annotated[bool, typer.Option(
        "--allow-pickle", help="Allow the feature model's weights to be a pickle (as "
        "`extract --allow-pickle`).")] = False,
    csv_output: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """The emotion and class probabilities of each file (or window), with the features the
    head was trained on, extracted with the same settings."""
    from emobox.errors import EmoboxError
    from emobox.predict import predict_files

    if (run is None) == (model_dir is None):
        raise EmoboxError("give exactly one of --run RUN_ID or --model-dir DIR")
    if run is not None:
        with _db(workspace) as db:
            r = _find(db, run)
            model_dir = db.heads_dir / r.info.get("head", r.run_id)
    rows = predict_files(audio, model_dir, window=window, device=device,
                         allow_pickle=allow_pickle)
    if json_output:
        print_json(rows)
    elif csv_output:
        labels = list(rows[0]["probabilities"]) if rows else []
        typer.echo(",".join(["file", "start", "end", "emotion", *labels]))
        for row in rows:
            typer.echo(",".join([row["file"], f"{row['start']:.2f}", f"{row['end']:.2f}",
                                 row["emotion"], *(f"{row['probabilities'][k]:.4f}"
                                                   for k in labels)]))
    else:
        from rich.table import Table

        table = Table(title="Predictions")
        for col in ("file", "from", "to", "emotion", "probability"):
            table.add_column(col)
        for row in rows:
            table.add_row(row["file"], f"{row['start']:.1f}", f"{row['end']:.1f}",
                          row["emotion"], f"{row['probabilities'][row['emotion']]:.2f}")
        out.print(table)
