"""IEMOCAP: labels from the EmoEvaluation turn lines, audio per utterance.

Layout (EmoBox ``downloads/iemocap/``)::

    Session{1..5}/dialog/EmoEvaluation/<dialog>.txt
        turn lines "[start - end] <TAB> id <TAB> code <TAB> [V, A, D]"
    Session{1..5}/sentences/wav/<dialog>/<id>.wav
        e.g. Session1/sentences/wav/Ses01F_impro04/Ses01F_impro04_F000.wav

EmoBox keeps neu, hap, exc, ang, sad (exc merged into Happy); other codes are skipped. The
speaker is the session plus the F/M letter of the last id token (``Ses01F_impro04_M003`` is
Ses01M, male) — EmoBox's dialog-prefix speaker is not the talker.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from emobox.corpora.core import CorpusInfo, Row, SideFileError, TableCorpus, read_lines

LABELS = {"neu": "Neutral", "hap": "Happy", "exc": "Happy", "ang": "Angry", "sad": "Sad"}
_TURN = re.compile(r"\[(\d+(?:\.\d+)?) - (\d+(?:\.\d+)?)\]\t([A-Za-z0-9_]+)\t([A-Za-z]{3})\t"
                   r"\[[-\d., ]+\]")


def _rows(raw: Path) -> Iterator[Row]:
    for session in range(1, 6):
        folder = raw / f"Session{session}"
        for txt in sorted((folder / "dialog" / "EmoEvaluation").glob("*.txt")):
            if txt.name.startswith("._"):  # macOS resource forks in some copies
                continue
            for lineno, line in enumerate(read_lines(txt), 1):
                if not line.startswith("["):
                    continue
                match = _TURN.match(line)
                if match is None:
                    raise SideFileError(f"{txt}:{lineno}: malformed turn line {line[:60]!r}")
                utt, code = match.group(3), match.group(4)
                letter = utt.rsplit("_", 1)[-1][:1].upper()
                yield {"utt": utt, "emo": code,
                       "wav": f"Session{session}/sentences/wav/{utt[:-5]}/{utt}.wav",
                       "speaker": utt[:5] + letter, "gender": letter}


CORPUS = TableCorpus(
    info=CorpusInfo(
        name="iemocap", display_name="IEMOCAP", languages=("en",), label_map=LABELS,
        source="acted", n_emotions=5, n_speakers=10, n_utterances=5531, hours=7.0,
        url="https://sail.usc.edu/iemocap/ (request via the release form)",
        license="USC SAIL release agreement: research use only, no redistribution",
        protocols=("emobox",),
        notes="EmoBox keeps neu/hap/exc/ang/sad, exc→Happy; leave-one-session-out folds",
    ),
    rows=_rows,
    key="{utt}",
    speaker="{speaker}",
    gender=lambda row: row["gender"] if row["gender"] in ("F", "M") else None,
    exclude=lambda row: None if row["emo"] in LABELS else f"excluded by EmoBox: {row['emo']}",
    required=("Session[1-5]/dialog/EmoEvaluation",),
    expect="Session1..5/ folders with dialog/EmoEvaluation/ and sentences/wav/",
)
