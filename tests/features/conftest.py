from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from emobox.manifest import Utterance


def make_corpus(root: Path, lengths: list[float], bad: set[int] = frozenset(),
                sample_rate: int = 16000) -> list[Utterance]:
    """WAV files of noisy tones; indices in `bad` get a corrupt file."""
    rng = np.random.default_rng(0)
    utts = []
    for i, seconds in enumerate(lengths):
        name = f"u{i:03d}.wav"
        if i in bad:
            (root / name).write_bytes(b"RIFF not really a wav file")
        else:
            t = np.arange(int(seconds * sample_rate)) / sample_rate
            audio = 0.3 * np.sin(2 * np.pi * (150 + 20 * i) * t) + 0.05 * rng.standard_normal(
                len(t))
            sf.write(root / name, audio.astype(np.float32), sample_rate)
        utts.append(Utterance(key=f"demo-{i:03d}", dataset="demo", wav=name, emo="neu",
                              label="neutral", length=seconds, sample_rate=sample_rate))
    return utts


@pytest.fixture
def corpus(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    return raw, make_corpus(raw, [0.5, 1.2, 0.8, 2.0, 0.3, 1.0, 1.5, 0.6])
