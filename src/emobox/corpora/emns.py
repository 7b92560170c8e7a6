"""EMNS (single British English voice actor, narrative storytelling).

Layout (EmoBox ``downloads/emns/``)::

    metadata.csv                     pipe-separated; id|utterance|...|emotion|...|gender|...|
                                     audio_recording (wavs/<name>.webm)|user_id
    cleaned_webm/<name>.webm         e.g. cleaned_webm/recorded_audio_RF6OuQ4.webm

Raw label: the CSV emotion with "Surprised" written "Surprise" (as EmoBox does); key
``emns-<name>``; speaker the CSV user_id (the one actor, 3).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from emobox.corpora.core import CorpusInfo, Row, TableCorpus, gender_of, read_csv

EMOTIONS = ("Angry", "Disgust", "Excited", "Happy", "Neutral", "Sad", "Sarcastic", "Surprise")


def _rows(raw: Path) -> Iterator[Row]:
    for row in read_csv(raw / "metadata.csv", ("audio_recording", "emotion"), delimiter="|"):
        name = PurePosixPath(row["audio_recording"].replace("\\", "/")).name
        emo = row["emotion"]
        yield {"name": PurePosixPath(name).stem, "wav": f"cleaned_webm/{name}",
               "emo": "Surprise" if emo == "Surprised" else emo,
               "speaker": row.get("user_id") or "3", "gender": row.get("gender")}


CORPUS = TableCorpus(
    info=CorpusInfo(
        name="emns", display_name="EMNS", languages=("en",),
        label_map={e: e for e in EMOTIONS}, source="acted",
        n_emotions=8, n_speakers=1, n_utterances=1181, hours=1.9,
        url="https://www.openslr.org/136/ (metadata.csv + cleaned_webm)",
        license="CC BY 4.0 (OpenSLR SLR136)",
        protocols=("emobox",),
        notes="one speaker; EmoBox partitions 25% per emotion",
    ),
    rows=_rows,
    key="{name}",
    speaker="{speaker}",
    gender=lambda row: gender_of(row["gender"]),
    required=("metadata.csv",),
    expect="metadata.csv (pipe-separated) and cleaned_webm/*.webm",
    unlisted=("cleaned_webm/*.webm",),
    unlisted_reason="not listed in metadata.csv",
)
