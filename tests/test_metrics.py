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


@pytest.mark.parametrize("seed", range(25))
def test_per_class_and_micro_equal_scikit_learn(seed):
    from sklearn.metrics import precision_recall_fscore_support

    rng = np.random.default_rng(100 + seed)
    labels = ["a", "b", "c", "d"]
    n = int(rng.integers(3, 40))
    y_true = rng.choice(labels[: rng.integers(1, 5)], n)  # some labels never true
    y_pred = rng.choice(labels[rng.integers(0, 2):], n)  # some never predicted
    r = evaluate(y_true, y_pred, labels)
    p, rec, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels,
                                                   zero_division=0)
    for i, label in enumerate(labels):
        c = r["per_class"][label]
        assert (c["precision"], c["recall"], c["f1"], c["support"]) == pytest.approx(
            (p[i], rec[i], f[i], s[i]), abs=1e-12)
    assert r["micro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="micro"), abs=1e-12)
    assert r["ua"] == pytest.approx(balanced_accuracy_score(y_true, y_pred), abs=1e-12)
    assert r["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"), abs=1e-12)


#: SER Evals Table 3 (papers.md): ID mean, ID std, OOD mean, OOD std, weighted average.
TABLE3 = {
    "Whisper-Large-v2": (0.781942, 0.194716, 0.194250, 0.089993, 0.345741),
    "Whisper-Large": (0.781314, 0.203542, 0.197882, 0.085657, 0.344999),
    "Whisper-Large-v3": (0.776689, 0.201399, 0.192961, 0.083822, 0.342214),
    "Whisper-medium": (0.756563, 0.200798, 0.196831, 0.087710, 0.332443),
    "WavLM-Large": (0.765474, 0.206174, 0.161098, 0.068182, 0.326108),
    "CLAP Music & Speech": (0.743248, 0.215404, 0.148090, 0.055976, 0.309980),
    "Hubert Large": (0.733036, 0.207492, 0.156504, 0.066509, 0.307769),
    "MERT v1 330M": (0.707891, 0.211471, 0.127485, 0.049841, 0.287032),
    "w2v-bert-2.0": (0.668253, 0.211685, 0.141581, 0.061820, 0.268165),
}


@pytest.mark.parametrize("model", TABLE3)
def test_weighted_score_reproduces_serval_table3(model):
    from emobox.metrics import weighted_score

    id_mean, id_std, ood_mean, ood_std, weighted = TABLE3[model]
    assert weighted_score(id_mean, id_std, ood_mean, ood_std) == pytest.approx(weighted,
                                                                               abs=1e-6)


def test_ood_summary_on_a_hand_made_matrix():
    from emobox.metrics import ood_summary

    m = {("a", "a"): 0.9, ("b", "b"): 0.7, ("c", "c"): 0.8,
         ("a", "b"): 0.4, ("a", "c"): 0.2, ("b", "a"): 0.3, ("b", "c"): 0.1,
         ("c", "a"): 0.5, ("c", "b"): 0.6}
    s = ood_summary(m, eligible={("a", "b"), ("a", "c"), ("b", "a"), ("c", "a")})
    assert s["id_mean"] == pytest.approx(0.8) and s["id_std"] == pytest.approx(np.std([.9, .7, .8]))
    assert s["ood_mean"] == pytest.approx(np.mean([0.4, 0.2, 0.3, 0.5]))
    assert s["rows"] == pytest.approx({"a": 0.3, "b": 0.3, "c": 0.5})
    assert s["columns"] == pytest.approx({"a": 0.4, "b": 0.4, "c": 0.2})
    assert s["weighted"] == pytest.approx((0.8 + 0.35) / 2 - (s["id_std"] + s["ood_std"]) / 2)


def test_bootstrap_interval_contains_the_estimate_and_is_seeded():
    from emobox.metrics import bootstrap_ci

    rng = np.random.default_rng(0)
    y = rng.choice(["a", "b", "c"], 300)
    p = np.where(rng.random(300) < 0.7, y, rng.choice(["a", "b", "c"], 300))
    ua = evaluate(y, p)["ua"]
    low, high = bootstrap_ci(y, p, metric="ua", n=500, seed=1)
    assert low < ua < high and high - low < 0.2
    assert (low, high) == bootstrap_ci(y, p, metric="ua", n=500, seed=1)
    speakers = np.repeat(np.arange(6), 50)
    s_low, s_high = bootstrap_ci(y, p, metric="ua", n=500, seed=1, speakers=speakers)
    assert s_low <= ua <= s_high
