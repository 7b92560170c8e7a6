"""EEKK — Estonian Emotional Speech Corpus (Eesti emotsionaalse kõne korpus; SER Evals).

Raw layout (the folder holding ``EKORPUS/`` from ekorpus.zip, or ``EKORPUS/`` itself)::

    EKORPUS/<id>.wav + EKORPUS/<id>.TextGrid       e.g. EKORPUS/37.wav, EKORPUS/37.TextGrid

The label is the first non-empty interval of the TextGrid tier ``emotion`` (anger, joy,
neutral, sadness; lower-cased); the ``sentence`` tier, when present, becomes ``text``.
44.1 kHz mono. Key: ``eekk-<id>``. Speakers are unresolved (SER Evals says 10, the public
material suggests one female reader) and no id is derivable, so speaker and gender stay
unknown. A wav without a readable TextGrid or emotion tier is skipped with the reason.

Label map: joy → Happy; anger → Angry, neutral → Neutral, sadness → Sad.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from emobox.corpora.core import (
    Candidate,
    Corpus,
    CorpusInfo,
    Discovered,
    SideFileError,
    Skip,
    find_files,
    posix,
    read_textgrid,
)
from emobox.errors import LayoutError


@dataclass
class EekkCorpus(Corpus):
    """wav files labelled by the ``emotion`` tier of the TextGrid beside each."""

    info: CorpusInfo
    expect: str = "<id>.wav + <id>.TextGrid pairs (under EKORPUS/)"

    def folders(self, raw: Path) -> list[Path]:
        return [raw, raw / "EKORPUS"]

    def discover(self, raw: Path) -> Iterator[Discovered]:
        for folder in self.folders(raw):
            grids = {p.stem: p for p in find_files(folder, (".textgrid",), recursive=False)}
            for wav in find_files(folder, (".wav",), recursive=False):
                yield self.describe(raw, wav, grids.get(wav.stem))

    def describe(self, raw: Path, wav: Path, grid: Path | None) -> Discovered:
        rel = posix(wav, raw)
        if grid is None:
            return Skip(rel, f"no {wav.stem}.TextGrid beside the wav (the label is there)")
        try:
            tiers = {name.strip().lower(): items for name, items in read_textgrid(grid).items()}
        except SideFileError as exc:
            return Skip(rel, f"unreadable TextGrid: {exc}")
        emotion = _first_text(tiers.get("emotion", []))
        if emotion is None:
            return Skip(rel, f"no 'emotion' tier text in {grid.name}")
        sentence = _first_text(tiers.get("sentence", []))
        return Candidate(wav=rel, key=f"{self.name}-{wav.stem}", emo=emotion.lower(),
                         lang="et", extra={"text": sentence} if sentence else {})

    def check_layout(self, raw: Path) -> None:
        if not any(find_files(folder, (".wav", ".textgrid"), recursive=False)
                   for folder in self.folders(raw)):
            raise LayoutError(f"no {self.expect} under {raw} — is this the EEKK release "
                              f"(ekorpus.zip)?")


def _first_text(items: list[tuple[float, float, str]]) -> str | None:
    return next((text.strip() for _, _, text in items if text.strip()), None)


CORPUS = EekkCorpus(
    info=CorpusInfo(
        name="eekk",
        display_name="EEKK (Estonian Emotional Speech Corpus)",
        languages=("et",),
        label_map={"anger": "Angry", "joy": "Happy", "neutral": "Neutral", "sadness": "Sad"},
        source="acted (read)",
        n_emotions=4,
        n_speakers=10,
        n_utterances=1164,
        url="https://dagshub.com/kingabzpro/Estonian-Emotional-Speech-Corpus (ekorpus.zip; "
            "original: Institute of the Estonian Language, META-SHARE)",
        license="free for research (terms unverified)",
        protocols=("serval",),
        serval_cluster="cluster3",
        notes="SER Evals Table 1: 10 speakers, 3.4 s per utterance; speaker ids are not in "
              "the release.",
    ),
)
