"""MSP-Podcast: consensus labels in one JSON file keyed by file name.

Layout (EmoBox ``downloads/msppodcast/``)::

    label/labels_concensus.json       {"MSP-PODCAST_0001_0008.wav": {"EmoClass": "N",
                                       "SpkrID": "127", "Gender": "Male",
                                       "Split_Set": "Train", ...}, ...}
    Audio/<file>.wav                  e.g. Audio/MSP-PODCAST_0001_0008.wav

EmoBox keeps every class, O (Other) and X (No-agreement) included. "Unknown" speaker or
gender is left empty; `split` (Split_Set) is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from emobox.corpora.core import (
    CorpusInfo,
    Row,
    SideFileError,
    TableCorpus,
    field_of,
    first_existing,
    gender_of,
    read_json,
)

LABELS = {"A": "Angry", "C": "Contempt", "D": "Disgust", "F": "Fear", "H": "Happy",
          "N": "Neutral", "S": "Sad", "U": "Surprise", "O": "Other", "X": "No-agreement"}
#: EmoBox's spelling first, then the corrected one of later releases.
LABEL_FILES = ("label/labels_concensus.json", "label/labels_consensus.json",
               "Labels/labels_consensus.json")


def _rows(raw: Path) -> Iterator[Row]:
    path = first_existing(raw, *LABEL_FILES)
    data = read_json(path)
    if not isinstance(data, dict):
        raise SideFileError(f"{path}: expected an object keyed by file name")
    for name, entry in data.items():
        emo = str(field_of(entry, "EmoClass", path, f"entry {name!r}")).strip()
        speaker = str(entry.get("SpkrID") or "")
        yield {"name": name.split(".")[0], "wav": f"Audio/{name}", "emo": emo,
               "speaker": "" if speaker.lower() == "unknown" else speaker,
               "gender": entry.get("Gender"), "split": entry.get("Split_Set")}


CORPUS = TableCorpus(
    info=CorpusInfo(
        name="msppodcast", display_name="MSP-Podcast", languages=("en",), label_map=LABELS,
        source="podcast", n_emotions=8, n_speakers=1273, n_utterances=73042, hours=113.6,
        url="https://ecs.utdallas.edu/research/researchlabs/msp-lab/MSP-Podcast.html",
        license="UT Dallas academic licence agreement (commercial licence available)",
        protocols=("emobox",),
        notes="EmoBox keeps O/X; folds = Train / Validation / Test1 (its released train "
              "list was not available; Test2 is outside the fold)",
    ),
    rows=_rows,
    key="{name}",
    speaker="{speaker}",
    gender=lambda row: gender_of(row["gender"]),
    extra={"split": lambda row: row["split"]},
    required=(LABEL_FILES,),
    expect="label/labels_concensus.json and Audio/*.wav",
)
