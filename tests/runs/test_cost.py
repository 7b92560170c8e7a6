"""`emobox plan`: the cost model against the issue's arithmetic on an empty workspace, what
is stored or trained counted as done, the protocols' training runs, the calibration."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from emobox.cli import app
from emobox.corpora.core.local import corpus_info
from emobox.errors import EmoboxError
from emobox.features.identity import store_name
from emobox.features.store import FeatureStore
from emobox.manifest import Utterance, write_manifest
from emobox.partition import Fold, Splits
from emobox.runs import ResultsDB, RunKey, cost
from emobox.train import EMOBOX, SERVAL
from emobox.workspace import Workspace

#: A fixed machine, so that the tests do not spend a second calibrating.
RATES = cost.Rates(matmul_flop_s=300e9, extract_flop_s=159e9, train_flop_s=100e9, step_s=2e-3,
                   eval_s=5e-4)


@pytest.fixture
def fixed_rates(monkeypatch):
    monkeypatch.setattr(cost, "calibrate", lambda seconds=1.0: RATES)


def within(value: float, expected: float, factor: float = 1.5) -> bool:
    return expected / factor <= value <= expected * factor


def test_plan_intra_emobox_wavlm_large_matches_the_issues_arithmetic(tmp_path, fixed_rates):
    result = CliRunner().invoke(app, ["plan", "intra", "--corpora", "emobox", "-m",
                                      "wavlm-large", "-w", str(tmp_path / "ws"), "--json"])
    assert result.exit_code == 0, result.output
    t = json.loads(result.output)["total"]
    hours = 294  # EmoBox Table 1, 32 corpora
    assert within(t["audio_hours"], hours, 1.05)
    assert within(t["store_bytes"], 1024 * 2 * 50 * hours * 3600)  # last layer, fp16, 50 fps
    assert within(t["extract_flop"], 4e16)  # ≈ 37 GFLOP per audio-second
    # 6·D·Σh per trained frame and epoch: 336 h of train parts, 80 % trained, 100 epochs
    assert within(t["train_flop"], 6 * 1024 * 768 * 336 * 3600 * 0.8 * 50 * 100)
    assert t["runs"] == 73 and t["runs_done"] == 0
    assert t["seconds_here"] > t["seconds_gpu"] > 0
    assert not (tmp_path / "ws").exists()  # planning writes nothing


def test_plan_prints_a_table_per_model_and_a_total(tmp_path, fixed_rates):
    result = CliRunner().invoke(app, ["plan", "ood", "--corpora", "serval", "-m", "wavlm-base",
                                      "-m", "hubert-large", "-w", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "wavlm-base" in result.output and "hubert-large" in result.output
    assert "total" in result.output and SERVAL.id in result.output


def test_unknown_corpus_group_is_one_line(tmp_path, fixed_rates):
    result = CliRunner().invoke(app, ["plan", "intra", "--corpora", "every", "-w",
                                      str(tmp_path)])
    assert result.exit_code != 0
    assert "--corpora takes all, emobox or serval" in str(result.exception)


@pytest.fixture
def toy_workspace(tmp_path):
    """A prepared corpus of 8 utterances of 2 s, two folds, half of it extracted, and one
    of its folds trained."""
    ws = Workspace(tmp_path / "ws")
    utts = [Utterance(key=f"toy-{i}", dataset="toy", wav=f"{i}.wav", emo="x", label="AB"[i % 2],
                      speaker=str(i % 4), length=2.0) for i in range(8)]
    write_manifest(ws.manifest("toy"), utts)
    keys = [u.key for u in utts]
    Splits("paper", {"1": Fold(keys[:4], keys[4:5], keys[5:]),
                     "2": Fold(keys[3:], keys[:1], keys[1:3])}).save(ws.splits("toy", "paper"))
    with FeatureStore.create(ws.features(store_name("egemaps"), "toy"), model="egemaps",
                             layers=[0], dim=88) as writer:
        for key in keys[:4]:
            writer.add(key, np.zeros((1, 1, 88), dtype=np.float32))
    with ResultsDB(ws.results) as db:
        db.add(RunKey(protocol="intra", train_corpus="toy", test_corpus="toy", model="egemaps",
                      recipe=EMOBOX.id, hparams=EMOBOX.hparams(), fold="2"), {"ua": 0.5})
    return ws


def test_stored_and_trained_work_counts_as_done(toy_workspace):
    line, = cost.plan(toy_workspace, "intra", ["toy"], ["egemaps"], EMOBOX, rates=RATES)
    assert line.source == "manifest"
    assert line.audio_hours == pytest.approx(16 / 3600)
    assert line.extract_hours == pytest.approx(8 / 3600) and not line.store_done
    assert (line.runs, line.runs_done) == (2, 1)
    # fold 1 only: 4 train utterances (one frame each for functionals) × 100 epochs
    assert line.train_frames == 4 * EMOBOX.epochs
    assert line.steps == EMOBOX.epochs  # one batch of 4 per epoch
    other_recipe = cost.plan(toy_workspace, "intra", ["toy"], ["egemaps"],
                             EMOBOX.with_(epochs=5), rates=RATES)[0]
    assert other_recipe.runs_done == 0  # trained with 100 epochs, not 5


def test_protocol_runs(tmp_path):
    ws = Workspace(tmp_path)
    corpora = [cost.load_corpus(ws, c) for c in ("ravdess", "iemocap")]
    intra = cost.protocol_runs(ws, "intra", corpora, EMOBOX, scheme=None, frame_layers=[24])
    ood = cost.protocol_runs(ws, "ood", corpora, SERVAL, scheme=None, frame_layers=[24])
    layers = cost.protocol_runs(ws, "layers", corpora, EMOBOX, scheme=None,
                                frame_layers=[12, 24])
    cross = cost.protocol_runs(ws, "cross", corpora, EMOBOX, scheme=None, frame_layers=[24])
    folds = {c.name: c.emobox_partition["n_folds"] for c in
             (corpus_info(ws, "ravdess"), corpus_info(ws, "iemocap"))}
    assert len(intra) == sum(folds.values())
    assert len(ood) == 2 and len(cross) == 2 and len(layers) == 2 * len(intra)
    for run in intra:  # EmoBox's folds have no validation: the recipe's share of train
        assert run.valid.utterances == pytest.approx(
            EMOBOX.valid_fraction * (run.train.utterances + run.valid.utterances), abs=1)
    with pytest.raises(EmoboxError, match="unknown protocol"):
        cost.protocol_runs(ws, "tables", corpora, EMOBOX, scheme=None, frame_layers=[24])


def test_calibration_measures_this_machine():
    rates = cost.calibrate(0.2)
    assert rates.matmul_flop_s > 1e8 and rates.train_flop_s > 1e8
    assert 0 < rates.step_s < 5 and 0 < rates.eval_s < 5
    # an encoder forward pass runs below the matmul peak, and at a real fraction of it
    assert 0.05 * rates.matmul_flop_s < rates.extract_flop_s < 2 * rates.matmul_flop_s
    from emobox.features.precision import native_bf16

    assert (rates.extract_bf16_flop_s is not None) == native_bf16()


def test_plan_times_extraction_at_the_precision_extract_picks(monkeypatch):
    """bf16 where `--precision auto` picks it (native bf16, a faithful family), else fp32."""
    from emobox.features import precision

    rates = cost.Rates(1e11, extract_flop_s=1e11, train_flop_s=1e11, step_s=0, eval_s=0,
                       extract_bf16_flop_s=3e11)
    monkeypatch.setattr(precision, "native_bf16", lambda: True)
    assert rates.extract_rate("wavlm") == 3e11
    assert rates.extract_rate("whisper") == 1e11  # kept float32: bf16 is not faithful there
    monkeypatch.setattr(precision, "native_bf16", lambda: False)
    assert rates.extract_rate("wavlm") == 1e11


def test_whisper_pad30_costs_its_windows(tmp_path):
    ws = Workspace(tmp_path)

    def flop(model: str, mode: str) -> float:
        return cost.plan(ws, "intra", ["ravdess"], [model], EMOBOX, whisper_mode=mode)[0] \
            .extract_flop

    assert flop("whisper-large-v3", "pad30") > 5 * flop("whisper-large-v3", "trim")
    assert flop("wavlm-large", "pad30") == flop("wavlm-large", "trim")
