import numpy as np
import pytest
from sklearn.metrics import accuracy_score, balanced_accuracy_score, confusion_matrix, f1_score

from emobox.metrics import cross_corpus_average, evaluate


@pytest.mark.parametrize("seed", range(25))
def test_metrics_equal_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    labels = ["Angry", "Happy", "Neutral", "Sad", "Fear"][: rng.integers(2, 6)]
    n = int(rng.integers(5, 60))
    y_true = rng.choice(labels, n)
    # predictions sometimes use a class never true, sometimes miss a class entirely
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.choice(labels, n))
    r = evaluate(y_true, y_pred, labels)
    assert r["ua"] == pytest.approx(balanced_accuracy_score(y_true, y_pred))
    assert r["wa"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert r["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    assert r["confusion"] == confusion_matrix(y_true, y_pred, labels=labels).tolist()


def test_ua_ignores_classes_only_predicted():
    r = evaluate(["a", "a", "b"], ["a", "c", "b"], labels=["a", "b", "c"])
    assert r["ua"] == pytest.approx((0.5 + 1.0) / 2)
    assert set(r["recall"]) == {"a", "b"}


def test_cross_corpus_average_uses_off_diagonal_pairs_only():
    m = {("a", "a"): 1.0, ("a", "b"): 0.5, ("b", "a"): 0.3, ("b", "b"): 0.9}
    assert cross_corpus_average(m) == pytest.approx(0.4)
