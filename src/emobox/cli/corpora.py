"""`emobox corpora` and `emobox prepare`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from emobox.cli.app import app, out
from emobox.cli.options import (
    CorpusArgument,
    JsonOption,
    WorkspaceOption,
    print_json,
    workspace_of,
)

PROTOCOLS = ("emobox", "serval", "demo")


@app.command("corpora")
def corpora_command(
    protocol: Annotated[str | None, typer.Option(help="Only corpora of this protocol "
                                                 f"({', '.join(PROTOCOLS)}).",
                                                 show_default=False)] = None,
    markdown: Annotated[bool, typer.Option("--markdown", help="Print a Markdown table (as in "
                                           "the README).")] = False,
    json_output: JsonOption = False,
) -> None:
    """List the corpus registry: languages, size, emotions, source and licence."""
    from rich.table import Table

    from emobox.corpora import list_corpora
    from emobox.corpora.core.registry import markdown_table
    from emobox.errors import EmoboxError

    if protocol is not None and protocol not in PROTOCOLS:
        raise EmoboxError(f"unknown protocol {protocol!r} (one of {', '.join(PROTOCOLS)})")
    corpora = list_corpora(protocol)
    if json_output:
        print_json([c.info.to_dict() for c in corpora])
        return
    if markdown:
        typer.echo(markdown_table(corpora), nl=False)
        return
    table = Table(title=f"{len(corpora)} corpora", caption="#cls: classes emobox uses (the "
                  "emotions listed); #emo, #spk, #utts, hours: as published")
    for col in ("name", "corpus", "lang", "source", "#cls", "#emo", "#spk", "#utts", "hours",
                "emotions"):
        table.add_column(col, overflow="fold")
    for c in corpora:
        i = c.info
        table.add_row(i.name, i.display_name, ",".join(i.languages), i.source,
                      str(i.n_classes), _num(i.n_emotions), _num(i.n_speakers),
                      _num(i.n_utterances), _num(i.hours), ", ".join(i.emotions))
    out.print(table)
    out.print("Download sources and licence terms: `emobox corpora --json`.")


@app.command("prepare")
def prepare_command(
    corpus: CorpusArgument,
    raw: Annotated[Path, typer.Option("--raw", help="The corpus's raw download folder "
                                      "(EmoBox's downloads/<corpus>/); with --table, the "
                                      "folder the table's paths are relative to.")],
    table: Annotated[Path | None, typer.Option(
        "--table", help="Your own corpus: a .csv/.tsv/.jsonl table with columns path, emotion, "
        "speaker (optional: gender, language, transcript, split, start_time, end_time); "
        "CORPUS is then its new name.", show_default=False)] = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Write the manifest and prepare report of CORPUS from its raw download."""
    from emobox.corpora import UserTableCorpus, get_corpus, prepare

    spec = UserTableCorpus.from_table(corpus, table) if table else get_corpus(corpus)
    ws = workspace_of(workspace)
    result = prepare(spec, raw, ws, show_progress=not json_output)
    report = result.report
    if json_output:
        print_json({k: v for k, v in report.items() if k != "skipped_files"})
        return
    out.print(f"[bold]{spec.name}[/]: {report['utterances']} utterances, {report['speakers']} "
              f"speakers, {report['hours']:.2f} h → {ws.manifest(spec.name)}", soft_wrap=True)
    out.print("  labels: " + ", ".join(f"{k} {v}" for k, v in report["labels"].items()))
    out.print("  sample rates: " + ", ".join(f"{k} Hz ×{v}" for k, v in
                                              report["sample_rates"].items())
              + " · channels: " + ", ".join(f"{k}ch ×{v}" for k, v in report["channels"].items()))
    if report["skipped"]:
        out.print(f"  [yellow]skipped {report['skipped']} files[/]: " + ", ".join(
            f"{k} ×{v}" for k, v in report["skipped_reasons"].items())
            + f" (details in {ws.prepare_report(spec.name)})", soft_wrap=True)
    for warning in report["warnings"]:
        out.print(f"  [yellow]warning[/]: {warning}")


def _num(value) -> str:
    return "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
