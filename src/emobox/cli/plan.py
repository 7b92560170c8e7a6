"""`emobox plan intra|cross|ood|layers`: what a `run` would cost before it runs — audio to
extract, disk, training frames × epochs × configurations, FLOPs and wall time here and on a
GPU (`emobox.runs.cost`). Takes the same corpus, model and recipe arguments as `run`."""

from __future__ import annotations

from typing import Annotated

import typer

from emobox.cli.app import app, out
from emobox.cli.options import (
    EpochsOption,
    GridOption,
    JsonOption,
    ModelsOption,
    RecipeOption,
    SchemeOption,
    SetOption,
    WorkspaceOption,
    print_json,
    workspace_of,
)
from emobox.runs.spec import PROTOCOLS

plan_app = typer.Typer(help="What a protocol would cost before it runs: audio hours, disk, "
                       "training frames, FLOPs, and wall time here and on a GPU.")
app.add_typer(plan_app, name="plan")

PlanCorpora = Annotated[list[str] | None, typer.Argument(
    help="Corpora, prepared or not (those not prepared are planned from their published "
    "utterance counts and hours).", metavar="[CORPUS]...", show_default=False)]
PlanGroupOption = Annotated[str | None, typer.Option(
    "--corpora", help="Add the registry's corpora of a protocol (emobox, serval), or every "
    "registry and prepared corpus (all).", show_default=False)]
PlanLayersOption = Annotated[str, typer.Option(
    "--layers", help="Layers whose frames the stores keep, as `extract --layers` (default: "
    "the last; pooled statistics of every layer are always kept).")]
WhisperModeOption = Annotated[str, typer.Option(
    help="Whisper input, as `extract --whisper-mode`: pad30 (every utterance costs a 30 s "
    "window) or trim.")]
GpuOption = Annotated[float | None, typer.Option(
    "--gpu-tflops", help="The GPU's dense bf16 TFLOP/s, what extraction runs at (default: an "
    "H200's; the utilisation is assumed, see --json's gpu).", show_default=False)]
GpuFp32Option = Annotated[float | None, typer.Option(
    "--gpu-fp32-tflops", help="The GPU's float32 TFLOP/s, what training runs at (default: an "
    "H200's).", show_default=False)]


def _plan(protocol: str, corpora: list[str] | None, group: str | None,
          models: list[str] | None, scheme: str | None, recipe: str, grid: str | None,
          setting: list[str] | None, epochs: int | None, layers: str, whisper_mode: str,
          gpu_tflops: float | None, gpu_fp32_tflops: float | None, workspace,
          json_output: bool) -> None:
    from emobox.cli.options import DEFAULT_MODEL
    from emobox.runs import cost

    ws = workspace_of(workspace)
    from emobox.runs.spec import ProtocolRun

    chosen_recipe = ProtocolRun(protocol=protocol, recipe_name=recipe, grid=grid,
                                settings=tuple(setting or ()), epochs=epochs).recipe()
    if protocol == "cross" and not corpora and group is None:
        from emobox.runs.protocols import CROSS_DEFAULT

        corpora = list(CROSS_DEFAULT)
    names = cost.plan_corpora(ws, corpora, group)
    rates = cost.calibrate()
    given = {"bf16_tflops": gpu_tflops, "fp32_tflops": gpu_fp32_tflops}
    gpu = cost.GPU(**{k: v for k, v in given.items() if v is not None})
    chosen_models = models or [DEFAULT_MODEL]
    lines = cost.plan(ws, protocol, names, chosen_models, chosen_recipe, scheme=scheme,
                      layers=layers, whisper_mode=whisper_mode, rates=rates, gpu=gpu)
    per_model = {m: cost.total([x for x in lines if x.model == m]) for m in chosen_models}
    result = {"protocol": protocol, "recipe": chosen_recipe.id, "epochs": chosen_recipe.epochs,
              "configs": len(chosen_recipe.configs()), "layers": layers,
              "whisper_mode": whisper_mode,
              "rates_here": rates.to_dict(), "gpu": gpu.to_dict(),
              "lines": [x.to_dict() for x in lines], "models": per_model,
              "total": cost.total(lines)}
    if json_output:
        print_json(result)
        return
    from rich.table import Table

    table = Table(title=f"plan {protocol} · recipe {chosen_recipe.id} · {len(names)} corpora · "
                  f"{result['configs']} configurations × {chosen_recipe.epochs} epochs")
    for col in ("model", "audio h (to extract)", "stores", "extract FLOP", "runs (done)",
                "train frames", "train FLOP", "here", "GPU"):
        table.add_column(col, justify="left" if col == "model" else "right")
    rows = [*per_model.items(), *([("total", result["total"])] if len(per_model) > 1 else [])]
    for name, t in rows:
        table.add_row(name, f"{t['audio_hours']:.1f} ({t['extract_hours']:.1f})",
                      _bytes(t["store_bytes"]), f"{t['extract_flop']:.2g}",
                      f"{t['runs']:.0f} ({t['runs_done']:.0f})", f"{t['train_frames']:.3g}",
                      f"{t['train_flop']:.2g}", _duration(t["seconds_here"]),
                      _duration(t["seconds_gpu"]), style="bold" if name == "total" else None)
    out.print(table)
    bf16 = (f", bf16 {rates.extract_bf16_flop_s / 1e9:.0f}" if rates.extract_bf16_flop_s
            else "")
    out.print(f"[dim]here: encoder forward {rates.extract_flop_s / 1e9:.0f} GFLOP/s float32{bf16}"
              f" (float32 matmul {rates.matmul_flop_s / 1e9:.0f}), sweep step "
              f"{rates.train_flop_s / 1e9:.0f} GFLOP/s + {1e3 * rates.step_s:.1f} ms; GPU: "
              f"assumed, not measured[/]", soft_wrap=True)


def _bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:.0f} B"


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.1f} s"


def _command(protocol: str, default_recipe: str, doc: str):
    def command(
        corpora: PlanCorpora = None,
        group: PlanGroupOption = None,
        models: ModelsOption = None,
        scheme: SchemeOption = None,
        recipe: RecipeOption = default_recipe,
        grid: GridOption = None,
        setting: SetOption = None,
        epochs: EpochsOption = None,
        layers: PlanLayersOption = "default",
        whisper_mode: WhisperModeOption = "pad30",
        gpu_tflops: GpuOption = None,
        gpu_fp32_tflops: GpuFp32Option = None,
        workspace: WorkspaceOption = None,
        json_output: JsonOption = False,
    ) -> None:
        _plan(protocol, corpora, group, models, scheme, recipe, grid, setting, epochs, layers,
              whisper_mode, gpu_tflops, gpu_fp32_tflops, workspace, json_output)

    command.__doc__ = doc
    return command


for _protocol, _doc in (
        ("intra", "The cost of `run intra` (EmoBox Table 4): every fold's grid."),
        ("cross", "The cost of `run cross` (EmoBox Table 5): one training per corpus (default "
         "IEMOCAP, MELD, RAVDESS, SAVEE)."),
        ("ood", "The cost of `run ood` (SER Evals Table 3): one training per corpus, on its "
         "first fold."),
        ("layers", "The cost of `run layers`: every fold's grid on every layer whose frames "
         "are stored.")):
    plan_app.command(_protocol)(_command(_protocol, PROTOCOLS[_protocol].recipe, _doc))
