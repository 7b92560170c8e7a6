"""The utterance record, jsonl I/O (a superset of EmoBox's format) and validation.

>>> u = Utterance(key="demo-en-F01_ang_00", dataset="demo-en", wav="F01/F01_ang_00.wav",
...               emo="ang", label="Angry", speaker="F01", gender="F", lang="en",
...               sample_rate=22050, length=1.5, channel=1)
>>> Utterance.from_dict(u.to_dict()) == u
True
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import Any

from emobox.errors import ManifestError

REQUIRED_FIELDS = ("key", "wav", "emo")
_FIELD_NAMES = None  # filled lazily with the dataclass field names


@dataclass
class Utterance:
    """One labelled utterance (or a segment of a longer recording).

    `wav` is relative to the corpus's raw root; `length` is the utterance's duration in
    seconds (the segment's, for segments); `emo` is the corpus's raw label and `label` the
    canonical one.
    """

    key: str
    dataset: str
    wav: str
    emo: str
    label: str
    speaker: str | None = None
    gender: str | None = None
    lang: str = ""
    sample_rate: int = 0
    length: float = 0.0
    channel: int = 1
    start_time: float | None = None
    end_time: float | None = None
    task: str = "category"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The jsonl row: known fields first, then `extra` fields flattened in."""
        row = asdict(self)
        extra = row.pop("extra")
        if row["start_time"] is None:
            row.pop("start_time")
        if row["end_time"] is None:
            row.pop("end_time")
        row.update(extra)
        return row

    @classmethod
    def from_dict(cls, row: dict[str, Any], *, where: str = "") -> Utterance:
        """Build from a jsonl row (ours or EmoBox's); unknown fields are kept in `extra`."""
        missing = [name for name in REQUIRED_FIELDS if row.get(name) in (None, "")]
        if missing:
            raise ManifestError(f"{where}missing field {missing[0]!r}")
        names = _field_names()
        known = {k: v for k, v in row.items() if k in names and k != "extra"}
        extra = {k: v for k, v in row.items() if k not in names}
        known.setdefault("dataset", str(row["key"]).split("-")[0])
        known.setdefault("label", row["emo"])
        try:
            utt = cls(**known, extra=extra)
            utt.sample_rate = int(utt.sample_rate)
            utt.length = float(utt.length)
            utt.channel = int(utt.channel)
        except (TypeError, ValueError) as exc:
            raise ManifestError(f"{where}bad field value: {exc}") from None
        if utt.gender not in (None, "F", "M"):
            raise ManifestError(f"{where}field 'gender' must be F, M or null, not {utt.gender!r}")
        return utt


def _field_names() -> set[str]:
    global _FIELD_NAMES
    if _FIELD_NAMES is None:
        _FIELD_NAMES = {f.name for f in fields(Utterance)}
    return _FIELD_NAMES


def iter_manifest(path: str | os.PathLike) -> Iterator[Utterance]:
    """Yield utterances from a jsonl manifest, with `file:line:` in every error."""
    path = Path(path)
    if not path.is_file():
        raise ManifestError(f"manifest not found: {path}")
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}: "
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ManifestError(f"{where}not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict):
                raise ManifestError(f"{where}expected a JSON object")
            utterance = Utterance.from_dict(row, where=where)
            check_relative_path(utterance.wav, where=f"{where}field 'wav': ")
            yield utterance


def read_manifest(path: str | os.PathLike) -> list[Utterance]:
    """Read a whole manifest; duplicate keys are an error."""
    utts = list(iter_manifest(path))
    dup = _first_duplicate(u.key for u in utts)
    if dup is not None:
        raise ManifestError(f"{path}: duplicate key {dup!r}")
    return utts


def write_manifest(path: str | os.PathLike, utterances: Iterable[Utterance]) -> Path:
    """Write jsonl atomically: a reader never sees a half-written manifest."""
    lines = (json.dumps(u.to_dict(), ensure_ascii=False) + "\n" for u in utterances)
    return atomic_write_text(path, "".join(lines))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write `text` to a temporary file beside `path`, fsync, then rename over `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def check_relative_path(wav: str, *, where: str = "") -> None:
    """Refuse absolute paths and paths escaping the raw root (``..``)."""
    p = PurePosixPath(wav.replace("\\", "/"))
    if p.is_absolute() or ".." in p.parts:
        raise ManifestError(f"{where}path {wav!r} escapes the raw root")


def validate_manifest(
    utterances: Iterable[Utterance],
    *,
    raw_root: str | os.PathLike | None = None,
    labels: Iterable[str] | None = None,
) -> list[Utterance]:
    """Check keys are unique, paths stay inside the raw root (and exist when `raw_root` is
    given), and labels belong to `labels` when given. Raises `ManifestError` on the first
    problem, naming the key and field."""
    utts = list(utterances)
    dup = _first_duplicate(u.key for u in utts)
    if dup is not None:
        raise ManifestError(f"duplicate key {dup!r}")
    allowed = set(labels) if labels is not None else None
    root = Path(raw_root) if raw_root is not None else None
    for u in utts:
        where = f"{u.key}: "
        check_relative_path(u.wav, where=where)
        if allowed is not None and u.label not in allowed:
            raise ManifestError(f"{where}unknown label {u.label!r} (known: {sorted(allowed)})")
        if root is not None and not (root / u.wav).is_file():
            raise ManifestError(f"{where}missing file {root / u.wav}")
    return utts


def label_counts(utterances: Iterable[Utterance]) -> Counter:
    """Number of utterances per canonical label."""
    return Counter(u.label for u in utterances)


def _first_duplicate(keys: Iterable[str]) -> str | None:
    seen: set[str] = set()
    for k in keys:
        if k in seen:
            return k
        seen.add(k)
    return None
