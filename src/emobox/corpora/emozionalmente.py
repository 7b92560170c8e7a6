"""Emozionalmente (Italian, crowd-sourced actors).

Layout (EmoBox ``downloads/emozionalmente/``)::

    metadata/samples.csv     file_name, actor, sentence, emotion_expressed, ...
    metadata/users.csv       username, gender, age, ...
    audio/<timestamp>.wav    e.g. audio/1613655062436.wav

Key ``emozionalmente-<stem with _ as ->``; speaker the samples.csv actor (a 64-hex username);
gender joined from users.csv.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from emobox.corpora.core import CorpusInfo, Row, TableCorpus, gender_of, read_csv, stem

LABELS = {"anger": "Angry", "disgust": "Disgust", "fear": "Fear", "joy": "Happy",
          "neutrality": "Neutral", "sadness": "Sad", "surprise": "Surprise"}


def _rows(raw: Path) -> Iterator[Row]:
    users = {u["username"]: u.get("gender")
             for u in read_csv(raw / "metadata" / "users.csv", ("username", "gender"))}
    columns = ("file_name", "actor", "emotion_expressed")
    for row in read_csv(raw / "metadata" / "samples.csv", columns):
        name = row["file_name"]
        yield {"id": stem(name).replace("_", "-"), "wav": f"audio/{name}",
               "emo": row["emotion_expressed"], "speaker": row["actor"],
               "gender": users.get(row["actor"])}


CORPUS = TableCorpus(
    info=CorpusInfo(
        name="emozionalmente", display_name="Emozionalmente", languages=("it",),
        label_map=LABELS, source="acted", n_emotions=7, n_speakers=431, n_utterances=6902,
        hours=6.3,
        url="https://zenodo.org/records/6569824",
        license="CC BY 4.0 (Zenodo record)",
        protocols=("emobox",),
        notes="crowd-sourced recordings of non-professional and professional actors",
    ),
    rows=_rows,
    key="{id}",
    speaker="{speaker}",
    gender=lambda row: gender_of(row["gender"]),
    required=("metadata/samples.csv", "metadata/users.csv"),
    expect="metadata/samples.csv, metadata/users.csv and audio/*.wav",
    unlisted=("audio/*.wav",),
    unlisted_reason="not listed in metadata/samples.csv",
)
