"""The fast extraction paths (issue #12) compute what the plain float32 path computes:
bf16 weights with float32 islands, equal-length CPU batches, CUDA padding bounds, the
background store writer, the stage timings and the --compile flag."""

from __future__ import annotations

import numpy as np
import pytest
import tiny_models
import torch
from conftest import make_corpus

from emobox.features import FeatureStore, extract_corpus, get_extractor
from emobox.features.batching import (
    CUDA_MAX_PADDING,
    BatchPolicy,
    batch_policy,
    plan_batches,
    plan_utterances,
)
from emobox.features.precision import fp32_islands
from emobox.features.store import StoreWriter
from emobox.features.writer import BackgroundWriter

LENGTHS = [0.5, 1.2, 0.8, 2.0, 0.3, 1.0, 1.5, 0.6, 1.0, 0.8]


def layer_cosines(a: FeatureStore, b: FeatureStore) -> dict[int, float]:
    """Per stored layer, the lowest mean frame cosine over utterances."""
    out = {}
    for layer in a.layers:
        worst = 1.0
        for key in a:
            x = np.asarray(a.frames(key, layer), np.float32)
            y = np.asarray(b.frames(key, layer), np.float32)
            cos = (x * y).sum(-1) / (np.linalg.norm(x, axis=-1) * np.linalg.norm(y, axis=-1))
            worst = min(worst, float(cos.mean()))
        out[layer] = worst
    return out


@pytest.mark.parametrize("family", tiny_models.FAMILIES)
def test_bf16_store_matches_fp32_store_on_every_layer(tmp_path, tiny, family):
    raw = tmp_path / "raw"
    raw.mkdir()
    rate = 48000 if family == "clap" else 24000 if family == "mert" else 16000
    utts = make_corpus(raw, [0.7, 1.3, 0.9], sample_rate=rate)
    stores = {}
    for precision in ("fp32", "bf16"):
        ex = get_extractor(str(tiny(family)), precision=precision)
        extract_corpus(ex, utts, raw, tmp_path / precision, show_progress=False)
        stores[precision] = FeatureStore.open(tmp_path / precision)
    assert stores["bf16"].meta["settings"]["precision"] == "bf16"
    cosines = layer_cosines(stores["fp32"], stores["bf16"])
    assert len(cosines) == len(stores["fp32"].layers)
    assert min(cosines.values()) >= 0.999, cosines


def test_bf16_on_cpu_casts_the_weights_and_keeps_the_fragile_modules_fp32(tiny):
    ex = get_extractor(str(tiny("wav2vec2")), precision="bf16")
    islands = list(fp32_islands(ex.model))
    assert len(islands) == 2  # the first conv's GroupNorm and the positional convolution
    kept = {id(p) for m in islands for p in m.parameters()}
    for p in ex.model.parameters():
        assert p.dtype == (torch.float32 if id(p) in kept else torch.bfloat16)
    assert ex.extract(np.zeros(8000, np.float32)).dtype == np.float32


def test_cpu_batches_hold_only_equal_frame_counts(tiny, monkeypatch):
    ex = get_extractor(str(tiny("wavlm")), precision="fp32")
    assert ex.batch_policy.max_padding == 0.0
    rng = np.random.default_rng(1)

    def cost(n: int) -> float:
        return ex.adapter.cost(ex, n)

    longer = 16001  # the longest length with 16000's frame count (the encoder's rounding)
    while cost(longer + 1) == cost(16000):
        longer += 1
    assert longer > 16001
    audio = [(0.1 * rng.standard_normal(n)).astype(np.float32)
             for n in (16000, 20000, longer, 16000)]
    seen: list[list[int]] = []
    forward = ex.forward
    monkeypatch.setattr(ex, "forward", lambda segs, *rows: seen.append([len(s) for s in segs])
                        or forward(segs, *rows))
    batched = ex.extract_batch(audio)
    assert cost(16000) == cost(longer) != cost(20000)
    assert sorted(map(sorted, seen)) == [[16000, 16000, longer], [20000]]
    for a, b in zip(audio, batched):
        np.testing.assert_allclose(b, ex.extract(a), atol=1e-4, rtol=1e-3)


def test_cuda_policy_bounds_padding_and_cpu_policy_forbids_it():
    lengths = list(np.random.default_rng(2).uniform(1, 15, 400))
    cuda = BatchPolicy(600.0, 256, CUDA_MAX_PADDING)
    plan = cuda.plan(lengths)
    assert sorted(i for b in plan for i in b) == list(range(len(lengths)))
    for b in plan:
        padded = len(b) * max(lengths[i] for i in b)
        assert padded - sum(lengths[i] for i in b) <= CUDA_MAX_PADDING * padded + 1e-9
        assert len(b) == 1 or padded <= 600.0
    assert np.mean([len(b) for b in plan]) > 10  # real batches, not one at a time
    utt = plan_utterances([2.0, 2.001, 2.05, 3.0], batch_policy("cpu"))
    assert utt == [[0, 1], [2], [3]]  # 2.0 and 2.001 round to the same 20 ms frame count
    assert plan_batches([1.0, 1.0], max_seconds=10, max_items=1) == [[0], [1]]


def test_background_writer_writes_in_order_and_reports_errors(tmp_path):
    writer = StoreWriter(tmp_path / "s", model="m", layers=[0], dim=2, frame_rate=50.0,
                         extra={})
    background = BackgroundWriter(writer)
    background.add_batch([(f"k{i}", np.full((1, 2, 2), i, np.float32)) for i in range(3)])
    background.commit()
    background.add_batch([("k0", np.ones((1, 2, 2), np.float32))])  # a duplicate key fails
    background.finish(raise_errors=False)
    assert FeatureStore.open(tmp_path / "s").keys() == ["k0", "k1", "k2"]
    background = BackgroundWriter(writer)
    background.add_batch([("bad", np.ones((1, 2, 3), np.float32))])  # wrong dim
    with pytest.raises(ValueError, match="do not fit"):
        background.finish()
    writer.abort()


def test_extraction_reports_the_time_of_each_stage(tmp_path, tiny):
    raw = tmp_path / "raw"
    raw.mkdir()
    utts = make_corpus(raw, LENGTHS)
    ex = get_extractor(str(tiny("wavlm")), precision="fp32")
    result = extract_corpus(ex, utts, raw, tmp_path / "s", show_progress=False)
    t = result.timings
    assert {"decode", "feature_encoder", "transformer", "store_writes", "waiting_for_audio",
            "wall"} <= set(t)
    assert all(v >= 0 for v in t.values())
    assert t["feature_encoder"] > 0 and t["transformer"] > 0 and t["decode"] > 0
    assert t["store_writes"] > 0
    assert t["feature_encoder"] + t["transformer"] <= t["wall"]
    again = extract_corpus(ex, utts[:3], raw, tmp_path / "s2",
                           show_progress=False)
    assert again.timings["transformer"] < t["transformer"]  # per run, not cumulative


def test_compiled_model_computes_what_the_eager_one_does(tiny):
    """A real torch.compile (inductor, dynamic shapes) through the padding hooks: ~30 s."""
    rng = np.random.default_rng(3)
    audio = [(0.1 * rng.standard_normal(n)).astype(np.float32) for n in (16000, 12000)]
    compiled = get_extractor(str(tiny("hubert")), precision="fp32", compile=True)
    eager = get_extractor(str(tiny("hubert")), precision="fp32")
    assert type(compiled.model).__name__ == "OptimizedModule"
    for got, want in zip(compiled.extract_batch(audio), eager.extract_batch(audio)):
        np.testing.assert_allclose(got, want, atol=1e-4, rtol=1e-3)
    assert compiled.timings["feature_encoder"] == 0.0  # no timing hooks in a compiled graph


def test_ray_connects_to_the_cluster_ray_address_names(monkeypatch):
    ray = pytest.importorskip("ray")
    from emobox.cluster import start_ray

    calls = []
    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", lambda **kw: calls.append(kw))
    monkeypatch.setenv("RAY_ADDRESS", "ray://head:10001")
    assert start_ray(4) is True
    assert calls[-1]["address"] == "ray://head:10001" and "num_cpus" not in calls[-1]
    monkeypatch.delenv("RAY_ADDRESS")
    start_ray(4)
    assert calls[-1]["num_cpus"] == 4 and "address" not in calls[-1]


def test_auto_precision_follows_the_cpu_flags_and_the_family(monkeypatch):
    import emobox.features.precision as precision
    from emobox.errors import EmoboxError

    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512f", "avx512_bf16"}))
    assert precision.choose_precision("auto", "cpu", "wavlm") == "bf16"
    assert precision.choose_precision("auto", "cpu", "whisper") == "fp32"  # not faithful
    assert precision.choose_precision("bf16", "cpu", "whisper") == "bf16"  # forced
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512f"}))
    assert precision.choose_precision("auto", "cpu", "wavlm") == "fp32"  # emulated bf16
    with pytest.raises(EmoboxError, match="fp16 is for CUDA"):
        precision.choose_precision("fp16", "cpu")
    with pytest.raises(EmoboxError, match="--precision must be"):
        precision.choose_precision("int8", "cpu")


def test_cuda_batches_are_sized_by_free_memory(monkeypatch):
    from emobox.features import batching

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (40 * 2**30, 80 * 2**30))
    policy = batching.batch_policy("cuda:0")
    expected = 0.5 * 40 * 2**30 / batching.CUDA_BYTES_PER_SECOND
    assert policy.max_seconds == pytest.approx(min(expected, 1800.0))
    assert policy.max_padding == CUDA_MAX_PADDING and policy.max_items == 256
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (2**20, 80 * 2**30))
    assert batching.batch_policy("cuda").max_seconds == 30.0  # never below 30 s
    assert batching.batch_policy("cuda", 90.0).max_seconds == 90.0  # --batch-seconds wins
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert batching.cuda_batch_seconds("cuda") == 600.0  # a driver planning for GPU workers


def test_onednn_keeps_few_shapes_unless_the_user_says_otherwise():
    import os
    import subprocess
    import sys

    code = "import os, emobox.features; print(os.environ['ONEDNN_PRIMITIVE_CACHE_CAPACITY'])"
    env = {k: v for k, v in os.environ.items() if k != "ONEDNN_PRIMITIVE_CACHE_CAPACITY"}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.stdout.strip() == "16"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**env, "ONEDNN_PRIMITIVE_CACHE_CAPACITY": "64"})
    assert run.stdout.strip() == "64"
