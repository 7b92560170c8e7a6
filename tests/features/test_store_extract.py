"""Feature store, corpus extraction (batched, resumable, bad files), Ray executor, CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from emobox.errors import EmoboxError
from emobox.features import FeatureStore, extract_corpus, get_extractor
from emobox.features.batching import plan_batches
from emobox.features.extract import open_store
from emobox.features.ray_executor import extract_corpus_ray, merge_stores


def test_store_round_trip_and_padded_batches(tmp_path):
    rng = np.random.default_rng(0)
    feats = {f"k{i}": rng.standard_normal((2, n, 4)).astype(np.float32)
             for i, n in enumerate((3, 5, 1))}
    with FeatureStore.create(tmp_path / "s", model="m", layers=[0, 3], dim=4) as writer:
        for key, f in feats.items():
            writer.add(key, f)
    store = FeatureStore.open(tmp_path / "s")
    assert store.keys() == list(feats) and store.layers == [0, 3] and store.dim == 4
    for key, f in feats.items():
        np.testing.assert_allclose(store.frames(key, 3), f[1], atol=1e-2)
        # pooled statistics are float16 on disk, computed in float32
        np.testing.assert_allclose(store.pooled(key)[0, 0], f[0].mean(0), rtol=1e-3, atol=1e-4)
        assert store.n_frames(key) == f.shape[1]
    batch, mask = store.padded_batch(["k1", "k2"], layer=0)
    assert batch.shape == (2, 5, 4) and mask.sum(1).tolist() == [5, 1]
    np.testing.assert_allclose(batch[1, 0], feats["k2"][0, 0], atol=1e-2)
    assert store.summary()["utterances"] == 3
    with pytest.raises(EmoboxError, match="no feature store"):
        FeatureStore.open(tmp_path / "missing")
    with pytest.raises(EmoboxError, match="another configuration"):
        FeatureStore.create(tmp_path / "s", model="m", layers=[0], dim=4)


def test_plan_batches_bounds_padded_seconds():
    lengths = [5.0, 1.0, 1.1, 9.0, 2.0, 30.0, 1.05]
    plan = plan_batches(lengths, max_seconds=6.0)
    assert sorted(i for b in plan for i in b) == list(range(len(lengths)))
    for batch in plan:
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 6.0
    assert plan == plan_batches(lengths, max_seconds=6.0)


def test_bad_file_in_the_middle_is_reported_and_skipped(tmp_path, tiny):
    from conftest import make_corpus

    raw = tmp_path / "raw"
    raw.mkdir()
    utts = make_corpus(raw, [0.5, 0.7, 0.9, 0.4, 0.6], bad={2})
    ex = get_extractor(str(tiny("hubert")), batch_seconds=2.0)
    result = extract_corpus(ex, utts, raw, tmp_path / "store", show_progress=False)
    assert result.extracted == 4 and [k for k, _ in result.failed] == ["demo-002"]
    assert sorted(FeatureStore.open(tmp_path / "store").keys()) == [
        u.key for u in utts if u.key != "demo-002"]


def test_resume_after_a_crash_mid_chunk(tmp_path, corpus, tiny):
    raw, utts = corpus
    ex = get_extractor(str(tiny("wavlm")), batch_seconds=2.0)
    full = extract_corpus(ex, utts, raw, tmp_path / "ref", show_progress=False)
    assert full.extracted == len(utts)
    ref = FeatureStore.open(tmp_path / "ref")

    # a run killed after committing 3 utterances, in the middle of writing the next ones
    store = tmp_path / "crashed"
    first = ref.keys()[:3]
    writer = open_store(ex, store)
    for key in first:
        writer.add_stored(key, [ref.frames(key, layer) for layer in ref.layers],
                          ref.pooled_all(key))
    writer.commit()
    writer.add_stored(ref.keys()[3], [ref.frames(ref.keys()[3], layer) for layer in ref.layers],
                      ref.pooled_all(ref.keys()[3]))
    for fh in [*writer._files.values(), writer._pooled_file]:
        fh.write(b"\x13" * 37)  # a torn write
        fh.flush()
    # (no commit, no close: the process dies here, and the kernel drops its lock)
    writer._lock.close()

    result = extract_corpus(ex, utts, raw, store, show_progress=False)
    assert result.already_done == 3 and result.extracted == len(utts) - 3
    resumed = FeatureStore.open(store)
    assert sorted(resumed.keys()) == sorted(ref.keys())
    for key in ref:
        for layer in ref.layers:
            np.testing.assert_allclose(resumed.frames(key, layer), ref.frames(key, layer),
                                       atol=2e-3)
        np.testing.assert_allclose(resumed.pooled(key), ref.pooled(key), atol=1e-4)
    again = extract_corpus(ex, utts, raw, store, show_progress=False)
    assert again.extracted == 0 and again.already_done == len(utts)


def test_ray_executor_gives_the_single_process_store(tmp_path, corpus, tiny):
    ray = pytest.importorskip("ray")
    raw, utts = corpus
    import torch

    options = {"batch_seconds": 2.5, "precision": "bf16"}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as in each worker: CPU kernels split sums by thread count
    try:
        single = extract_corpus(get_extractor(str(tiny("wavlm")), **options), utts, raw,
                                tmp_path / "single", show_progress=False)
    finally:
        torch.set_num_threads(threads)
    try:
        result = extract_corpus_ray(str(tiny("wavlm")), utts, raw, tmp_path / "ray", workers=2,
                                    **options)
    finally:
        ray.shutdown()
    assert result.extracted == single.extracted == len(utts)
    for name in ("index.json", "pooled.f16", *(f"layer_{i}.f16" for i in range(3))):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "single" / name
                                                           ).read_bytes(), name
    a = json.loads((tmp_path / "ray" / "meta.json").read_text())
    b = json.loads((tmp_path / "single" / "meta.json").read_text())
    shards, one = a.pop("cost"), b.pop("cost")  # each worker's session, summed in reports
    assert len(shards) == 2 and len(one) == 1
    assert sum(s["audio_seconds"] for s in shards) == pytest.approx(one[0]["audio_seconds"])
    assert sum(s["utterances"] for s in shards) == one[0]["utterances"] == len(utts)
    assert a == b
    assert not (tmp_path / ".ray.shards").exists()


def test_merge_stores_keeps_order_and_skips_present(tmp_path):
    for name, keys in (("a", ["x", "y"]), ("b", ["z"])):
        with FeatureStore.create(tmp_path / name, model="m", layers=[0], dim=2) as w:
            for k in keys:
                w.add(k, np.ones((1, 2, 2), np.float32))
    merged = merge_stores([tmp_path / "a", tmp_path / "b"], tmp_path / "m",
                          order=["z", "x", "y"])
    assert merged.keys() == ["z", "x", "y"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    code = "import sys; from emobox.cli import main; sys.argv[0] = 'emobox'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True,
                          text=True, env=env, timeout=120)


def test_cli_models_and_features_info(tmp_path):
    listing = json.loads(run_cli("models", "--json").stdout)
    names = {m["name"] for m in listing}
    assert {"wavlm-base", "whisper-large-v3", "w2v-bert-2.0", "mert-v1-330m"} <= names
    assert len([m for m in listing if "emobox" in m["papers"]]) == 10
    assert len([m for m in listing if "serval" in m["papers"]]) == 9
    with FeatureStore.create(tmp_path / "s", model="m", layers=[0], dim=2) as w:
        w.add("k", np.ones((1, 3, 2), np.float32))
    info = json.loads(run_cli("features", "info", str(tmp_path / "s"), "--json").stdout)
    assert info["utterances"] == 1 and info["frames"] == 3
    bad = run_cli("features", "info", str(tmp_path / "nope"))
    assert bad.returncode == 2 and "no feature store" in bad.stderr
