"""Report benchmark: `emobox report --html` over many stored runs, cold and warm.

    python bench/report.py [--runs 500] [--work DIR] [--output FILE]

Fabricates a workspace whose results database holds `--runs` intra-corpus runs (5 models ×
corpora × 5 folds, stored through `ResultsDB.add` as `evaluate_and_store` stores them: 200
predictions with probabilities, the EmoBox sweep's 4 validation curves of 100 epochs, a
confusion matrix) plus one complete 4-corpus cross matrix, then times the `report --html`
command three times: cold (empty folder), warm (nothing changed) and warm after one run was
stored again with another score (only its page and the index are rebuilt). Writes
bench/results/report.json (or --output) and prints it. Not a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from common import peak_rss_kb, write_results  # noqa: E402

from emobox.runs import ResultsDB, RunKey  # noqa: E402
from emobox.workspace import Workspace  # noqa: E402

MODELS = ("wavlm-base", "hubert-base", "wav2vec2-base", "whisper-base", "data2vec-base")
CORPORA = ("ravdess", "savee", "emodb", "cremad", "tess", "emovo", "cafe", "aesdd", "iemocap",
           "meld", "casia", "esd", "mesd", "shemo", "urdu", "subesco", "polish", "jvnv",
           "ased", "turev", "m3ed", "pavoque", "emns", "nemo")
LABELS = ["Angry", "Happy", "Neutral", "Sad"]
FOLDS = ("1", "2", "3", "4", "5")


def paper(model: str) -> dict:
    return {"identity": {"kind": "registry", "name": model},
            "settings": {"precision": "fp32", "layer_norm": False, "whisper_mode": "pad30"}}


def fabricate_run(db: ResultsDB, key: RunKey, ua: float, rng: np.random.Generator) -> None:
    """One run stored as `evaluate_and_store` stores it (predictions, probabilities, curves,
    confusion, training time)."""
    from emobox.metrics import evaluate

    n = 200
    truth = [LABELS[i % 4] for i in range(n)]
    predicted = [t if rng.random() < ua else LABELS[int(rng.integers(4))] for t in truth]
    probs = rng.dirichlet(np.ones(4), size=n).round(4).tolist()
    curves = [{"config": {"lr": lr, "hidden": h}, "valid_ua": rng.random(100).round(4).tolist(),
               "valid_loss": rng.random(100).round(4).tolist(),
               "train_loss": rng.random(100).round(4).tolist(), "best_epoch": 50}
              for lr in (1e-3, 1e-4) for h in (128, 256)]
    info = {"chosen": {"lr": 1e-3, "hidden": 128}, "best_epoch": 50, "valid_ua": ua,
            "labels": LABELS, "curves": curves, "train_seconds": 12.5, "train_device": "cpu",
            "notes": []}
    db.add(key, evaluate(truth, predicted, LABELS), info=info,
           predictions=[(f"{key.test_corpus}-{i}", t, p, pr)
                        for i, (t, p, pr) in enumerate(zip(truth, predicted, probs))])


def fabricate(ws: Workspace, runs: int, seed: int = 0) -> list[RunKey]:
    """`runs` intra runs (rounded to whole corpora) and one 4-corpus cross matrix."""
    rng = np.random.default_rng(seed)
    keys = []
    per_corpus = len(MODELS) * len(FOLDS)
    corpora = [f"{c}{i // len(CORPORA) or ''}" for i, c in
               zip(range(max(1, runs // per_corpus)), CORPORA * 10)]
    with ResultsDB(ws.results) as db, db.transaction():
        for corpus in corpora:
            for m, model in enumerate(MODELS):
                for fold in FOLDS:
                    key = RunKey(protocol="intra", train_corpus=corpus, test_corpus=corpus,
                                 model=model, scheme="emobox", fold=fold,
                                 features=paper(model), labels=LABELS)
                    fabricate_run(db, key, 0.5 + 0.05 * m, rng)
                    keys.append(key)
        cross = CORPORA[:4]
        for train in cross:
            for test in cross:
                if train != test:
                    key = RunKey(protocol="cross", train_corpus=train, test_corpus=test,
                                 model=MODELS[0], scheme="cross", fold="all",
                                 features=paper(MODELS[0]), corpora=list(cross),
                                 labels=LABELS)
                    fabricate_run(db, key, 0.4, rng)
                    keys.append(key)
    return keys


def timed_report(ws: Workspace, site: Path) -> float:
    from typer.testing import CliRunner

    from emobox.cli import app

    start = time.perf_counter()
    result = CliRunner().invoke(app, ["report", "-w", str(ws.root), "--html", str(site)])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return round(time.perf_counter() - start, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--output", type=Path,
                        default=Path(__file__).parent / "results" / "report.json")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="emobox-bench-report-"))
    ws = Workspace(work / "ws")
    start = time.perf_counter()
    keys = fabricate(ws, args.runs)
    fabricated = round(time.perf_counter() - start, 2)
    site = work / "site"
    cold = timed_report(ws, site)
    warm = timed_report(ws, site)
    with ResultsDB(ws.results) as db:  # one run stored again with another score
        fabricate_run(db, keys[0], 0.9, np.random.default_rng(1))
    changed = timed_report(ws, site)
    pages = len(list((site / "runs").glob("*.html")))
    write_results(args.output, {
        "runs": len(keys), "run_pages": pages, "fabricate_seconds": fabricated,
        "cold_seconds": cold, "warm_unchanged_seconds": warm,
        "warm_one_changed_seconds": changed, "goal_seconds": 30,
        "cpus": os.cpu_count(), "peak_rss_mb": peak_rss_kb() // 1024})


if __name__ == "__main__":
    main()
