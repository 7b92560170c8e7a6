"""Benchmark protocols: intra-corpus (folds of one corpus) and cross-corpus (train on one,
test on another), on stored features, with a recipe's whole grid trained per fold. Every run
goes through one path, `evaluate_and_store`, under its `RunKey`; every input of a grid is
checked before anything is trained; test data is read only after the model is selected.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from emobox.corpora.core.local import corpus_manifest
from emobox.errors import EmoboxError
from emobox.features.store import FeatureStore
from emobox.labels import OTHER, apply_label_space
from emobox.manifest import Utterance, read_manifest
from emobox.metrics import evaluate
from emobox.partition import Fold, Splits, official_validation, validation_split
from emobox.progress import progress_bar
from emobox.runs.identity import config_key, run_key
from emobox.runs.key import RunKey
from emobox.runs.results import ResultsDB
from emobox.runs.spec import resolve_label_space
from emobox.train.adjust import softmax
from emobox.train.export import save_model
from emobox.train.lengths import LengthRule
from emobox.train.recipe import EMOBOX, Recipe
from emobox.train.sweep import TrainedModel, train_sweep
from emobox.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """One evaluated run: its identity, metrics and facts about how it went."""

    key: RunKey
    metrics: dict[str, Any]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def train_corpus(self) -> str:
        return self.key.train_corpus

    @property
    def test_corpus(self) -> str:
        return self.key.test_corpus

    @property
    def fold(self) -> str:
        return self.key.fold


def open_store(workspace: Workspace, model: str, corpus: str) -> FeatureStore:
    """The feature store of (`model`, `corpus`), refused when it holds non-finite values."""
    store = FeatureStore.open(workspace.features(model, corpus))
    store.require_finite()
    return store


def resolve_layer(store: FeatureStore, layer: int | None) -> int:
    """The stored layer a run trains on (None: the last stored), checked against the store."""
    if layer is None or layer == -1:
        return store.layers[-1]
    if layer not in store.layers:
        raise EmoboxError(f"layer {layer} is not in {store.path} (stored: {store.layers})")
    return layer


def effective_recipe(recipe: Recipe, store: FeatureStore) -> Recipe:
    """The recipe as it runs on this store: handcrafted features (whose store says
    ``norm: standard``) are standardised per dimension instead of layer-normalised, since
    their dimensions are unrelated quantities."""
    if store.meta.get("norm") == "standard" and recipe.norm in ("utterance", "frame"):
        return recipe.with_(norm="standard")
    return recipe


def labelled(utts: Sequence[Utterance], keys: Sequence[str], store: FeatureStore, *,
             part: str, where: str, allow_missing: bool = False,
             allowed: set[str] | None = None) -> tuple[list[tuple[str, str]], int]:
    """(key, label) pairs of `keys` (optionally only labels in `allowed`). A key without
    features is an error naming it — unless `allow_missing`, when it is left out and counted.
    Returns the pairs and the number left out."""
    by_key = {u.key: u for u in utts}
    unknown = [k for k in keys if k not in by_key]
    if unknown:
        raise EmoboxError(f"{where}: {part} lists {unknown[0]!r}, which is not in the manifest "
                          f"({len(unknown)} unknown; partition again?)")
    pairs = [(k, by_key[k].label) for k in keys
             if allowed is None or by_key[k].label in allowed]
    missing = [k for k, _ in pairs if k not in store]
    if missing and not allow_missing:
        raise EmoboxError(f"{where}: {len(missing)} {part} utterance(s) have no features in "
                          f"{store.path} (e.g. {missing[0]!r}); extract them, or pass "
                          "--allow-missing to leave them out (counted in the results)")
    return [p for p in pairs if p[0] in store], len(missing)


def evaluate_and_store(db: ResultsDB | None, key: RunKey, trained: TrainedModel,
                       store: FeatureStore, test: Sequence[tuple[str, str]],
                       labels: Sequence[str], info: dict[str, Any] | None = None, *,
                       logits: np.ndarray | None = None,
                       raw_logits: np.ndarray | None = None,
                       head_of: RunKey | None = None) -> RunResult:
    """Predict `test` with the selected model, score it, and store the run under `key` with
    its per-utterance predictions and probabilities, its head, and every configuration's
    validation curve (each also under its own identity): the one path every protocol takes.
    `logits` (e.g. logit-adjusted, ``-inf`` where masked) replace the model's own, and
    `raw_logits` (the model's own, before an adjustment) are stored too, as the
    probabilities before adjustment (calibration before and after); a run with `head_of`
    reuses that run's head and curves instead of storing them again."""
    if logits is None:
        predicted, probs = trained.predict(store, [k for k, _ in test])
    else:
        probs = softmax(logits)
        predicted = [trained.labels[i] for i in logits.argmax(axis=1)]
    metrics = evaluate([y for _, y in test], predicted, labels)
    info = {"chosen": trained.config, "best_epoch": trained.epoch,
            "valid_ua": trained.valid_ua, "no_valid": trained.no_valid, "labels": list(labels),
            "curves": [c.to_dict() for c in trained.curves], **provenance(), **(info or {})}
    log.info("%s %s→%s fold %s: UA %.3f WA %.3f (run %s)", key.protocol, key.train_corpus,
             key.test_corpus, key.fold, metrics["ua"], metrics["wa"], key.id)
    if head_of is not None:
        info["head"] = head_of.id
    elif trained.train_seconds is not None:  # the sweep's cost, once per trained head
        info.update(train_seconds=trained.train_seconds, train_machine=trained.machine)
    if db is not None:
        if head_of is None:
            save_model(trained, db.heads_dir / key.id, run_id=key.id, run_key=key.to_dict(),
                       model=key.model, features=dict(key.features), corpus=key.train_corpus,
                       metrics={m: metrics[m] for m in ("ua", "wa", "macro_f1")})
        with db.transaction():
            db.add(key, metrics, info=info,
                   predictions=[(k, y, p, row.tolist(), None if raw is None else
                                 raw.tolist()) for (k, y), p, row, raw in
                                zip(test, predicted, probs, _rows(raw_logits, len(test)))])
            for curve in trained.curves if head_of is None else ():  # each under its identity
                db.add(config_key(key, curve.config),
                       {"valid_ua": max(curve.valid_ua, default=float("nan")),
                        "best_epoch": curve.best_epoch},
                       info={"curve": curve.to_dict(), "selected": curve.config ==
                             trained.config, "selected_run": key.id})
    return RunResult(key, metrics, info)


def _rows(logits: np.ndarray | None, n: int) -> Sequence[np.ndarray | None]:
    """The probabilities of each row of `logits`, or n Nones."""
    return [None] * n if logits is None else list(softmax(logits))


def provenance() -> dict[str, Any]:
    """When a run finished, and the git commit of emobox's checkout when there is one."""
    import time

    return {"finished": time.time(), "git": git_commit(), "status": "done"}


@lru_cache(maxsize=1)
def git_commit() -> str | None:
    """The commit of emobox's checkout (asked once per process), or None outside one."""
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, timeout=5).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def stored(db: ResultsDB | None, key: RunKey, *, head: bool = True) -> RunResult | None:
    """The finished run of `key` when the database has it (and, with `head`, its saved head):
    a rerun skips it."""
    if db is None:
        return None
    record = db.get(key)
    if record is None or (head and not (db.heads_dir / key.id / "config.json").is_file()):
        return None
    return RunResult(key, record.metrics, record.info)


def split_validation(utts: Sequence[Utterance], train: Sequence[tuple[str, str]],
                     valid: Sequence[tuple[str, str]], recipe: Recipe, *, seed: int,
                     speaker_disjoint: bool, no_valid: bool,
                     no_valid_why: str = "--no-valid"
                     ) -> tuple[list[tuple[str, str]], list[tuple[str, str]], str | None]:
    """The fold's validation set, never missing silently: with `no_valid` none (the last epoch
    is kept, and the run's note says so and why: `no_valid_why`); an empty one (e.g. folds
    imported from EmoBox's files) gets `recipe.valid_fraction` of train, speaker-disjoint where
    possible. Returns train, valid and a note."""
    if no_valid:
        return (list(train) + list(valid), [],
                f"no validation ({no_valid_why}): last epoch kept")
    if valid or not recipe.valid_fraction:
        return list(train), list(valid), None
    by_key = {u.key: u for u in utts}
    kept, held = validation_split([by_key[k] for k, _ in train], recipe.valid_fraction,
                                  seed=seed, speaker_disjoint=speaker_disjoint)
    held_set = set(held)
    return ([p for p in train if p[0] not in held_set], [p for p in train if p[0] in held_set],
            f"validation carved from train ({recipe.valid_fraction:.0%}, the fold had none)")


@dataclass
class IntraPlan:
    """Everything one corpus's intra-corpus runs need, loaded and checked up front."""

    corpus: str
    utts: list[Utterance]
    splits: Splits
    store: FeatureStore
    layer: int
    recipe: Recipe
    label_space: str

    @property
    def labels(self) -> list[str]:
        return sorted({u.label for u in self.utts})


def plan_intra(workspace: Workspace, corpora: Sequence[str], model: str, *, scheme: str,
               recipe: Recipe = EMOBOX, layer: int | None = None,
               label_space: str | None = None, protocol: str = "intra") -> list[IntraPlan]:
    """Load and check every corpus's manifest, splits and features before training anything."""
    space = resolve_label_space(protocol, recipe, label_space)
    plans = []
    for corpus in corpora:
        utts = corpus_manifest(workspace, corpus)
        if space != "native":
            utts = apply_label_space(utts, space)[0]
        splits = Splits.load(workspace.splits(corpus, scheme))
        store = open_store(workspace, model, corpus)
        plans.append(IntraPlan(corpus, utts, splits, store, resolve_layer(store, layer),
                               effective_recipe(recipe, store), space))
    return plans


def fold_units(recipe: Recipe) -> int:
    """Progress units of one fold: every configuration's every epoch."""
    return recipe.epochs * len(recipe.configs())


def run_intra(
    workspace: Workspace,
    corpus: str,
    model: str,
    *,
    scheme: str,
    recipe: Recipe = EMOBOX,
    label_space: str | None = None,
    layer: int | None = None,
    seed: int = 0,
    folds: Sequence[str] | None = None,
    db: ResultsDB | None = None,
    allow_missing: bool = False,
    no_valid: bool = False,
    resume: bool = True,
    protocol: str = "intra",
    context: dict[str, Any] | None = None,
    show_progress: bool = True,
    device: str | None = None,
) -> list[RunResult]:
    """Train the recipe's grid on every fold of `scheme` (or the `folds` named), select on
    validation, then test; returns per-fold results. With `resume`, folds already in the
    database are skipped (a killed grid rerun finishes the rest, adding no duplicates)."""
    plan = plan_intra(workspace, [corpus], model, scheme=scheme, recipe=recipe, layer=layer,
                      label_space=label_space, protocol=protocol)[0]
    labels = plan.labels
    chosen = list(plan.splits.folds.items())
    if folds is not None:
        unknown = [f for f in folds if f not in plan.splits.folds]
        if unknown:
            raise EmoboxError(f"{plan.corpus}: no fold {unknown[0]!r} in scheme "
                              f"{plan.splits.scheme} (folds: {', '.join(plan.splits.folds)})")
        chosen = [(f, plan.splits.folds[f]) for f in folds]
    units = fold_units(plan.recipe)
    results = []
    what = f"{protocol} {plan.corpus} · {model}" + (f" · layer {plan.layer}"
                                                   if protocol == "layers" else "")
    with progress_bar(what, len(chosen) * units, "config-epochs", show_progress) as bar:
        for name, fold in chosen:
            where = f"{plan.corpus} fold {name}"
            parts = {part: labelled(plan.utts, keys, plan.store, part=part, where=where,
                                    allow_missing=allow_missing)
                     for part, keys in fold.to_dict().items()}
            rule = LengthRule(plan.recipe, plan.utts, plan.store)
            parts = rule.parts(parts)
            if not parts["test"][0]:
                raise EmoboxError(f"{where}: the test split is empty")
            key = run_key(protocol, train=plan.corpus, test=plan.corpus, model=model,
                          features=plan.store.identity(), layer=plan.layer,
                          recipe=plan.recipe, scheme=plan.splits.scheme,
                          scheme_params=plan.splits.params, label_space=plan.label_space,
                          prior="none", fold=name, seed=seed, corpora=[plan.corpus],
                          labels=labels, no_valid=no_valid)
            if resume and (done := stored(db, key)) is not None:
                results.append(done)
                if bar is not None:
                    bar.advance(units)
                continue
            train, valid, note = split_validation(
                plan.utts, parts["train"][0], parts["valid"][0], plan.recipe, seed=seed,
                speaker_disjoint=plan.splits.speaker_independent, no_valid=no_valid)
            trained = train_sweep(plan.store, train, valid, plan.recipe, labels=labels,
                                  layer=plan.layer, seed=seed, device=device,
                                  on_epoch=_advancer(bar, len(plan.recipe.configs())))
            info = {"excluded_test": parts["test"][1],
                    "excluded_train": parts["train"][1] + parts["valid"][1],
                    "notes": [*plan.splits.notes, *([note] if note else []), *rule.notes()],
                    **({"config": context} if context else {})}
            results.append(evaluate_and_store(db, key, trained, plan.store, parts["test"][0],
                                              labels, info))
    return results


def _advancer(bar: Any, n: int) -> Any:
    """The `on_epoch` callback that advances `bar` by one epoch of `n` configurations."""
    return None if bar is None else (lambda: bar.advance(n))


#: EmoBox Table 5's corpora.
CROSS_DEFAULT = ("iemocap", "meld", "ravdess", "savee")


def ensure_balanced(workspace: Workspace, corpora: Sequence[str], name: str = "balanced"
                    ) -> str | None:
    """The test split of a cross-corpus grid: EmoBox's balanced track2 sets (built with the
    presets when missing) when every corpus has a preset; otherwise None (whole corpora)."""
    from emobox.partition.balanced import TRACK2, preset_test_set

    if not all(c in TRACK2 for c in corpora):
        return None
    for c in corpora:
        path = workspace.splits(c, name)
        if not path.is_file():
            chosen = preset_test_set(c, read_manifest(workspace.manifest(c)))
            Splits(name, {"1": Fold(train=[], valid=[], test=chosen.keys)},
                   {"preset": "track2", "labels": chosen.labels,
                    "selection": chosen.selection.to_dict()}).save(path)
    return name


def cross_labels(manifests: dict[str, list[Utterance]], labels: Sequence[str] | None
                 ) -> list[str]:
    """The labels of a cross-corpus grid: given ones, each checked to exist in every corpus;
    default the labels every corpus has (without `other`)."""
    have = {c: {u.label for u in m} for c, m in manifests.items()}
    if labels is None:
        labels = sorted(set.intersection(*have.values()) - {OTHER})
    else:
        labels = list(dict.fromkeys(labels))
        for label in labels:
            lacking = [c for c, present in have.items() if label not in present]
            if lacking:
                raise EmoboxError(f"label {label!r} is not in {', '.join(lacking)} (labels "
                                  f"there: {', '.join(sorted(have[lacking[0]]))})")
    if len(labels) < 2:
        raise EmoboxError(f"the corpora {', '.join(manifests)} share fewer than 2 labels "
                          f"({', '.join(labels) or 'none'})")
    return list(labels)


def run_cross(
    workspace: Workspace,
    corpora: Sequence[str],
    model: str,
    *,
    labels: Sequence[str] | None = None,
    label_space: str | None = None,
    test_split: str | None = None,
    recipe: Recipe = EMOBOX,
    layer: int | None = None,
    seed: int = 0,
    db: ResultsDB | None = None,
    allow_missing: bool = False,
    resume: bool = True,
    context: dict[str, Any] | None = None,
    show_progress: bool = True,
    device: str | None = None,
) -> list[RunResult]:
    """For every ordered pair (i, j), i ≠ j: train on the whole of corpus i (minus its
    validation split — its official one where it has one; its own test set is a test set only
    when it is tested on) and test on corpus j.

    `label_space` relabels every corpus first (default ``shared4``, EmoBox's cross-corpus
    space); `labels` defaults to the labels every corpus has. `test_split` names the splits
    file whose test keys are each corpus's test set (e.g. the balanced sets of `emobox
    balance`); default: all of the corpus."""
    if len(corpora) < 2:
        raise EmoboxError("cross-corpus needs at least two corpora")
    space = resolve_label_space("cross", recipe, label_space)
    manifests = {c: corpus_manifest(workspace, c) for c in corpora}
    if space != "native":
        manifests = {c: apply_label_space(m, space)[0] for c, m in manifests.items()}
    labels = cross_labels(manifests, labels)
    allowed = set(labels)
    tests = {c: [k for f in Splits.load(workspace.splits(c, test_split)).folds.values()
                 for k in f.test] if test_split else [u.key for u in manifests[c]]
             for c in corpora}
    stores = {c: open_store(workspace, model, c) for c in corpora}
    layers = {c: resolve_layer(stores[c], layer) for c in corpora}
    if len(set(layers.values())) > 1:
        raise EmoboxError(f"the stores hold different last layers ({layers}); pass --layer")
    layer = next(iter(layers.values()))
    recipes = {c: effective_recipe(recipe, stores[c]) for c in corpora}
    rules = {c: LengthRule(recipes[c], manifests[c], stores[c]) for c in corpora}
    test_sets = {}
    for c in corpora:  # check every test set before training anything
        test_sets[c] = labelled(manifests[c], tests[c], stores[c], part="test",
                                where=f"{c} (cross-corpus test)", allow_missing=allow_missing,
                                allowed=allowed)
        test_sets[c] = rules[c].parts({"test": test_sets[c]})["test"]
        if not test_sets[c][0]:
            raise EmoboxError(f"{c}: no test utterance in the labels {', '.join(labels)}")

    def cross_key(source: str, target: str) -> RunKey:
        return run_key("cross", train=source, test=target, model=model,
                       features=stores[target].identity(), layer=layer,
                       recipe=recipes[source], scheme="cross",
                       scheme_params={"test_split": test_split or "whole corpus"},
                       label_space=space, prior="none", fold="all", seed=seed,
                       corpora=corpora, labels=labels)

    results = []
    units = fold_units(recipe)
    with progress_bar(f"cross {len(corpora)} corpora · {model}", len(corpora) * units,
                      "config-epochs", show_progress) as bar:
        for source in corpora:
            done = [stored(db, cross_key(source, t)) if resume else None
                    for t in corpora if t != source]
            if all(d is not None for d in done):
                results += done
                if bar is not None:
                    bar.advance(units)
                continue
            utts = [u for u in manifests[source] if u.label in allowed]  # all of it (issue 20)
            official = set(official_validation(utts, source))
            if official:  # the corpus's own validation split (MELD dev, M3ED, MSP-Podcast)
                train_keys = [u.key for u in utts if u.key not in official]
                valid_keys = [u.key for u in utts if u.key in official]
            else:
                train_keys, valid_keys = validation_split(utts, recipe.valid_fraction,
                                                          seed=seed, speaker_disjoint=True)
            where = f"{source} (cross-corpus training)"
            train, n_train = labelled(utts, train_keys, stores[source], part="train",
                                      where=where, allow_missing=allow_missing)
            valid, n_valid = labelled(utts, valid_keys, stores[source], part="valid",
                                      where=where, allow_missing=allow_missing)
            train, valid = rules[source].keep(train, "train"), rules[source].keep(valid, "valid")
            missing = sorted(allowed - {y for _, y in train})
            if missing:
                raise EmoboxError(f"{source}: no training utterance of {', '.join(missing)}")
            trained = train_sweep(stores[source], train, valid, recipes[source], labels=labels,
                                  layer=layer, seed=seed, device=device,
                                  on_epoch=_advancer(bar, len(recipe.configs())))
            for target in corpora:
                if target == source:
                    continue
                test, n_missing = test_sets[target]
                info = {"excluded_test": n_missing, "excluded_train": n_train + n_valid,
                        "notes": [*rules[source].notes("train", "valid"),
                                  *rules[target].notes("test")],
                        **({"config": context} if context else {})}
                results.append(evaluate_and_store(db, cross_key(source, target), trained,
                                                  stores[target], test, labels, info))
    return results


def run_layers(workspace: Workspace, corpus: str, model: str, *, scheme: str,
               recipe: Recipe = EMOBOX, label_space: str | None = None, seed: int = 0,
               folds: Sequence[str] | None = None, db: ResultsDB | None = None,
               resume: bool = True, allow_missing: bool = False, no_valid: bool = False,
               context: dict[str, Any] | None = None,
               show_progress: bool = True, device: str | None = None) -> list[RunResult]:
    """Every layer of one extraction (EmoBox evaluated only the last), from what the store
    holds: a linear probe of every layer on its pooled statistics (seconds per layer), then
    the full recipe on each layer whose frames are stored; one result per (layer, fold),
    protocol ``layers``."""
    results = probe_layers(workspace, corpus, model, scheme=scheme, label_space=label_space,
                           recipe=recipe, seed=seed, folds=folds, db=db, resume=resume,
                           allow_missing=allow_missing, context=context)
    for layer in open_store(workspace, model, corpus).layers:
        results += run_intra(workspace, corpus, model, scheme=scheme, recipe=recipe,
                             label_space=label_space, layer=layer, seed=seed, folds=folds,
                             db=db, resume=resume, allow_missing=allow_missing,
                             no_valid=no_valid, protocol="layers", context=context,
                             show_progress=show_progress, device=device)
    return results


def probe_layers(workspace: Workspace, corpus: str, model: str, *, scheme: str,
                 label_space: str | None, recipe: Recipe, seed: int,
                 folds: Sequence[str] | None, db: ResultsDB | None, resume: bool,
                 allow_missing: bool, context: dict[str, Any] | None) -> list[RunResult]:
    """The linear probe (`train.probe`) of every pooled layer on every fold: train on the
    fold's train and valid parts, test on its test part."""
    from emobox.train.probe import PROBE, linear_probe

    plan = plan_intra(workspace, [corpus], model, scheme=scheme, recipe=recipe,
                      label_space=label_space, protocol="layers")[0]
    labels = plan.labels
    chosen = [(f, plan.splits.folds[f]) for f in (folds or plan.splits.folds)]
    results = []
    for layer in plan.store.pooled_layers:
        for name, fold in chosen:
            where = f"{corpus} fold {name} (probe)"
            train = [p for part in ("train", "valid") for p in labelled(
                plan.utts, getattr(fold, part), plan.store, part=part, where=where,
                allow_missing=allow_missing)[0]]
            test, missing = labelled(plan.utts, fold.test, plan.store, part="test",
                                     where=where, allow_missing=allow_missing)
            key = run_key("layers", train=corpus, test=corpus, model=model,
                          features=plan.store.identity(), layer=layer, recipe=PROBE,
                          scheme=plan.splits.scheme, scheme_params=plan.splits.params,
                          label_space=plan.label_space, prior="none", fold=name, seed=seed,
                          corpora=[corpus], labels=labels)
            if resume and db is not None and (done := db.get(key)) is not None:
                results.append(RunResult(key, done.metrics, done.info))
                continue
            by_key = dict(train + test)
            probe = linear_probe(plan.store, [k for k, _ in train], [k for k, _ in test], layer,
                                 by_key, seed)
            metrics = evaluate([y for _, y in test], [probe["predictions"][k] for k, _ in test],
                               labels)
            info = {"labels": labels, "excluded_test": missing, "seconds": probe["seconds"],
                    "notes": [*plan.splits.notes, "linear probe on pooled mean+std"],
                    **provenance(), **({"config": context} if context else {})}
            if db is not None:
                db.add(key, metrics, info=info, predictions=[
                    (k, y, probe["predictions"][k]) for k, y in test])
            results.append(RunResult(key, metrics, info))
    return results
