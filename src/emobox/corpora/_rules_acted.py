"""Small field rules and one `PatternCorpus` extension shared by the acted-speech corpora.

Field rules (for `PatternCorpus` key / emo / speaker / gender / lang):

* `rewrite` — a template with characters replaced (``"a03 (3)"`` → ``"a03-3"``);
* `code` — a field mapped through a table, ``None`` for unknown values (gender, language);
* `parity` — a value chosen by whether a numeric field is odd or even (actor gender).

`ActedCorpus` adds what a pattern alone cannot say: a `SpeakerTable` (a CSV in the download,
e.g. CREMA-D's demographics) joined on the speaker id to fill in gender.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emobox.corpora.base import (
    Candidate,
    Discovered,
    PatternCorpus,
)
from emobox.errors import LayoutError

Rule = Callable[[dict[str, str]], Any]


def rewrite(template: str, replace: Mapping[str, str]) -> Rule:
    """Render `template` over the fields, then replace each key of `replace` by its value."""

    def rule(fields: dict[str, str]) -> str:
        text = template.format(**fields)
        for old, new in replace.items():
            text = text.replace(old, new)
        return text

    return rule


def code(name: str, table: Mapping[str, Any]) -> Rule:
    """Map the field `name` through `table`; values not in the table give ``None``."""
    return lambda fields: table.get(fields[name])


def parity(name: str, *, odd: str, even: str) -> Rule:
    """`odd` or `even` depending on the integer value of the field `name`."""
    return lambda fields: odd if int(fields[name]) % 2 else even


@dataclass(frozen=True)
class SpeakerTable:
    """A per-speaker CSV shipped with a corpus, joined on the candidate's speaker id.

    `gender_codes` maps the CSV's gender values to ``F``/``M``; `columns` copies further CSV
    columns into the manifest row (``{manifest field: CSV column}``).
    """

    path: str
    id_column: str
    gender_column: str
    gender_codes: Mapping[str, str]
    columns: Mapping[str, str] = field(default_factory=dict)

    def load(self, raw: Path) -> dict[str, dict[str, str]]:
        """The table's rows keyed by speaker id; `LayoutError` if the file is missing."""
        path = raw / self.path
        if not path.is_file():
            raise LayoutError(f"no {self.path} under {raw} — the speaker table is part of the "
                              "download")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        if rows and self.id_column not in rows[0]:
            raise LayoutError(f"{path} has no {self.id_column!r} column")
        return {row[self.id_column].strip(): row for row in rows}

    def apply(self, cand: Candidate, rows: Mapping[str, Mapping[str, str]]) -> None:
        """Fill the candidate's gender (and `columns`) from its speaker's row, if any."""
        row = rows.get(cand.speaker or "")
        if row is None:
            return
        cand.gender = self.gender_codes.get((row.get(self.gender_column) or "").strip())
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
