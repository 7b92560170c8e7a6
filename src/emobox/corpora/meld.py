"""MELD (Friends): one CSV row per utterance, audio read straight from the MP4 clips.

Layout (EmoBox ``downloads/meld/``)::

    train/train_sent_emo.csv   dev_sent_emo.csv   test_sent_emo.csv
    train/train_splits/dia<D>_utt<U>.mp4          e.g. train/train_splits/dia0_utt0.mp4
    dev_splits_complete/dia<D>_utt<U>.mp4
    output_repeated_splits_test/dia<D>_utt<U>.mp4

Key ``meld-dia<D>_utt<U>-<train|dev|test>`` (ids repeat across splits); the speaker is the
CSV Speaker column as written (EmoBox replaces its spaces with "-"); `split` is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from emobox.corpora.core import CorpusInfo, Row, TableCorpus, first_existing, read_csv

LABELS = {"neutral": "Neutral", "joy": "Happy", "sadness": "Sad", "surprise": "Surprise",
          "disgust": "Disgust", "anger": "Angry", "fear": "Fear"}
#: split → (label CSV, video folder), EmoBox's layout first, then the MELD.Raw one.
SPLITS = {
    "train": (("train/train_sent_emo.csv", "train_sent_emo.csv"),
              ("train/train_splits", "train_splits")),
    "dev": (("dev_sent_emo.csv", "dev/dev_sent_emo.csv"),
            ("dev_splits_complete", "dev/dev_splits_complete")),
    "test": (("test_sent_emo.csv", "test/test_sent_emo.csv"),
             ("output_repeated_splits_test", "test/output_repeated_splits_test")),
}
COLUMNS = ("Dialogue_ID", "Utterance_ID", "Speaker", "Emotion")


def _rows(raw: Path) -> Iterator[Row]:
    for split, (csvs, folders) in SPLITS.items():
        table = first_existing(raw, *csvs)
        videos = first_existing(raw, *folders).relative_to(raw).as_posix()
        for row in read_csv(table, COLUMNS):
            name = f"dia{row['Dialogue_ID']}_utt{row['Utterance_ID']}"
            yield {"name": name, "split": split, "wav": f"{videos}/{name}.mp4",
                   "emo": row["Emotion"], "speaker": row["Speaker"]}


CORPUS = TableCorpus(
    info=CorpusInfo(
        name="meld", display_name="MELD", languages=("en",), label_map=LABELS, source="TV",
        n_emotions=7, n_speakers=304, n_utterances=13706, hours=12.1,
        url="https://affective-meld.github.io/ (MELD.Raw.tar.gz)",
        license="GPL-3.0 (MELD repository); clips from the Friends TV series, research use",
        protocols=("emobox", "serval"),
        serval_cluster="cluster2",
        notes="official train/dev/test split kept; not speaker-independent",
    ),
    rows=_rows,
    key="{name}-{split}",
    speaker="{speaker}",
    extra={"split": "{split}"},
    required=(SPLITS["train"][0], SPLITS["dev"][0], SPLITS["test"][0]),
    expect="train/train_sent_emo.csv, dev_sent_emo.csv, test_sent_emo.csv and the mp4 folders",
)
