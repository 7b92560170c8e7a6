"""ShEMO (Persian radio plays): labels in shemo.json, audio by gender folder.

Layout (EmoBox ``downloads/shemo/``)::

    shemo.json                  {"M36S02": {"speaker_id": "M36", "gender": "male",
                                            "emotion": "sad", ...}, ...}
    <male|female>/<id>.wav      e.g. male/M36S02.wav, female/F21N23.wav

The raw label is the JSON emotion lower-cased (fearful → Fear, surprised → Surprise).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from emobox.corpora.core import CorpusInfo, Row, SideFileError, TableCorpus, field_of, read_json

LABELS = {"angry": "Angry", "fearful": "Fear", "happy": "Happy", "neutral": "Neutral",
          "sad": "Sad", "surprised": "Surprise"}


def _rows(raw: Path) -> Iterator[Row]:
    path = raw / "shemo.json"
    data = read_json(path)
    if isinstance(data, list):  # the older release: a list of entries with an "id"
        data = {str(field_of(e, "id", path, f"entry {i}")): e for i, e in enumerate(data)}
    if not isinstance(data, dict):
        raise SideFileError(f"{path}: expected an object keyed by file id")
    for utt, entry in data.items():
        what = f"entry {utt!r}"
        gender = str(field_of(entry, "gender", path, what)).strip().lower()
        yield {"utt": utt, "wav": f"{gender}/{utt}.wav", "gender": gender,
               "emo": str(field_of(entry, "emotion", path, what)).strip().lower(),
               "speaker": entry.get("speaker_id") or utt[:3]}


CORPUS = TableCorpus(
    info=CorpusInfo(
        name="shemo", display_name="ShEMO", languages=("fa",), label_map=LABELS,
        source="acted", n_emotions=6, n_speakers=87, n_utterances=2838, hours=3.3,
        url="https://github.com/pariajm/sharif-emotional-speech-dataset (shemo.json + zips)",
        license="free for academic research (ShEMO authors' terms)",
        protocols=("emobox", "serval"),
        serval_map={"Fear": "other"},
        notes="semi-natural speech from radio plays",
    ),
    rows=_rows,
    key="{utt}",
    speaker="{speaker}",
    gender=lambda row: {"female": "F", "male": "M"}.get(row["gender"]),
    required=("shemo.json",),
    expect="shemo.json with male/ and female/ wav folders",
)
