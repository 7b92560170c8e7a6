"""Feature verbs: `emobox extract`, `emobox models`, `emobox features info|check|repair`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from emobox.audio import TARGET_SAMPLE_RATE
from emobox.cli.app import app, out
from emobox.cli.options import (
    DEFAULT_MODEL,
    CorporaArgument,
    DeviceOption,
    JsonOption,
    ModelOption,
    PrecisionOption,
    WorkspaceOption,
    prepared,
    print_json,
    workspace_of,
)

features_app = typer.Typer(help="Inspect, check and repair feature stores.",
                           no_args_is_help=True)
app.add_typer(features_app, name="features")

RevisionOption = Annotated[str | None, typer.Option(
    help="Model revision (hub branch, tag or commit); part of the store name.",
    show_default=False)]
StoreLayersOption = Annotated[str, typer.Option(
    "--layers", help="Layers whose frames are stored: default (the last, which the EmoBox "
    "recipe trains on), all, last, or comma-separated indices. Pooled mean/std of every "
    "layer are always stored (linear probes).")]


@app.command("extract")
def extract_command(
    corpora: CorporaArgument,
    model: ModelOption = DEFAULT_MODEL,
    layers: StoreLayersOption = "default",
    device: DeviceOption = "cpu",
    precision: PrecisionOption = "auto",
    revision: RevisionOption = None,
    trust_remote_code: Annotated[bool, typer.Option(
        "--trust-remote-code", help="Allow a model that runs code from its repository "
        "(e.g. MERT).")] = False,
    allow_pickle: Annotated[bool, typer.Option(
        "--allow-pickle", help="Allow weights stored with pickle (*.bin; the .pt checkpoints "
        "of data2vec 2.0 and emotion2vec), which can run code when loaded (default: "
        "safetensors only).")] = False,
    whisper_mode: Annotated[str, typer.Option(help="Whisper input: pad30 (pad to 30 s, the "
                                              "papers' protocol) or trim.")] = "pad30",
    layer_norm: Annotated[bool, typer.Option("--layer-norm", help="Store layer-normalised "
                                             "frames.")] = False,
    batch_seconds: Annotated[float | None, typer.Option(
        help="Padded audio seconds per batch [default: 30 on a CPU, where only equal-length "
        "segments share a batch; on CUDA what half the free memory holds].",
        show_default=False, min=1.0)] = None,
    compile_model: Annotated[bool, typer.Option(
        "--compile", help="torch.compile the model (pays on GPUs over long runs; the first "
        "batches compile).")] = False,
    commit_every: Annotated[float, typer.Option(help="Make the work done durable at least "
                                                "this often (seconds): a kill loses at most "
                                                "that much.", min=0.1)] = 5.0,
    ray_workers: Annotated[int, typer.Option(help="Shard across this many Ray workers "
                                             "(0: in this process).", min=0)] = 0,
    gpus_per_worker: Annotated[float, typer.Option(help="GPUs per Ray worker.")] = 0.0,
    force: Annotated[bool, typer.Option(
        "--force", help="Extract even when the stores' estimated size exceeds the free disk "
        "space.")] = False,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Extract frozen features of one model for several corpora (one model load). Ctrl-C
    stops cleanly after committing what is done; rerun to resume. The stores' size is
    estimated first; extraction is refused when it will not fit the disk."""
    from emobox.corpora import raw_root_of
    from emobox.features import ExtractionSettings, Runtime, extract_corpus, get_extractor
    from emobox.features.extract import check_space
    from emobox.features.registry import HANDCRAFTED, info
    from emobox.manifest import read_manifest

    if model not in HANDCRAFTED:
        info(model)  # an unknown name or a missing folder fails before anything else
    settings = ExtractionSettings.of(model, layers=layers, precision=precision,
                                     whisper_mode=whisper_mode, layer_norm=layer_norm,
                                     revision=revision)
    runtime = Runtime(device=device, batch_seconds=batch_seconds, compile=compile_model,
                      trust_remote_code=trust_remote_code, allow_pickle=allow_pickle)
    ws = workspace_of(workspace)
    names = [prepared(ws, c) for c in corpora]
    manifests = {n: read_manifest(ws.manifest(n)) for n in names}  # fail early on bad input
    roots = {n: raw_root_of(ws, n) for n in names}
    stores = {n: ws.features(settings.store_name, n) for n in names}
    check_space(settings, {stores[n]: manifests[n] for n in names}, force=force)
    extractor = None if ray_workers else get_extractor(settings, runtime)
    summary = {}
    for name in names:
        start = time.perf_counter()
        if extractor is None:
            from emobox.features.ray_executor import extract_corpus_ray

            result = extract_corpus_ray(settings, manifests[name], roots[name], stores[name],
                                        workers=ray_workers, gpus_per_worker=gpus_per_worker,
                                        runtime=runtime)
        else:
            result = extract_corpus(extractor, manifests[name], roots[name], stores[name],
                                    commit_every=commit_every, show_progress=not json_output)
        elapsed = time.perf_counter() - start
        summary[name] = {"store": str(result.store), "extracted": result.extracted,
                         "already_done": result.already_done, "failed": len(result.failed),
                         "failures": dict(result.failed),
                         "audio_seconds": round(result.audio_seconds, 2),
                         "seconds": round(elapsed, 2),
                         "stage_seconds": {k: round(v, 2) for k, v in result.timings.items()}}
        if not json_output:
            out.print(f"{name}: {result.extracted} extracted, {result.already_done} already "
                      f"stored, {len(result.failed)} failed → {result.store}", soft_wrap=True)
            for key, reason in result.failed[:10]:
                out.print(f"  [yellow]failed[/] {key}: {reason}", soft_wrap=True)
            if len(result.failed) > 10:
                out.print(f"  … and {len(result.failed) - 10} more (--json lists all)")
    if json_output:
        print_json(summary)


@app.command("models")
def models_command(json_output: JsonOption = False) -> None:
    """The feature sets: handcrafted (eGeMAPS, log-mel), EmoBox's 10 models, SER Evals' 9
    backbones and emotion2vec (any other hub id or local folder works too); --json adds each
    model's licence and, per training stage, its data with their source and the emobox
    corpora they hold."""
    from rich.table import Table

    from emobox.features import list_models
    from emobox.features.registry import HANDCRAFTED

    models = list_models()
    if json_output:
        print_json([{"name": n, "family": "handcrafted", "papers": [], "note": note}
                    for n, note in HANDCRAFTED.items()] + [m.to_dict() for m in models])
        return
    table = Table(title="Models (any other hub id or local folder works too)")
    for col in ("name", "weights", "family", "M params", "frames/s", "input Hz", "papers",
                "input handling"):
        table.add_column(col, overflow="fold")
    for name, note in HANDCRAFTED.items():
        table.add_row(name, "—", "handcrafted", "—", "", str(TARGET_SAMPLE_RATE), "", note)
    for m in models:
        table.add_row(m.name, m.weights, m.family, str(m.params_m or "?"),
                      f"{m.frame_rate:g}", str(m.sample_rate), ", ".join(m.papers) or "—",
                      m.note or m.input)
    out.print(table)


def _store_path(target: str, model: str | None, workspace: Path | None,
                revision: str | None = None) -> Path:
    from emobox.errors import EmoboxError
    from emobox.features import store_name

    if model is None:
        path = Path(target)
        if not path.is_dir():
            raise EmoboxError(f"no feature store at {target} (to name a corpus, pass its "
                              "model with --model)")
    else:
        ws = workspace_of(workspace)
        path = ws.features(store_name(model, revision), prepared(ws, target))
    if not (path / "meta.json").is_file():
        raise EmoboxError(f"no feature store at {path} (run `emobox extract` first)")
    return path


TargetArgument = Annotated[str, typer.Argument(help="A store folder, or a corpus name with "
                                               "--model.", metavar="STORE|CORPUS")]
StoreModelOption = Annotated[str | None, typer.Option(
    "--model", "-m", help="Model of the store (with a corpus name).", show_default=False)]


@features_app.command("info")
def info_command(
    target: TargetArgument,
    model: StoreModelOption = None,
    revision: RevisionOption = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """What a feature store holds: model, layers, dim, utterances, frames, hours, precision."""
    from rich.table import Table

    from emobox.features import FeatureStore

    path = _store_path(target, model, workspace, revision)
    summary = FeatureStore.open(path).summary()
    if json_output:
        print_json(summary)
        return
    table = Table(title="Feature store", caption=str(path), show_header=False)
    for key, value in summary.items():
        table.add_row(key, str(value))
    out.print(table)


@features_app.command("check")
def check_command(
    target: TargetArgument,
    model: StoreModelOption = None,
    revision: RevisionOption = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Look for utterances with NaN/inf features; exit 1 when there are any."""
    from emobox.features import FeatureStore

    path = _store_path(target, model, workspace, revision)
    bad = FeatureStore.open(path).nonfinite_keys()
    if json_output:
        print_json({"store": str(path), "nonfinite": bad})
    elif bad:
        out.print(f"{path}: {len(bad)} utterance(s) with NaN/inf features, e.g. {bad[0]} — "
                  "`emobox features repair` removes them", soft_wrap=True)
    else:
        out.print(f"{path}: every stored value is finite", soft_wrap=True)
    if bad:
        raise typer.Exit(1)


@features_app.command("repair")
def repair_command(
    target: TargetArgument,
    model: StoreModelOption = None,
    revision: RevisionOption = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Remove utterances with NaN/inf features from a store (rewritten atomically), so that
    `emobox extract` computes them again."""
    from emobox.features.store import remove_keys

    path = _store_path(target, model, workspace, revision)
    from emobox.features import FeatureStore

    bad = FeatureStore.open(path).nonfinite_keys()
    if bad:
        remove_keys(path, bad)
    if json_output:
        print_json({"store": str(path), "removed": bad})
    else:
        out.print(f"{path}: removed {len(bad)} utterance(s)"
                  + (" — rerun `emobox extract` to compute them again" if bad else ""),
                  soft_wrap=True)
