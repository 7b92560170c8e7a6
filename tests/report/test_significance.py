"""Issue 22: significance between models, ranks with ties, an interval in every cell,
`report --compare A B`, and calibration — on runs stored in a real results database."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from test_report import paper
from typer.testing import CliRunner

from emobox.cli import app
from emobox.manifest import Utterance, write_manifest
from emobox.metrics import evaluate
from emobox.partition.core import Fold as SplitFold
from emobox.partition.core import Splits
from emobox.report.calibration import ece, run_calibration
from emobox.report.significance import CellStats, Resampling
from emobox.report.views import build_views
from emobox.runs import ResultsDB, RunKey
from emobox.workspace import Workspace

runner = CliRunner()
CLASSES = ["angry", "happy", "neutral", "sad"]


def planted_truth(rng: np.random.Generator, folds: int = 2, n: int = 200,
                  corpus: str = "c1") -> dict[str, list[tuple[str, str, str]]]:
    """fold -> [(utterance id, true label, speaker)]; 10 speakers per fold."""
    return {str(f): [(f"{corpus}-{f}-{i:04d}", CLASSES[int(rng.integers(4))],
                      f"s{f}{i % 10}") for i in range(n)] for f in range(1, folds + 1)}


def guesses(rng: np.random.Generator, truth: list[tuple[str, str, str]], accuracy: float,
            speaker_skill: dict[str, float] | None = None) -> list[str]:
    """A model right with probability `accuracy` (per speaker where given), else a random
    other class."""
    out = []
    for _, label, speaker in truth:
        p = speaker_skill[speaker] if speaker_skill else accuracy
        out.append(label if rng.random() < p else
                   [c for c in CLASSES if c != label][int(rng.integers(3))])
    return out


def store(db: ResultsDB, model: str, corpus: str, truth: dict, predicted: dict,
          probs: dict | None = None, raw: dict | None = None, **key) -> list[str]:
    """Store one intra run per fold with metrics computed from its predictions."""
    ids = []
    for fold, rows in truth.items():
        k = RunKey(protocol=key.get("protocol", "intra"), train_corpus=corpus,
                   test_corpus=key.get("test_corpus", corpus), model=model,
                   scheme=key.get("scheme", "emobox"), fold=fold, features=paper(model))
        metrics = evaluate([r[1] for r in rows], predicted[fold], CLASSES)
        preds = [(u, y, p, *(() if probs is None else (probs[fold][i].tolist(),)),
                  *(() if raw is None else (raw[fold][i].tolist(),)))
                 for i, ((u, y, _), p) in enumerate(zip(rows, predicted[fold]))]
        db.add(k, metrics, info={"labels": CLASSES}, predictions=preds)
        ids.append(k.id)
    return ids


def test_a_planted_difference_is_significant_and_a_null_one_is_not_over_seeds(tmp_path):
    """20 seeds of planted data, 2 folds × 200 test utterances: A right 75 % of the time
    against B right 62 % (significant in ≥ 19 of 20) and against C right 75 % too (the
    null: significant in ≤ 3 of 20; α = 0.05 expects 1)."""
    planted = null = 0
    for seed in range(20):
        rng = np.random.default_rng(seed)
        truth = planted_truth(rng)
        with ResultsDB(tmp_path / f"r{seed}.sqlite") as db:
            a = store(db, "a", "c1", truth, {f: guesses(rng, t, .75) for f, t in truth.items()})
            b = store(db, "b", "c1", truth, {f: guesses(rng, t, .62) for f, t in truth.items()})
            c = store(db, "c", "c1", truth, {f: guesses(rng, t, .75) for f, t in truth.items()})
            stats = CellStats(db, db.runs(), resampling=Resampling(n=500, seed=seed))
            d_ab, d_ac = stats.compare(a, b, "ua"), stats.compare(a, c, "ua")
            planted += d_ab.significant(0.05)
            null += d_ac.significant(0.05)
            assert d_ab.low < d_ab.diff < d_ab.high and d_ab.level == "utterance"
            assert d_ab.diff == pytest.approx(np.mean([
                db.runs(model="a")[i].metrics["ua"] - db.runs(model="b")[i].metrics["ua"]
                for i in range(2)]))
    assert planted >= 19, planted
    assert null <= 3, null


def test_ranks_with_ties_in_table4_and_an_interval_in_every_format(tmp_path):
    ws = Workspace(tmp_path / "ws")
    rng = np.random.default_rng(7)
    truth = planted_truth(rng, n=300)
    with ResultsDB(ws.results) as db:
        for model, acc in (("a", .80), ("b", .78), ("c", .50)):
            store(db, model, "c1", truth, {f: guesses(rng, t, acc) for f, t in truth.items()})
        other = planted_truth(rng, n=100, corpus="c2")  # d ran on other test utterances
        store(db, "d", "c1", other, {f: guesses(rng, t, .9) for f, t in other.items()})
    md = runner.invoke(app, ["report", "-w", str(ws.root), "-f", "md"]).stdout
    row = next(line for line in md.splitlines() if line.startswith("| c1 |"))
    cells = dict(zip(["corpus", "a", "b", "c", "d"], row.strip("| ").split(" | ")))
    # d is the best by its mean but ran on other test utterances: ranked by its mean alone;
    # a and b (80 % vs 78 %) share rank 2, c (50 %) is significantly worse: rank 4, no mark
    assert cells["d"].startswith("**") and cells["d"].endswith("¹**")
    assert cells["a"].endswith("²") and cells["b"].endswith("²") and cells["c"].endswith("]")
    assert "1 comparison(s) not testable" in md and "α = 0.05" in md
    assert "(1000 resamples, seed 0)" in md and "utterance (no workspace manifest)" in md
    assert all("[" in cells[m] for m in "abcd")  # every cell has its interval
    table = list(csv.reader(io.StringIO(runner.invoke(
        app, ["report", "-w", str(ws.root), "-f", "csv"]).stdout)))
    header, c1 = table[0], table[1]
    low, high = float(c1[header.index("a low")]), float(c1[header.index("a high")])
    assert low < float(c1[header.index("a")].split()[0]) < high
    latex = runner.invoke(app, ["report", "-w", str(ws.root), "-f", "latex"]).stdout
    assert "percentile bootstrap" in latex and "[" in latex
    data = json.loads(runner.invoke(app, ["report", "-w", str(ws.root), "--json"]).stdout)
    entry = next(e for e in data["intra"] if e["model"] == "a")
    assert entry["interval"]["ua"]["low"] == pytest.approx(low / 100, abs=5e-5)
    assert entry["level"] == "utterance (no workspace manifest)"
    again = runner.invoke(app, ["report", "-w", str(ws.root), "-f", "md", "--seed", "3",
                                "--resamples", "200", "--alpha", "0.01"]).stdout
    assert "(200 resamples, seed 3)" in again and "α = 0.01" in again and "99 %" in again
    bad = runner.invoke(app, ["report", "-w", str(ws.root), "--alpha", "2"])
    assert bad.exit_code != 0 and "--alpha must be between 0 and 1" in str(bad.exception)


def test_speaker_level_where_folds_are_speaker_independent_and_the_manifest_says(tmp_path):
    """Speakers of very different skill: the speaker-level interval is wider than the
    utterance-level one, and each caption says which level it used."""
    ws = Workspace(tmp_path / "ws")
    rng = np.random.default_rng(3)
    truth = planted_truth(rng, n=300)
    skill = {s: (0.95 if int(s[-1]) % 2 else 0.35) for rows in truth.values()
             for _, _, s in rows}
    with ResultsDB(ws.results) as db:
        ids = store(db, "a", "c1", truth, {f: guesses(rng, t, 0, skill)
                                           for f, t in truth.items()})
        utterance = CellStats(db, db.runs(), ws).interval(ids, "ua")  # no manifest yet
        write_manifest(ws.manifest("c1"), [Utterance(u, "c1", f"{u}.wav", y, y, speaker=s)
                                           for rows in truth.values() for u, y, s in rows])
        Splits("emobox", {f: SplitFold(train=[], valid=[], test=[u for u, _, _ in rows])
                          for f, rows in truth.items()},
               speaker_independent=True).save(ws.splits("c1", "emobox"))
        stats = CellStats(db, db.runs(), ws)
        speaker = stats.interval(ids, "ua")
        assert stats.level(ids) == "speaker"
    assert speaker[1] - speaker[0] > 1.5 * (utterance[1] - utterance[0])
    md = runner.invoke(app, ["report", "-w", str(ws.root), "-f", "md"]).stdout
    assert "level — speaker: c1" in md


def test_compare_prints_per_corpus_differences_and_the_average(tmp_path):
    ws = Workspace(tmp_path / "ws")
    rng = np.random.default_rng(11)
    with ResultsDB(ws.results) as db:
        for corpus in ("c1", "c2", "c3"):
            truth = planted_truth(rng, n=250, corpus=corpus)
            store(db, "a", corpus, truth, {f: guesses(rng, t, .8) for f, t in truth.items()})
            if corpus != "c3":
                store(db, "b", corpus, truth, {f: guesses(rng, t, .6)
                                               for f, t in truth.items()})
    result = runner.invoke(app, ["report", "-w", str(ws.root), "--compare", "a", "b",
                                 "-f", "md"])
    assert result.exit_code == 0, result.output
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ")
            for line in result.stdout.splitlines()[3:] if line.startswith("| c") or
            line.startswith("| average")}
    assert set(rows) == {"c1", "c2", "average (2 corpora)"}
    for row in rows.values():
        diff = row[3]
        value, low, high = (float(x) for x in diff.replace("[", "").replace(",", "")
                            .replace("]", "").split())
        assert low < value < high and low > 0  # planted: A better everywhere
        assert float(row[4]) < 0.05
    assert "not compared, left out of the average: c3 (only a)" in result.stdout
    missing = runner.invoke(app, ["report", "-w", str(ws.root), "--compare", "a", "zz"])
    assert missing.exit_code != 0 and "no results for model 'zz'" in str(missing.exception)


def direct_ece(probs: np.ndarray, true: np.ndarray, bins: int) -> float:
    """ECE written out: equal-width bins (lo, hi] of the max probability (0 in the first)."""
    conf, pred = probs.max(axis=1), probs.argmax(axis=1)
    total = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [i for i in range(len(conf)) if (lo < conf[i] <= hi) or (b == 0 and
                                                                        conf[i] == 0)]
        if inside:
            acc = np.mean([pred[i] == true[i] for i in inside])
            total += len(inside) / len(conf) * abs(acc - np.mean(conf[inside]))
    return total


def test_ece_equals_a_direct_computation_before_and_after_adjustment(tmp_path):
    from emobox.report import plots

    rng = np.random.default_rng(5)
    ws = Workspace(tmp_path / "ws")
    truth = planted_truth(rng, folds=1, n=400)
    true = np.array([CLASSES.index(y) for _, y, _ in truth["1"]])
    logits = rng.normal(size=(400, 4)) + 2.0 * np.eye(4)[true]
    raw = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    adjusted = np.exp(logits - np.log([0.7, 0.1, 0.1, 0.1]))
    adjusted /= adjusted.sum(axis=1, keepdims=True)
    predicted = {"1": [CLASSES[i] for i in adjusted.argmax(axis=1)]}
    with ResultsDB(ws.results) as db:
        [run] = store(db, "a", "c1", truth, predicted, probs={"1": adjusted}, raw={"1": raw},
                      protocol="ood", test_corpus="c2", scheme="serval")
        record = db.find(run)[0]
        found = run_calibration(db, record)
        assert set(found) == {"stored", "before adjustment"}
        assert found["stored"].ece == pytest.approx(direct_ece(adjusted, true, 15), abs=1e-12)
        assert found["before adjustment"].ece == pytest.approx(direct_ece(raw, true, 15),
                                                               abs=1e-12)
        assert ece(raw, true, bins=10) == pytest.approx(direct_ece(raw, true, 10), abs=1e-12)
        written = plots.reliability(found, tmp_path / "rel" / "run", "a: c1 → c2")
    assert {p.suffix for p in written} == {".png", ".svg"} and all(p.stat().st_size
                                                                   for p in written)
    md = runner.invoke(app, ["report", "-w", str(ws.root), "-f", "md", "--ece"]).stdout
    line = next(x for x in md.splitlines() if "| c1 → c2 |" in x and "| ood |" in x)
    assert f"| {100 * direct_ece(adjusted, true, 15):.1f} | " \
           f"{100 * direct_ece(raw, true, 15):.1f} | 400 |" in line
    assert "15 equal-width bins" in md
    plotted = runner.invoke(app, ["report", "-w", str(ws.root), "--plots", str(tmp_path / "p"),
                                  "--ece"])
    assert plotted.exit_code == 0, plotted.output
    assert {p.name for p in (tmp_path / "p").iterdir()} == {f"reliability-{run}.png",
                                                            f"reliability-{run}.svg"}


def test_cells_whose_predictions_do_not_give_their_metric_get_no_interval(tmp_path):
    rng = np.random.default_rng(2)
    truth = planted_truth(rng, folds=1, n=50)
    with ResultsDB(tmp_path / "r.sqlite") as db:
        k = RunKey(protocol="intra", train_corpus="c1", test_corpus="c1", model="a",
                   scheme="emobox", fold="1", features=paper("a"))
        db.add(k, {"ua": 0.99, "wa": 0.99, "macro_f1": 0.99, "labels": CLASSES},
               predictions=[(u, y, y) for u, y, _ in truth["1"]][:-1] +
               [(truth["1"][-1][0], truth["1"][-1][1], "zz")])
        views = build_views(db.runs(), db=db)
        assert views.stats.interval([k.id], "ua") is None
        assert "do not reproduce" in views.stats.level([k.id])
