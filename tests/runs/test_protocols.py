"""The protocols end to end on small fabricated corpora: SER Evals' in-domain / out-of-domain
matrix with logit adjustment, UA per layer, and grids that resume after a crash."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from emobox.cli import app
from emobox.features import FeatureStore
from emobox.manifest import Utterance, write_manifest
from emobox.partition import default_scheme, partition
from emobox.report import intra_rows, layer_curves, ood_matrices
from emobox.runs import ResultsDB, run_intra
from emobox.runs.ood import run_ood
from emobox.runs.protocols import ensure_balanced, run_layers
from emobox.train import get_recipe
from emobox.workspace import Workspace

runner = CliRunner()
#: A direction in feature space per SER Evals class.
DIRECTION = {"Angry": 0, "Happy": 1, "Neutral": 2, "Sad": 3, "Fear": 4, "Disgust": 5,
             "Surprise": 6}


def fabricate(ws: Workspace, corpus: str, labels, speakers=("a", "b", "c", "d"), per=4,
              layers=(0,), informative=None, seed=0):
    rng = np.random.default_rng(abs(hash(corpus)) % 1000 + seed)
    utts = [Utterance(key=f"{corpus}-{s}-{lab}{i}", dataset=corpus, wav=f"{s}/{lab}{i}.wav",
                      emo=lab, label=lab, speaker=s) for s in speakers for lab in labels
            for i in range(per)]
    write_manifest(ws.manifest(corpus), utts)
    informative = layers[-1] if informative is None else informative
    with FeatureStore.create(ws.features("toy", corpus), model="toy", layers=list(layers),
                             dim=8) as w:
        for u in utts:
            x = rng.normal(size=(len(layers), 6, 8)).astype(np.float32)
            x[layers.index(informative), :, DIRECTION[u.label]] += 2.5
            w.add(u.key, x)
    partition(utts, default_scheme(corpus), corpus=corpus).save(
        ws.splits(corpus, default_scheme(corpus)))
    return utts


@pytest.fixture
def serval_ws(tmp_path):
    ws = Workspace(tmp_path / "ws")
    seven = ["Angry", "Happy", "Neutral", "Sad", "Fear", "Disgust", "Surprise"]
    fabricate(ws, "emovo", seven, speakers=["f1", "f2", "f3", "m1", "m2", "m3"])
    fabricate(ws, "mesd", seven[:6])  # MESD: no surprise
    fabricate(ws, "cafe", seven, speakers=[f"{i:02d}" for i in range(1, 13)], per=2)
    fabricate(ws, "casia", seven[:5] + ["Surprise"], speakers=["liuchanhg", "wangzhe",
                                                                 "zhaoquanyin", "ZhaoZuoxiang"])
    return ws


def test_ood_matrix_with_adjustment_and_masking(serval_ws):
    ws = serval_ws
    recipe = get_recipe("serval", epochs=30, lr=3e-3, hidden=32, drop_last=False)
    with ResultsDB(ws.results) as db:
        results = run_ood(ws, ["emovo", "mesd", "cafe", "casia"], "toy", recipe=recipe,
                          prior="oracle", db=db, show_progress=False)
        records = db.runs(protocol="ood")
        mesd_ood = [r for r in records if r.key.train_corpus == "mesd"
                    and r.key.test_corpus != "mesd"]
        for r in mesd_ood:  # never the class MESD has no example of, never `other`
            predicted = {p for _, _, p in db.predictions(r.id)}
            assert "surprise" not in predicted and "other" not in predicted
    cells = {(r.key.train_corpus, r.key.test_corpus) for r in results}
    cluster2 = {"emovo", "mesd", "cafe"}
    assert cells == {(c, c) for c in [*cluster2, "casia"]} | {
        (i, j) for i in cluster2 for j in cluster2 if i != j}
    matrix = ood_matrices(records)[0]
    s = matrix.summary
    assert s["n_id"] == 4 and s["n_ood"] == 6 and s["id_mean"] > 0.6 and s["ood_mean"] > 0.3
    assert set(s["rows"]) == cluster2 and matrix.key.prior == "oracle"
    again = run_ood(ws, ["emovo", "mesd", "cafe", "casia"], "toy", recipe=recipe,
                    prior="oracle", db=ResultsDB(ws.results), show_progress=False)
    assert [r.metrics for r in again] == [r.metrics for r in results]  # resumed, not redone
    text = runner.invoke(app, ["report", "-w", str(ws.root)], terminal_width=200).output
    assert "In-domain / out-of-domain" in text and "weighted" in text


def test_em_prior_needs_no_test_labels(serval_ws):
    recipe = get_recipe("serval", epochs=20, lr=3e-3, hidden=32, drop_last=False)
    results = run_ood(serval_ws, ["emovo", "cafe"], "toy", recipe=recipe, prior="em",
                      show_progress=False)
    assert {r.key.prior for r in results} == {"none", "em"}


def test_layers_curve_finds_the_informative_layer(tmp_path):
    ws = Workspace(tmp_path / "ws")
    fabricate(ws, "savee", ["Angry", "Happy", "Neutral", "Sad"], speakers=["DC", "JE", "JK",
                                                                           "KL"],
              per=6, layers=(0, 1, 2), informative=1)
    with ResultsDB(ws.results) as db:
        run_layers(ws, "savee", "toy", scheme="emobox", folds=["1", "2"], db=db,
                   recipe=get_recipe("emobox", epochs=15, grid=()), show_progress=False)
        curves = layer_curves(db.runs(protocol="layers"))
        assert not intra_rows(db.runs())  # layer runs never enter the intra table
    assert len(curves) == 2  # the linear probe of every layer, and the full recipe
    assert sum("recipe linear-probe-v1" in c["setting"] for c in curves) == 1
    assert all(set(c["ua"]) == {0, 1, 2} and c["best_layer"] == 1 for c in curves)


def test_a_crashed_grid_resumes_with_no_duplicates(tmp_path, monkeypatch):
    import emobox.runs.protocols as protocols

    ws = Workspace(tmp_path / "ws")
    fabricate(ws, "savee", ["Angry", "Happy", "Neutral", "Sad"], speakers=["DC", "JE", "JK",
                                                                           "KL"])
    recipe = get_recipe("emobox", epochs=3, grid=())
    with ResultsDB(ws.results) as db:
        clean = run_intra(ws, "savee", "toy", scheme="emobox", recipe=recipe, db=None,
                          show_progress=False)
        real = protocols.train_sweep
        calls = {"n": 0}

        def crash_on_third(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 3:
                raise KeyboardInterrupt
            return real(*args, **kwargs)

        monkeypatch.setattr(protocols, "train_sweep", crash_on_third)
        with pytest.raises(KeyboardInterrupt):
            run_intra(ws, "savee", "toy", scheme="emobox", recipe=recipe, db=db,
                      show_progress=False)
        assert len(db.runs(protocol="intra")) == 2
        monkeypatch.setattr(protocols, "train_sweep", real)
        calls["n"] = 0
        resumed = run_intra(ws, "savee", "toy", scheme="emobox", recipe=recipe, db=db,
                            show_progress=False)
        rows = db.runs(protocol="intra")
    assert len(rows) == 4 and len({r.key.id for r in rows}) == 4
    assert [r.metrics["ua"] for r in resumed] == [r.metrics["ua"] for r in clean]


def test_balanced_sets_only_when_every_corpus_has_a_preset(tmp_path):
    ws = Workspace(tmp_path)
    assert ensure_balanced(ws, ["demo-en", "savee"]) is None


def test_ray_executor_stores_every_cell_once(tmp_path):
    ws = Workspace(tmp_path / "ws")
    four = ["Angry", "Happy", "Neutral", "Sad"]
    fabricate(ws, "savee", four, speakers=["DC", "JE", "JK", "KL"])
    fabricate(ws, "jlcorpus", four, speakers=["female1", "female2", "male1", "male2"])
    args = ["run", "intra", "savee", "jlcorpus", "-m", "toy", "--epochs", "2", "-w",
            str(ws.root), "--json"]
    local = runner.invoke(app, [*args, "--executor", "local"])
    assert local.exit_code == 0, local.output
    with ResultsDB(ws.results) as db:
        db.delete([r.run_id for r in db.runs()])
    remote = runner.invoke(app, [*args, "--executor", "ray"])
    assert remote.exit_code == 0, remote.output
    with ResultsDB(ws.results) as db:
        rows = db.runs(protocol="intra")
    assert len(rows) == 8 and len({r.run_id for r in rows}) == 8
    assert all(r.info["status"] == "done" for r in rows)


def test_ctrl_c_during_a_grid_says_how_to_resume(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    ws = Workspace(tmp_path / "ws")
    fabricate(ws, "savee", ["Angry", "Happy", "Neutral", "Sad"], speakers=["DC", "JE", "JK",
                                                                           "KL"], per=30)
    code = "import sys; from emobox.cli import main; sys.argv[0] = 'emobox'; main()"
    proc = subprocess.Popen([sys.executable, "-c", code, "run", "intra", "savee", "-m", "toy",
                             "--epochs", "2000", "-w", str(ws.root), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"},
                            # as a terminal's foreground job: a suite started in the background
                            # (`make test &`) inherits SIGINT ignored, and so would the child
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60  # under load the imports alone can take seconds
    while not ws.results.is_file() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    time.sleep(2)  # into the grid
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted (Ctrl-C); finished runs are stored, rerun the same command to resume" in err
    assert "Traceback" not in err


def test_a_grid_cell_runs_the_same_in_process_or_on_an_executor(tmp_path):
    from emobox.runs.executors import protocol_task, run_tasks

    ws = Workspace(tmp_path / "ws")
    fabricate(ws, "savee", ["Angry", "Happy", "Neutral", "Sad"], speakers=["DC", "JE", "JK",
                                                                           "KL"])
    recipe = get_recipe("emobox", epochs=2, grid=())
    cell = {"protocol": "layers", "root": str(ws.root), "corpus": "savee", "model": "toy",
            "scheme": "emobox", "recipe": recipe, "folds": ["1"]}
    first = protocol_task(**cell)
    again = run_tasks([(protocol_task, cell)], "local")[0]  # resumed: the stored runs
    assert [r.key.id for r in again] == [r.key.id for r in first]
    assert len(first) == 2  # the linear probe and the recipe on the one stored layer
    with pytest.raises(Exception, match="--executor must be one of local, ray"):
        run_tasks([], "dask")


def test_no_validation_note_names_its_cause():
    from emobox.runs.protocols import split_validation

    train, valid = [("a", "x"), ("b", "y")], [("c", "x")]
    kept, held, note = split_validation([], train, valid, get_recipe("serval"), seed=0,
                                        speaker_disjoint=False, no_valid=True,
                                        no_valid_why="--serval-splits, as SER Evals trains")
    assert kept == train + valid and held == []
    assert note == "no validation (--serval-splits, as SER Evals trains): last epoch kept"
    assert "(--no-valid)" in split_validation([], train, valid, get_recipe("serval"), seed=0,
                                              speaker_disjoint=False, no_valid=True)[2]
