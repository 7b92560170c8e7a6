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

from emobox.corpora.core.local import corpus_info
from emobox.errors import EmoboxError
from emobox.labels import OTHER, SERVAL8, apply_label_space
from emobox.manifest import read_manifest
from emobox.partition import Splits, default_scheme, partition
from emobox.progress import track
from emobox.runs.key import RunKey
from emobox.runs.protocols import (
    RunResult,
    effective_recipe,
    evaluate_and_store,
    labelled,
    open_store,
    resolve_layer,
    split_validation,
    stored,
)
from emobox.runs.results import ResultsDB
from emobox.train.adjust import adjust_logits, class_prior, softmax, target_prior
from emobox.train.recipe import SERVAL, Recipe
from emobox.train.sweep import train_sweep
from emobox.workspace import Workspace

SERVAL_SEED = 34


def serval_splits(workspace: Workspace, corpus: str, utts) -> Splits:
    """SER Evals' random 80/20 split (seed 34), saved as ``splits/serval.json``."""
    path = workspace.splits(corpus, "serval")
    if path.is_file():
        return Splits.load(path)
    splits = partition(utts, "random", seed=SERVAL_SEED, valid_fraction=0.2, test_fraction=0.2)
    splits.scheme = "serval"
    splits.notes.append("SER Evals' random 80/20 utterance split (seed 34): not "
                        "speaker-independent")
    splits.save(path)
    return splits


def run_ood(
    workspace: Workspace,
    corpora: Sequence[str],
    model: str,
    *,
    recipe: Recipe = SERVAL,
    prior: str = "oracle",
    use_serval_splits: bool = False,
    layer: int | None = None,
    seed: int = 0,
    db: ResultsDB | None = None,
    allow_missing: bool = False,
    resume: bool = True,
    context: dict | None = None,
    show_progress: bool = True,
) -> list[RunResult]:
    """The in-domain / out-of-domain matrix of `corpora` (runs of protocol ``ood``)."""
    if prior not in ("oracle", "uniform", "em", "none"):
        raise EmoboxError(f"--prior must be oracle, uniform, em or none, not {prior!r}")
    classes = list(SERVAL8)
    manifests, splits, stores, clusters = {}, {}, {}, {}
    for c in corpora:  # everything checked before training
        utts = apply_label_space(read_manifest(workspace.manifest(c)), "serval8")[0]
        manifests[c] = utts
        if use_serval_splits:
            splits[c] = serval_splits(workspace, c, utts)
        else:
            splits[c] = Splits.load(workspace.splits(c, default_scheme(c)))
        stores[c] = open_store(workspace, model, c)
        clusters[c] = corpus_info(workspace, c).serval_cluster
    layers = {c: resolve_layer(stores[c], layer) for c in corpora}
    results = []
    for source in track(corpora, "ood") if show_progress else corpora:
        store, fold_name = stores[source], next(iter(splits[source].folds))
        fold = splits[source].folds[fold_name]
        recipe_s = effective_recipe(recipe, store)
        targets = [t for t in corpora if t != source and clusters[source]
                   and clusters[t] == clusters[source]]

        common = {"protocol": "ood", "train_corpus": source, "model": model,
                  "layer": layers[source], "recipe": recipe_s.id,
                  "hparams": recipe_s.hparams(), "scheme": splits[source].scheme,
                  "scheme_params": splits[source].params, "label_space": "serval8",
                  "fold": fold_name, "seed": seed}
        keys = {t: RunKey(test_corpus=t, features=stores[t].identity(),
                          prior="none" if t == source else prior, **common)
                for t in [source, *targets]}
        done = {t: stored(db, k, head=t == source) if resume else None
                for t, k in keys.items()}
        if all(d is not None for d in done.values()):
            results += list(done.values())
            continue
        where = f"{source} (ood) fold {fold_name}"
        parts = {p: labelled(manifests[source], keys_, store, part=p, where=where,
                             allow_missing=allow_missing) for p, keys_ in fold.to_dict().items()}
        train, valid, note = split_validation(
            manifests[source], parts["train"][0], parts["valid"][0], recipe_s, seed=seed,
            speaker_disjoint=splits[source].speaker_independent, no_valid=False)
        trained = train_sweep(store, train, valid, recipe_s, labels=classes,
                              layer=layers[source], seed=seed)
        train_prior = class_prior([y for _, y in train], classes)
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
                logits = trained.logits(stores[target], [k for k, _ in test])
                present = {y for _, y in test}
                mask = np.array([c in present and c != OTHER for c in classes])
                probs = softmax(np.where(train_prior > 0, logits, -np.inf))
                target_p = target_prior(prior, classes=classes,
                                        test_labels=[y for _, y in test], probs=probs,
                                        train_prior=train_prior)
                adjusted = adjust_logits(logits, train_prior, target_p, mask=mask)
            info = {"in_domain": target == source,
                    "notes": [*splits[source].notes, *([note] if note else [])],
                    **({"config": context} if context else {})}
            results.append(evaluate_and_store(
                db, key, trained, stores[target], test, classes, info, logits=adjusted,
                head_of=None if target == source else keys[source]))
    return results

