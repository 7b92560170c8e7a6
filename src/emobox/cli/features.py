"""Feature verbs: `emobox extract`, `emobox models`, `emobox features info`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from emobox.cli.app import JsonOption, WorkspaceOption, app, out, print_json, workspace_of
from emobox.corpora import get_corpus, raw_root_of
from emobox.errors import EmoboxError
from emobox.features import FeatureStore, extract_corpus, get_extractor
from emobox.features.registry import list_models
from emobox.manifest import read_manifest

features_app = typer.Typer(help="Inspect feature stores.", no_args_is_help=True)
app.add_typer(features_app, name="features")


@app.command("extract")
def extract_command(
    corpora: Annotated[list[str], typer.Argument(help="Prepared corpora.")],
    model: Annotated[str, typer.Option("--model", "-m", help="egemaps, egemaps-lld, logmel, a "
                                       "registry name (`emobox models`), a hub id or a local "
                                       "model folder.")] = "egemaps",
    layers: Annotated[str, typer.Option(help="all, last, or comma-separated indices.")] = "all",
    device: Annotated[str, typer.Option(help="cpu, cuda or cuda:N.")] = "cpu",
    fp32: Annotated[bool, typer.Option("--fp32", help="Run in float32 (default: bf16 "
                                       "autocast).")] = False,
    whisper_mode: Annotated[str, typer.Option(help="Whisper input: pad30 (pad to 30 s, the "
                                              "papers' protocol) or trim.")] = "pad30",
    layer_norm: Annotated[bool, typer.Option("--layer-norm", help="Store layer-normalised "
                                             "frames.")] = False,
    batch_seconds: Annotated[float, typer.Option(help="Padded audio seconds per batch.")] = 60.0,
    ray_workers: Annotated[int, typer.Option(help="Shard across this many Ray workers "
                                             "(0: in this process).")] = 0,
    gpus_per_worker: Annotated[float, typer.Option(help="GPUs per Ray worker.")] = 0.0,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Extract frozen features of one model for several corpora (one model load)."""
    ws = workspace_of(workspace)
    names = [get_corpus(c).name for c in corpora]
    manifests = {n: read_manifest(ws.manifest(n)) for n in names}  # fail early on bad input
    options = {"layers": layers, "device": device, "bf16": not fp32,
               "whisper_mode": whisper_mode, "layer_norm": layer_norm,
               "batch_seconds": batch_seconds}
    extractor = None if ray_workers else get_extractor(model, **options)
    summary = {}
    for name in names:
        start = time.perf_counter()
        if extractor is None:
            from emobox.features.ray_executor import extract_corpus_ray

            result = extract_corpus_ray(model, manifests[name], raw_root_of(ws, name),
                                        ws.features(model, name), workers=ray_workers,
                                        gpus_per_worker=gpus_per_worker, **options)
        else:
            result = extract_corpus(extractor, manifests[name], raw_root_of(ws, name),
                                    ws.features(model, name), show_progress=not json_output)
        elapsed = time.perf_counter() - start
        summary[name] = {"store": str(result.store), "extracted": result.extracted,
                         "already_done": result.already_done, "failed": len(result.failed),
                         "audio_seconds": round(result.audio_seconds, 2),
                         "seconds": round(elapsed, 2)}
        if not json_output:
            out.print(f"{name}: {result.extracted} extracted, {result.already_done} already "
                      f"stored, {len(result.failed)} failed → {result.store}")
            for key, reason in result.failed[:10]:
                out.print(f"  [yellow]skipped[/] {key}: {reason}")
    if json_output:
        print_json(summary)


@app.command("models")
def models_command(json_output: JsonOption = False) -> None:
    """The model registry: EmoBox's 10 models and SER Evals' 9 backbones (any other hub id or
    local folder works too)."""
    models = list_models()
    if json_output:
        print_json([m.to_dict() for m in models])
        return
    table = Table(title="Models (any other hub id or local folder works too)")
    for col in ("name", "hub id", "family", "M params", "frames/s", "input Hz", "papers",
                "input handling"):
        table.add_column(col)
    for m in models:
        table.add_row(m.name, m.hub_id or "—", m.family, str(m.params_m or "?"),
                      f"{m.frame_rate:g}", str(m.sample_rate), ", ".join(m.papers) or "—",
                      m.note or m.input)
    out.print(table)


@features_app.command("info")
def info_command(
    target: Annotated[str, typer.Argument(help="A store folder, or a corpus name with "
                                          "--model.")],
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model of the store "
                                              "(with a corpus name).")] = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """What a feature store holds: model, layers, dim, utterances, frames, hours, size."""
    if Path(target).is_dir() or model is None:
        path = Path(target)
    else:
        path = workspace_of(workspace).features(model, get_corpus(target).name)
    if not path.exists():
        raise EmoboxError(f"no feature store at {path}")
    summary = FeatureStore.open(path).summary()
    if json_output:
        print_json(summary)
        return
    table = Table(title=f"Feature store {path}", show_header=False)
    for key, value in summary.items():
        table.add_row(key, str(value))
    out.print(table)
