"""A prepared corpus (one fold of a scheme, optionally in a label space) exported to the tools
SER researchers already use:

* ``hf`` — a Hugging Face ``DatasetDict`` (train / validation / test) saved with
  ``save_to_disk``: an ``Audio`` column at 16 kHz, a ``ClassLabel`` emotion, speaker, gender,
  language, the raw label, key, start and end;
* ``lhotse`` — ``RecordingSet`` + ``SupervisionSet`` per part as ``jsonl.gz`` (speaker, gender,
  language; the emotion and raw label in ``custom``), segments keeping their start and end;
* ``audformat`` — a database (one table per part, the emotion scheme with its labels, speaker
  and gender schemes) with 16 kHz WAV copies of the audio, as nkululeko and audb read it;
* ``csv`` — one flat table (absolute audio paths, start, end, emotion, speaker, …, part).

Each format beyond CSV is an optional extra; without it the error names the extra.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from emobox.audio import TARGET_SAMPLE_RATE, load
from emobox.errors import EmoboxError
from emobox.manifest import Utterance

FORMATS = ("hf", "lhotse", "audformat", "csv")
PART_NAMES = {"train": "train", "valid": "validation", "test": "test"}
EXTRAS = {"hf": ("datasets", "hf"), "lhotse": ("lhotse", "lhotse"),
          "audformat": ("audformat", "audformat")}


def _require(fmt: str) -> Any:
    module, extra = EXTRAS[fmt]
    try:
        return __import__(module)
    except ImportError:
        raise EmoboxError(f"--to {fmt} needs the {module} package: pip install "
                          f"'emobox[{extra}]'") from None


def export_corpus(fmt: str, parts: dict[str, Sequence[Utterance]], raw_root: Path,
                  out: Path, *, labels: Sequence[str]) -> Path:
    """Write `parts` ({train, valid, test: utterances}) in `fmt` under `out`."""
    if fmt not in FORMATS:
        raise EmoboxError(f"--to must be one of {', '.join(FORMATS)}, not {fmt!r}")
    out.mkdir(parents=True, exist_ok=True)
    return {"hf": _hf, "lhotse": _lhotse, "audformat": _audformat, "csv": _csv}[fmt](
        parts, Path(raw_root), out, list(labels))


def _span(u: Utterance) -> tuple[float, float | None]:
    return float(u.start_time or 0.0), None if u.end_time is None else float(u.end_time)


def _csv(parts, raw, out, labels) -> Path:
    path = out / "corpus.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["key", "file", "start", "end", "emotion", "raw_label", "speaker",
                         "gender", "language", "part"])
        for part, utts in parts.items():
            for u in utts:
                start, end = _span(u)
                writer.writerow([u.key, str((raw / u.wav).resolve()), start,
                                 "" if end is None else end, u.label, u.emo, u.speaker or "",
                                 u.gender or "", u.lang or "", PART_NAMES[part]])
    return path


def _hf(parts, raw, out, labels) -> Path:
    datasets = _require("hf")
    # audio goes in as 16 kHz WAV bytes and becomes an Audio column by an Arrow cast, so no
    # audio codec (torchcodec) is needed to write it; reading decodes with the user's
    features = datasets.Features({
        "key": datasets.Value("string"),
        "audio": {"bytes": datasets.Value("binary"), "path": datasets.Value("string")},
        "emotion": datasets.ClassLabel(names=labels), "raw_label": datasets.Value("string"),
        "speaker": datasets.Value("string"), "gender": datasets.Value("string"),
        "language": datasets.Value("string"), "start": datasets.Value("float64"),
        "end": datasets.Value("float64")})
    splits = {}
    for part, utts in parts.items():
        rows: dict[str, list] = {name: [] for name in features}
        for u in utts:
            audio = load(raw / u.wav, start=u.start_time, end=u.end_time)
            start, end = _span(u)
            values = {"key": u.key, "audio": {"bytes": _wav_bytes(audio),
                                              "path": f"{u.key}.wav"},
                      "emotion": labels.index(u.label), "raw_label": u.emo,
                      "speaker": u.speaker or "", "gender": u.gender or "",
                      "language": u.lang or "", "start": start,
                      "end": end if end is not None else start + len(audio) / TARGET_SAMPLE_RATE}
            for name, value in values.items():
                rows[name].append(value)
        data = datasets.Dataset.from_dict(rows, features=features)
        for decode in (False, True):
            data = data.cast_column("audio", datasets.Audio(sampling_rate=TARGET_SAMPLE_RATE,
                                                            decode=decode))
        splits[PART_NAMES[part]] = data
    datasets.DatasetDict(splits).save_to_disk(str(out))
    return out


def _wav_bytes(audio: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    sf.write(buffer, audio, TARGET_SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _lhotse(parts, raw, out, labels) -> Path:
    lhotse = _require("lhotse")
    for part, utts in parts.items():
        recordings, supervisions = {}, []
        for u in utts:
            path = (raw / u.wav).resolve()
            rec_id = u.wav
            if rec_id not in recordings:
                recordings[rec_id] = lhotse.Recording.from_file(path, recording_id=rec_id)
            start, end = _span(u)
            duration = (end - start) if end is not None else recordings[rec_id].duration
            supervisions.append(lhotse.SupervisionSegment(
                id=u.key, recording_id=rec_id, start=start, duration=duration,
                channel=0, speaker=u.speaker, gender=u.gender, language=u.lang,
                custom={"emotion": u.label, "raw_label": u.emo}))
        name = PART_NAMES[part]
        lhotse.RecordingSet.from_recordings(recordings.values()).to_file(
            out / f"recordings_{name}.jsonl.gz")
        lhotse.SupervisionSet.from_segments(supervisions).to_file(
            out / f"supervisions_{name}.jsonl.gz")
    return out


def _audformat(parts, raw, out, labels) -> Path:
    audformat = _require("audformat")
    import pandas as pd

    db = audformat.Database(name="emobox-export", source="emobox",
                            usage=audformat.define.Usage.RESEARCH)
    speakers = sorted({u.speaker or "" for us in parts.values() for u in us})
    db.schemes["emotion"] = audformat.Scheme(labels=list(labels))
    db.schemes["speaker"] = audformat.Scheme(labels=speakers)
    db.schemes["gender"] = audformat.Scheme(labels=["female", "male"])
    audio_dir = out / "audio"
    audio_dir.mkdir(exist_ok=True)
    for part, utts in parts.items():
        files, emotions, spk, genders = [], [], [], []
        for u in utts:
            name = f"audio/{u.key.replace('/', '_')}.wav"
            sf.write(out / name, load(raw / u.wav, start=u.start_time, end=u.end_time),
                     TARGET_SAMPLE_RATE, subtype="PCM_16")
            files.append(name)
            emotions.append(u.label)
            spk.append(u.speaker or "")
            genders.append({"F": "female", "M": "male"}.get(u.gender or ""))
        table_id = f"emotion.{PART_NAMES[part]}"
        db[table_id] = audformat.Table(audformat.filewise_index(files))
        db[table_id]["emotion"] = audformat.Column(scheme_id="emotion")
        db[table_id]["emotion"].set(emotions)
        db[table_id]["speaker"] = audformat.Column(scheme_id="speaker")
        db[table_id]["speaker"].set(spk)
        db[table_id]["gender"] = audformat.Column(scheme_id="gender")
        db[table_id]["gender"].set(pd.Series(genders, dtype="object"))
    db.save(str(out))
    return out
