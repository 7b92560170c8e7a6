"""BAUM-1 (Turkish audio-visual clips; SER Evals ``baum1``): BAUM-1s spontaneous + BAUM-1a acted.

Raw layout (the release folder; folder names as third-party scripts see them)::

    Annotations_BAUM1s.xlsx   Annotations_BAUM1a.xlsx      (.csv exports are accepted too)
    BAUM1s_MP4 - All/s0NN/S0NN_MMM.mp4                    e.g. BAUM1s_MP4 - All/s015/S015_007.mp4
    BAUM1a_MP4 - All/s0NN/S0NN_MMM.mp4                    (or BAUM1a_MP4_all/)

``wav`` points at the mp4 (decoded through PyAV). Labels come from the sheets: each row has
the clip name, the emotion name, a numeric code (different tables for 1s and 1a) and the
gender. Column order and headers are unverified, so columns are found by content: the clip
column (``S0NN_MMM``), the emotion-name column, the gender column, and the code column (the
small-integer column nearest the names). ``emo`` is the emotion's lower-case English name from
the code. Rows whose name and code disagree (S015_007), unknown codes, clips missing from the
sheet and rows whose clip is missing are skipped with the reason. Speaker ``S0NN`` (shared by
both subsets); key ``baum1-<1s|1a>_<clip>`` (clip names repeat across the subsets).

Label map: anger → Angry, happiness → Happy, sadness → Sad, disgust, fear, neutral, surprise as
named; boredom → Boredom, contempt → Contempt; bothered, concentrating, thinking, unsure,
interest keep their own names (SER Evals puts all of these in ``other``). Which clips make
SER Evals' 1,398 is not known; both subsets are listed, with ``subset`` in the manifest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from emobox.corpora.core import (
    Candidate,
    Corpus,
    CorpusInfo,
    Discovered,
    Skip,
    SkipItem,
    find_files,
    posix,
    read_table,
)
from emobox.errors import LayoutError

NAMES_1S = ("anger", "boredom", "bothered", "concentrating", "contempt", "disgust", "fear",
            "happiness", "neutral", "sadness", "surprise", "thinking", "unsure")
NAMES_1A = ("anger", "boredom", "disgust", "fear", "happiness", "interest", "sadness",
            "surprise", "unsure")
#: (tag, subset, sheet stem, clip folder, code table); clip folders are matched by prefix.
SUBSETS = (
    ("1s", "spontaneous", "Annotations_BAUM1s", "BAUM1s_MP4 - All",
     {str(i): n for i, n in enumerate(NAMES_1S, 1)}),
    ("1a", "acted", "Annotations_BAUM1a", "BAUM1a_MP4 - All",
     {str(i): n for i, n in enumerate(NAMES_1A, 1)}),
)
#: Spelled-out emotion names → code-table name; ``con`` alone is ambiguous in BAUM-1s.
NAME_PREFIXES = (("concentrat", "concentrating"), ("contempt", "contempt"), ("confus", "unsure"),
                 ("undecid", "unsure"), ("curious", "interest"), ("interest", "interest"),
                 ("ang", "anger"), ("bor", "boredom"), ("bot", "bothered"), ("dis", "disgust"),
                 ("fea", "fear"), ("hap", "happiness"), ("neu", "neutral"), ("sad", "sadness"),
                 ("sur", "surprise"), ("thi", "thinking"), ("uns", "unsure"))
GENDERS = {"f": "F", "female": "F", "k": "F", "kadın": "F", "kadin": "F",
           "m": "M", "male": "M", "e": "M", "erkek": "M"}
CLIP = re.compile(r"([Ss](\d{3})_\d{3})(?:\.mp4)?", re.IGNORECASE)


@dataclass
class Row:
    clip: str
    name: str
    code: str
    gender: str | None


@dataclass
class Baum1Corpus(Corpus):
    """Clips listed in the two annotation sheets, labelled from the sheets."""

    info: CorpusInfo
    expect: str = "Annotations_BAUM1s/1a sheets and 'BAUM1s_MP4 - All/' clip folders"

    def discover(self, raw: Path) -> Iterator[Discovered]:
        for tag, subset, sheet_stem, folder_name, codes in SUBSETS:
            sheet = _sheet(raw, sheet_stem)
            folders = _clip_folders(raw, folder_name)
            clips = {p.stem.upper(): posix(p, raw) for folder in folders
                     for p in find_files(folder, (".mp4",))}
            home = folders[0].name if folders else folder_name
            if sheet is None:
                yield from (Skip(rel, f"no {sheet_stem}.xlsx: the labels are there")
                            for rel in clips.values())
                continue
            listed: set[str] = set()
            for row in parse_sheet(read_table(sheet), codes):
                clip = row.clip.upper()
                rel = clips.get(clip)
                if rel is None:
                    expected = f"{home}/{clip.split('_')[0].lower()}/{clip}.mp4"
                    yield Skip(expected, f"in {sheet.name} but no {clip}.mp4 found")
                    continue
                listed.add(clip)
                try:
                    emo = _emotion(row, codes)
                except SkipItem as exc:
                    yield Skip(rel, str(exc))
                    continue
                yield Candidate(wav=rel, key=f"{self.name}-{tag}_{clip}", emo=emo,
                                speaker=clip.split("_")[0], gender=row.gender, lang="tr",
                                extra={"subset": subset})
            yield from (Skip(rel, f"not in {sheet.name}")
                        for clip, rel in clips.items() if clip not in listed)

    def check_layout(self, raw: Path) -> None:
        sheets = [s for _, _, stem, _, _ in SUBSETS if (s := _sheet(raw, stem))]
        folders = [f for *_, name, _ in SUBSETS for f in _clip_folders(raw, name)]
        if not sheets or not folders:
            raise LayoutError(f"no Annotations_BAUM1s/1a.xlsx and 'BAUM1s_MP4 - All/' folders "
                              f"under {raw} — is this the BAUM-1 release?")


def parse_sheet(rows: list[list[str]], codes: dict[str, str]) -> list[Row]:
    """Annotation rows (those with a clip name), columns found by their content."""
    data = [r for r in rows if any(CLIP.fullmatch(c) for c in r)]
    if not data:
        return []
    width = max(len(r) for r in data)
    cells = [[r[i] if i < len(r) else "" for r in data] for i in range(width)]

    def best(test) -> int | None:
        counts = [sum(1 for c in column if test(c)) for column in cells]
        top = max(counts)
        return counts.index(top) if top else None

    clip_col = best(CLIP.fullmatch)
    name_col = best(lambda c: _name(c) is not None)
    gender_col = best(lambda c: c.lower() in GENDERS)
    taken = {clip_col, name_col, gender_col}
    subject = [CLIP.fullmatch(r[clip_col]).group(2) for r in data]

    def is_code_column(i: int) -> bool:
        values, n = cells[i], len(cells[i])
        return (sum(v.isdigit() for v in values) >= 0.9 * n
                and sum(v in codes for v in values) >= 0.5 * n
                and sum(v.isdigit() and int(v) == int(s) for v, s in zip(values, subject))
                < 0.9 * n)

    candidates = [i for i in range(width) if i not in taken and is_code_column(i)]
    anchor = name_col if name_col is not None else clip_col
    code_col = min(candidates, key=lambda i: (abs(i - anchor), i < anchor), default=None)
    return [Row(clip=CLIP.fullmatch(r[clip_col]).group(1),
                name=r[name_col] if name_col is not None and name_col < len(r) else "",
                code=r[code_col] if code_col is not None and code_col < len(r) else "",
                gender=GENDERS.get(r[gender_col].lower()) if gender_col is not None
                and gender_col < len(r) else None)
            for r in data]


def _emotion(row: Row, codes: dict[str, str]) -> str:
    """The row's emotion (code-table name); raises `SkipItem` for rows to leave out."""
    named = _name(row.name)
    if row.code:
        if row.code not in codes:
            raise SkipItem(f"unknown emotion code {row.code!r}")
        if named is not None and named != codes[row.code]:
            raise SkipItem(f"emotion name {row.name!r} disagrees with code {row.code} "
                           f"({codes[row.code]})")
        return codes[row.code]
    if not (named or row.name.strip()):
        raise SkipItem("no emotion in the annotation row")
    return named or row.name.strip().lower()


def _name(text: str) -> str | None:
    text = text.strip().lower()
    return next((name for prefix, name in NAME_PREFIXES if text.startswith(prefix)), None)


def _sheet(raw: Path, stem: str) -> Path | None:
    for folder in (raw, *sorted(p for p in raw.iterdir() if p.is_dir())):
        for path in find_files(folder, (".xlsx", ".csv", ".tsv"), recursive=False):
            if path.stem.lower() == stem.lower():
                return path
    return None


def _clip_folders(raw: Path, name: str) -> list[Path]:
    """'BAUM1s_MP4 - All/' and variants (BAUM1a_MP4_all/): folders named like its first word."""
    prefix = name.split("_")[0].lower()
    return sorted(p for p in raw.iterdir() if p.is_dir() and p.name.lower().startswith(prefix))


CORPUS = Baum1Corpus(
    info=CorpusInfo(
        name="baum1",
        display_name="BAUM-1",
        languages=("tr",),
        label_map={"anger": "Angry", "boredom": "Boredom", "bothered": "Bothered",
                   "concentrating": "Concentrating", "contempt": "Contempt",
                   "disgust": "Disgust", "fear": "Fear", "happiness": "Happy",
                   "interest": "Interest", "neutral": "Neutral", "sadness": "Sad",
                   "surprise": "Surprise", "thinking": "Thinking", "unsure": "Unsure"},
        source="spontaneous (BAUM-1s) and acted (BAUM-1a) video clips",
        n_emotions=8,
        n_speakers=31,
        n_utterances=1398,
        url="Bahçeşehir University (BAUM-1 authors), on request",
        license="academic request form (terms unverified)",
        protocols=("serval",),
        serval_cluster="cluster2",
        notes="SER Evals Table 1: 8 classes (7 emotions + other), 4.6 s per clip; how its "
              "1,398 clips were chosen is unknown.",
    ),
)
