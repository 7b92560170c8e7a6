"""Logit adjustment (oracle / uniform / EM priors, masking) and the protocol's guarantees:
test data read only after selection, validation never missing silently, probabilities and
curves stored, the `emobox train` command."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
from typer.testing import CliRunner

from emobox.cli import app
from emobox.features.store import FeatureStore
from emobox.partition import Fold, Splits, partition
from emobox.runs import ResultsDB, run_intra
from emobox.runs.protocols import open_store
from emobox.train import adjust_logits, class_prior, estimate_prior, get_recipe
from emobox.workspace import Workspace

runner = CliRunner()


def test_em_recovers_a_shifted_prior():
    rng = np.random.default_rng(0)
    train_prior = np.array([0.25, 0.25, 0.25, 0.25])
    target = np.array([0.6, 0.2, 0.15, 0.05])
    means = np.eye(4) * 2.0
    y = rng.choice(4, size=6000, p=target)
    x = means[y] + rng.normal(size=(6000, 4))
    # the Bayes posterior of a classifier trained under the uniform prior
    loglik = -((x[:, None, :] - means[None]) ** 2).sum(-1) / 2
    probs = np.exp(loglik - loglik.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    estimate = estimate_prior(probs, train_prior)
    np.testing.assert_allclose(estimate, target, atol=0.03)
    before = (probs.argmax(1) == y).mean()
    after = (adjust_logits(np.log(probs), train_prior, estimate).argmax(1) == y).mean()
    assert after > before + 0.02


def test_a_class_unseen_in_training_is_never_predicted():
    """SER Evals' MESD model: 'surprise' absent from the source prior, present in the
    target's; its code adds +27.6 to that logit and predicts surprise for every clip."""
    rng = np.random.default_rng(1)
    classes = ["happiness", "sadness", "surprise", "anger"]
    logits = rng.normal(size=(500, 4))
    train_prior = class_prior(["happiness", "sadness", "anger"] * 10, classes)
    target = np.array([0.3, 0.3, 0.1, 0.3])
    adjusted = adjust_logits(logits, train_prior, target)
    assert 2 not in adjusted.argmax(1)
    serval_style = logits - np.log(train_prior + 1e-12) + np.log(target + 1e-12)
    assert set(serval_style.argmax(1)) == {2}  # the hazard our masking prevents
    masked = adjust_logits(logits, np.full(4, 0.25), None, mask=np.array([1, 1, 1, 0], bool))
    assert 3 not in masked.argmax(1)


def fake(ws: Workspace, corpus="savee", speakers=("DC", "JE", "JK", "KL")):
    from emobox.manifest import Utterance, write_manifest

    rng = np.random.default_rng(0)
    labels = ("Angry", "Happy", "Neutral", "Sad")
    utts = [Utterance(key=f"{corpus}-{s}-{lab}{i}", dataset=corpus, wav=f"{s}/{lab}{i}.wav",
                      emo=lab, label=lab, speaker=s) for s in speakers for lab in labels
            for i in range(6)]
    write_manifest(ws.manifest(corpus), utts)
    with FeatureStore.create(ws.features("toy", corpus), model="toy", layers=[0], dim=4) as w:
        for u in utts:
            x = rng.normal(size=(1, 5, 4)).astype(np.float32)
            x[..., labels.index(u.label)] += 3
            w.add(u.key, x)
    return utts


def test_test_split_is_read_only_after_selection(tmp_path, monkeypatch):
    import emobox.runs.protocols as protocols

    ws = Workspace(tmp_path)
    utts = fake(ws)
    splits = partition(utts, "emobox", corpus="savee")
    splits.save(ws.splits("savee", "emobox"))
    test_keys = set(splits.folds["1"].test)
    events: list[str] = []
    original_frames = FeatureStore.frames
    original_sweep = protocols.train_sweep

    def frames(self, key, layer=None):
        if key in test_keys:
            events.append("test-read")
        return original_frames(self, key, layer)

    def sweep(*args, **kwargs):
        events.append("sweep-start")
        model = original_sweep(*args, **kwargs)
        events.append("selected")
        return model

    monkeypatch.setattr(FeatureStore, "frames", frames)
    monkeypatch.setattr(protocols, "train_sweep", sweep)
    run_intra(ws, "savee", "toy", scheme="emobox", folds=["1"],
              recipe=get_recipe("emobox", epochs=3), show_progress=False)
    first_test = events.index("test-read")
    assert events.index("selected") < first_test
    assert "test-read" not in events[:events.index("selected")]


def test_empty_validation_is_carved_and_no_valid_is_marked(tmp_path):
    ws = Workspace(tmp_path)
    utts = fake(ws)
    keys = {u.key: u for u in utts}
    fold = Fold(train=[k for k in keys if "-JE-" not in k], valid=[],
                test=[k for k in keys if "-JE-" in k])
    Splits("imported", {"1": fold}, speaker_independent=True).save(ws.splits("savee", "imp"))
    recipe = get_recipe("emobox", epochs=3)
    carved = run_intra(ws, "savee", "toy", scheme="imp", recipe=recipe, show_progress=False)
    assert any("validation carved from train" in n for n in carved[0].info["notes"])
    assert not carved[0].info["no_valid"] and len(carved[0].info["curves"]) == 4
    last = run_intra(ws, "savee", "toy", scheme="imp", no_valid=True,
                     recipe=get_recipe("emobox", epochs=3, grid=()), show_progress=False)
    assert last[0].info["no_valid"] and last[0].info["best_epoch"] == 3


def test_probabilities_and_every_configuration_are_stored(tmp_path):
    ws = Workspace(tmp_path)
    utts = fake(ws)
    partition(utts, "emobox", corpus="savee").save(ws.splits("savee", "emobox"))
    with ResultsDB(ws.results) as db:
        run_intra(ws, "savee", "toy", scheme="emobox", folds=["2"],
                  recipe=get_recipe("emobox", epochs=3), db=db, show_progress=False)
        chosen = db.runs(protocol="intra")
        configs = db.runs(protocol="intra-config")
        assert len(chosen) == 1 and len(configs) == 4
        assert sum(r.info["selected"] for r in configs) == 1
        probs = db.probabilities(chosen[0].id)
        assert len(probs) == chosen[0].metrics["n"] and abs(sum(probs[0]) - 1) < 1e-5


def test_schema_2_database_is_migrated(tmp_path):
    path = tmp_path / "results.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
            INSERT INTO meta VALUES ('schema', '2');
            CREATE TABLE predictions (run INTEGER, key TEXT, label TEXT, predicted TEXT);
            INSERT INTO predictions VALUES (1, 'k', 'a', 'b');""")
    with ResultsDB(path) as db:
        assert db.probabilities(1) == [None]
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE name='schema'").fetchone() == ("4",)


def test_train_command_prints_choice_and_intervals(tmp_path):
    ws = Workspace(tmp_path)
    utts = fake(ws)
    partition(utts, "emobox", corpus="savee").save(ws.splits("savee", "emobox"))
    result = runner.invoke(app, ["train", "savee", "-m", "toy", "--fold", "1", "--epochs", "5",
                                 "-w", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    fold = data["folds"][0]
    assert fold["fold"] == "1" and {"lr", "hidden"} <= set(fold["chosen"])
    low, high = fold["ua"]["ci95"]
    assert low <= fold["ua"]["value"] <= high
    text = runner.invoke(app, ["train", "savee", "-m", "toy", "--fold", "1", "--epochs", "5",
                               "-w", str(tmp_path)], terminal_width=200).output
    assert "UA [95 % CI]" in text
    assert open_store(ws, "toy", "savee")  # the store stays usable
