"""Benchmark protocols: intra-corpus (folds of one corpus) and cross-corpus (train on one,
test on another), on stored features, with every run written to the results database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from emobox.errors import EmoboxError
from emobox.features.store import FeatureStore
from emobox.labels import OTHER, apply_label_space
from emobox.manifest import Utterance, read_manifest
from emobox.metrics import evaluate
from emobox.partition import Splits, validation_split
from emobox.progress import track
from emobox.runs.results import ResultsDB
from emobox.train.trainer import TrainConfig, train_head
from emobox.workspace import Workspace


@dataclass
class RunResult:
    """Metrics of one evaluated run."""

    train_corpus: str
    test_corpus: str
    fold: str
    metrics: dict
    best_epoch: int


def _labelled(utts: Sequence[Utterance], keys: Sequence[str], store: FeatureStore,
              allowed: set[str] | None = None) -> list[tuple[str, str]]:
    by_key = {u.key: u for u in utts}
    pairs = [(k, by_key[k].label) for k in keys if k in by_key and k in store]
    return [p for p in pairs if allowed is None or p[1] in allowed]


def run_intra(
    workspace: Workspace,
    corpus: str,
    model: str,
    *,
    scheme: str,
    config: TrainConfig = TrainConfig(),
    db: ResultsDB | None = None,
    show_progress: bool = True,
) -> list[RunResult]:
    """Train and test every fold of `scheme` on `corpus`; returns per-fold metrics."""
    utts = read_manifest(workspace.manifest(corpus))
    splits = Splits.load(workspace.splits(corpus, scheme))
    store = FeatureStore.open(workspace.features(model, corpus))
    labels = sorted({u.label for u in utts})
    results = []
    folds = list(splits.folds.items())
    items = track(folds, f"train {corpus}") if show_progress else folds
    for name, fold in items:
        train = _labelled(utts, fold.train, store)
        valid = _labelled(utts, fold.valid, store)
        test = _labelled(utts, fold.test, store)
        if not test:
            raise EmoboxError(f"{corpus} fold {name}: no test utterance has features")
        trained = train_head(store, train, valid, config,
                             labels=labels)
        predicted, _ = trained.predict(store, [k for k, _ in test])
        metrics = evaluate([y for _, y in test], predicted, labels)
        metrics.update(best_epoch=trained.best_epoch, valid_ua=trained.valid_ua)
        if db is not None:
            db.add(protocol="intra", model=model, train_corpus=corpus, test_corpus=corpus,
                   fold=name, config={**config.to_dict(), "scheme": scheme}, metrics=metrics,
                   predictions=[(k, y, p) for (k, y), p in zip(test, predicted)])
        results.append(RunResult(corpus, corpus, name, metrics, trained.best_epoch))
    return results


def run_cross(
    workspace: Workspace,
    corpora: Sequence[str],
    model: str,
    *,
    labels: Sequence[str] | None = None,
    space: str | None = None,
    test_keys: dict[str, Sequence[str]] | None = None,
    config: TrainConfig = TrainConfig(),
    valid_fraction: float = 0.2,
    db: ResultsDB | None = None,
    show_progress: bool = True,
) -> list[RunResult]:
    """For every ordered pair (i, j), i ≠ j: train on corpus i (minus a speaker-disjoint
    validation split, and minus its own test set when one is given) and test on corpus j.

    `space` relabels every corpus into a label space first (e.g. ``shared4``, EmoBox's
    cross-corpus space; unmapped labels are dropped); `labels` defaults to the labels every
    corpus has. `test_keys` gives the test set per corpus (e.g. the balanced sets of
    `emobox balance`); default: all of the corpus."""
    manifests = {c: read_manifest(workspace.manifest(c)) for c in corpora}
    if space is not None:
        manifests = {c: apply_label_space(m, space)[0] for c, m in manifests.items()}
    stores = {c: FeatureStore.open(workspace.features(model, c)) for c in corpora}
    if labels is None:
        shared = set.intersection(*({u.label for u in m} for m in manifests.values()))
        labels = sorted(shared - {OTHER})
    if len(labels) < 2:
        raise EmoboxError(f"the corpora {', '.join(corpora)} share fewer than 2 labels")
    allowed = set(labels)
    tests = {c: list(test_keys[c]) if test_keys and c in test_keys
             else [u.key for u in manifests[c]] for c in corpora}
    results = []
    sources = track(corpora, "cross-corpus") if show_progress else corpora
    for source in sources:
        held_out = set(tests[source]) if test_keys and source in test_keys else set()
        utts = [u for u in manifests[source] if u.label in allowed and u.key in stores[source]
                and u.key not in held_out]
        train_keys, valid_keys = validation_split(utts, valid_fraction, seed=config.seed,
                                                  speaker_disjoint=True)
        trained = train_head(stores[source], _labelled(utts, train_keys, stores[source]),
                             _labelled(utts, valid_keys, stores[source]), config, labels=labels)
        for target in corpora:
            if target == source:
                continue
            test = _labelled(manifests[target], tests[target], stores[target], allowed)
            if not test:
                raise EmoboxError(f"{target}: no test utterance with features in the labels "
                                  f"{', '.join(labels)}")
            predicted, _ = trained.predict(stores[target], [k for k, _ in test])
            metrics = evaluate([y for _, y in test], predicted, labels)
            metrics.update(best_epoch=trained.best_epoch, valid_ua=trained.valid_ua)
            if db is not None:
                db.add(protocol="cross", model=model, train_corpus=source, test_corpus=target,
                       fold="all", config={**config.to_dict(), "labels": list(labels),
                                           "space": space, "balanced": bool(test_keys)},
                       metrics=metrics,
                       predictions=[(k, y, p) for (k, y), p in zip(test, predicted)])
            results.append(RunResult(source, target, "all", metrics, trained.best_epoch))
    return results
