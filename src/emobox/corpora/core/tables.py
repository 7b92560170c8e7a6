"""Table-driven corpora: utterances listed in side files, and per-speaker side tables.

* `TableCorpus` — a small ``rows(raw)`` function reads the corpus's own side files (with the
  readers of `emobox.corpora.core.readers`) and yields one dict of fields per utterance (or a
  `Skip`); the field rules of `PatternCorpus` turn each row into a `Candidate`. Rows whose
  audio file is missing are skipped with "missing file"; audio files that no row lists can be
  reported as well, so nothing is dropped silently.
* `SpeakerTable` / `ActedCorpus` — a `PatternCorpus` joined on the speaker id with a CSV in
  the download (e.g. CREMA-D's demographics) to fill in gender.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emobox.corpora.core.readers import read_csv
from emobox.corpora.core.rules import (
    FieldRule,
    SkipItem,
    float_or_none,
    gender_of,
    render,
    str_or_none,
)
from emobox.corpora.core.spec import (
    Candidate,
    Corpus,
    CorpusInfo,
    Discovered,
    PatternCorpus,
    Skip,
)
from emobox.errors import LayoutError

Row = dict[str, Any]
#: A required side file or folder: a glob relative to the raw root, or alternatives.
Required = str | tuple[str, ...]

MISSING_FILE = "missing file"


@dataclass
class TableCorpus(Corpus):
    """A corpus described by rows read from its side files.

    `rows` yields a dict of fields per utterance (strings or numbers) or a ready `Skip`.
    `wav` (default ``"{wav}"``) gives the audio path relative to the raw root; `key` is
    prefixed with ``<corpus>-``. `extra` maps manifest field names to rules (None values are
    left out). `required` lists globs (or tuples of alternative globs) that must match under
    the raw root, `expect` says in words what they are (for the `LayoutError`); `unlisted`
    lists globs of audio files that should all appear in the rows.
    """

    info: CorpusInfo
    rows: Callable[[Path], Iterable[Row | Skip]]
    key: FieldRule
    wav: FieldRule = "{wav}"
    emo: FieldRule = "{emo}"
    speaker: FieldRule = None
    gender: FieldRule = None
    lang: FieldRule = None
    start_time: FieldRule = None
    end_time: FieldRule = None
    extra: Mapping[str, FieldRule] = field(default_factory=dict)
    #: Returns a reason to skip the row (str) or None to keep it; checked before the file.
    exclude: Callable[[Row], str | None] | None = None
    required: Sequence[Required] = ()
    expect: str = "the corpus's side files"
    unlisted: Sequence[str] = ()
    unlisted_reason: str = "not listed in the side files"

    def discover(self, raw: Path) -> Iterator[Discovered]:
        listed: set[str] = set()
        for row in self.rows(raw):
            item = row if isinstance(row, Skip) else self.describe(row, raw)
            listed.add(item.wav)
            yield item
        for pattern in self.unlisted:
            for path in sorted(raw.glob(pattern)):
                rel = path.relative_to(raw).as_posix()
                if path.is_file() and rel not in listed:
                    listed.add(rel)
                    yield Skip(rel, self.unlisted_reason)

    def describe(self, row: Row, raw: Path) -> Discovered:
        """Turn one row into a `Candidate`, or a `Skip` with the reason."""
        wav = str(render(self.wav, row))
        try:
            if self.exclude is not None and (reason := self.exclude(row)):
                return Skip(wav, reason)
            if not (raw / wav).is_file():
                return Skip(wav, MISSING_FILE)
            extra = {name: render(rule, row) for name, rule in self.extra.items()}
            return Candidate(
                wav=wav,
                key=f"{self.info.name}-{render(self.key, row)}",
                emo=str(render(self.emo, row)),
                speaker=str_or_none(render(self.speaker, row)),
                gender=render(self.gender, row),
                lang=render(self.lang, row),
                start_time=float_or_none(render(self.start_time, row)),
                end_time=float_or_none(render(self.end_time, row)),
                extra={k: v for k, v in extra.items() if v is not None},
            )
        except SkipItem as exc:
            return Skip(wav, str(exc))

    def check_layout(self, raw: Path) -> None:
        for entry in self.required:
            alternatives = (entry,) if isinstance(entry, str) else entry
            if not any(_matches(raw, pattern) for pattern in alternatives):
                raise LayoutError(f"no {self.expect} under {raw} — is this the "
                                  f"{self.info.display_name} release? "
                                  f"(not found: {' or '.join(alternatives)})")


def _matches(raw: Path, pattern: str) -> bool:
    if not any(ch in pattern for ch in "*?["):
        return (raw / pattern).exists()
    return next(iter(raw.glob(pattern)), None) is not None


@dataclass(frozen=True)
class SpeakerTable:
    """A per-speaker CSV shipped with a corpus, joined on the candidate's speaker id.

    Gender values are read with the one gender table (`gender_of`); `columns` copies
    further CSV columns into the manifest row (``{manifest field: CSV column}``).
    """

    path: str
    id_column: str
    gender_column: str
    columns: Mapping[str, str] = field(default_factory=dict)

    def load(self, raw: Path) -> dict[str, dict[str, Any]]:
        """The table's rows keyed by speaker id; `LayoutError` if the file is missing."""
        path = raw / self.path
        if not path.is_file():
            raise LayoutError(f"no {self.path} under {raw} — the speaker table is part of the "
                              "download")
        rows = read_csv(path, (self.id_column, self.gender_column))
        return {str(row[self.id_column]): row for row in rows}

    def apply(self, cand: Candidate, rows: Mapping[str, Mapping[str, str]]) -> None:
        """Fill the candidate's gender (and `columns`) from its speaker's row, if any."""
        row = rows.get(cand.speaker or "")
        if row is None:
            return
        cand.gender = gender_of(row.get(self.gender_column))
        for name, column in self.columns.items():
            value = (row.get(column) or "").strip()
            if value:
                cand.extra[name] = value


@dataclass
class ActedCorpus(PatternCorpus):
    """A `PatternCorpus` with an optional `SpeakerTable` joined on the speaker id."""

    speaker_table: SpeakerTable | None = None

    def check_layout(self, raw: Path) -> None:
        super().check_layout(raw)
        if self.speaker_table is not None:
            self.speaker_table.load(raw)

    def discover(self, raw: Path) -> Iterator[Discovered]:
        rows = self.speaker_table.load(raw) if self.speaker_table is not None else None
        for found in super().discover(raw):
            if rows is not None and isinstance(found, Candidate):
                self.speaker_table.apply(found, rows)
            yield found
