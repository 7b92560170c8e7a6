"""The two protocols as their reference code runs them (issue 20): EmoBox's lr stepping and
gradient clipping, utterances over 30 s left out (EmoBox) or cut (SER Evals), cross-corpus
training on the whole corpus, SER Evals' 80 % in-domain training and its priors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from emobox.features.store import FeatureStore
from emobox.manifest import Utterance, write_manifest
from emobox.partition import Fold, Splits, partition
from emobox.runs import run_intra
from emobox.runs.protocols import run_cross
from emobox.train import StackedHeads, class_prior, get_recipe, train_sweep
from emobox.train.adjust import ood_logits
from emobox.train.optim import clip_per_config
from emobox.workspace import Workspace

LABELS = ("Angry", "Happy", "Neutral", "Sad")


def corpus(ws: Workspace, name: str, *, speakers=("DC", "JE", "JK", "KL"), per=6,
           lengths=None, frames=5, frame_rate=None, seed=0) -> list[Utterance]:
    """A corpus whose label shifts one feature dimension; `lengths` {key: seconds}."""
    rng = np.random.default_rng(seed)
    lengths = lengths or {}
    utts = [Utterance(key=f"{name}-{s}-{lab}{i}", dataset=name, wav=f"{s}/{lab}{i}.wav",
                      emo=lab, label=lab, speaker=s,
                      length=lengths.get(f"{name}-{s}-{lab}{i}", 2.0))
            for s in speakers for lab in LABELS for i in range(per)]
    write_manifest(ws.manifest(name), utts)
    with FeatureStore.create(ws.features("toy", name), model="toy", layers=[0], dim=4,
                             frame_rate=frame_rate) as w:
        for u in utts:
            x = rng.normal(size=(1, frames, 4)).astype(np.float32)
            x[..., LABELS.index(u.label)] += 3
            w.add(u.key, x)
    return utts


# -- 1. EmoBox's lr schedule, in the sweep -------------------------------------------------

def test_emobox_epoch_2_trains_at_lr_0(tmp_path):
    """Epoch 2 runs at lr 0 in EmoBox: two epochs leave the head where one left it."""
    ws = Workspace(tmp_path)
    utts = corpus(ws, "savee")
    store = FeatureStore.open(ws.features("toy", "savee"))
    pairs = [(u.key, u.label) for u in utts]
    heads = [train_sweep(store, pairs, [], get_recipe("emobox", epochs=e, grid=()),
                         labels=LABELS, layer=0).head for e in (1, 2, 3)]
    one, two, three = ([p.detach().clone() for p in h.trainable()] for h in heads)
    assert all(torch.equal(a, b) for a, b in zip(one, two))
    assert not all(torch.equal(a, b) for a, b in zip(two, three))


# -- 2. gradient clipping per configuration --------------------------------------------------

def test_clip_per_config_is_clip_grad_norm_of_each_configuration():
    torch.manual_seed(0)
    stacked = StackedHeads("emobox", 4, 3, [8, 8])
    x, mask = torch.randn(5, 7, 4), torch.ones(5, 7, dtype=torch.bool)
    (stacked(x, mask) * torch.tensor([100.0, 0.01])[:, None, None]).sum().backward()
    params = stacked.trainable()
    alone = []
    for k in range(2):  # each configuration as its own model, clipped by torch
        copies = [torch.nn.Parameter(p.detach()[k].clone()) for p in params]
        for c, p in zip(copies, params):
            c.grad = p.grad[k].clone()
        torch.nn.utils.clip_grad_norm_(copies, 5.0)
        alone.append([c.grad for c in copies])
    norms = [torch.sqrt(sum(p.grad[k].pow(2).sum() for p in params)) for k in range(2)]
    assert norms[0] > 5.0 > norms[1]  # one clipped, one not
    clip_per_config(params, 5.0)
    for k in range(2):
        for p, g in zip(params, alone[k]):
            torch.testing.assert_close(p.grad[k], g)


# -- 3. and 11. utterances over 30 s -------------------------------------------------------

def test_emobox_recipe_leaves_long_utterances_out_of_every_part(tmp_path):
    ws = Workspace(tmp_path)
    long = {"savee-DC-Angry0": 31.0, "savee-JE-Sad1": 30.5, "savee-KL-Happy2": 45.0}
    utts = corpus(ws, "savee", lengths={**long, "savee-JK-Sad0": 30.0})  # 30.0 s is kept
    splits = partition(utts, "emobox", corpus="savee")
    splits.save(ws.splits("savee", "emobox"))
    recipe = get_recipe("emobox", epochs=2, grid=())
    results = run_intra(ws, "savee", "toy", scheme="emobox", recipe=recipe,
                        show_progress=False)
    for r in results:  # every long utterance is in some fold's train and some fold's test
        test = set(splits.folds[r.fold].test)
        assert r.metrics["n"] == len(test - set(long))
        n_long = len(set(long) - {"savee-JK-Sad0"})
        assert any(n.startswith(f"{n_long} utterance(s) over 30 s left out") and "train" in n
                   for n in r.info["notes"])
    kept = run_intra(ws, "savee", "toy", scheme="emobox", folds=["1"], show_progress=False,
                     recipe=recipe.with_(long_utterances="keep"))
    assert kept[0].metrics["n"] == len(splits.folds["1"].test)


def test_long_utterances_by_frames_when_the_manifest_has_no_length(tmp_path):
    from emobox.train.lengths import LengthRule

    ws = Workspace(tmp_path)
    utts = corpus(ws, "savee", per=1, frames=40, frame_rate=1.0)  # 40 s each at 1 frame/s
    for u in utts:
        u.length = 0.0
    store = FeatureStore.open(ws.features("toy", "savee"))
    rule = LengthRule(get_recipe("emobox"), utts, store)
    assert rule.keep([(u.key, u.label) for u in utts], "train") == []
    assert rule.notes() == [f"{len(utts)} utterance(s) over 30 s left out (train "
                            f"{len(utts)}), as EmoBox's feature extraction skips them"]


def test_serval_recipe_cuts_to_the_first_30_s_of_frames(tmp_path):
    """Training and scoring on utterances of 40 frames at 1 frame/s equal training and
    scoring on their first 30 frames."""
    rng = np.random.default_rng(0)
    keys = [f"k{i}" for i in range(24)]
    labels = ["Angry", "Sad"] * 12
    data = {k: rng.normal(size=(1, 40, 4)).astype(np.float32) for k in keys}
    stores = {}
    for name, n in (("long", 40), ("cut", 30)):
        with FeatureStore.create(tmp_path / name, model="toy", layers=[0], dim=4,
                                 frame_rate=1.0) as w:
            for k in keys:
                w.add(k, data[k][:, :n])
        stores[name] = FeatureStore.open(tmp_path / name)
    recipe = get_recipe("serval", epochs=2, hidden=8, drop_last=False)
    pairs = list(zip(keys, labels))
    models = {n: train_sweep(s, pairs[:16], [], recipe, labels=["Angry", "Sad"], layer=0)
              for n, s in stores.items()}
    for a, b in zip(models["long"].head.trainable(), models["cut"].head.trainable()):
        torch.testing.assert_close(a, b)
    np.testing.assert_allclose(models["long"].logits(stores["long"], keys[16:]),
                               models["cut"].logits(stores["cut"], keys[16:]), rtol=1e-5)
    whole = train_sweep(stores["long"], pairs[:16], [], recipe.with_(long_utterances="keep"),
                        labels=["Angry", "Sad"], layer=0)
    assert not np.allclose(whole.logits(stores["long"], keys[16:]),
                           models["cut"].logits(stores["cut"], keys[16:]))


# -- 4. cross-corpus training on the whole training corpus ---------------------------------

def test_cross_trains_on_a_corpus_whose_balanced_set_holds_whole_classes(tmp_path):
    """SAVEE's balanced set holds all its Angry, Happy and Sad clips; it is still trained on."""
    ws = Workspace(tmp_path)
    savee = corpus(ws, "savee", seed=1)
    ravdess = corpus(ws, "ravdess", speakers=("01", "02", "03", "04", "05", "06"), per=3)
    for name, utts in (("savee", savee), ("ravdess", ravdess)):
        test = [u.key for u in utts if u.label != "Neutral" or name == "ravdess"]
        Splits("balanced", {"1": Fold(train=[], valid=[], test=test)}).save(
            ws.splits(name, "balanced"))
    results = run_cross(ws, ["ravdess", "savee"], "toy", test_split="balanced",
                        recipe=get_recipe("emobox", epochs=3, grid=()), show_progress=False)
    cells = {(r.train_corpus, r.test_corpus): r for r in results}
    assert set(cells) == {("ravdess", "savee"), ("savee", "ravdess")}
    assert cells[("ravdess", "savee")].metrics["n"] == 3 * 4 * 6  # its balanced set


# -- 9. SER Evals' in-domain split: the whole 80 % -----------------------------------------

def test_serval_splits_train_on_the_whole_80_percent(tmp_path, monkeypatch):
    import emobox.runs.ood as ood

    ws = Workspace(tmp_path)
    corpus(ws, "emovo", speakers=("f1", "f2", "m1", "m2"), per=5)
    sizes = []
    original = ood.train_sweep

    def sweep(store, train, valid, recipe, **kw):
        sizes.append((len(train), len(valid)))
        return original(store, train, valid, recipe, **kw)

    monkeypatch.setattr(ood, "train_sweep", sweep)
    results = ood.run_ood(ws, ["emovo"], "toy", recipe=get_recipe("serval", epochs=1, hidden=8),
                          scheme="serval", show_progress=False)
    assert sizes == [(64, 0)] and results[0].metrics["n"] == 16  # 80 utterances: 64 / 16
    assert results[0].info["no_valid"]


# -- 10. priors of the logit adjustment ----------------------------------------------------

CLASSES = ["happiness", "sadness", "surprise", "anger", "other"]


def test_serval_oracle_prior_is_each_whole_corpus_on_both_sides():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(50, 5))
    train = ["happiness"] * 6 + ["sadness"] * 2 + ["anger"] * 2  # the 80 % split
    source = train + ["sadness"] * 8 + ["other"] * 5  # the whole corpus
    test = ["happiness", "sadness", "surprise", "anger"] * 3
    target = test + ["other"] * 4 + ["surprise"] * 6
    got = ood_logits(logits, "oracle", get_recipe("serval"), CLASSES, train=train, test=test,
                     source=source, target=target, other="other")
    seen = [0, 1, 3]  # surprise never trained on, other never predicted: masked

    def adjusted(src, tgt):
        return logits[:, seen] - np.log(class_prior(src, CLASSES)[seen]) \
            + np.log(class_prior(tgt, CLASSES)[seen])

    np.testing.assert_allclose(got[:, seen], adjusted(source, target))
    assert np.isneginf(got[:, [2, 4]]).all()
    split = ood_logits(logits, "oracle", get_recipe("emobox"), CLASSES, train=train, test=test,
                       source=source, target=target, other="other")
    np.testing.assert_allclose(split[:, seen], adjusted(train, test))


def test_unseen_classes_epsilon_is_serval_exactly():
    """SER Evals' log(pi + 1e-12): a class absent from the source gets +27.6 (its MESD row
    predicts surprise for every clip); only `other` is pushed down."""
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(200, 5))
    source = ["happiness", "sadness", "anger"] * 10
    target = ["happiness", "sadness", "surprise", "anger"] * 5
    recipe = get_recipe("serval", unseen_classes="epsilon")
    got = ood_logits(logits, "oracle", recipe, CLASSES, train=source, test=target,
                     source=source, target=target, other="other")
    pi_s, pi_t = class_prior(source, CLASSES), class_prior(target, CLASSES)
    np.testing.assert_allclose(got[:, :4], (logits - np.log(pi_s + 1e-12)
                                            + np.log(pi_t + 1e-12))[:, :4])
    assert np.isneginf(got[:, 4]).all() and set(got.argmax(1)) == {2}
    masked = ood_logits(logits, "oracle", get_recipe("serval"), CLASSES, train=source,
                        test=target, source=source, target=target, other="other")
    assert 2 not in masked.argmax(1)


@pytest.mark.parametrize("prior", ["uniform", "none", "em"])
def test_other_priors_take_the_training_split(prior):
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(30, 5))
    train = ["happiness", "sadness", "anger"] * 4
    kw = dict(train=train, test=["happiness", "anger"] * 5, source=train + ["other"] * 9,
              target=["happiness"] * 20, other="other")
    a = ood_logits(logits, prior, get_recipe("serval"), CLASSES, **kw)
    b = ood_logits(logits, prior, get_recipe("emobox"), CLASSES, **kw)
    np.testing.assert_array_equal(a, b)
