"""Extraction that a user can trust: Ctrl-C / SIGTERM stop cleanly and resume, non-finite
features are failures (never stored), stores with NaN are refused, checked and repaired, and
one model has one store whatever the spelling."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from emobox.demo import DemoSpec, synthesise_demo
from emobox.errors import EmoboxError
from emobox.features import FeatureStore, extract_corpus, get_extractor, store_name
from emobox.manifest import Utterance

CLI = [sys.executable, "-c", "import sys; from emobox.cli import main; sys.argv[0] = 'emobox'; "
       "main()"]


def emobox(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=env, timeout=300,
                          **kwargs)


@pytest.fixture(scope="module")
def prepared_ws(tmp_path_factory):
    """demo-en, 4 speakers × 5 emotions × 8 sentences, prepared in a workspace."""
    root = tmp_path_factory.mktemp("robust")
    raw = synthesise_demo(root / "raw", DemoSpec(("en",), 4, 8), show_progress=False)
    ws = root / "ws"
    assert emobox("prepare", "demo-en", "--raw", str(raw["demo-en"]), "-w", str(ws)).returncode == 0
    return ws


def interrupt_extraction(ws: Path, model: str, sig: int) -> subprocess.CompletedProcess:
    """Start `emobox extract`, wait until it is writing, send `sig`, return the result."""
    store = ws / "features" / store_name(model) / "demo-en"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([*CLI, "extract", "demo-en", "-m", model, "-w", str(ws)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 120
    while not list(store.glob("layer_*.f16")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("model, sig", [("egemaps", signal.SIGINT)])
def test_interrupt_stops_cleanly_and_resumes(prepared_ws, model, sig):
    ws = prepared_ws
    stopped = interrupt_extraction(ws, model, sig)
    assert stopped.returncode == 130, stopped.stderr
    last = stopped.stderr.strip().splitlines()[-1]
    assert "interrupted (SIGINT)" in last and "rerun the same command to resume" in last
    assert "Traceback" not in stopped.stderr and "Exception ignored" not in stopped.stderr
    store = FeatureStore.open(ws / "features" / store_name(model) / "demo-en")
    done = len(store)
    assert 0 < done < 160 and not store.nonfinite_keys()
    again = emobox("extract", "demo-en", "-m", model, "-w", str(ws), "--json")
    summary = json.loads(again.stdout)["demo-en"]
    assert summary["already_done"] == done  # committed utterances are not recomputed
    assert summary["extracted"] + done == 160 and summary["failed"] == 0


def test_sigterm_stops_a_transformers_extraction(prepared_ws, tiny):
    ws = prepared_ws
    stopped = interrupt_extraction(ws, str(tiny("wavlm")), signal.SIGTERM)
    assert stopped.returncode == 143, stopped.stderr  # as `run` on SIGTERM
    assert "interrupted (SIGTERM)" in stopped.stderr and "Traceback" not in stopped.stderr


def test_nonfinite_features_are_failures_not_stored(tmp_path):
    import soundfile as sf

    rng = np.random.default_rng(0)
    utts = []
    for i, seconds in enumerate([1.0, 0.03, 1.5]):  # 30 ms: too short for eGeMAPS → NaN
        sf.write(tmp_path / f"{i}.wav", 0.1 * rng.standard_normal(int(16000 * seconds)), 16000)
        utts.append(Utterance(key=f"k{i}", dataset="d", wav=f"{i}.wav", emo="e", label="e",
                              length=seconds))
    result = extract_corpus(get_extractor("egemaps"), utts, tmp_path, tmp_path / "store",
                            show_progress=False)
    assert result.extracted == 2 and result.failed == [("k1", "non-finite features (NaN/inf)")]
    assert FeatureStore.open(tmp_path / "store").keys() == ["k0", "k2"]


def poisoned_store(path: Path) -> Path:
    with FeatureStore.create(path, model="m", layers=[0, 1], dim=3) as w:
        for i in range(4):
            feats = np.full((2, 5, 3), float(i), np.float32)
            if i == 2:
                feats[1, 3, 0] = np.nan
            w.add(f"k{i}", feats)
    return path


def test_nan_store_refused_checked_and_repaired(tmp_path):
    from emobox.runs.protocols import open_store
    from emobox.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    path = poisoned_store(ws.features("m", "d"))
    with pytest.raises(EmoboxError, match=r"1 utterance\(s\) with NaN/inf features \(e.g. 'k2'\)"
                                          r"; run `emobox features repair`"):
        open_store(ws, "m", "d")
    check = emobox("features", "check", str(path), "--json")
    assert check.returncode == 1 and json.loads(check.stdout)["nonfinite"] == ["k2"]
    before = {k: FeatureStore.open(path).frames(k, 1).copy() for k in ("k0", "k1", "k3")}
    repair = emobox("features", "repair", str(path), "--json")
    assert repair.returncode == 0 and json.loads(repair.stdout)["removed"] == ["k2"]
    store = FeatureStore.open(path)
    assert store.keys() == ["k0", "k1", "k3"] and not store.nonfinite_keys()
    for key, frames in before.items():
        np.testing.assert_array_equal(store.frames(key, 1), frames)
    assert emobox("features", "check", str(path)).returncode == 0


def test_one_model_one_store_whatever_the_spelling(tiny, tmp_path, monkeypatch):
    folder = tiny("wavlm")
    monkeypatch.chdir(folder.parent)
    name = store_name(str(folder))
    assert store_name(f"./{folder.name}") == name and name.startswith(f"{folder.name}-")
    assert store_name("microsoft/wavlm-base") == store_name("wavlm-base") == "wavlm-base"
    assert store_name("owner/model", revision="abc") == "owner__model@abc"
    extractor = get_extractor(f"./{folder.name}", precision="fp32")
    assert extractor.name == name
    assert extractor.store_meta()["source"] == str(folder.resolve())
