"""Audio decoding: soundfile for audio files, PyAV for video containers; mono; 16 kHz via soxr.

>>> import numpy as np, soundfile as sf, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
>>> sf.write(path, np.zeros((44100, 2), dtype="float32"), 44100)
>>> probe(path).channels, load(path).shape
(2, (16000,))
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from emobox.errors import AudioError

TARGET_SAMPLE_RATE = 16000
CONTAINER_SUFFIXES = frozenset({".mp4", ".avi", ".mkv", ".webm", ".mov", ".flv", ".m4a", ".mp3",
                                ".aac", ".wmv", ".mpg", ".mpeg", ".3gp"})


@dataclass(frozen=True)
class AudioInfo:
    """What a file holds, read from its header (no full decode)."""

    sample_rate: int
    channels: int
    duration: float


def is_container(path: str | os.PathLike) -> bool:
    """True for formats decoded through PyAV (video containers, compressed audio)."""
    return Path(path).suffix.lower() in CONTAINER_SUFFIXES


def probe(path: str | os.PathLike) -> AudioInfo:
    """Sample rate, channels and duration from the header; raises `AudioError` if unreadable."""
    path = Path(path)
    if not is_container(path):
        try:
            info = sf.info(str(path))
            return AudioInfo(int(info.samplerate), int(info.channels), float(info.duration))
        except (RuntimeError, sf.LibsndfileError):
            pass  # fall back to PyAV for formats libsndfile does not know
    return _probe_av(path)


def load(
    path: str | os.PathLike,
    *,
    start: float | None = None,
    end: float | None = None,
    sample_rate: int | None = TARGET_SAMPLE_RATE,
    mono: bool = True,
) -> np.ndarray:
    """Decode `path` (optionally the segment [start, end) in seconds) to float32.

    Returns shape ``(samples,)`` when `mono`, else ``(samples, channels)``; resampled to
    `sample_rate` with soxr (None keeps the file's rate).
    """
    data, sr = decode(path, start=start, end=end)
    if mono:
        data = data.mean(axis=1)
    if sample_rate is not None and sr != sample_rate:
        data = soxr.resample(data, sr, sample_rate, quality="HQ")
    return np.ascontiguousarray(data, dtype=np.float32)


def decode(
    path: str | os.PathLike, *, start: float | None = None, end: float | None = None
) -> tuple[np.ndarray, int]:
    """Decode to ``(samples, channels)`` float32 at the file's own rate."""
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"audio file not found: {path}")
    if not is_container(path):
        try:
            return _decode_soundfile(path, start, end)
        except (RuntimeError, sf.LibsndfileError):
            pass
    data, sr = _decode_av(path)
    first = int(round((start or 0.0) * sr))
    last = int(round(end * sr)) if end is not None else None
    return data[first:last], sr


def _decode_soundfile(path: Path, start: float | None, end: float | None) -> tuple[np.ndarray, int]:
    with sf.SoundFile(str(path)) as fh:
        sr = fh.samplerate
        first = int(round((start or 0.0) * sr))
        last = int(round(end * sr)) if end is not None else fh.frames
        if first > 0:
            fh.seek(min(first, fh.frames))
        data = fh.read(max(0, min(last, fh.frames) - first), dtype="float32", always_2d=True)
    return data, sr


def _open_av(path: Path):
    import av

    try:
        container = av.open(str(path))
    except Exception as exc:  # PyAV raises many error types for broken input
        raise AudioError(f"cannot decode {path}: {exc}") from None
    if not container.streams.audio:
        container.close()
        raise AudioError(f"no audio stream in {path}")
    return container


def _probe_av(path: Path) -> AudioInfo:
    container = _open_av(path)
    with container:
        stream = container.streams.audio[0]
        sr = int(stream.codec_context.sample_rate or stream.rate or 0)
        channels = int(stream.codec_context.channels or 1)
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        else:
            duration = float("nan")
    if duration != duration or duration <= 0:  # unknown from the header: decode to count
        data, sr = _decode_av(path)
        duration = len(data) / sr
    return AudioInfo(sr, channels, duration)


def _decode_av(path: Path) -> tuple[np.ndarray, int]:
    import av

    container = _open_av(path)
    chunks: list[np.ndarray] = []
    with container:
        stream = container.streams.audio[0]
        sr = int(stream.codec_context.sample_rate)
        layout = stream.codec_context.layout.name if stream.codec_context.layout else "mono"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=sr)
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray())
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray())
        except av.error.FFmpegError as exc:
            raise AudioError(f"cannot decode {path}: {exc}") from None
    if not chunks:
        raise AudioError(f"no audio samples in {path}")
    data = np.concatenate(chunks, axis=1).T.astype(np.float32, copy=False)
    return data, sr
