"""RESD (Russian Emotional Speech Dialogs): official train/test CSVs.

Layout (EmoBox ``downloads/resd/``)::

    train.csv, test.csv              columns name, path, emotion (path relative to the split)
    <train|test>/<dialog folder>/<file>.wav
        e.g. train/happiness_enthusiasm_32/32_happiness_enthusiasm_h_120.wav

Key ``resd-<file name with .wav>`` (some contain a space). The corpus has no speaker ids, so
speaker is left empty (EmoBox used the file name); `split` is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from emobox.corpora.core import CorpusInfo, Row, TableCorpus, read_csv

LABELS = {"anger": "Angry", "disgust": "Disgust", "enthusiasm": "Enthusiastic", "fear": "Fear",
          "happiness": "Happy", "neutral": "Neutral", "sadness": "Sad"}


def _rows(raw: Path) -> Iterator[Row]:
    for split in ("train", "test"):
        for row in read_csv(raw / f"{split}.csv", ("path", "emotion")):
            rel = row["path"].replace("\\", "/")
            yield {"name": PurePosixPath(rel).name, "wav": f"{split}/{rel}",
                   "emo": row["emotion"], "split": split}


CORPUS = TableCorpus(
    info=CorpusInfo(
        name="resd", display_name="RESD", languages=("ru",), label_map=LABELS,
        source="acted", n_emotions=7, n_speakers=200, n_utterances=1396, hours=2.3,
        url="https://huggingface.co/datasets/Aniemore/resd",
        license="MIT (Aniemore dataset card)",
        protocols=("emobox", "serval"),
        serval_map={"Enthusiastic": "other"},
        serval_cluster="cluster1",
        notes="no speaker ids in the release; official train/test split shares dialogs",
    ),
    rows=_rows,
    key="{name}",
    extra={"split": "{split}"},
    required=("train.csv", "test.csv"),
    expect="train.csv, test.csv and the train/ and test/ audio folders",
)
