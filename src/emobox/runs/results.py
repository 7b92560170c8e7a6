"""The results database (SQLite): every run's config, metrics and per-utterance predictions."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    protocol TEXT NOT NULL,
    model TEXT NOT NULL,
    train_corpus TEXT NOT NULL,
    test_corpus TEXT NOT NULL,
    fold TEXT NOT NULL,
    config TEXT NOT NULL,
    metrics TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS predictions (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    predicted TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_lookup ON runs(protocol, model, train_corpus, test_corpus);
"""


@dataclass
class RunRecord:
    """One evaluated run (a fold of intra, or a train→test pair of cross)."""

    id: int
    protocol: str
    model: str
    train_corpus: str
    test_corpus: str
    fold: str
    config: dict[str, Any]
    metrics: dict[str, Any]
    created: float


class ResultsDB:
    """Append-only store of runs; a rerun of the same (protocol, model, corpora, fold, config
    tag) replaces the earlier row."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path)
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.executescript(SCHEMA)

    def add(self, *, protocol: str, model: str, train_corpus: str, test_corpus: str, fold: str,
            config: dict[str, Any], metrics: dict[str, Any],
            predictions: Sequence[tuple[str, str, str]] = ()) -> int:
        """Store a run and its predictions [(key, label, predicted)]; returns its id."""
        with self._conn:
            self._conn.execute(
                "DELETE FROM runs WHERE protocol=? AND model=? AND train_corpus=? AND "
                "test_corpus=? AND fold=? AND json_extract(config, '$.tag') IS ?",
                (protocol, model, train_corpus, test_corpus, fold, config.get("tag")))
            cur = self._conn.execute(
                "INSERT INTO runs (protocol, model, train_corpus, test_corpus, fold, config, "
                "metrics, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (protocol, model, train_corpus, test_corpus, fold, json.dumps(config),
                 json.dumps(metrics), time.time()))
            run_id = int(cur.lastrowid)
            self._conn.executemany(
                "INSERT INTO predictions (run_id, key, label, predicted) VALUES (?, ?, ?, ?)",
                [(run_id, k, y, p) for k, y, p in predictions])
        return run_id

    def runs(self, *, protocol: str | None = None, model: str | None = None) -> list[RunRecord]:
        """Runs, oldest first, optionally filtered."""
        sql, args = "SELECT * FROM runs WHERE 1=1", []
        if protocol is not None:
            sql, args = sql + " AND protocol=?", [*args, protocol]
        if model is not None:
            sql, args = sql + " AND model=?", [*args, model]
        rows = self._conn.execute(sql + " ORDER BY id", args).fetchall()
        return [RunRecord(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), json.loads(r[7]),
                          r[8]) for r in rows]

    def predictions(self, run_id: int) -> list[tuple[str, str, str]]:
        return self._conn.execute(
            "SELECT key, label, predicted FROM predictions WHERE run_id=? ORDER BY rowid",
            (run_id,)).fetchall()

    def close(self) -> None:
        self._conn.close()
