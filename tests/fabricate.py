"""Small real inputs for tests: synthetic audio and video files at real corpus paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def tone(seconds: float = 0.25, sample_rate: int = 16000, channels: int = 1,
         freq: float = 220.0) -> np.ndarray:
    """A sine tone with a little noise, shape (samples, channels), float32."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    rng = np.random.default_rng(int(freq))
    mono = 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * rng.standard_normal(len(t))
    return np.repeat(mono[:, None], channels, axis=1).astype(np.float32)


def write_audio(path: str | Path, seconds: float = 0.25, sample_rate: int = 16000,
                channels: int = 1, freq: float = 220.0) -> Path:
    """Write a short tone; the format follows the suffix (.wav, .flac, .ogg)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, tone(seconds, sample_rate, channels, freq), sample_rate)
    return path


def write_video(path: str | Path, seconds: float = 0.5, sample_rate: int = 16000,
                channels: int = 1, with_audio: bool = True) -> Path:
    """Write a tiny real video container (.mp4/.avi/.mkv...) with an AAC/MP3/PCM audio track."""
    import av

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    audio = tone(seconds, sample_rate, channels).T.copy()  # (channels, samples)
    with av.open(str(path), "w") as container:
        video = container.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 32, 32, "yuv420p"
        if with_audio:
            codec = "aac" if path.suffix.lower() in (".mp4", ".m4a", ".mov") else "mp2"
            stream = container.add_stream(codec, rate=sample_rate)
            stream.layout = "mono" if channels == 1 else "stereo"
        for i in range(max(1, int(seconds * 10))):
            img = np.full((32, 32, 3), i * 8 % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode(None):
            container.mux(packet)
        if with_audio:
            frame_size = stream.codec_context.frame_size or 1024
            for start in range(0, audio.shape[1], frame_size):
                chunk = np.ascontiguousarray(audio[:, start:start + frame_size])
                frame = av.AudioFrame.from_ndarray(chunk, format="fltp",
                                                   layout=stream.layout.name)
                frame.sample_rate = sample_rate
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
    return path


def write_corrupt(path: str | Path) -> Path:
    """A file with an audio suffix that no decoder can read."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not audio" * 4)
    return path


def write_tree(raw: str | Path, paths: list[str], sample_rate: int, *, channels: int = 1,
               seconds: float = 0.2) -> None:
    """A short tone at each relative path under `raw` (a miniature raw corpus tree)."""
    for i, rel in enumerate(paths):
        write_audio(Path(raw) / rel, seconds=seconds, sample_rate=sample_rate,
                    channels=channels, freq=200.0 + 20 * i)


def prepare_corpus(name: str, raw: str | Path, tmp_path: Path, ws: str = "ws"):
    """Run the real `prepare` of corpus `name` on `raw` into a workspace under `tmp_path`."""
    from emobox.corpora import get_corpus, prepare
    from emobox.workspace import Workspace

    return prepare(get_corpus(name), raw, Workspace(tmp_path / ws), show_progress=False)


def skip_reasons(result) -> dict[str, str]:
    """{relative path: reason} of the files a prepare run skipped."""
    return {s.wav: s.reason for s in result.skipped}
