"""`emobox corpora` and `emobox prepare`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from emobox.cli.app import JsonOption, WorkspaceOption, app, out, print_json, workspace_of
from emobox.corpora import get_corpus, list_corpora, prepare


@app.command("corpora")
def corpora_command(
    protocol: Annotated[str | None, typer.Option(help="Only corpora of this protocol "
                                                 "(emobox, serval, demo).")] = None,
    json_output: JsonOption = False,
) -> None:
    """List the corpus registry: languages, size, emotions, source and licence."""
    corpora = list_corpora(protocol)
    if json_output:
        print_json([c.info.to_dict() for c in corpora])
        return
    table = Table(title=f"{len(corpora)} corpora")
    for col in ("name", "corpus", "lang", "source", "#emo", "#spk", "#utts", "hours", "emotions"):
        table.add_column(col, overflow="fold")
    for c in corpora:
        i = c.info
        table.add_row(i.name, i.display_name, ",".join(i.languages), i.source,
                      _num(i.n_emotions), _num(i.n_speakers), _num(i.n_utterances), _num(i.hours),
                      ", ".join(i.emotions))
    out.print(table)
    out.print("Download sources and licence terms: `emobox corpora --json`.")


@app.command("prepare")
def prepare_command(
    corpus: Annotated[str, typer.Argument(help="Corpus name (see `emobox corpora`).")],
    raw: Annotated[Path, typer.Option("--raw", help="The corpus's raw download folder "
                                      "(EmoBox's downloads/<corpus>/).")],
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Write the manifest and prepare report of CORPUS from its raw download."""
    spec = get_corpus(corpus)
    ws = workspace_of(workspace)
    result = prepare(spec, raw, ws, show_progress=not json_output)
    report = result.report
    if json_output:
        print_json({k: v for k, v in report.items() if k != "skipped_files"})
        return
    out.print(f"[bold]{spec.name}[/]: {report['utterances']} utterances, {report['speakers']} "
              f"speakers, {report['hours']:.2f} h → {ws.manifest(spec.name)}")
    out.print("  labels: " + ", ".join(f"{k} {v}" for k, v in report["labels"].items()))
    out.print("  sample rates: " + ", ".join(f"{k} Hz ×{v}" for k, v in
                                              report["sample_rates"].items())
              + " · channels: " + ", ".join(f"{k}ch ×{v}" for k, v in report["channels"].items()))
    if report["skipped"]:
        out.print(f"  [yellow]skipped {report['skipped']} files[/]: " + ", ".join(
            f"{k} ×{v}" for k, v in report["skipped_reasons"].items())
            + f" (details in {ws.prepare_report(spec.name)})")
    for warning in report["warnings"]:
        out.print(f"  [yellow]warning[/]: {warning}")


def _num(value) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
