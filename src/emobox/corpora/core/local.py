"""Corpora as a workspace knows them: the record each prepare writes
(``corpora/<name>/corpus.json``: the corpus's `CorpusInfo`, where its raw folder is, where it
came from), and users' own corpora read from a table (`emobox prepare NAME --table FILE`).

A name resolves to a registry corpus first, then to a corpus recorded in the workspace, so
every stage treats a user's corpus like a built-in one.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emobox.corpora.core.readers import read_csv, read_text
from emobox.corpora.core.registry import get_corpus
from emobox.corpora.core.rules import gender_of
from emobox.corpora.core.spec import Candidate, Corpus, Discovered
from emobox.corpora.info import CorpusInfo
from emobox.errors import EmoboxError, LayoutError
from emobox.manifest import Utterance, atomic_write_text, check_relative_path, read_manifest
from emobox.workspace import Workspace

#: Columns of a user table: required, then optional (aliases in parentheses are accepted).
REQUIRED_COLUMNS = ("path", "emotion", "speaker")
OPTIONAL_COLUMNS = ("gender", "language", "transcript", "split", "start_time", "end_time")
ALIASES = {"wav": "path", "file": "path", "emo": "emotion", "label": "emotion",
           "lang": "language", "text": "transcript"}
NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")


def write_record(workspace: Workspace, info: CorpusInfo, raw_root: Path, origin: str) -> Path:
    """Record a prepared corpus in the workspace (atomically)."""
    data = {"origin": origin, "raw_root": str(Path(raw_root).resolve()), "info": info.to_dict()}
    return atomic_write_text(workspace.corpus_record(info.name),
                             json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def read_record(workspace: Workspace, name: str) -> dict[str, Any] | None:
    path = workspace.corpus_record(name)
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise EmoboxError(f"{path}: unreadable corpus record ({exc})") from None


def resolve_corpus(workspace: Workspace, name: str) -> str:
    """The name of a registry corpus (any spelling) or of a corpus recorded in `workspace`."""
    try:
        return get_corpus(name).name
    except EmoboxError:
        if read_record(workspace, name) is not None or workspace.manifest(name).is_file():
            return name
        raise


def corpus_info(workspace: Workspace, name: str) -> CorpusInfo:
    """The `CorpusInfo` of a registry corpus, else the one recorded in the workspace."""
    try:
        return get_corpus(name).info
    except EmoboxError:
        record = read_record(workspace, name)
        if record is None:
            raise
        return CorpusInfo.from_dict(record["info"])


def corpus_manifest(workspace: Workspace, name: str) -> list[Utterance]:
    """The manifest of a prepared corpus, every label checked against the corpus's own
    labels (its `CorpusInfo`): a label it does not have (e.g. a row edited by hand) is one
    line naming the file, the line and the label, never a new class."""
    path = workspace.manifest(name)
    utts = read_manifest(path)
    try:
        known = set(corpus_info(workspace, name).emotions)
    except EmoboxError:
        return utts  # a corpus without a record: nothing to check against
    for line, u in enumerate(utts, 1):
        if u.label not in known:
            raise EmoboxError(f"{path}:{line}: label {u.label!r} is not one of {name}'s labels "
                              f"({', '.join(sorted(known))})")
    return utts


def raw_root_of(workspace: Workspace, corpus: str) -> Path:
    """The raw folder a corpus was prepared from (its workspace record)."""
    record = read_record(workspace, corpus)
    if record is None:
        raise EmoboxError(f"{corpus} is not prepared in {workspace.root} "
                          f"(run `emobox prepare {corpus} --raw DIR` first)")
    return Path(record["raw_root"])


@dataclass
class UserTableCorpus(Corpus):
    """A user's corpus listed in a CSV / TSV / jsonl table.

    Columns: ``path`` (audio file relative to the raw folder), ``emotion``, ``speaker``;
    optional ``gender``, ``language``, ``transcript``, ``split`` (train/dev/test: the
    ``official`` scheme), ``start_time``/``end_time`` (segments, seconds). Every row is
    checked; a bad one stops with an error naming the table, the line and the problem.
    """

    info: CorpusInfo
    table: Path
    expect: str = "the files the table lists"

    @classmethod
    def from_table(cls, name: str, table: str | Path) -> UserTableCorpus:
        if not NAME.fullmatch(name):
            raise EmoboxError(f"corpus name {name!r}: use lower-case letters, digits, '-', '_' "
                              "or '.'")
        try:
            get_corpus(name)
        except EmoboxError:
            pass
        else:
            raise EmoboxError(f"{name!r} is a built-in corpus; choose another name for a table")
        table = Path(table)
        if not table.is_file():
            raise EmoboxError(f"table not found: {table}")
        rows = list(read_table_rows(table))
        if not rows:
            raise EmoboxError(f"{table}: no rows")
        emotions = sorted({r["emotion"] for _, r in rows})
        languages = tuple(sorted({r["language"] for _, r in rows if r.get("language")})) \
            or ("und",)
        info = CorpusInfo(name=name, display_name=name, languages=languages,
                          label_map={e: e for e in emotions}, source="user table",
                          protocols=("user",), notes=f"prepared from {table.name}")
        return cls(info=info, table=table)

    def check_layout(self, raw: Path) -> None:
        if not any(raw.iterdir()):
            raise LayoutError(f"raw folder {raw} is empty")

    def discover(self, raw: Path) -> Iterator[Discovered]:
        seen: dict[str, int] = {}
        rows = list(read_table_rows(self.table))
        stems = Counter(Path(r["path"]).with_suffix("").as_posix() for _, r in rows)
        for line, row in rows:
            where = f"{self.table}:{line}"
            wav = row["path"]
            check_relative_path(wav, where=f"{where}: ")
            if not (raw / wav).is_file():
                raise EmoboxError(f"{where}: file not found: {raw / wav}")
            extra = {k: row[k] for k in ("transcript", "split") if row.get(k)}
            start, end = (_seconds(row.get(k), where, k) for k in ("start_time", "end_time"))
            stem = Path(wav).with_suffix("").as_posix()
            # the path without its suffix, unless two files differ only in their suffix
            key = (stem if stems[stem] == 1 else Path(wav).as_posix()).replace("/", "-")
            if start is not None:
                key = f"{key}-{start:g}"
            if key in seen:
                raise EmoboxError(f"{where}: utterance {wav!r} is listed twice (also line "
                                  f"{seen[key]})")
            seen[key] = line
            yield Candidate(wav=wav, key=f"{self.info.name}-{key}", emo=row["emotion"],
                            speaker=row["speaker"], gender=gender_of(row.get("gender")),
                            lang=row.get("language") or None, start_time=start, end_time=end,
                            extra=extra)


def read_table_rows(table: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of a user table, columns normalised and checked."""
    suffix = table.suffix.lower()
    if suffix == ".jsonl":
        rows = []
        for i, text in enumerate(read_text(table).splitlines(), 1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise EmoboxError(f"{table}:{i}: not valid JSON ({exc.msg})") from None
            if not isinstance(value, dict):
                raise EmoboxError(f"{table}:{i}: a row must be a JSON object")
            rows.append((i, value))
    elif suffix in (".csv", ".tsv"):
        rows = [(int(r.pop("_line")), r) for r in read_csv(
            table, delimiter="\t" if suffix == ".tsv" else ",")]
    else:
        raise EmoboxError(f"{table}: a table is .csv, .tsv or .jsonl, not {suffix or 'no suffix'}")
    for line, raw_row in rows:
        row: dict[str, str] = {}
        for column, value in raw_row.items():
            name = ALIASES.get(str(column).strip().lower(), str(column).strip().lower())
            if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
                raise EmoboxError(f"{table}:{line}: unknown column {column!r} (columns: "
                                  f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)})")
            row[name] = "" if value is None else str(value).strip()
        for name in REQUIRED_COLUMNS:
            if not row.get(name):
                raise EmoboxError(f"{table}:{line}: empty or missing {name!r}")
        yield line, row


def _seconds(value: str | None, where: str, column: str) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise EmoboxError(f"{where}: {column} {value!r} is not a number of seconds") from None
