"""SER Evals' protocol (its Table 3): every corpus in the unified 8-class space; a model trained
on each corpus is scored in-domain on that corpus's test split, and out-of-domain — zero-shot,
on the whole target corpus — on every other corpus of its eligibility cluster
(`CorpusInfo.serval_cluster`; serval.md §2.3), with logit adjustment.

Out-of-domain scoring follows serval.md §2.7 with its hazard removed: target utterances
labelled ``other`` are left out, and ``other``, classes outside the target's label set and
classes without training data are masked (never predicted) before the argmax; the prior is
``oracle`` (the target's label frequencies, what SER Evals does), ``uniform``, ``em`` or
``none``. In-domain scoring keeps ``other`` as an ordinary class and adjusts nothing.

Splits: our speaker-independent partitions by default (the corpus's default scheme, its
first fold); ``serval_splits`` uses SER Evals' random 80/20 utterance split with seed 34,
which is not speaker-independent (the run says so in its scheme).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from emobox.corpora.core.local import corpus_info, corpus_manifest
from emobox.errors import EmoboxError
from emobox.labels import OTHER, apply_label_space, get_label_space
from emobox.partition import Splits, default_scheme, partition
from emobox.progress import progress_bar
from emobox.runs.identity import run_key
from emobox.runs.protocols import (
    RunResult,
    effective_recipe,
    evaluate_and_store,
    fold_units,
    labelled,
    open_store,
    resolve_layer,
    split_validation,
    stored,
)
from emobox.runs.results import ResultsDB
from emobox.runs.spec import resolve_label_space
from emobox.train.adjust import PRIORS, adjust_logits, ood_logits
from emobox.train.lengths import LengthRule
from emobox.train.recipe import SERVAL, Recipe
from emobox.train.sweep import train_sweep
from emobox.workspace import Workspace

SERVAL_SEED = 34


def serval_splits(workspace: Workspace, corpus: str, utts) -> Splits:
    """SER Evals' random 80/20 split (seed 34), saved as ``splits/serval.json``."""
    path = workspace.splits(corpus, "serval")
    if path.is_file():
        return Splits.load(path)
    splits = partition(utts, "random", seed=SERVAL_SEED, valid_fraction=0.0, test_fraction=0.2)
    splits.scheme = "serval"
    splits.notes.append("SER Evals' random 80/20 utterance split (seed 34): not "
                        "speaker-independent; trained on the whole 80 %, the last epoch kept")
    splits.save(path)
    return splits


def run_ood(
    workspace: Workspace,
    corpora: Sequence[str],
    model: str,
    *,
    recipe: Recipe = SERVAL,
    prior: str = "oracle",
    scheme: str | None = None,
    layer: int | None = None,
    seed: int = 0,
    db: ResultsDB | None = None,
    allow_missing: bool = False,
    resume: bool = True,
    context: dict | None = None,
    show_progress: bool = True,
    device: str | None = None,
) -> list[RunResult]:
    """The in-domain / out-of-domain matrix of `corpora` (runs of protocol ``ood``); the
    in-domain splits are each corpus's default scheme, or `scheme` (``serval``: SER Evals'
    random 80/20 split)."""
    if prior not in PRIORS:
        raise EmoboxError(f"--prior must be one of {', '.join(PRIORS)}, not {prior!r}")
    space = resolve_label_space("ood", recipe)
    classes = list(get_label_space(space).labels)
    manifests, splits, stores, clusters = {}, {}, {}, {}
    for c in corpora:  # everything checked before training
        utts = apply_label_space(corpus_manifest(workspace, c), space)[0]
        manifests[c] = utts
        if scheme == "serval":
            splits[c] = serval_splits(workspace, c, utts)
        else:
            splits[c] = Splits.load(workspace.splits(c, scheme or default_scheme(c)))
        stores[c] = open_store(workspace, model, c)
        clusters[c] = corpus_info(workspace, c).serval_cluster
    layers = {c: resolve_layer(stores[c], layer) for c in corpora}
    results = []
    units = fold_units(recipe)
    with progress_bar(f"ood {len(corpora)} corpora · {model}", len(corpora) * units,
                      "config-epochs", show_progress) as bar:
        for source in corpora:
            results += _ood_row(workspace, source, corpora, model, recipe=recipe, prior=prior,
                                scheme=scheme,
                                space=space, classes=classes, manifests=manifests,
                                splits=splits, stores=stores, clusters=clusters,
                                layers=layers, seed=seed, db=db, allow_missing=allow_missing,
                                resume=resume, context=context, bar=bar, units=units,
                                device=device)
    return results


def _ood_row(workspace: Workspace, source: str, corpora: Sequence[str], model: str, *,
             recipe: Recipe, prior: str, scheme: str | None, space: str, classes: list[str],
             manifests: dict, splits: dict, stores: dict, clusters: dict, layers: dict, seed: int,
             db: ResultsDB | None, allow_missing: bool, resume: bool, context: dict | None,
             bar, units: int, device: str | None = None) -> list[RunResult]:
    """One training corpus: its in-domain cell and its out-of-domain cells."""
    store, fold_name = stores[source], next(iter(splits[source].folds))
    fold = splits[source].folds[fold_name]
    recipe_s = effective_recipe(recipe, store)
    targets = [t for t in corpora if t != source and clusters[source]
               and clusters[t] == clusters[source]]
    keys = {t: run_key("ood", train=source, test=t, model=model,
                       features=stores[t].identity(), layer=layers[source], recipe=recipe_s,
                       scheme=scheme or "default",
                       scheme_params={"scheme": splits[source].scheme, **splits[source].params},
                       label_space=space, prior="none" if t == source else prior,
                       fold=fold_name, seed=seed, corpora=corpora, labels=classes)
            for t in [source, *targets]}
    done = {t: stored(db, k, head=t == source) if resume else None for t, k in keys.items()}
    if all(d is not None for d in done.values()):
        if bar is not None:
            bar.advance(units)
        return list(done.values())
    where = f"{source} (ood) fold {fold_name}"
    parts = {p: labelled(manifests[source], keys_, store, part=p, where=where,
                         allow_missing=allow_missing) for p, keys_ in fold.to_dict().items()}
    rule = LengthRule(recipe_s, manifests[source], store)
    parts = rule.parts(parts)
    train, valid, note = split_validation(
        manifests[source], parts["train"][0], parts["valid"][0], recipe_s, seed=seed,
        speaker_disjoint=splits[source].speaker_independent, no_valid=scheme == "serval",
        no_valid_why="--serval-splits, as SER Evals trains")
    trained = train_sweep(store, train, valid, recipe_s, labels=classes, layer=layers[source],
                          seed=seed, device=device, on_epoch=None if bar is None else
                          (lambda: bar.advance(len(recipe_s.configs()))))
    results = []
    for target, key in keys.items():
        if target == source:
            test = parts["test"][0]
            logits = trained.logits(store, [k for k, _ in test])
            adjusted = adjust_logits(logits, np.ones(len(classes)), None)
        else:
            test = [(u.key, u.label) for u in manifests[target] if u.label != OTHER]
            test, _ = labelled(manifests[target], [k for k, _ in test], stores[target],
                               part="test", where=f"{target} (ood target)",
                               allow_missing=allow_missing)
            test = LengthRule(recipe_s, manifests[target], stores[target]).keep(test, "test")
            logits = trained.logits(stores[target], [k for k, _ in test])
            adjusted = ood_logits(logits, prior, recipe_s, classes, other=OTHER,
                                  train=[y for _, y in train], test=[y for _, y in test],
                                  source=[u.label for u in manifests[source]],
                                  target=[u.label for u in manifests[target]])
        info = {"in_domain": target == source, "clusters": clusters,
                "notes": [*splits[source].notes, *([note] if note else []), *rule.notes()],
                **({"config": context} if context else {})}
        results.append(evaluate_and_store(
            db, key, trained, stores[target], test, classes, info, logits=adjusted,
            raw_logits=None if target == source else logits,
            head_of=None if target == source else keys[source]))
    return results
