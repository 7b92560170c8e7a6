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


def test_ood_summary_reduces_as_serval_table3():
    """ID over every diagonal cell, sample stds, OOD mean over the cluster's off-diagonal
    cells only, OOD std over the row means; a row of missing cells is reported, not hidden."""
    from emobox.metrics import ood_summary

    cluster = ("a", "b", "c")
    m = {("a", "a"): 0.9, ("b", "b"): 0.7, ("c", "c"): 0.8, ("x", "x"): 0.2,  # x: no cluster
         ("a", "b"): 0.4, ("a", "c"): 0.2, ("b", "a"): 0.3, ("b", "c"): 0.1,
         ("c", "a"): 0.5, ("c", "b"): 0.6, ("x", "a"): 0.99, ("a", "x"): 0.01}
    eligible = {(i, j) for i in cluster for j in cluster}
    s = ood_summary(m, eligible=eligible)
    assert s["n_id"] == 4 and s["n_ood"] == 6 and s["complete"] and s["missing"] == []
    assert s["id_mean"] == pytest.approx(0.65)
    assert s["id_std"] == pytest.approx(np.std([0.9, 0.7, 0.8, 0.2], ddof=1))
    assert s["ood_mean"] == pytest.approx(np.mean([0.4, 0.2, 0.3, 0.1, 0.5, 0.6]))
    assert s["rows"] == pytest.approx({"a": 0.3, "b": 0.2, "c": 0.55})
    assert s["ood_std"] == pytest.approx(np.std([0.3, 0.2, 0.55], ddof=1))
    assert s["columns"] == pytest.approx({"a": 0.4, "b": 0.5, "c": 0.15})
    assert s["weighted"] == pytest.approx((0.65 + 0.35) / 2 - (s["id_std"] + s["ood_std"]) / 2)

    d = {**m, ("d", "d"): 0.6, ("d", "a"): float("nan")}  # d's row: missing (or NaN) cells
    s = ood_summary(d, eligible={(i, j) for i in (*cluster, "d") for j in (*cluster, "d")})
    assert not s["complete"]
    assert s["missing"] == [("a", "d"), ("b", "d"), ("c", "d"), ("d", "a"), ("d", "b"),
                            ("d", "c")]
    assert "d" not in s["rows"] and s["n_ood"] == 6 and s["n_id"] == 5
    assert ood_summary({("a", "b"): 0.5}, eligible={("a", "b")})["missing"] == [("a", "a"),
                                                                               ("b", "b")]


#: SER Evals' released macro-F1 matrix of Whisper-Large-v2 (rows: trained on), verbatim from
#: spaghettiSystems/serval@fe66005, collected_results2/valid_macro_f1/openaiwhisperlargev2.csv.
WHISPER_LARGE_V2 = """\
Training Dataset,aesdd,baum,cafe,casia,demos,eekk,emodb,emovo,enterface,expresso,masc,mead,meld,mesd,resd,shemo,subesco,thorsten,urdu
aesdd,0.9009,,,,,,,,,,,,,,,,,,
baum,,0.5335,0.17133,,0.23282,,,0.19708,,0.23049,,0.18257,0.18212,0.29795,,,0.1832,,
cafe,,0.21238,0.83457,,0.2201,,,0.52075,,0.13472,,0.17425,0.18797,0.44065,,,0.40154,,
casia,,,,0.80038,,,,,,,,,,,,,,,
demos,,0.24266,0.24534,,0.94793,,,0.24149,,0.16533,,0.14079,0.1511,0.25263,,,0.21019,,
eekk,,,,,,0.54187,,,,,,,,,,,,,0.34982
emodb,,,,,,,0.97195,,,,,,,,0.24185,,,,
emovo,,0.19415,0.487,,0.17873,,,0.74892,,0.13518,,0.10152,0.18929,0.3534,,,0.23199,,
enterface,,,,,,,,,0.99234,,,,,,,,,,
expresso,,0.10819,0.04209,,0.04034,,,0.06989,,0.61514,,0.08723,0.06472,0.09044,,,0.06288,,
masc,,,,,,,,,,,0.83502,,,,,,,,
mead,,0.15374,0.38834,,0.21281,,,0.30702,,0.20659,,0.81817,0.17545,0.29302,,,0.38627,,
meld,,0.25175,0.16191,,0.14488,,,0.16696,,0.22525,,0.1896,0.2523,0.19723,,,0.09425,,
mesd,,0.01273,0.0381,,0.02671,,,0.03571,,0.00032,,0.03389,0.03149,0.83773,,,0.03571,,
resd,,,,,,,0.40892,,,,,,,,0.59003,,,,
shemo,,,,,,,,,,,,,,,,0.79874,,,
subesco,,0.19338,0.56503,,0.15246,,,0.39204,,0.15529,,0.25072,0.15234,0.29851,,,0.93321,,
thorsten,,,,,,,,,,,,,,,,,,0.99297,
urdu,,,,,,0.25327,,,,,,,,,,,,,0.91122
"""  # noqa: E501


def test_ood_summary_on_serval_released_matrix_gives_table3():
    """The reductions of SER Evals' own cells, with its cluster from our corpus registry, give
    Table 3's Whisper-Large-v2 row to 1e-6."""
    import csv
    import io

    from emobox.corpora import get_corpus
    from emobox.metrics import ood_summary

    rows = list(csv.reader(io.StringIO(WHISPER_LARGE_V2)))
    matrix = {(r[0], j): float(v) for r in rows[1:] for j, v in zip(rows[0][1:], r[1:]) if v}
    names = rows[0][1:]
    cluster = {n: get_corpus({"baum": "baum1"}.get(n, n)).info.serval_cluster for n in names}
    eligible = {(i, j) for i in names for j in names if cluster[i] == cluster[j] == "cluster2"}
    s = ood_summary(matrix, eligible=eligible)
    assert (s["n_id"], s["n_ood"], s["complete"]) == (19, 72, True)
    assert [s[k] for k in ("id_mean", "id_std", "ood_mean", "ood_std", "weighted")] == \
        pytest.approx(TABLE3["Whisper-Large-v2"], abs=1e-6)


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
