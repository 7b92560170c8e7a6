import numpy as np
import pytest
import torch

from emobox.errors import EmoboxError
from emobox.features.store import FeatureStore
from emobox.train import EmoBoxHead, TrainConfig, masked_mean, train_head


def test_masked_mean_ignores_padding():
    x = torch.tensor([[[1.0], [3.0], [100.0]], [[2.0], [4.0], [6.0]]])
    mask = torch.tensor([[True, True, False], [True, True, True]])
    assert masked_mean(x, mask).squeeze(-1).tolist() == [2.0, 4.0]


def test_head_output_independent_of_padding():
    torch.manual_seed(0)
    head = EmoBoxHead(dim=4, n_classes=3, hidden=8)
    x = torch.randn(1, 5, 4)
    padded = torch.cat([x, torch.full((1, 3, 4), 50.0)], dim=1)
    mask = torch.tensor([[True] * 5 + [False] * 3])
    torch.testing.assert_close(head(x, torch.ones(1, 5, dtype=torch.bool)), head(padded, mask))


def _store(tmp_path, n=120, dim=6, seed=0):
    """Two classes whose frame means differ along one dimension, variable lengths."""
    rng = np.random.default_rng(seed)
    pairs = []
    with FeatureStore.create(tmp_path / "store", model="toy", layers=[0, 1], dim=dim) as w:
        for i in range(n):
            label = "Happy" if i % 2 else "Sad"
            frames = rng.standard_normal((2, int(rng.integers(3, 12)), dim)).astype(np.float32)
            frames[1, :, 0] += 1.5 if label == "Happy" else -1.5
            w.add(f"k{i}", frames)
            pairs.append((f"k{i}", label))
    return FeatureStore.open(tmp_path / "store"), pairs


def test_trainer_learns_and_selects_on_validation(tmp_path):
    store, pairs = _store(tmp_path)
    config = TrainConfig(epochs=15, warmup_epochs=2, lr=3e-3, hidden=16, norm="none")
    trained = train_head(store, pairs[:80], pairs[80:100], config)
    assert 1 <= trained.best_epoch <= 15 and trained.valid_ua == max(trained.history)
    predicted, probs = trained.predict(store, [k for k, _ in pairs[100:]])
    accuracy = np.mean([p == y for p, (_, y) in zip(predicted, pairs[100:])])
    assert accuracy > 0.9
    assert probs.shape == (20, 2) and np.allclose(probs.sum(1), 1, atol=1e-5)


def test_training_is_deterministic(tmp_path):
    store, pairs = _store(tmp_path)
    config = TrainConfig(epochs=3, hidden=8, layer=0)
    a = train_head(store, pairs[:80], pairs[80:100], config)
    b = train_head(store, pairs[:80], pairs[80:100], config)
    for p, q in zip(a.head.parameters(), b.head.parameters()):
        torch.testing.assert_close(p, q)


def test_label_outside_space_is_refused(tmp_path):
    store, pairs = _store(tmp_path, n=10)
    with pytest.raises(EmoboxError, match="not in the label space"):
        train_head(store, pairs, [], TrainConfig(epochs=1), labels=["Sad"])
