"""Corpora whose utterances are listed in side files (CSV, JSON, YAML, label text files).

A `TableCorpus` takes a small ``rows(raw)`` function that reads the corpus's own side files
and yields one dict of fields per utterance (or a `Skip`); the same field rules as
`PatternCorpus` then turn each row into a `Candidate`: ``str.format`` templates over the
row's fields, callables, `lookup` tables and `SkipItem`. Rows whose audio file is missing
are skipped with "missing file"; audio files that no row lists can be reported as well, so
nothing is dropped silently.

The readers below (`read_csv`, `read_json`, `read_yaml`, `read_lines`) turn any problem with
a side file into a one-line `SideFileError` that names the file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from emobox.corpora.base import (
    Candidate,
    Corpus,
    CorpusInfo,
    Discovered,
    FieldRule,
    Skip,
    SkipItem,
    render,
)
from emobox.errors import EmoboxError, LayoutError

Row = dict[str, Any]
#: A required side file or folder: a glob relative to the raw root, or alternatives.
Required = str | tuple[str, ...]

MISSING_FILE = "missing file"


class SideFileError(EmoboxError):
    """A side file (label table, annotation file) is unreadable or malformed."""


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
                speaker=_str_or_none(render(self.speaker, row)),
                gender=render(self.gender, row),
                lang=render(self.lang, row),
                start_time=_float_or_none(render(self.start_time, row)),
                end_time=_float_or_none(render(self.end_time, row)),
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


# --- reading side files -------------------------------------------------------------------


def first_existing(raw: Path, *candidates: str) -> Path:
    """The first of `candidates` (relative to `raw`) that exists, else the first one."""
    for rel in candidates:
        if (raw / rel).exists():
            return raw / rel
    return raw / candidates[0]


def read_text(path: Path) -> str:
    """A side file as text (UTF-8, BOM tolerated); a `SideFileError` if it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SideFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SideFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def read_lines(path: Path) -> list[str]:
    """The lines of a text side file, without line ends."""
    return read_text(path).splitlines()


def read_csv(path: Path, columns: Sequence[str] = (), *, delimiter: str = ",") -> list[Row]:
    """Rows of a delimited table with a header line; values stripped.

    Each row also gets ``_line`` (its line number). A missing column, a row shorter than the
    header for a needed column, or broken quoting raises `SideFileError`.
    """
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        missing = [c for c in columns if c not in header]
        if missing:
            shown = ", ".join(header[:8]) or "nothing"
            raise SideFileError(f"{path}: no column {missing[0]!r} (header has {shown}) — "
                                f"is this the right file?")
        reader.fieldnames = header
        rows: list[Row] = []
        for row in reader:
            line = reader.line_num
            if any(row.get(c) is None for c in columns):
                raise SideFileError(f"{path}:{line}: row has fewer fields than the header")
            cleaned = {str(k): v.strip() if isinstance(v, str) else v
                       for k, v in row.items() if k is not None}
            cleaned["_line"] = line
            rows.append(cleaned)
    except csv.Error as exc:
        raise SideFileError(f"{path}:{reader.line_num}: malformed table ({exc})") from None
    return rows


def read_json(path: Path) -> Any:
    """A JSON side file; syntax errors become a one-line `SideFileError`."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise SideFileError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None


def read_yaml(path: Path) -> Any:
    """A YAML side file (PyYAML, C loader when available)."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML ships with the test environment
        raise EmoboxError(f"reading {path} needs PyYAML (pip install pyyaml)") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(read_text(path), Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise SideFileError(f"{path}{where}: not valid YAML ({problem})") from None


def expect_type(value: Any, kind: type | tuple[type, ...], path: Path, what: str) -> Any:
    """`value` if it is an instance of `kind`, else a `SideFileError` naming `what`."""
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise SideFileError(f"{path}: {what} should be a {names}, not "
                            f"{type(value).__name__}")
    return value


def field_of(entry: Mapping[str, Any], name: str, path: Path, what: str) -> Any:
    """``entry[name]``, or a `SideFileError` saying which entry lacks it."""
    if not isinstance(entry, Mapping):
        raise SideFileError(f"{path}: {what} should be an object, not {type(entry).__name__}")
    if name not in entry or entry[name] is None:
        raise SideFileError(f"{path}: {what} has no {name!r} field")
    return entry[name]


# --- field helpers --------------------------------------------------------------------------

_GENDERS = {"f": "F", "female": "F", "woman": "F", "w": "F",
            "m": "M", "male": "M", "man": "M"}


def gender_of(value: Any) -> str | None:
    """F/M from the spellings corpora use (female, Female, F, W, male, M …); else None."""
    return _GENDERS.get(str(value or "").strip().lower())


def stem(path: str) -> str:
    """The file name of a (posix) path without its last suffix."""
    return PurePosixPath(path).stem


def _matches(raw: Path, pattern: str) -> bool:
    if not any(ch in pattern for ch in "*?["):
        return (raw / pattern).exists()
    return next(iter(raw.glob(pattern)), None) is not None


def _str_or_none(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _float_or_none(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SkipItem(f"bad time value {value!r}") from None
