"""Issue 22: contamination flags (a planted contaminated cell is marked with its reason and
left out of averages on request), averages per language / source / number of classes, the
setting × corpus heatmap and the OOD bars — on runs stored in a real results database."""

from __future__ import annotations

import json

import pytest
from test_report import paper
from typer.testing import CliRunner

from emobox.cli import app
from emobox.features.registry import EMOBOX, MODELS, UNKNOWN
from emobox.partition import Fold, Splits
from emobox.partition.balanced import EMOBOX_TRACK2, selection_of
from emobox.report.contamination import workspace_selections
from emobox.report.views import build_views, report_grids
from emobox.runs import ResultsDB, RunKey
from emobox.workspace import Workspace

runner = CliRunner()
LOCAL = {"identity": {"kind": "local", "name": "mine", "path": "/m/mine", "fingerprint": "ab"}}
#: (model, corpus) → UA; emotion2vec+ base on IEMOCAP is the planted contaminated cell
INTRA = {("wavlm-base", "iemocap"): 0.60, ("wavlm-base", "ravdess"): 0.70,
         ("emotion2vec-plus-base", "iemocap"): 0.90, ("emotion2vec-plus-base", "ravdess"): 0.64,
         ("mine", "emodb"): 0.50}
#: (model, train, test) → accuracy of a cross matrix over iemocap, ravdess, savee
CROSS_CORPORA = ["iemocap", "ravdess", "savee"]


def features(model: str) -> dict:
    return LOCAL if model == "mine" else paper(model)


def intra(db: ResultsDB) -> None:
    for (model, corpus), ua in INTRA.items():
        labels = ["Angry", "Happy", "Sad"] if corpus == "emodb" else ["Angry", "Sad"]
        for fold, delta in (("1", 0.02), ("2", -0.02)):
            db.add(RunKey(protocol="intra", train_corpus=corpus, test_corpus=corpus,
                          model=model, scheme="emobox", fold=fold, features=features(model)),
                   {"ua": ua + delta, "wa": ua, "macro_f1": ua, "n": 2, "labels": labels})


def cross(db: ResultsDB, model: str, base: float) -> None:
    for n, (i, j) in enumerate((i, j) for i in CROSS_CORPORA for j in CROSS_CORPORA if i != j):
        db.add(RunKey(protocol="cross", train_corpus=i, test_corpus=j, model=model,
                      scheme="cross", scheme_params={"test_split": "balanced"}, fold="all",
                      features=paper(model), corpora=CROSS_CORPORA),
               {"ua": base, "wa": base + 0.01 * n, "macro_f1": base, "n": 2})


@pytest.fixture
def ws(tmp_path):
    """Intra runs of three models; cross matrices of WavLM and emotion2vec on balanced sets:
    RAVDESS's is EmoBox's track2 list (selected with emotion2vec), SAVEE's emobox's own
    seeded selection, IEMOCAP's records none."""
    ws = Workspace(tmp_path / "ws")
    for corpus, selection in (("ravdess", EMOBOX_TRACK2), ("savee", selection_of(None)),
                              ("iemocap", None)):
        params = {"selection": selection.to_dict()} if selection else {}
        Splits("balanced", {"1": Fold([], [], [f"{corpus}-a"])}, params).save(
            ws.splits(corpus, "balanced"))
    with ResultsDB(ws.results) as db:
        intra(db)
        cross(db, "wavlm-base", 0.40)
        cross(db, "emotion2vec-base", 0.50)
    return ws


def report(ws, *args):
    result = runner.invoke(app, ["report", "-w", str(ws.root), *args], terminal_width=250)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_planted_contaminated_cell_is_marked_with_its_reason(ws):
    md = report(ws, "-f", "md")
    table4 = md[:md.index("per language")].splitlines()
    iemocap = next(line for line in table4 if line.startswith("| iemocap"))
    assert "90.0 ± 2.0†" in iemocap or "90.0 ± 2.0¹†" in iemocap
    assert "60.0 ± 2.0²" in iemocap and "60.0 ± 2.0²†" not in iemocap
    ravdess = next(line for line in table4 if line.startswith("| ravdess"))
    assert "†" in ravdess  # RAVDESS is an EmoBox corpus: the seed's data may hold it
    caption = table4[0]
    assert "† 2 cell(s) whose test data the model may have seen, included in the averages" \
        in caption and "emotion2vec-plus-base's fine-tuning data include EmoBox corpora" \
        in caption and "github.com/ddlBoJack/emotion2vec" in caption
    assert "1 cell(s) of models with unknown training data (not marked)" in caption
    with ResultsDB(ws.results) as db:
        views = build_views(db.runs())
    grid = next(g for kind, g in report_grids(views) if kind == "intra")
    tips = [t for t in grid.tips.values() if "†" in t]
    assert len(tips) == 2 and all("EmoBox corpora" in t for t in tips)
    data = json.loads(report(ws, "--json"))
    marked = {(r["model"], r["corpus"]) for r in data["intra"] if r["contamination"]}
    assert marked == {("emotion2vec-plus-base", "iemocap"), ("emotion2vec-plus-base",
                                                               "ravdess")}
    assert data["contamination"]["unknown_training_data"] == 2  # the local model's 2 folds


def test_exclude_contaminated_leaves_marked_cells_out_of_the_averages(ws):
    plain = report(ws, "-f", "md")
    en = next(line for line in plain[plain.index("per language"):].splitlines()
              if line.startswith("| en"))
    assert "77.0† (n=2)" in en and "65.0 (n=2)" in en  # (90 + 64) / 2, (60 + 70) / 2
    excluded = report(ws, "-f", "md", "--exclude-contaminated")
    groups = excluded[excluded.index("per language"):]
    en = next(line for line in groups.splitlines() if line.startswith("| en"))
    assert "— (2† left out)" in en and "65.0 (n=2)" in en
    assert "left out of the averages, which are over fewer cells" in excluded
    assert "77.0†" in report(ws)  # the terminal's per-language average includes marked cells
    terminal = report(ws, "--exclude-contaminated")
    assert "77.0" not in terminal and "left out" in terminal
    # `emobox run`'s summary (`print_views`): the per-setting average row leaves them out too
    from rich.console import Console

    from emobox.report.views import print_views

    console = Console(record=True, width=240)
    with ResultsDB(ws.results, readonly=True) as db:
        print_views(console, build_views(db.runs(), exclude_contaminated=True))
    text = console.export_text()
    assert "average (0 corpora" not in text and "77.0" not in text
    assert "average (2 corpora)" in text  # WavLM's average row keeps both corpora
    data = json.loads(report(ws, "--json", "--exclude-contaminated"))
    assert all(r["excluded"] == bool(r["contamination"]) for r in data["intra"])


def test_a_cross_cell_on_a_set_selected_with_the_models_lineage_is_marked(ws):
    with ResultsDB(ws.results) as db:
        views = build_views(db.runs(protocol="cross"), selections=workspace_selections(ws))
        excluded = build_views(db.runs(protocol="cross"), exclude_contaminated=True,
                               selections=workspace_selections(ws))
    e2v, wavlm = (next(m for m in views.cross if m.model == name)
                  for name in ("emotion2vec-base", "wavlm-base"))
    assert not wavlm.marks and wavlm.average == pytest.approx(
        sum(wavlm.matrix.values()) / 6)
    assert set(e2v.marks) == {("ravdess", "iemocap"), ("savee", "iemocap"),
                              ("iemocap", "ravdess"), ("savee", "ravdess")}
    assert "pre-training data include iemocap" in e2v.marks[("ravdess", "iemocap")]
    assert "selected with pseudo-labels of a fine-tuned emotion2vec (EmoBox paper §2.3)" in \
        e2v.marks[("iemocap", "ravdess")]
    assert e2v.average == pytest.approx(sum(e2v.matrix.values()) / 6)
    assert "4 cell(s)" in e2v.caption and "included in the averages" in e2v.caption
    dropped = next(m for m in excluded.cross if m.model == "emotion2vec-base")
    assert dropped.average == pytest.approx(
        (dropped.matrix[("iemocap", "savee")] + dropped.matrix[("ravdess", "savee")]) / 2)
    grid = next(g for kind, g in report_grids(excluded) if kind == "cross")
    assert "fewer cells" in grid.note and sum("†" in c for r in grid.rows for c in r) == 4
    md = report(ws, "-f", "md", "--exclude-contaminated")
    average = next(line for line in md.splitlines() if line.startswith("| average (Eq. 1)"))
    assert f"| {100 * dropped.average:.1f} |" in average


def test_registry_states_each_models_data_with_a_source():
    for model in MODELS.values():
        for stage, data in model.stages:
            assert data.source or data.corpora == UNKNOWN, (model.name, stage)
            if data.corpora == UNKNOWN or data.datasets == UNKNOWN:
                assert data.note, (model.name, stage)  # says why it is unknown
    assert MODELS["emotion2vec-plus-large"].finetuning.corpora == EMOBOX
    assert MODELS["emotion2vec-base"].seen_corpora == ("iemocap", "meld", "mead", "msppodcast")
    assert MODELS["wavlm-large"].pretraining.datasets == (
        "Libri-Light 60k h", "GigaSpeech 10k h", "VoxPopuli 24k h")
    assert MODELS["whisper-large-v3"].pretraining.corpora == UNKNOWN
    assert not MODELS["wavlm-base"].trained_on_emobox


def test_group_views_heatmap_and_ood_bars(ws, tmp_path):
    with ResultsDB(ws.results) as db:
        # a complete 2 × 2 OOD matrix within SER Evals' cluster
        for (train, test), value in {("emovo", "emovo"): 0.8, ("emovo", "cafe"): 0.3,
                                     ("cafe", "cafe"): 0.7, ("cafe", "emovo"): 0.4}.items():
            db.add(RunKey(protocol="ood", train_corpus=train, test_corpus=test,
                          model="wavlm-base", scheme="default", fold="all",
                          prior="none" if train == test else "train",
                          features=paper("wavlm-base"), corpora=["cafe", "emovo"]),
                   {"ua": value, "wa": value, "macro_f1": value, "n": 2},
                   info={"clusters": {"emovo": "cluster2", "cafe": "cluster2"}})
    md = report(ws, "-f", "md")
    source = md[md.index("per source"):].splitlines()
    acted = next(line for line in source if line.startswith("| acted |"))
    assert acted.startswith("| acted | emodb, iemocap, ravdess |") and "65.0 (n=2)" in acted
    assert not any(line.startswith("| TV |") for line in source)  # no TV corpus was run
    classes = md[md.index("per number of classes"):].splitlines()
    assert any(line.startswith("| 3 | emodb |") and "50.0 (n=1)" in line for line in classes)
    out = report(ws, "--plots", str(tmp_path / "p"))
    assert "plot files" in out
    for name in ("intra-heatmap", "ood-wavlm-base"):
        for suffix in (".png", ".svg"):
            assert (tmp_path / "p" / f"{name}{suffix}").stat().st_size > 1000, name
    svg = (tmp_path / "p" / "ood-wavlm-base.svg").read_text()
    assert "sample std over the n cells" in svg and "n=1" in svg
    heat = (tmp_path / "p" / "intra-heatmap.svg").read_text()
    assert "90.0†" in heat and "scheme emobox" in heat


def test_a_selection_records_its_labelers_lineage(tmp_path):
    from emobox.manifest import Utterance
    from emobox.partition.balanced import balanced_test_set, read_track2

    class Agreeing:  # a pseudo-labeler of the emotion2vec lineage that agrees with all
        name, lineage = "toy emotion2vec", "emotion2vec"

        def __call__(self, utts):
            return [u.label for u in utts]

    utts = [Utterance(key=f"s{s}-{lab}{i}", dataset="savee", wav="a.wav", emo=lab,
                      label=lab, speaker=f"s{s}") for s in range(2)
            for lab in ("Angry", "Sad") for i in range(2)]
    chosen = balanced_test_set(utts, space="native", labeler=Agreeing())
    assert chosen.selection.labeler == "toy emotion2vec"
    assert chosen.selection.lineage == "emotion2vec"
    assert balanced_test_set(utts, space="native").selection.lineage == ""
    track2 = tmp_path / "SAVEE_selected_balenced.jsonl"
    track2.write_text("".join(json.dumps({"wav_filename": f"{u.key[3:]}.wav", "label": u.label,
                                          "speaker": u.speaker}) + "\n" for u in utts[:2]))
    assert read_track2(track2, utts, space="native").selection == EMOBOX_TRACK2


def test_ood_bars_carry_bootstrap_intervals_from_stored_predictions(tmp_path):
    """With predictions stored, each bar's interval is the percentile interval of the mean of
    its cells' bootstrap replicates (the method in the axis label); it contains the bar."""
    import numpy as np

    from emobox.metrics import evaluate
    from emobox.report import plots
    from emobox.report.bootstrap import percentile_interval

    ws = Workspace(tmp_path / "ws")
    rng = np.random.default_rng(0)
    labels = ["anger", "sadness"]
    with ResultsDB(ws.results) as db:
        for train, test in (("emovo", "emovo"), ("emovo", "cafe"), ("cafe", "cafe"),
                            ("cafe", "emovo")):
            true = [labels[i % 2] for i in range(40)]
            pred = [t if rng.random() < 0.7 else labels[1 - labels.index(t)] for t in true]
            db.add(RunKey(protocol="ood", train_corpus=train, test_corpus=test,
                          model="wavlm-base", scheme="default", fold="all",
                          prior="none" if train == test else "train",
                          features=paper("wavlm-base"), corpora=["cafe", "emovo"]),
                   {**evaluate(true, pred, labels), "n": 40},
                   info={"clusters": {"emovo": "cluster2", "cafe": "cluster2"}},
                   predictions=[(f"{test}-{i}", t, p) for i, (t, p) in
                                enumerate(zip(true, pred))])
        views = build_views(db.runs(), db=db)
    (matrix,) = views.ood
    written = plots.ood_bars(matrix, tmp_path / "ood", views.stats)
    svg = written[1].read_text()
    assert "percentile bootstrap interval" in svg and "(1000 resamples, seed 0)" in svg
    reps = views.stats.replicates([matrix.runs[("emovo", "cafe")]], matrix.metric)
    low, high = percentile_interval(reps, 0.95)
    assert low <= matrix.matrix[("emovo", "cafe")] <= high and high - low > 0.05
