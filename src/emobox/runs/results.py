"""The results database (SQLite, WAL): one row per `RunKey`, its metrics and predictions.

A run's identity is its `RunKey` (``runs.run_id``, unique). Storing a key that is already
there replaces that run only — the same experiment run again; any difference in the key is
a different row. Databases whose run identities lack fields that today's identity has
(emobox 0.1: none; schema 3: no corpus set, no class list) are refused with a message: their
rows cannot be told apart from each other's settings, so they are never mixed with new ones.
A database is opened read-only (`readonly`) by the commands that only read, so reports work
on a read-only workspace.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emobox.errors import EmoboxError
from emobox.runs.key import RunKey, canonical

SCHEMA_VERSION = 4
#: The oldest schema whose run identities are complete (older ones are refused).
COMPLETE_KEYS = 4
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL UNIQUE,
    run_key TEXT NOT NULL,
    protocol TEXT NOT NULL,
    model TEXT NOT NULL,
    train_corpus TEXT NOT NULL,
    test_corpus TEXT NOT NULL,
    scheme TEXT NOT NULL,
    label_space TEXT NOT NULL,
    recipe TEXT NOT NULL,
    fold TEXT NOT NULL,
    seed INTEGER NOT NULL,
    metrics TEXT NOT NULL,
    info TEXT NOT NULL,
    version TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS predictions (
    run INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    predicted TEXT NOT NULL,
    probs TEXT,
    raw_probs TEXT
);
CREATE INDEX IF NOT EXISTS runs_lookup ON runs(protocol, model, train_corpus, test_corpus);
CREATE INDEX IF NOT EXISTS predictions_run ON predictions(run);
"""


def _read_only(path: Path) -> bool:
    """Whether the file system holding `path` (or its nearest existing parent) is read-only."""
    import os

    for folder in (path, *path.parents):
        if folder.exists():
            return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    return False


@dataclass(frozen=True)
class RunRecord:
    """One stored run: its identity, metrics and facts about how it went (`info`: best epoch,
    validation UA, labels, notes)."""

    id: int
    key: RunKey
    metrics: dict[str, Any]
    info: dict[str, Any]
    version: str
    created: float

    @property
    def run_id(self) -> str:
        return self.key.id


class ResultsDB:
    """The results database of a workspace; use as a context manager::

        with ResultsDB(ws.results) as db:
            db.add(key, metrics, predictions=[...])
    """

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._in_transaction = False
        self._connection: sqlite3.Connection | None = None
        if self.path.exists():
            self._open()  # an existing database is checked (and migrated) at once

    @property
    def _conn(self) -> sqlite3.Connection:
        """The connection, opened on first use: a command that stops on bad input before it
        stores anything leaves no database behind."""
        return self._connection if self._connection is not None else self._open()

    def _open(self) -> sqlite3.Connection:
        if self.readonly:
            return self._open_readonly()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = conn = sqlite3.connect(self.path, timeout=30.0)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_mode = WAL")
            self._check_schema()
            self._migrate()
            conn.executescript(SCHEMA)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)",
                         (str(SCHEMA_VERSION),))
            conn.commit()
        except sqlite3.DatabaseError as exc:
            self._connection = None
            if _read_only(self.path):
                raise EmoboxError(f"cannot write {self.path}: Read-only file system (commands "
                                  "that only read, such as report and runs list, work there)"
                                  ) from None
            raise EmoboxError(f"{self.path}: not a usable results database ({exc})") from None
        return conn

    def _open_readonly(self) -> sqlite3.Connection:
        """Open for reading only; on a read-only folder, where SQLite cannot create the WAL's
        shared-memory file, as an immutable file."""
        if not self.path.is_file():
            raise EmoboxError(f"no results database at {self.path}")
        last: Exception | None = None
        for flags in ("mode=ro", "immutable=1"):
            try:
                conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?{flags}", uri=True,
                                       timeout=30.0)
                self._connection = conn
                self._check_schema()
                return conn
            except sqlite3.OperationalError as exc:  # e.g. no -shm file in a read-only folder
                last, self._connection = exc, None
            except sqlite3.DatabaseError as exc:
                self._connection = None
                raise EmoboxError(f"{self.path}: not a usable results database ({exc})"
                                  ) from None
        raise EmoboxError(f"{self.path}: cannot be read ({last})")

    def _check_schema(self) -> None:
        tables = {r[0] for r in self._conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")}
        if "runs" in tables and "meta" not in tables:
            raise EmoboxError(
                f"{self.path} was written by emobox 0.1 (runs without identities, which cannot "
                "be told apart); move it aside (e.g. rename it to results-old.sqlite) and rerun")
        if "meta" in tables:
            row = self._conn.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
            if row and int(row[0]) > SCHEMA_VERSION:
                raise EmoboxError(f"{self.path} has schema {row[0]}, newer than this emobox "
                                  f"understands ({SCHEMA_VERSION}); upgrade emobox")
            stored = self._conn.execute("SELECT 1 FROM runs LIMIT 1").fetchone() \
                if "runs" in tables else None
            if row and int(row[0]) < COMPLETE_KEYS and stored:
                raise EmoboxError(
                    f"{self.path} was written by an older emobox (schema {row[0]}), whose run "
                    "identities lack the corpus set and the classes of a run, so its cross and "
                    "OOD cells cannot be told apart; move it aside (e.g. rename it to "
                    "results-old.sqlite) and rerun")

    def _migrate(self) -> None:
        """Schema 2 → 3: predictions gain their class probabilities (NULL for old rows); an
        empty schema-2/3 database simply becomes schema 4. Predictions gain ``raw_probs``,
        the probabilities before logit adjustment (NULL where none was made)."""
        row = self._conn.execute("SELECT name FROM sqlite_master WHERE name='meta'").fetchone()
        if row is None:
            return
        version = self._conn.execute("SELECT value FROM meta WHERE name='schema'").fetchone()
        if version and int(version[0]) == 2:
            self._conn.execute("ALTER TABLE predictions ADD COLUMN probs TEXT")
        columns = {r[1] for r in self._conn.execute("PRAGMA table_info(predictions)")}
        if columns and "raw_probs" not in columns:  # a nullable column: old rows stay valid
            self._conn.execute("ALTER TABLE predictions ADD COLUMN raw_probs TEXT")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several `add` calls into one transaction (all or nothing)."""
        if self._in_transaction:
            yield
            return
        self._in_transaction = True
        try:
            with self._conn:
                yield
        finally:
            self._in_transaction = False

    @property
    def heads_dir(self) -> Path:
        """Where the runs' trained heads are saved (``heads/<run id>/`` in the workspace)."""
        return self.path.parent / "heads"

    def __enter__(self) -> ResultsDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(self, key: RunKey, metrics: dict[str, Any], *, info: dict[str, Any] | None = None,
            predictions: Sequence[tuple] = ()) -> int:
        """Store a run and its predictions [(key, label, predicted[, probabilities[,
        probabilities before logit adjustment]])] in one transaction; replaces only an
        earlier run with the same identity. Returns the row id."""
        from emobox import __version__

        try:
            return self._add(key, metrics, info, predictions, __version__)
        except sqlite3.OperationalError as exc:
            if "full" in str(exc):
                raise EmoboxError(f"disk full writing {self.path}: the run {key.id} was not "
                                  "stored (the database is unchanged); free space and rerun "
                                  "to resume") from None
            raise

    def _add(self, key: RunKey, metrics: dict[str, Any], info: dict[str, Any] | None,
             predictions: Sequence[tuple], version: str) -> int:
        with self.transaction():
            self._conn.execute("DELETE FROM runs WHERE run_id=?", (key.id,))
            cur = self._conn.execute(
                "INSERT INTO runs (run_id, run_key, protocol, model, train_corpus, test_corpus,"
                " scheme, label_space, recipe, fold, seed, metrics, info, version, created)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key.id, canonical(key.to_dict()), key.protocol, key.model, key.train_corpus,
                 key.test_corpus, key.scheme, key.label_space, key.recipe, key.fold, key.seed,
                 json.dumps(metrics), json.dumps(info or {}), version, time.time()))
            row = int(cur.lastrowid)
            self._conn.executemany(
                "INSERT INTO predictions (run, key, label, predicted, probs, raw_probs) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(row, p[0], p[1], p[2], json.dumps(p[3]) if len(p) > 3 else None,
                  json.dumps(p[4]) if len(p) > 4 and p[4] is not None else None)
                 for p in predictions])
        return row

    def get(self, key: RunKey) -> RunRecord | None:
        """The stored run of `key`, or None."""
        found = self._records("WHERE run_id=?", [key.id])
        return found[0] if found else None

    def find(self, run_id: str) -> list[RunRecord]:
        """The runs whose run id starts with `run_id` (an index lookup; run ids are hex)."""
        run_id = run_id.lower()
        if not run_id or not all(c in "0123456789abcdef" for c in run_id):
            return []
        return self._records("WHERE run_id GLOB ?", [f"{run_id}*"])

    def _records(self, where: str, args: Sequence[Any]) -> list[RunRecord]:
        rows = self._conn.execute("SELECT id, run_key, metrics, info, version, created FROM runs "
                                  f"{where} ORDER BY id", args).fetchall()
        return [RunRecord(r[0], RunKey.from_dict(json.loads(r[1])), json.loads(r[2]),
                          json.loads(r[3]), r[4], r[5]) for r in rows]

    def delete(self, run_ids: Sequence[str]) -> int:
        """Delete runs (and their predictions) by run id; returns how many went."""
        with self.transaction():
            cur = self._conn.executemany("DELETE FROM runs WHERE run_id=?",
                                         [(r,) for r in run_ids])
        return cur.rowcount if cur.rowcount >= 0 else len(run_ids)

    def has(self, key: RunKey) -> bool:
        return self._conn.execute("SELECT 1 FROM runs WHERE run_id=?", (key.id,)).fetchone() \
            is not None

    def runs(self, *, protocol: str | None = None, model: str | None = None,
             corpus: str | None = None) -> list[RunRecord]:
        """Runs, oldest first, optionally filtered (`corpus`: as train or test corpus)."""
        where, args = "WHERE 1=1", []
        for column, value in (("protocol", protocol), ("model", model)):
            if value is not None:
                where, args = f"{where} AND {column}=?", [*args, value]
        if corpus is not None:
            where, args = f"{where} AND (train_corpus=? OR test_corpus=?)", [*args, corpus, corpus]
        return self._records(where, args)

    def models(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT DISTINCT model FROM runs ORDER BY 1")]

    def predictions(self, run: int) -> list[tuple[str, str, str]]:
        """(key, label, predicted) of a run, in stored order."""
        return self._conn.execute(
            "SELECT key, label, predicted FROM predictions WHERE run=? ORDER BY rowid",
            (run,)).fetchall()

    def probabilities(self, run: int) -> list[list[float] | None]:
        """The class probabilities of a run's predictions (order of `predictions`)."""
        return [None if r[0] is None else json.loads(r[0]) for r in self._conn.execute(
            "SELECT probs FROM predictions WHERE run=? ORDER BY rowid", (run,))]

    def unadjusted_probabilities(self, run: int) -> list[list[float] | None]:
        """The class probabilities before logit adjustment (OOD cells; None elsewhere and in
        a database written before they were stored)."""
        columns = {r[1] for r in self._conn.execute("PRAGMA table_info(predictions)")}
        if "raw_probs" not in columns:
            return [None] * len(self.predictions(run))
        return [None if r[0] is None else json.loads(r[0]) for r in self._conn.execute(
            "SELECT raw_probs FROM predictions WHERE run=? ORDER BY rowid", (run,))]

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
