"""Reliability in figures: `emobox extract` and `emobox run intra` killed with SIGKILL at
random points and rerun, a disk that fills up (a real 1 MiB tmpfs where the machine allows
mounting one, else an injected ENOSPC), two writers of one store at once."""

from __future__ import annotations

import errno
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from emobox.demo import DemoSpec, synthesise_demo
from emobox.errors import EmoboxError
from emobox.features import FeatureStore, extract_corpus, get_extractor, store_name
from emobox.manifest import read_manifest
from emobox.workspace import Workspace

CLI = [sys.executable, "-c", "import sys; from emobox.cli import main; sys.argv[0] = 'emobox'; "
       "main()"]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def emobox(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, env=ENV, timeout=600)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([*CLI, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV)


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    root = tmp_path_factory.mktemp("reliability")
    return synthesise_demo(root / "raw", DemoSpec(("en",), 4, 6), show_progress=False)["demo-en"]


def workspace(tmp_path: Path, raw: Path, name: str) -> Path:
    ws = tmp_path / name
    emobox("prepare", "demo-en", "--raw", str(raw), "-w", str(ws))
    emobox("partition", "demo-en", "-w", str(ws))
    return ws


def same_stores(a: Path, b: Path) -> None:
    x, y = FeatureStore.open(a), FeatureStore.open(b)
    assert sorted(x.keys()) == sorted(y.keys()) and x.layers == y.layers
    for key in x:
        for layer in x.layers:
            np.testing.assert_array_equal(x.frames(key, layer), y.frames(key, layer))
        np.testing.assert_array_equal(x.pooled(key), y.pooled(key))


def test_extract_survives_sigkill_at_random_points(tmp_path, raw):
    clean = workspace(tmp_path, raw, "clean")
    emobox("extract", "demo-en", "-w", str(clean))
    killed = workspace(tmp_path, raw, "killed")
    store = killed / "features" / "egemaps" / "demo-en"
    rng = random.Random(13)
    committed = []
    for _ in range(3):
        proc = start("extract", "demo-en", "--commit-every", "0.25", "-w", str(killed))
        deadline = time.monotonic() + 60
        while not (store / "index.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(rng.uniform(0.3, 1.0))  # 3 trials stay well below the ~5 s it takes
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        committed.append(len(FeatureStore.open(store)))
    assert committed == sorted(committed) and 0 < committed[-1] < 120
    final = json.loads(emobox("extract", "demo-en", "-w", str(killed), "--json").stdout)
    assert final["demo-en"]["already_done"] == committed[-1]  # committed work not recomputed
    assert final["demo-en"]["extracted"] == 120 - committed[-1]
    same_stores(clean / "features" / "egemaps" / "demo-en", store)


def test_run_intra_survives_sigkill_mid_grid(tmp_path, raw):
    ws = workspace(tmp_path, raw, "grid")
    emobox("extract", "demo-en", "-w", str(ws))
    reference = workspace(tmp_path, raw, "reference")
    shutil.copytree(ws / "features", reference / "features")
    expected = json.loads(emobox("run", "intra", "demo-en", "--epochs", "40", "-w",
                                 str(reference), "--json").stdout)
    db = ws / "results.sqlite"
    proc = start("run", "intra", "demo-en", "--epochs", "40", "-w", str(ws))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # kill once the first fold is stored
        if db.exists() and _rows(db) >= 1:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    stored = _rows(db)
    assert 1 <= stored < 4
    with sqlite3.connect(db) as conn:  # WAL: the database is intact after the kill
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    resumed = json.loads(emobox("run", "intra", "demo-en", "--epochs", "40", "-w", str(ws),
                                "--json").stdout)
    assert _rows(db) == 4
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT run_id FROM runs WHERE protocol='intra'")]
    assert len(ids) == len(set(ids)) == 4
    assert resumed[0]["ua"] == expected[0]["ua"] and resumed[0]["runs"] == expected[0]["runs"]


def _rows(db: Path) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT count(*) FROM runs WHERE protocol='intra'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True)
    return done.returncode == 0


def test_a_full_disk_stops_cleanly_and_resumes(tmp_path, raw):
    ws = workspace(tmp_path, raw, "disk")
    features = ws / "features"
    model = "egemaps"
    if _mount_tmpfs(features, "64k"):
        try:
            full = emobox("extract", "demo-en", "-m", model, "--commit-every", "0.2", "-w",
                          str(ws), "--force", check=False)  # past the size check
            assert full.returncode == 2 and "Traceback" not in full.stderr, full.stderr
            line = full.stderr.strip().splitlines()[-1]
            assert "disk full while writing" in line and "MiB more are needed" in line
            store = FeatureStore.open(features / store_name(model) / "demo-en")  # valid
            kept = len(store)
            subprocess.run(["mount", "-o", "remount,size=8m", str(features)], check=True)
            again = json.loads(emobox("extract", "demo-en", "-m", model, "-w", str(ws),
                                      "--json").stdout)
            assert again["demo-en"]["already_done"] == kept
            assert kept + again["demo-en"]["extracted"] == 120
        finally:
            subprocess.run(["umount", "-l", str(features)], capture_output=True)
    else:  # no tmpfs here: the same path through an injected ENOSPC
        utts = read_manifest(Workspace(ws).manifest("demo-en"))
        extractor = get_extractor("egemaps")
        path = features / "egemaps" / "demo-en"
        from emobox.features import store as store_module

        real_add, calls = store_module.StoreWriter.add, {"n": 0}

        def add(self, key, *feats):
            calls["n"] += 1
            if calls["n"] > 30:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_add(self, key, *feats)

        store_module.StoreWriter.add = add
        try:
            with pytest.raises(EmoboxError, match="MiB more are needed"):
                extract_corpus(extractor, utts, raw, path, commit_every=0.0,
                               show_progress=False)
        finally:
            store_module.StoreWriter.add = real_add
        kept = len(FeatureStore.open(path))
        done = extract_corpus(extractor, utts, raw, path, show_progress=False)
        assert done.already_done == kept and kept + done.extracted == 120


def test_results_db_disk_full_is_one_line_and_loses_nothing(tmp_path, monkeypatch):
    from emobox.runs import ResultsDB, RunKey

    db = ResultsDB(tmp_path / "results.sqlite")
    key = RunKey(protocol="intra", train_corpus="c", test_corpus="c", model="m")
    db.add(key, {"ua": 0.5})

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(db, "_add", full)
    with pytest.raises(EmoboxError, match="disk full writing .*the database is unchanged"):
        db.add(key.with_(fold="2"), {"ua": 0.7})
    monkeypatch.undo()
    assert [r.metrics for r in db.runs()] == [{"ua": 0.5}]
    db.close()


def test_two_writers_of_one_store(tmp_path, raw):
    ws = workspace(tmp_path, raw, "two")
    store = ws / "features" / "egemaps" / "demo-en"
    first = start("extract", "demo-en", "-w", str(ws))
    deadline = time.monotonic() + 60
    while not (store / ".lock").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    second = emobox("extract", "demo-en", "-w", str(ws), check=False)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert second.returncode == 2
    assert "is being written by another emobox process (pid" in second.stderr
    assert len(FeatureStore.open(store)) == 120  # the first writer's store is whole
