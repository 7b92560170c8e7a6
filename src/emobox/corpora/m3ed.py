"""M3ED (Mandarin TV dialogues): annotation.json per movie and clip, one wav per utterance.

Layout (EmoBox ``downloads/m3ed/``)::

    annotation.json        {movie: {clip: {"SpeakerInfo": {"A": {"Name", "Gender", ...}},
                                           "Dialog": {utt: {"Speaker": "A",
                                                            "EmoAnnotation": {...}}}}}}
    splitInfo/movie_list_{train,val,test}.txt
    modality_speech/<A|B>_<utt>.wav        e.g. modality_speech/A_rucikeaidewomen_1_1.wav

Raw label ``final_main_emo`` (Anger → Angry); speaker ``<movie>_<Name>`` (names may hold
spaces); gender from SpeakerInfo; `split` (train/valid/test) from the movie lists.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from emobox.corpora.core import (
    CorpusInfo,
    Row,
    Skip,
    TableCorpus,
    expect_type,
    field_of,
    gender_of,
    read_json,
    read_lines,
)

LABELS = {"Neutral": "Neutral", "Happy": "Happy", "Sad": "Sad", "Surprise": "Surprise",
          "Disgust": "Disgust", "Fear": "Fear", "Anger": "Angry"}
SPLITS = {"train": "train", "val": "valid", "test": "test"}


def _rows(raw: Path) -> Iterator[Row | Skip]:
    split_of: dict[str, str] = {}
    for name, split in SPLITS.items():
        path = raw / "splitInfo" / f"movie_list_{name}.txt"
        if path.is_file():
            split_of.update({m.strip(): split for m in read_lines(path) if m.strip()})
    path = raw / "annotation.json"
    movies = expect_type(read_json(path), dict, path, "the top level")
    for movie, clips in movies.items():
        for clip, info in expect_type(clips, dict, path, f"movie {movie!r}").items():
            what = f"clip {clip!r}"
            speakers = expect_type(field_of(info, "SpeakerInfo", path, what), dict, path, what)
            dialog = expect_type(field_of(info, "Dialog", path, what), dict, path, what)
            for utt, turn in dialog.items():
                letter = str(field_of(turn, "Speaker", path, f"utterance {utt!r}"))
                wav = f"modality_speech/{letter}_{utt}.wav"
                person = speakers.get(letter)
                if not isinstance(person, dict):
                    yield Skip(wav, f"speaker {letter!r} not in the clip's SpeakerInfo")
                    continue
                emo = field_of(field_of(turn, "EmoAnnotation", path, f"utterance {utt!r}"),
                               "final_main_emo", path, f"utterance {utt!r}")
                yield {"utt": utt, "wav": wav, "emo": str(emo),
                       "speaker": f"{movie}_{person.get('Name', letter)}",
                       "gender": person.get("Gender"), "split": split_of.get(movie)}


CORPUS = TableCorpus(
    info=CorpusInfo(
        name="m3ed", display_name="M3ED", languages=("zh",), label_map=LABELS, source="TV",
        n_emotions=7, n_speakers=626, n_utterances=24437, hours=9.8,
        url="https://github.com/AIM3-RUC/RUCM3ED (request from the authors)",
        license="research use under the authors' licence agreement",
        protocols=("emobox",),
        notes="official movie-level train/val/test split; n_speakers is EmoBox Table 1 "
              "(626); speaker ids are scoped to a movie, which gives 635 in EmoBox's metadata "
              "and in a prepare of the release.",
    ),
    rows=_rows,
    key="{utt}",
    speaker="{speaker}",
    gender=lambda row: gender_of(row["gender"]),
    extra={"split": lambda row: row["split"]},
    required=("annotation.json",),
    expect="annotation.json, splitInfo/ and modality_speech/*.wav",
)
