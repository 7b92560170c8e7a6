"""MER2023 (Mandarin TV clips): label CSVs per official set, audio read from the video.

Layout (EmoBox ``downloads/mer2023/``)::

    mer2023train/train-label.csv  test-labels/test{1,2,3}-label.csv    columns name, discrete
    mer2023train/train/<name>.avi   test1/   test2/   mer2023train/test3/
        e.g. mer2023train/train/sample_00002721.avi, test2/sample_00005474.mp4

Each clip is ``<name>.avi``, else ``<name>.mp4``; the key keeps ``.mp4`` (``mer2023-<name>`` or
``mer2023-<name>.mp4``, as EmoBox). A name already listed in an earlier CSV is skipped. The
corpus has no speaker ids (EmoBox used the clip name); `split` (train/test1/2/3) is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from emobox.corpora.core import CorpusInfo, Row, Skip, TableCorpus, read_csv

EMOTIONS = ("neutral", "angry", "sad", "happy", "worried", "surprise")
#: split → (label CSV, clip folder); the test label files are read when present.
SETS = {
    "train": ("mer2023train/train-label.csv", "mer2023train/train"),
    "test1": ("test-labels/test1-label.csv", "test1"),
    "test2": ("test-labels/test2-label.csv", "test2"),
    "test3": ("test-labels/test3-label.csv", "mer2023train/test3"),
}


def _rows(raw: Path) -> Iterator[Row | Skip]:
    seen: dict[str, str] = {}
    for split, (table, folder) in SETS.items():
        if split != "train" and not (raw / table).is_file():
            continue
        for row in read_csv(raw / table, ("name", "discrete")):
            name = row["name"]
            wav = f"{folder}/{name}.avi"
            if name in seen:
                yield Skip(wav, f"duplicate: {name} already listed in {seen[name]}")
                continue
            seen[name] = table
            if not (raw / wav).is_file() and (raw / folder / f"{name}.mp4").is_file():
                wav = f"{folder}/{name}.mp4"
            key = name + (".mp4" if wav.endswith(".mp4") else "")
            yield {"key": key, "wav": wav, "emo": row["discrete"], "split": split}


CORPUS = TableCorpus(
    info=CorpusInfo(
        name="mer2023", display_name="MER2023", languages=("zh",),
        label_map={e: e.capitalize() for e in EMOTIONS}, source="TV",
        n_emotions=6, n_speakers=None, n_utterances=5030, hours=5.9,
        url="http://merchallenge.cn/ (MER 2023 challenge data, by EULA)",
        license="EULA signed by an academic: non-commercial research only",
        protocols=("emobox",),
        notes="no speaker ids; EmoBox fold = train vs test1 only (3784 of the 5030 "
              "utterances; test2/test3 are outside the fold)",
    ),
    rows=_rows,
    key="{key}",
    extra={"split": "{split}"},
    required=("mer2023train/train-label.csv",),
    expect="mer2023train/train-label.csv, test-labels/ and the clip folders",
)
