"""The linear probe on pooled statistics: any layer of a store that keeps only the last
layer's frames, against scikit-learn's logistic regression."""

from __future__ import annotations

import numpy as np
import pytest

from emobox.errors import EmoboxError
from emobox.features.store import FeatureStore
from emobox.train.probe import linear_probe, pooled_inputs


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Three classes whose frame means differ (more in later layers); frames of layer 2 only,
    pooled statistics of layers 0-2."""
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("probe") / "s"
    labels = {}
    with FeatureStore.create(path, model="toy", layers=[2], pooled_layers=[0, 1, 2],
                             dim=8) as w:
        for i in range(240):
            label = "ABC"[i % 3]
            x = rng.normal(size=(3, int(rng.integers(5, 20)), 8)).astype(np.float32)
            for layer in range(3):
                x[layer, :, "ABC".index(label)] += 0.6 * layer
            w.add(f"k{i:03d}", x)
            labels[f"k{i:03d}"] = label
    return FeatureStore.open(path), labels


def test_probe_ranks_layers_without_their_frames(store):
    store, labels = store
    keys = store.keys()
    train, test = keys[:160], keys[160:]
    results = {layer: linear_probe(store, train, test, layer, labels, seed=0)
               for layer in (0, 1, 2)}
    assert results[2]["ua"] > 0.9 and results[0]["ua"] < 0.6  # layer 0 holds no signal
    assert results[0]["ua"] < results[1]["ua"] < results[2]["ua"]
    assert set(results[2]["predictions"]) == set(test) and results[2]["seconds"] < 10
    again = linear_probe(store, train, test, 1, labels, seed=0)
    assert again["predictions"] == results[1]["predictions"]


def test_probe_agrees_with_scikit_learn(store):
    sklearn = pytest.importorskip("sklearn.linear_model")
    store, labels = store
    keys = store.keys()
    train, test = keys[:160], keys[160:]
    ours = linear_probe(store, train, test, 1, labels, seed=0)
    x, x_test = pooled_inputs(store, train, 1), pooled_inputs(store, test, 1)
    mean, std = x.mean(0), x.std(0)
    # the same objective: mean cross-entropy + l2·|w|² ⇔ C = 1 / (2 · l2 · n)
    reference = sklearn.LogisticRegression(C=1 / (2 * 1e-3 * len(train)), max_iter=1000).fit(
        (x - mean) / std, [labels[k] for k in train]).predict((x_test - mean) / std)
    agree = np.mean([ours["predictions"][k] == p for k, p in zip(test, reference)])
    assert agree >= 0.97


def test_probe_needs_two_classes(store):
    store, labels = store
    only_a = [k for k in store if labels[k] == "A"]
    with pytest.raises(EmoboxError, match="at least two classes"):
        linear_probe(store, only_a, only_a, 0, labels)
