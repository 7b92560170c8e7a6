"""One record per corpus: the registry, EmoBox's partition data, the SER Evals label mapping
and the README's corpus table all agree, because they all read `CorpusInfo`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emobox.cli import app
from emobox.corpora import list_corpora
from emobox.corpora.core.registry import markdown_table
from emobox.labels import SERVAL8, get_label_space
from emobox.partition import emobox_partitions

README = Path(__file__).parents[2] / "README.md"


def test_readme_corpus_table_is_generated_from_the_records():
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- corpora:start -->\n(.*?)<!-- corpora:end -->", text, re.S)
    assert block, "README lacks the generated corpus table"
    assert block.group(1) == markdown_table(), "run `emobox corpora --markdown` into README"


def test_corpora_json_agrees_with_the_partition_data():
    listing = json.loads(CliRunner().invoke(app, ["corpora", "--json"]).stdout)
    by_name = {c["name"]: c for c in listing}
    emobox = {n for n, c in by_name.items() if "emobox" in c["protocols"]}
    assert emobox == set(emobox_partitions()) and len(emobox) == 32
    assert sum("serval" in c["protocols"] for c in listing) == 19
    for name in emobox:
        record = by_name[name]
        partition = record["emobox_partition"]
        counts = partition["counts"]
        if len(counts) == 1:
            held = sum(v or 0 for v in counts["1"].values())
        else:
            held = sum(f["test"] for f in counts.values())
        assert held == record["n_utterances"] or "outside the fold" in record["notes"], name
        assert len(counts) == partition["n_folds"]


def test_classes_column_matches_the_emotions_listed():
    for c in list_corpora():
        assert c.info.n_classes == len(c.info.emotions)


#: SER Evals' mapping (serval.md §2.2) where it is not the plain name: canonical label → class.
SERVAL_EXCEPTIONS = {
    "emodb": {"Boredom": "sadness"},
    "mead": {"Contempt": "disgust"},
    "demos": {"Guilt": "sadness"},
    "shemo": {"Fear": "other"},
    "resd": {"Enthusiastic": "other"},
    "thorsten": {"Drunk": "other", "Sleepy": "other", "Whisper": "other"},
    "baum1": {lab: "other" for lab in ("Boredom", "Bothered", "Concentrating", "Contempt",
                                       "Interest", "Thinking", "Unsure")},
    "expresso": {"Awe": "surprise", "Boredom": "neutral", "Calm": "neutral",
                 "Laughing": "happiness"},
}
PLAIN = {"Happy": "happiness", "Sad": "sadness", "Disgust": "disgust", "Fear": "fear",
         "Surprise": "surprise", "Angry": "anger", "Neutral": "neutral"}


@pytest.mark.parametrize("corpus", [c for c in list_corpora("serval")], ids=lambda c: c.name)
def test_serval8_follows_serval_md_for_every_corpus(corpus):
    space = get_label_space("serval8")
    exceptions = SERVAL_EXCEPTIONS.get(corpus.name, {})
    for label in corpus.info.emotions:
        expected = exceptions.get(label, PLAIN.get(label, "other"))
        mapped = space.map(corpus.name, label)
        assert (mapped or "other") == expected, (corpus.name, label)
        assert expected in SERVAL8
    if corpus.name == "expresso":  # 16 other styles → other, kept (never dropped)
        assert sum(1 for lab in corpus.info.emotions
                   if (space.map(corpus.name, lab) or "other") == "other") >= 14


def test_serval8_keeps_unmapped_labels_as_other_for_every_corpus():
    from emobox.labels import apply_label_space
    from emobox.manifest import Utterance

    utts = [Utterance(key=f"{c}-x", dataset=c, wav="x.wav", emo="x", label=lab)
            for c, lab in [("baum1", "Thinking"), ("thorsten", "Sleepy"), ("expresso", "Singing"),
                           ("resd", "Enthusiastic"), ("shemo", "Fear"), ("ravdess", "Calm")]]
    kept, counts = apply_label_space(utts, "serval8")
    assert [u.label for u in kept] == ["other"] * 6 and counts["dropped"] == 0


def test_serval_clusters_are_the_ood_eligible_sets():
    clusters: dict[str, set[str]] = {}
    for c in list_corpora("serval"):
        if c.info.serval_cluster:
            clusters.setdefault(c.info.serval_cluster, set()).add(c.name)
    assert clusters == {"cluster1": {"emodb", "resd"},
                        "cluster2": {"emovo", "mesd", "demos", "baum1", "meld", "mead", "cafe",
                                     "expresso", "subesco"},
                        "cluster3": {"urdu", "eekk"}}


def test_cli_starts_without_torch():
    code = "import sys, emobox.cli; print('torch' in sys.modules, 'transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"]


def test_version_in_one_place():
    from importlib.metadata import version

    import emobox

    out = CliRunner().invoke(app, ["--version"])
    assert out.stdout.strip() == f"emobox {emobox.__version__}" == f"emobox {version('emobox')}"
