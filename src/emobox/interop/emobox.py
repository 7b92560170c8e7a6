"""Import and export EmoBox's released metadata layout (``data/<corpus>/`` of emo-box/EmoBox).

Layout::

    <corpus>.jsonl   <corpus>.json   label_map.json (EMOVO: label_dict.json)
    data.seg.wrd.stm   data.seg.audmap   data.seg.wrd.freq
    fold_N/<corpus>_{train,valid,test}_fold_N.jsonl (+ .json)

Reading tolerates the release's defects: EmoDB's map keys ``Neutral`` but the data says
``neutral`` (case-insensitive fallback); EMOVO's ``label_dict.json``; keys and speakers with
spaces (the stm is parsed through its ``<id=…,spk=…>`` block, never by columns); JL-Corpus
speakers written as paths (the last path component is used, the raw value kept in
``extra["emobox_spk"]``); legacy fold files (``emodb_train_fold1.jsonl``) are ignored; a
missing ``<corpus>.jsonl`` (ESD, MEAD, M3ED in some copies) is rebuilt from the fold files.
Writing reproduces the files EmoBox's preparer writes, byte for byte.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emobox.errors import EmoboxError
from emobox.manifest import Utterance, atomic_write_text
from emobox.partition.core import Fold, Splits

PARTS = ("train", "valid", "test")
#: Fields of an EmoBox jsonl row, in the order its preparer writes them.
ROW_FIELDS = ("key", "dataset", "wav", "type", "sample_rate", "num_frame", "task", "length",
              "emo", "channel")
_STM = re.compile(r"<id=(?P<id>.*?),lang=(?P<lang>[^,]*),spk=(?P<spk>.*?),emotion=(?P<emo>.*)>")
_FOLD_FILE = re.compile(r"(?P<corpus>.+)_(?P<part>train|valid|test)_fold_(?P<n>\d+)\.jsonl")


@dataclass
class EmoboxData:
    """One corpus of an EmoBox data folder: manifest rows, folds and label map."""

    corpus: str
    utterances: list[Utterance]
    splits: Splits
    label_map: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EmoboxError(f"{path}:{n}: not valid JSON ({exc.msg})") from None
            if not isinstance(row, dict) or "key" not in row:
                raise EmoboxError(f"{path}:{n}: expected an object with field 'key'")
            rows.append(row)
    return rows


def read_label_map(folder: Path) -> tuple[dict[str, str], str | None]:
    """``label_map.json`` (or EMOVO's ``label_dict.json``) and the file name used."""
    for name in ("label_map.json", "label_dict.json"):
        path = folder / name
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError as exc:
                raise EmoboxError(f"{path}: not valid JSON ({exc.msg})") from None
            if not isinstance(data, dict):
                raise EmoboxError(f"{path}: expected an object of raw → canonical labels")
            return {str(k): str(v) for k, v in data.items()}, name
    return {}, None


def map_label(emo: str, label_map: Mapping[str, str]) -> str | None:
    """Strict lookup, then case-insensitive (EmoDB's ``Neutral`` key for ``neutral``)."""
    if emo in label_map:
        return label_map[emo]
    folded = {k.lower(): v for k, v in label_map.items()}
    return folded.get(emo.lower())


def read_stm_speakers(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """key → speaker from the ``spk=`` field (paths cut to their last component), and key →
    the raw ``spk=`` value where the two differ."""
    speakers: dict[str, str] = {}
    raw: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        m = _STM.search(line)
        if m is None:
            raise EmoboxError(f"{path}:{n}: no <id=…,lang=…,spk=…,emotion=…> block")
        spk = m["spk"]
        clean = spk.rstrip("/").rsplit("/", 1)[-1] if "/" in spk else spk
        speakers[m["id"]] = clean
        if clean != spk:
            raw[m["id"]] = spk
    return speakers, raw


def _prefix(corpus: str) -> str:
    return f"downloads/{corpus}/"


def row_to_utterance(row: dict[str, Any], corpus: str, label_map: Mapping[str, str],
                     speaker: str | None, *, where: str) -> Utterance:
    """One EmoBox row as our manifest record (wav made relative to the raw root)."""
    emo = row.get("emo")
    if emo in (None, ""):
        raise EmoboxError(f"{where}: key {row['key']!r} has no field 'emo'")
    label = map_label(str(emo), label_map) if label_map else str(emo)
    if label is None:
        raise EmoboxError(f"{where}: raw label {emo!r} of {row['key']!r} is not in the label map")
    wav = str(row.get("wav", ""))
    if wav.startswith(_prefix(corpus)):
        wav = wav[len(_prefix(corpus)):]
    known = {"key", "dataset", "wav", "emo", "sample_rate", "length", "channel", "task",
             "start_time", "end_time"}
    try:
        return Utterance(
            key=str(row["key"]), dataset=str(row.get("dataset", corpus)), wav=wav, emo=str(emo),
            label=label, speaker=speaker, sample_rate=int(row.get("sample_rate", 0)),
            length=float(row.get("length", 0.0)), channel=int(row.get("channel", 1)),
            start_time=row.get("start_time"), end_time=row.get("end_time"),
            task=str(row.get("task", "category")),
            extra={k: v for k, v in row.items() if k not in known})
    except (TypeError, ValueError) as exc:
        raise EmoboxError(f"{where}: bad field in {row['key']!r} ({exc})") from None


#: The scheme (and default splits file name) of folds read from EmoBox's data/ folder.
IMPORT_SCHEME = "emobox-import"


def read_emobox(folder: str | os.PathLike, corpus: str | None = None) -> EmoboxData:
    """Read one EmoBox ``data/<corpus>/`` folder into manifest records and splits."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EmoboxError(f"EmoBox data folder not found: {folder}")
    corpus = corpus or folder.name
    label_map, map_name = read_label_map(folder)
    notes = [] if map_name in (None, "label_map.json") else [f"label map read from {map_name}"]
    if map_name is None:
        notes.append("no label_map.json: canonical label = raw label")
    stm = folder / "data.seg.wrd.stm"
    speakers, raw_spk = read_stm_speakers(stm) if stm.is_file() else ({}, {})
    if not stm.is_file():
        notes.append("no data.seg.wrd.stm: speakers unknown")
    fold_rows: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(dict)
    for sub in sorted(folder.glob("fold_*"), key=lambda p: (len(p.name), p.name)):
        for path in sorted(sub.glob("*.jsonl")):
            m = _FOLD_FILE.fullmatch(path.name)
            if m is None or m["corpus"] != corpus or f"fold_{m['n']}" != sub.name:
                notes.append(f"ignored {sub.name}/{path.name}")
                continue
            fold_rows[m["n"]][m["part"]] = _read_jsonl(path)
    if not fold_rows:
        raise EmoboxError(f"{folder}: no fold_N/{corpus}_{{train,valid,test}}_fold_N.jsonl files")
    main = folder / f"{corpus}.jsonl"
    if main.is_file():
        rows, where = _read_jsonl(main), str(main)
    else:
        notes.append(f"{main.name} missing: manifest rebuilt from the fold files")
        seen: dict[str, dict[str, Any]] = {}
        for n in sorted(fold_rows, key=int):
            for part in PARTS:
                for row in fold_rows[n].get(part, []):
                    seen.setdefault(row["key"], row)
        rows, where = list(seen.values()), str(folder)
    utts = []
    keys: set[str] = set()
    for row in rows:
        key = str(row["key"])
        if key in keys:
            raise EmoboxError(f"{where}: duplicate key {key!r}")
        keys.add(key)
        u = row_to_utterance(row, corpus, label_map, speakers.get(key), where=where)
        if key in raw_spk:
            u.extra["emobox_spk"] = raw_spk[key]
        utts.append(u)
    folds = {}
    for n in sorted(fold_rows, key=int):
        parts = {p: [str(r["key"]) for r in fold_rows[n].get(p, [])] for p in PARTS}
        stray = [k for p in PARTS for k in parts[p] if k not in keys]
        if stray:
            raise EmoboxError(f"{folder}/fold_{n}: key {stray[0]!r} is not in {main.name}")
        if "test" not in fold_rows[n]:
            raise EmoboxError(f"{folder}/fold_{n}: no {corpus}_test_fold_{n}.jsonl")
        folds[n] = Fold(**parts)
    independent = speaker_disjoint(folds, {u.key: u.speaker for u in utts})
    notes.append("speaker-independent folds (no speaker on both sides)" if independent else
                 "speaker-dependent folds (speakers unknown or shared between train and test)")
    # what the import skipped is said once, by the import; the folds keep the notes about them
    kept = [n for n in notes if not n.startswith("ignored ")]
    skipped = len(notes) - len(kept)
    if skipped:
        notes = [*kept, f"ignored {skipped} file(s) that are not this corpus's fold files: "
                 + ", ".join(n.removeprefix("ignored ") for n in notes if n.startswith("ignored "))]
    splits = Splits(IMPORT_SCHEME, folds, {"source": str(folder)}, independent, kept)
    return EmoboxData(corpus, utts, splits, label_map, notes)


# --- writing -------------------------------------------------------------------------------

def speaker_disjoint(folds: Mapping[str, Fold], speakers: Mapping[str, str | None]) -> bool:
    """Whether every fold keeps its test speakers out of train and valid (all speakers known):
    read from the data, whatever the corpus is said to be."""
    if any(s is None for s in speakers.values()):
        return False
    for fold in folds.values():
        test = {speakers[k] for k in fold.test}
        if test & {speakers[k] for k in fold.train + fold.valid}:
            return False
    return True


def utterance_to_row(u: Utterance, corpus: str) -> dict[str, Any]:
    """Our record as an EmoBox row, fields in EmoBox's order (PAVOQUE-style segments keep
    start_time/end_time)."""
    extra = u.extra
    row: dict[str, Any] = {
        "key": u.key, "dataset": u.dataset or corpus, "wav": _prefix(corpus) + u.wav,
        "type": extra.get("type", "raw"), "sample_rate": u.sample_rate,
        "num_frame": extra.get("num_frame", float(round(u.length * u.sample_rate))),
        "task": u.task, "length": u.length, "emo": u.emo, "channel": u.channel,
    }
    if u.start_time is not None or u.end_time is not None:
        row["start_time"] = u.start_time
        row["end_time"] = u.end_time
    return row


def _json_entry(row: Mapping[str, Any]) -> dict[str, Any]:
    entry = {k: row[k] for k in ("wav", "length", "emo", "dataset", "channel")}
    for k in ("start_time", "end_time"):
        if k in row:
            entry[k] = row[k]
    return entry


def _jsonl(rows: Sequence[Mapping[str, Any]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def _json(rows: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps({r["key"]: _json_entry(r) for r in rows}, indent=4)


def write_emobox(
    folder: str | os.PathLike,
    corpus: str,
    utterances: Sequence[Utterance],
    splits: Splits,
    *,
    label_map: Mapping[str, str] | None = None,
) -> list[Path]:
    """Write `utterances` and `splits` in EmoBox's layout under `folder` (the corpus's own
    folder, e.g. ``data/<corpus>``). Empty parts (EmoBox writes valid only for MELD, M3ED,
    MSP-Podcast) get no file. Returns the files written."""
    folder = Path(folder)
    by_key = {u.key: u for u in utterances}
    rows = [utterance_to_row(u, corpus) for u in utterances]
    if label_map is None:
        label_map = {}
        for u in utterances:
            label_map.setdefault(u.emo, u.label)
    written = [
        atomic_write_text(folder / f"{corpus}.jsonl", _jsonl(rows)),
        atomic_write_text(folder / f"{corpus}.json", _json(rows)),
        atomic_write_text(folder / "label_map.json", json.dumps(dict(label_map), indent=4)
                          + "\n"),
    ]
    stm, audmap = [], []
    freq: dict[str, int] = {}
    for u, row in zip(utterances, rows):
        spk = u.extra.get("emobox_spk", u.speaker if u.speaker is not None else u.key)
        start = u.start_time if u.start_time is not None else 0
        end = u.end_time if u.end_time is not None else u.length
        stm.append(f"{u.key} {u.channel} {spk} {start} {end} "
                   f"<id={u.key},lang=en,spk={spk},emotion={u.emo}> {u.emo}\n")
        audmap.append(f"{u.key} {u.channel} {start} {end} {row['wav']}\n")
        freq[u.emo] = freq.get(u.emo, 0) + 1
    width = max((len(e) for e in freq), default=0) + 2
    written += [
        atomic_write_text(folder / "data.seg.wrd.stm", "".join(stm)),
        atomic_write_text(folder / "data.seg.audmap", "".join(audmap)),
        atomic_write_text(folder / "data.seg.wrd.freq",
                          "".join(f"{e.ljust(width)}{n}\n" for e, n in freq.items())),
    ]
    for i, fold in enumerate(splits.folds.values(), 1):
        for part, keys in fold.to_dict().items():
            if not keys:
                continue
            missing = [k for k in keys if k not in by_key]
            if missing:
                raise EmoboxError(f"fold {i} {part}: key {missing[0]!r} is not in the manifest")
            part_rows = [utterance_to_row(by_key[k], corpus) for k in keys]
            base = folder / f"fold_{i}" / f"{corpus}_{part}_fold_{i}"
            written.append(atomic_write_text(base.with_suffix(".jsonl"), _jsonl(part_rows)))
            written.append(atomic_write_text(base.with_suffix(".json"), _json(part_rows)))
    return written


__all__ = [
    "EmoboxData",
    "map_label",
    "read_emobox",
    "read_label_map",
    "read_stm_speakers",
    "row_to_utterance",
    "utterance_to_row",
    "write_emobox",
]
