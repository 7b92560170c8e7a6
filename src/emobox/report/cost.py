"""The cost table: per model (its feature-store name, which is derived from its identity)
and machine, the extraction time per audio hour, the size of its stores on disk and the
training time of its sweeps — as recorded when the work ran: each extraction session in
the store's ``meta.json`` (`features.extract.cost_session`), each sweep in its run's `info`
(``train_seconds``, ``train_machine``). Stores and runs from before these records are
counted in a "not recorded" row of their model, never guessed."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from emobox.report.formats import Grid
from emobox.runs.results import RunRecord
from emobox.workspace import Workspace

NOT_RECORDED = "not recorded"


@dataclass
class CostRow:
    """What one model cost on one machine (`machine` = ``not recorded``: its stores and runs
    without records, only counted)."""

    model: str
    machine: str
    wall_seconds: float = 0.0  # extraction sessions on this machine
    audio_seconds: float = 0.0
    stores: int = 0  # stores with a session on this machine (or without any record)
    store_bytes: int = 0  # every store of the model, whatever machine wrote it
    sweeps: int = 0  # runs whose sweep was timed here (or not timed)
    train_seconds: float = 0.0

    @property
    def per_audio_hour(self) -> float | None:
        """Extraction seconds per hour of audio, or None without a timed session."""
        return 3600 * self.wall_seconds / self.audio_seconds if self.audio_seconds else None


def _stores(workspace: Workspace, model: str) -> list[tuple[list[dict], int]]:
    """(cost sessions, bytes on disk) of every store of `model` in `workspace`."""
    folder = workspace.root / "features" / model
    found = []
    for meta in sorted(folder.glob("*/meta.json")) if folder.is_dir() else []:
        try:
            sessions = list(json.loads(meta.read_text()).get("cost", []))
        except (OSError, json.JSONDecodeError):
            continue
        size = sum(f.stat().st_size for f in meta.parent.iterdir() if f.is_file())
        found.append((sessions, size))
    return found


def cost_rows(records: Sequence[RunRecord], workspace: Workspace | None) -> list[CostRow]:
    """The cost rows of the models of `records` (their stores read from `workspace`)."""
    rows: dict[tuple[str, str], CostRow] = {}

    def row(model: str, machine: str) -> CostRow:
        return rows.setdefault((model, machine), CostRow(model, machine))

    models = sorted({r.key.model for r in records})
    sizes: dict[str, int] = defaultdict(int)
    for model in models:
        for sessions, size in _stores(workspace, model) if workspace is not None else []:
            sizes[model] += size
            if not sessions:
                row(model, NOT_RECORDED).stores += 1
            for machine in {s.get("machine", NOT_RECORDED) for s in sessions}:
                row(model, machine).stores += 1
            for s in sessions:
                r = row(model, s.get("machine", NOT_RECORDED))
                r.wall_seconds += float(s.get("wall_seconds", 0.0))
                r.audio_seconds += float(s.get("audio_seconds", 0.0))
    for record in records:
        if record.key.protocol.endswith("-config") or "head" in record.info:
            continue  # a configuration's own curve, or a head trained by another run
        seconds = record.info.get("train_seconds")
        machine = record.info.get("train_machine") if seconds is not None else None
        r = row(record.key.model, machine or NOT_RECORDED)
        r.sweeps += 1
        r.train_seconds += float(seconds or 0.0)
    for r in rows.values():
        r.store_bytes = sizes.get(r.model, 0)
    return sorted(rows.values(), key=lambda r: (r.model, r.machine == NOT_RECORDED, r.machine))


def cost_grid(rows: Sequence[CostRow]) -> list[Grid]:
    """The cost table, or nothing without rows."""
    if not rows:
        return []
    out = []
    for r in rows:
        unknown = r.machine == NOT_RECORDED
        per_hour = r.per_audio_hour
        out.append([r.model, r.machine,
                    "" if unknown else f"{r.audio_seconds / 3600:.3f}",
                    "" if unknown or per_hour is None else f"{per_hour:.0f}",
                    f"{r.store_bytes / 2**20:.1f}" if r.store_bytes else "",
                    str(r.stores), str(r.sweeps),
                    "" if unknown or not r.sweeps else f"{r.train_seconds:.1f}"])
    note = ("as recorded when the work ran. audio h: hours of audio extracted on that "
            "machine; extraction s / audio h: wall seconds of `extract` (decoding, model, "
            "writes; loading the model excluded; Ray shards summed) per hour of audio; store "
            "MiB: every feature store of the model on disk (whatever machine wrote it); "
            "stores: those with a session on that machine; sweeps: runs whose sweep (every "
            "configuration of the recipe's grid) was trained there, training s their summed "
            "wall time; 'not recorded' counts stores and runs from before cost was recorded")
    return [Grid("Cost per model and machine", note,
                 ["model", "machine", "audio h", "extraction s / audio h", "store MiB",
                  "stores", "sweeps", "training s"], out)]
