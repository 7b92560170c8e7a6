import numpy as np
import pytest
import soundfile as sf
from fabricate import tone, write_audio, write_corrupt, write_video

from emobox.audio import load, probe
from emobox.errors import AudioError


def test_resample_to_16k_keeps_duration_and_pitch(tmp_path):
    path = write_audio(tmp_path / "a.wav", seconds=1.0, sample_rate=44100, freq=440.0)
    x = load(path)
    assert x.dtype == np.float32 and x.shape == (16000,)
    spectrum = np.abs(np.fft.rfft(x))
    assert abs(np.argmax(spectrum) * 16000 / len(x) - 440.0) < 2.0


def test_stereo_is_downmixed(tmp_path):
    left = tone(0.5, 16000, 1, 300.0)[:, 0]
    right = -0.5 * left
    path = tmp_path / "s.wav"
    sf.write(path, np.stack([left, right], axis=1), 16000, subtype="FLOAT")
    assert probe(path).channels == 2
    np.testing.assert_allclose(load(path), (left + right) / 2, atol=1e-6)
    assert load(path, mono=False).shape == (8000, 2)


def test_segment_matches_slice(tmp_path):
    path = write_audio(tmp_path / "long.flac", seconds=3.0, sample_rate=16000)
    whole = load(path)
    seg = load(path, start=1.25, end=2.0)
    assert seg.shape == (12000,)
    np.testing.assert_allclose(seg, whole[20000:32000], atol=1e-4)


def test_probe_reads_header_only(tmp_path):
    path = write_audio(tmp_path / "a.wav", seconds=2.0, sample_rate=22050, channels=2)
    info = probe(path)
    assert (info.sample_rate, info.channels) == (22050, 2)
    assert info.duration == pytest.approx(2.0)


def test_video_container_through_pyav(tmp_path):
    path = write_video(tmp_path / "clip.mp4", seconds=1.0, sample_rate=22050, channels=2)
    info = probe(path)
    assert info.sample_rate == 22050 and info.channels == 2
    assert info.duration == pytest.approx(1.0, abs=0.1)
    x = load(path)
    assert abs(len(x) - 16000) < 1600
    assert load(path, start=0.25, end=0.75).shape[0] == pytest.approx(8000, abs=2)


def test_unreadable_and_missing_files(tmp_path):
    with pytest.raises(AudioError, match="cannot decode"):
        probe(write_corrupt(tmp_path / "bad.wav"))
    with pytest.raises(AudioError, match="not found"):
        load(tmp_path / "nope.wav")
