"""Run identity: every setting that changes a result is part of its `RunKey`, so results of
different schemes or configurations are stored, reported and averaged separately; runs that
would accept nonsense refuse it before training anything; the report says what it shows."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from typer.testing import CliRunner

from emobox.cli import app
from emobox.errors import EmoboxError
from emobox.features import FeatureStore
from emobox.manifest import Utterance, write_manifest
from emobox.partition import partition
from emobox.report import intra_rows
from emobox.runs import ResultsDB, RunKey, run_cross, run_intra
from emobox.train import get_recipe
from emobox.workspace import Workspace

runner = CliRunner()
LABELS = ("Angry", "Happy", "Neutral", "Sad")


def fake_corpus(ws: Workspace, corpus: str, speakers, model: str = "toy", per_label: int = 6,
                skip_features: frozenset[str] = frozenset()) -> list[Utterance]:
    """A manifest and a feature store whose classes are separable (a mean shift per label)."""
    rng = np.random.default_rng(len(corpus))
    utts = [Utterance(key=f"{corpus}-{s}-{lab}{i}", dataset=corpus, wav=f"{s}/{lab}{i}.wav",
                      emo=lab[0].lower(), label=lab, speaker=s, gender="M")
            for s in speakers for lab in LABELS for i in range(per_label)]
    write_manifest(ws.manifest(corpus), utts)
    with FeatureStore.create(ws.features(model, corpus), model=model, layers=[0, 1],
                             dim=4) as store:
        for u in utts:
            if u.key in skip_features:
                continue
            x = rng.normal(size=(2, 7, 4)).astype(np.float32)
            x[:, :, LABELS.index(u.label)] += 3.0
            store.add(u.key, x)
    return utts


@pytest.fixture
def ws(tmp_path):
    ws = Workspace(tmp_path / "ws")
    utts = fake_corpus(ws, "savee", ["DC", "JE", "JK", "KL"])
    for scheme in ("emobox", "paper"):
        partition(utts, scheme, corpus="savee").save(ws.splits("savee", scheme))
    return ws


def small(**fields):
    """The emobox recipe, short and without a grid (one configuration)."""
    return get_recipe("emobox", epochs=3, grid=(), **fields)


def test_two_schemes_two_configs_are_four_results(ws):
    recipes = [small(hidden=8), small(hidden=16)]
    with ResultsDB(ws.results) as db:
        for scheme in ("emobox", "paper"):
            for recipe in recipes:
                run_intra(ws, "savee", "toy", scheme=scheme, recipe=recipe, db=db,
                          show_progress=False)
        records = db.runs(protocol="intra")
    assert len(records) == 16 and len({r.key.id for r in records}) == 16
    rows = intra_rows(records)
    assert sorted((r.key.scheme, r.key.hparams["hidden"], r.folds) for r in rows) == [
        ("emobox", 8, 4), ("emobox", 16, 4), ("paper", 8, 4), ("paper", 16, 4)]
    report = runner.invoke(app, ["report", "-w", str(ws.root), "--json"])
    data = json.loads(report.stdout)["intra"]
    assert len(data) == 4 and {r["folds"] for r in data} == {4}
    assert all({"mean", "std"} <= set(r["ua"]) for r in data)
    text = runner.invoke(app, ["report", "-w", str(ws.root), "-f", "md"]).output
    header = next(line for line in text.splitlines() if line.startswith("| corpus |"))
    assert header.count("scheme emobox") == 2 and header.count("scheme paper") == 2


def test_rerun_of_the_same_identity_replaces_only_itself(ws):
    recipe = small(hidden=8)
    with ResultsDB(ws.results) as db:
        first = run_intra(ws, "savee", "toy", scheme="paper", recipe=recipe, db=db,
                          show_progress=False)
        run_intra(ws, "savee", "toy", scheme="paper", recipe=recipe, db=db,
                  show_progress=False)
        assert len(db.runs(protocol="intra")) == 4 and all(db.has(r.key) for r in first)
        one = first[0].key.id
        assert [r.run_id for r in db.find(one[:6].upper())] == [one]  # prefix, any case
        assert db.find(one)[0].metrics == db.get(first[0].key).metrics
        assert db.find("zz") == db.find("") == db.find("*") == []


def test_key_identity_covers_every_setting():
    base = RunKey(protocol="intra", train_corpus="c", test_corpus="c", model="m")
    changes = {"protocol": "cross", "train_corpus": "d", "test_corpus": "d", "model": "n",
               "features": {"precision": "bf16"}, "layer": 3, "recipe": "serval",
               "hparams": {"lr": 1e-4}, "scheme": "paper", "scheme_params": {"k": 5},
               "label_space": "serval8", "prior": "oracle", "fold": "2", "seed": 1}
    ids = {base.with_(**{name: value}).id for name, value in changes.items()}
    assert len(ids) == len(changes) and base.id not in ids


def test_old_database_is_refused_not_mixed(tmp_path):
    path = tmp_path / "results.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE runs (id INTEGER PRIMARY KEY, protocol TEXT, model TEXT)")
    with pytest.raises(EmoboxError, match="written by emobox 0.1.*move it aside"):
        ResultsDB(path)


def test_bad_labels_and_epochs_refused_before_training(ws):
    fake_corpus(ws, "ravdess", [f"{i:02d}" for i in range(1, 5)])
    with pytest.raises(EmoboxError, match="label 'Bogus' is not in savee, ravdess"):
        run_cross(ws, ["savee", "ravdess"], "toy", labels=["Angry", "Bogus"])
    with pytest.raises(EmoboxError, match="epochs must be at least 1, not 0"):
        get_recipe("emobox", epochs=0)
    result = runner.invoke(app, ["run", "intra", "savee", "--epochs", "0", "-m", "toy",
                                 "-w", str(ws.root)])
    assert result.exit_code == 2 and not ws.results.exists()


def test_whole_grid_checked_before_anything_is_trained(ws):
    fake_corpus(ws, "ravdess", [f"{i:02d}" for i in range(1, 5)])  # no splits written
    result = runner.invoke(app, ["run", "intra", "savee", "ravdess", "-m", "toy", "--epochs",
                                 "2", "-w", str(ws.root)])
    assert result.exit_code != 0 and "splits file not found" in str(result.exception)
    assert not ws.results.exists()  # savee was not trained first


def test_missing_test_features_are_an_error_or_a_counted_exclusion(tmp_path):
    ws = Workspace(tmp_path / "ws")
    utts = fake_corpus(ws, "savee", ["DC", "JE", "JK", "KL"],
                       skip_features=frozenset({"savee-JE-Sad0"}))
    partition(utts, "emobox", corpus="savee").save(ws.splits("savee", "emobox"))
    recipe = small(hidden=8)
    with pytest.raises(EmoboxError, match=r"savee fold 1: 1 test utterance\(s\) have no "
                                          r"features .*'savee-JE-Sad0'.*--allow-missing"):
        run_intra(ws, "savee", "toy", scheme="emobox", recipe=recipe, show_progress=False)
    results = run_intra(ws, "savee", "toy", scheme="emobox", recipe=recipe,
                        allow_missing=True, show_progress=False)
    assert [r.info["excluded_test"] for r in results] == [1, 0, 0, 0]
    assert results[0].metrics["n"] == 23


def test_report_filters_and_averages_per_model(ws):
    fake_corpus(ws, "jlcorpus", ["female1", "female2", "male1", "male2"], model="toy2")
    fake_corpus(ws, "savee", ["DC", "JE", "JK", "KL"], model="toy2")
    utts = fake_corpus(ws, "jlcorpus", ["female1", "female2", "male1", "male2"])
    partition(utts, "paper", corpus="jlcorpus").save(ws.splits("jlcorpus", "paper"))
    with ResultsDB(ws.results) as db:
        for model in ("toy", "toy2"):
            for corpus in ("savee", "jlcorpus"):
                run_intra(ws, corpus, model, scheme="paper", recipe=small(hidden=8), db=db,
                          show_progress=False)
    text = runner.invoke(app, ["report", "-w", str(ws.root), "-f", "md"]).output
    source = text[text.index("per source"):].splitlines()
    acted = next(line for line in source if line.startswith("| acted |"))
    assert acted.count("(n=2)") == 2  # one average per model, never across models
    bad = runner.invoke(app, ["report", "-w", str(ws.root), "-m", "nosuchmodel"])
    assert bad.exit_code != 0 and "no results for model 'nosuchmodel'" in str(bad.exception)
