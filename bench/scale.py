"""Scale benchmark: EmoBox's intra protocol end to end on a synthetic benchmark of its shape,
with the `emobox plan` estimate beside every measurement.

    python bench/scale.py [--quick] [--factor N] [--work DIR] [--output FILE]

The benchmark: one corpus per EmoBox corpus (its `CorpusInfo`: Table 1's utterance count ÷
`--factor`, at least `MIN_PER_CLASS` per class; its classes; up to `MAX_SPEAKERS` of its
speakers; its mean utterance length, each length drawn log-normally around it) and its fold
count (EmoBox's released partition: k speaker folds → ``speaker-kfold`` k, one fold →
``stratified``). The audio is espeak-ng speech of the demo's voices, acted per emotion and
cut or looped to length, at espeak's 22.05 kHz (so resampling is part of the work).

The stages run the real CLI in a child process each (``prepare --table``, ``partition``,
``extract --layers default``, ``run intra``, ``report``), with a WavLM base built from
``WavLMConfig()`` (random weights cost what real ones cost); per stage: wall time, peak RSS
(the child's ``VmHWM``) and the workspace's growth on disk. After ``partition`` the plan
(`emobox.runs.cost`, calibrated here) estimates extraction and training; its ratio to the
measurement is reported (the target: 0.67–1.5), and its model extrapolates to the full
benchmark here and on one H200 (assumed figures, see `emobox.runs.cost.GPU`).
``--threads 1`` runs the calibration and every stage on one thread (on a host other jobs
share, two threads of torch wait on each other). Writes bench/results/scale.local.json (or
--output) and prints it. Not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
from common import peak_rss_kb, write_results  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "scale.local.json"
#: Utterances per class at least, so that every fold's train part keeps ≥ 3 of each class and
#: the run can carve its 20 % validation from them: with k ≥ 3 speaker folds, and with one
#: stratified fold (whose test part takes a quarter of each class).
MIN_PER_CLASS = {"speaker-kfold": 5, "stratified": 4}
MAX_SPEAKERS = 8
QUICK_FACTOR, FULL_FACTOR = 1000, 200
STAGES = ("prepare", "partition", "extract", "run", "report")
PLAN_TARGET = (0.67, 1.5)


# -- the synthetic benchmark -----------------------------------------------------------------
def shapes(factor: int) -> list[dict]:
    """Per EmoBox corpus: name, utterances, speakers, classes, mean length, folds."""
    from emobox.corpora import list_corpora

    out = []
    for corpus in list_corpora("emobox"):
        info, released = corpus.info, corpus.info.emobox_partition
        folds = int(released["n_folds"]) if released else 1
        least = MIN_PER_CLASS["speaker-kfold" if folds > 1 else "stratified"]
        n = max(round(info.n_utterances / factor), least * info.n_classes)
        speakers = max(folds, min(info.n_speakers or 1, MAX_SPEAKERS, n))
        out.append({"name": f"scale-{info.name}", "of": info.name, "utterances": n,
                    "speakers": speakers, "emotions": info.emotions, "folds": folds,
                    "mean_seconds": info.hours * 3600 / info.n_utterances})
    return out


def voices(work: Path) -> list[list[np.ndarray]]:
    """espeak-ng clips of the English demo voices, grouped by acted emotion."""
    from emobox.demo.corpora import EMOTION_CODES
    from emobox.demo.synth import DemoSpec, synthesise_demo

    folder = synthesise_demo(work / "voices", DemoSpec(("en",), 4, 6), workers=2,
                             show_progress=False)["demo-en"]
    return [[sf.read(p, dtype="float32")[0] for p in sorted(folder.glob(f"*/*_{emo}_*.wav"))]
            for emo in EMOTION_CODES]


def synthesise(work: Path, factor: int) -> list[dict]:
    """Write every corpus's audio and table; returns the shapes, with the seconds written."""
    pool, rate = voices(work), 22050
    rng = np.random.default_rng(0)
    corpora = shapes(factor)
    for c in corpora:
        raw = work / "raw" / c["name"]
        raw.mkdir(parents=True, exist_ok=True)
        rows, seconds = ["path,emotion,speaker"], 0.0
        for i in range(c["utterances"]):
            speaker = i % c["speakers"]  # every speaker, each with varied labels
            label = (i + i // c["speakers"]) % len(c["emotions"])
            length = float(np.clip(c["mean_seconds"] * rng.lognormal(-0.045, 0.3), 0.4, 20))
            clips = pool[label % len(pool)]
            audio = clips[(i + speaker) % len(clips)]
            n = int(length * rate)
            audio = np.tile(audio, math.ceil(n / len(audio)))[:n]
            path = f"s{speaker:02d}/{i:05d}.wav"
            (raw / path).parent.mkdir(exist_ok=True)
            sf.write(raw / path, audio, rate, subtype="PCM_16")
            rows.append(f"{path},{c['emotions'][label]},s{speaker:02d}")
            seconds += n / rate
        (work / "raw" / f"{c['name']}.csv").write_text("\n".join(rows) + "\n")
        c["seconds"] = seconds
    return corpora


# -- the stages, each in a child process -----------------------------------------------------
def commands(stage: str, work: Path, corpora: list[dict], model: Path) -> list[list[str]]:
    ws = ["-w", str(work / "ws")]
    names = [c["name"] for c in corpora]
    if stage == "prepare":
        return [["prepare", c["name"], "--raw", str(work / "raw" / c["name"]), "--table",
                 str(work / "raw" / f"{c['name']}.csv"), "--json", *ws] for c in corpora]
    if stage == "partition":
        return [["partition", c["name"], *scheme_args(c), *ws] for c in corpora]
    if stage == "extract":
        return [["extract", *names, "-m", str(model), "--layers", "default", "--json", *ws]]
    if stage == "run":
        return [["run", "intra", *[c["name"] for c in corpora if scheme_of(c) == scheme],
                 "-m", str(model), "--scheme", scheme, "--json", *ws]
                for scheme in sorted({scheme_of(c) for c in corpora})]
    return [["report", "-f", "md", *ws]]


def scheme_of(corpus: dict) -> str:
    return "speaker-kfold" if corpus["folds"] > 1 else "stratified"


def scheme_args(corpus: dict) -> list[str]:
    k = ["--k", str(corpus["folds"])] if corpus["folds"] > 1 else []
    return ["--scheme", scheme_of(corpus), *k]


def child(args_file: Path) -> None:
    """Run one stage's CLI commands in this process; write seconds and VmHWM beside them."""
    from emobox.cli import app

    commands_ = json.loads(args_file.read_text())
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        for argv in commands_:
            app(argv, standalone_mode=False)
    seconds = time.perf_counter() - start
    args_file.with_suffix(".out.json").write_text(json.dumps(
        {"seconds": seconds, "peak_rss_kb": peak_rss_kb()}))




def disk(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def run_stage(stage: str, work: Path, corpora: list[dict], model: Path) -> dict:
    args_file = work / f"stage-{stage}.json"
    args_file.write_text(json.dumps(commands(stage, work, corpora, model)))
    before = disk(work / "ws")
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child", str(args_file)], check=True,
                   env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]
                                                        / "src")})
    wall = time.perf_counter() - start
    inner = json.loads(args_file.with_suffix(".out.json").read_text())
    return {"wall_s": round(wall, 2), "in_process_s": round(inner["seconds"], 2),
            "peak_rss_mb": round(inner["peak_rss_kb"] / 1024),
            "disk_bytes": disk(work / "ws") - before}


# -- the plan beside it ----------------------------------------------------------------------
def plan_of(work: Path, corpora: list[dict], model: Path, rates) -> dict:
    """The plan of the intra run on the partitioned, not yet extracted benchmark."""
    from emobox.runs import cost
    from emobox.train import EMOBOX
    from emobox.workspace import Workspace

    ws = Workspace(work / "ws")
    lines = [line for scheme in sorted({scheme_of(c) for c in corpora})
             for line in cost.plan(ws, "intra", [c["name"] for c in corpora
                                                 if scheme_of(c) == scheme],
                                   [str(model)], EMOBOX, scheme=scheme, rates=rates)]
    return cost.total(lines)


def full_size(rates, models=("wavlm-base", "wavlm-large")) -> dict:
    """The plan of EmoBox's whole intra protocol (32 corpora, published figures)."""
    from emobox.runs import cost
    from emobox.train import EMOBOX
    from emobox.workspace import Workspace

    ws = Workspace(Path(tempfile.mkdtemp(prefix="emobox-empty-")))
    names = cost.plan_corpora(ws, None, "emobox")
    out = {}
    for m in models:
        t = cost.total(cost.plan(ws, "intra", names, [m], EMOBOX, rates=rates))
        out[m] = {"audio_hours": round(t["audio_hours"], 1), "store_gb": round(
            t["store_bytes"] / 1e9, 1), "extract_flop": t["extract_flop"],
            "train_flop": t["train_flop"], "extract_days_here": round(
                t["extract_seconds_here"] / 86400, 2), "train_days_here": round(
                t["train_seconds_here"] / 86400, 2), "h200_minutes": round(
                t["seconds_gpu"] / 60, 1)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help=f"scale 1/{QUICK_FACTOR} (default 1/{FULL_FACTOR})")
    parser.add_argument("--factor", type=int, default=None, help="scale-down factor")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads of the calibration and of every stage (default: "
                        "torch's; 1 pays on a host other jobs share)")
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # the children inherit it
    if args.child:
        child(args.child)
        return
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from transformers import WavLMConfig, WavLMModel

    from emobox.features.precision import NATIVE_BF16_FLAGS, cpu_flags
    from emobox.runs import cost

    started, load_start = time.perf_counter(), round(os.getloadavg()[0], 2)
    factor = args.factor or (QUICK_FACTOR if args.quick else FULL_FACTOR)
    work = args.work or Path(tempfile.mkdtemp(prefix="emobox-bench-scale-"))
    if (work / "ws").exists():
        sys.exit(f"{work / 'ws'} exists: give an empty --work")
    corpora = synthesise(work, factor)
    model = work / "wavlm-base"
    torch.manual_seed(0)
    WavLMModel(WavLMConfig()).save_pretrained(model)
    stages = {}
    for stage in STAGES:
        if stage == "extract":  # the plan, calibrated now, of what is left: all of it
            rates = cost.calibrate()
            plan = plan_of(work, corpora, model, rates)
            (work / "plan.json").write_text(json.dumps({"rates": rates.to_dict(), **plan}))
        stages[stage] = run_stage(stage, work, corpora, model)
        print(f"{stage}: {stages[stage]}", file=sys.stderr)
    stages["extract"].update(plan_s=round(plan["extract_seconds_here"], 1),
                             plan_bytes=int(plan["store_bytes"]))
    stages["extract"]["ratio_s"] = round(stages["extract"]["plan_s"]
                                         / stages["extract"]["wall_s"], 2)
    stages["extract"]["ratio_bytes"] = round(plan["store_bytes"]
                                             / stages["extract"]["disk_bytes"], 2)
    stages["run"].update(plan_s=round(plan["train_seconds_here"], 1),
                         ratio_s=round(plan["train_seconds_here"] / stages["run"]["wall_s"], 2))
    ratios = [stages["extract"]["ratio_s"], stages["extract"]["ratio_bytes"],
              stages["run"]["ratio_s"]]
    res = {
        "quick": args.quick, "factor": factor,
        "cpu": {"flags": {f: f in cpu_flags() for f in (*NATIVE_BF16_FLAGS, "avx512f")},
                "cores": os.cpu_count(), "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "load_average_1min": {"at_start": load_start,
                                      "at_end": round(os.getloadavg()[0], 2)}},
        "model": "WavLM base (WavLMConfig(), random weights), frames of the last layer "
                 "(extract --layers default), fp32",
        "benchmark": {"corpora": len(corpora), "utterances": sum(c["utterances"]
                                                                 for c in corpora),
                      "audio_seconds": round(sum(c["seconds"] for c in corpora), 1),
                      "folds": sum(c["folds"] for c in corpora),
                      "recipe": "emobox: lr {1e-3, 1e-4} x hidden {128, 256}, 100 epochs"},
        "stages": stages,
        "plan": {"rates_here": rates.to_dict(), "extract_flop": plan["extract_flop"],
                 "train_flop": plan["train_flop"], "steps": plan["steps"],
                 "note": "prepare, partition and report are not in the plan (it counts "
                         "extraction and training)"},
        "plan_over_measured": {"extract_s": ratios[0], "store_bytes": ratios[1],
                               "run_s": ratios[2],
                               "within_target": all(PLAN_TARGET[0] <= r <= PLAN_TARGET[1]
                                                    for r in ratios)},
        "full_size": full_size(rates),
        "gpu": {**cost.GPU().to_dict(), "note": "assumed (spec sheet and guessed "
                "utilisation): no GPU was available to measure in this session"},
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    write_results(args.output, res)


if __name__ == "__main__":
    main()
