"""Training: recipes, stacked heads, the concurrent sweep and its selection, schedules and the
optimiser against torch's, validation never missing silently, test data read only after
selection, determinism."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from emobox.errors import EmoboxError
from emobox.features.store import FeatureStore
from emobox.train import (
    StackedHeads,
    get_recipe,
    masked_mean,
    parse_grid,
    train_head,
    train_sweep,
)
from emobox.train.optim import (
    StackedAdam,
    linear_warmup,
    onecycle,
    speechbrain_linear_warmup,
)


def make_store(path, n=160, dim=6, layers=(0, 1, 2), seed=0, shift=1.5):
    """Two classes whose frame means differ along one dimension (stronger in later layers),
    variable lengths."""
    rng = np.random.default_rng(seed)
    pairs = []
    with FeatureStore.create(path, model="toy", layers=list(layers), dim=dim) as w:
        for i in range(n):
            label = "AB"[i % 2]
            x = rng.normal(size=(len(layers), int(rng.integers(3, 12)), dim)).astype(np.float32)
            for li in range(len(layers)):
                x[li, :, 0] += (shift * li / (len(layers) - 1)) * (1 if label == "A" else -1)
            w.add(f"k{i:03d}", x)
            pairs.append((f"k{i:03d}", label))
    return FeatureStore.open(path), pairs


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return make_store(tmp_path_factory.mktemp("toy") / "store")


def test_masked_mean_ignores_padding():
    x = torch.tensor([[[1.0], [3.0], [100.0]], [[2.0], [4.0], [6.0]]])
    mask = torch.tensor([[True, True, False], [True, True, True]])
    assert masked_mean(x, mask).squeeze(-1).tolist() == [2.0, 4.0]


@pytest.mark.parametrize("kind", ["emobox", "frame-mlp", "linear"])
def test_heads_ignore_padding_and_match_a_standalone_config(kind):
    torch.manual_seed(0)
    heads = StackedHeads(kind, 4, 3, [8, 16]).eval()
    x = torch.randn(1, 5, 4)
    padded = torch.cat([x, torch.full((1, 3, 4), 50.0)], dim=1)
    mask = torch.tensor([[True] * 5 + [False] * 3])
    torch.testing.assert_close(heads(x, torch.ones(1, 5, dtype=torch.bool)), heads(padded, mask))
    alone = StackedHeads(kind, 4, 3, [16]).eval()  # config 1 of the stack, on its own
    torch.testing.assert_close(heads(x, mask[:, :5])[1], alone(x, mask[:, :5])[0])


def test_frame_mlp_is_serval_improved_mlp_head():
    """Linear → LayerNorm → GELU → (dropout) → Linear on every frame, logits averaged."""
    torch.manual_seed(0)
    heads = StackedHeads("frame-mlp", 6, 8, [512]).eval()
    assert sum(p[0].numel() for p in heads.trainable()) == 6 * 512 + 512 + 2 * 512 + 512 * 8 + 8
    x = torch.randn(2, 4, 6)
    mask = torch.ones(2, 4, dtype=torch.bool)
    w1, b1, g, b, w2, b2 = (p[0] for p in heads.trainable())
    frames = torch.nn.functional.gelu(torch.nn.functional.layer_norm(x @ w1 + b1, (512,), g, b))
    expected = (frames @ w2 + b2).mean(1)
    torch.testing.assert_close(heads(x, mask)[0], expected, rtol=1e-4, atol=1e-5)


def test_recipes_follow_the_papers():
    emobox, serval = get_recipe("emobox"), get_recipe("serval")
    assert (emobox.optimizer, emobox.weight_decay, emobox.batch_size, emobox.epochs,
            emobox.warmup_epochs, emobox.norm, emobox.select) == \
        ("adam", 0.0, 32, 100, 10, "utterance", "best")
    assert [(c["lr"], c["hidden"]) for c in emobox.configs()] == [
        (1e-3, 128), (1e-3, 256), (1e-4, 128), (1e-4, 256)]
    # issue 20: SpeechBrain's max_grad_norm 5, utterances over 30 s left out / cut
    assert (emobox.id, emobox.grad_clip, emobox.max_seconds, emobox.long_utterances) == \
        ("emobox-v2", 5.0, 30.0, "drop")
    assert (serval.id, serval.max_seconds, serval.long_utterances, serval.oracle_prior,
            serval.unseen_classes) == ("serval-v2", 30.0, "cut", "corpus", "mask")
    with pytest.raises(EmoboxError, match="max_seconds must be set for long_utterances=cut"):
        get_recipe("serval", max_seconds=None)
    assert (serval.head, serval.optimizer, serval.lr, serval.weight_decay, serval.schedule,
            serval.grad_clip, serval.label_smoothing, serval.dropout, serval.hidden,
            serval.select, serval.label_space, serval.drop_last) == \
        ("frame-mlp", "adamw", 1e-4, 0.1, "onecycle", 0.5, 0.1, 0.1, 512, "last", "serval8",
         True)
    assert parse_grid("lr=1e-3,1e-4 hidden=64") == (("lr", (1e-3, 1e-4)), ("hidden", (64,)))
    with pytest.raises(EmoboxError, match="cannot vary 'epochs'"):
        get_recipe("emobox", grid=parse_grid("epochs=1,2"))
    with pytest.raises(EmoboxError, match="no field 'lrr'"):
        get_recipe("emobox", lrr=1)


def test_schedules_match_speechbrain_and_torch():
    """EmoBox builds Adam at lr (epoch 1), then each validation sets the next epoch's lr to
    LinearWarmupScheduler.get_next_value(): epoch e >= 2 trains at calc(e - 2)."""
    factors = linear_warmup(100, 10)
    assert factors[:4] == [1.0, 0.0, 0.1, 0.2] and factors[10:12] == [0.9, 1.0]
    assert factors[12] == pytest.approx(89 / 90) and factors[-1] == pytest.approx(2 / 90)
    assert len(factors) == 100 and min(factors[2:]) > 0
    # SpeechBrain 0.5.16's docstring: LinearWarmupScheduler(1.0, 2, 4) gives 0, .5, 1, .5, 0
    assert [speechbrain_linear_warmup(s, 2, 4) for s in range(5)] == [0.0, 0.5, 1.0, 0.5, 0.0]
    factors, betas = onecycle(50, 0.1)
    assert max(factors) == pytest.approx(1.0) and factors[0] == pytest.approx(1 / 25)
    assert factors[-1] == pytest.approx(1 / 25 / 1e4) and betas[0] == pytest.approx(0.95)


@pytest.mark.parametrize("decoupled", [False, True])
def test_stacked_adam_equals_torch(decoupled):
    torch.manual_seed(0)
    start = torch.randn(2, 5, 3)
    ours = torch.nn.Parameter(start.clone())
    refs = [torch.nn.Parameter(start[k].clone()) for k in range(2)]
    lrs, wd = [1e-2, 3e-3], 0.1
    opt = StackedAdam([ours], lrs, weight_decay=wd, decoupled=decoupled)
    cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    torch_opts = [cls([p], lr=lr, weight_decay=wd) for p, lr in zip(refs, lrs)]
    for _ in range(5):
        target = torch.randn(5, 3)
        opt.zero_grad()
        ((ours - target) ** 2).sum().backward()
        opt.step(factor=1.0)
        for p, o in zip(refs, torch_opts):
            o.zero_grad()
            ((p - target) ** 2).sum().backward()
            o.step()
    for k in range(2):
        torch.testing.assert_close(ours.detach()[k], refs[k].detach(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("head", ["emobox", "frame-mlp", "linear", "layer-weighted"])
def test_each_head_learns(toy, head):
    store, pairs = toy
    recipe = get_recipe("emobox", epochs=25, warmup_epochs=2, head=head, lr=3e-3, grid=())
    model = train_sweep(store, pairs[:100], pairs[100:130], recipe, labels=["A", "B"], layer=2)
    predicted, probs = model.predict(store, [k for k, _ in pairs[130:]])
    accuracy = np.mean([p == y for p, (_, y) in zip(predicted, pairs[130:])])
    assert accuracy > 0.8 and probs.shape == (30, 2)
    assert np.allclose(probs.sum(1), 1.0, atol=1e-5)


def test_concurrent_sweep_equals_sequential_runs(toy):
    torch.set_num_threads(1)
    store, pairs = toy
    recipe = get_recipe("emobox", epochs=12, warmup_epochs=2,
                        grid=parse_grid("lr=1e-2,1e-3 hidden=4,16"))
    together = train_sweep(store, pairs[:100], pairs[100:130], recipe, labels=["A", "B"],
                           layer=1, seed=3)
    alone = []
    for config in recipe.configs():
        one = recipe.with_(grid=(("lr", (config["lr"],)), ("hidden", (config["hidden"],))))
        alone.append(train_sweep(store, pairs[:100], pairs[100:130], one, labels=["A", "B"],
                                 layer=1, seed=3))
    for curve, single in zip(together.curves, alone):
        assert curve.config == single.config
        np.testing.assert_allclose(curve.valid_ua, single.curves[0].valid_ua)
        np.testing.assert_allclose(curve.valid_loss, single.curves[0].valid_loss, rtol=1e-4)
    best = max(alone, key=lambda m: (m.valid_ua, -min(m.curves[0].valid_loss)))
    assert together.config == best.config and together.epoch == best.epoch
    keys = [k for k, _ in pairs[130:]]
    np.testing.assert_allclose(together.predict(store, keys)[1], best.predict(store, keys)[1],
                               rtol=1e-4, atol=1e-5)


def test_selection_is_best_valid_ua_then_lower_loss(toy):
    store, pairs = toy
    model = train_sweep(store, pairs[:100], pairs[100:130],
                        get_recipe("emobox", epochs=10, warmup_epochs=1), labels=["A", "B"],
                        layer=1)
    scores = [(ua, -loss, -i) for i, c in enumerate(model.curves)
              for ua, loss in zip(c.valid_ua, c.valid_loss)]
    top = max(scores)
    assert model.valid_ua == top[0] and len(model.curves) == 4
    chosen = model.curves[[c.config for c in model.curves].index(model.config)]
    assert chosen.valid_loss[model.epoch - 1] == pytest.approx(-top[1])


def test_same_seed_same_predictions_other_seed_differs(toy):
    store, pairs = toy
    recipe = get_recipe("emobox", epochs=5, grid=())
    keys = [k for k, _ in pairs[130:]]
    runs = [train_sweep(store, pairs[:100], pairs[100:130], recipe, labels=["A", "B"],
                        layer=1, seed=s).predict(store, keys)[1] for s in (0, 0, 1)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_grid_needs_validation_and_unknown_labels_refused(toy):
    store, pairs = toy
    with pytest.raises(EmoboxError, match="needs validation data"):
        train_sweep(store, pairs[:50], [], get_recipe("emobox", epochs=1), labels=["A", "B"],
                    layer=0)
    with pytest.raises(EmoboxError, match="not in the label space"):
        train_head(store, pairs[:10], [], get_recipe("emobox", epochs=1, grid=()),
                   labels=["A"])


def test_no_valid_keeps_the_last_epoch(toy):
    store, pairs = toy
    model = train_sweep(store, pairs[:100], [], get_recipe("emobox", epochs=4, grid=()),
                        labels=["A", "B"], layer=1)
    assert model.no_valid and model.epoch == 4
