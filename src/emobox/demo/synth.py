"""Synthetic "acted" emotional speech with espeak-ng: the raw demo corpora.

Each emotion is acted through pitch level, pitch range, speaking rate and amplitude (SSML
prosody), with per-speaker offsets and per-utterance random jitter plus background noise, so
the classes are learnable but overlap. Output is deterministic for a given seed.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from emobox.demo.corpora import DEMO_LANGUAGES, EMOTION_CODES, DemoLanguage
from emobox.errors import EmoboxError
from emobox.progress import track

#: Mean prosody per emotion: pitch shift (%), pitch range (% of default), rate (%), volume (%).
EMOTION_PROSODY: dict[str, tuple[float, float, float, float]] = {
    "neu": (0.0, 100.0, 100.0, 100.0),
    "hap": (22.0, 165.0, 110.0, 120.0),
    "sad": (-18.0, 55.0, 80.0, 70.0),
    "ang": (6.0, 140.0, 118.0, 165.0),
    "fea": (38.0, 70.0, 128.0, 85.0),
}
#: Standard deviation of the per-utterance jitter, same units.
JITTER = (7.0, 22.0, 7.0, 14.0)


@dataclass(frozen=True)
class DemoSpec:
    """Size of the generated demo: languages, speakers per corpus, sentences, seed."""

    languages: tuple[str, ...] = ("en", "de", "fr")
    speakers: int = 4
    sentences: int = 10
    seed: int = 0


def espeak_binary() -> str:
    """Path of espeak-ng, or a one-line error saying how to install it."""
    path = shutil.which("espeak-ng")
    if path is None:
        raise EmoboxError("espeak-ng is not installed (Debian/Ubuntu: apt-get install espeak-ng; "
                          "`make demo` does it when run as root)")
    return path


def synthesise_demo(raw_root: str | Path, spec: DemoSpec = DemoSpec(), *,
                    workers: int = 4, show_progress: bool = True) -> dict[str, Path]:
    """Write one raw corpus folder per language under `raw_root`; returns {corpus: folder}."""
    binary = espeak_binary()
    by_lang = {d.lang: d for d in DEMO_LANGUAGES}
    unknown = [lang for lang in spec.languages if lang not in by_lang]
    if unknown:
        raise EmoboxError(f"no demo corpus for language {unknown[0]!r} "
                          f"(available: {', '.join(by_lang)})")
    jobs = []
    folders = {}
    for lang_index, lang in enumerate(spec.languages):
        demo = by_lang[lang]
        if not (2 <= spec.speakers <= len(demo.speakers)
                and 1 <= spec.sentences <= len(demo.sentences)):
            raise EmoboxError(f"demo-{lang} takes 2-{len(demo.speakers)} speakers and "
                              f"1-{len(demo.sentences)} sentences, not {spec.speakers} and "
                              f"{spec.sentences}")
        folder = Path(raw_root) / f"demo-{lang}"
        folders[f"demo-{lang}"] = folder
        for spk_index in range(spec.speakers):
            for emo_index, emo in enumerate(EMOTION_CODES):
                for sent in range(spec.sentences):
                    jobs.append((demo, spk_index, emo, sent,
                                 (spec.seed, lang_index, spk_index, emo_index, sent), folder))

    def run(job) -> None:
        demo, spk_index, emo, sent, seed, folder = job
        speaker, _ = demo.speakers[spk_index]
        path = folder / speaker / f"{speaker}_{emo}_{sent:02d}.wav"
        if path.is_file():
            return
        audio, sr = _speak(binary, demo, spk_index, emo, demo.sentences[sent], seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.wav")
        sf.write(tmp, audio, sr, subtype="PCM_16")
        tmp.replace(path)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = pool.map(run, jobs)
        for _ in track(done, "synthesise demo", total=len(jobs)) if show_progress else done:
            pass
    return folders


def _speak(binary: str, demo: DemoLanguage, spk_index: int, emo: str, text: str,
           seed: tuple[int, ...]) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng(list(seed))
    speaker_rng = np.random.default_rng([seed[0], seed[1], seed[2], 999])
    pitch, prange, rate, volume = (m + s * rng.standard_normal()
                                   for m, s in zip(EMOTION_PROSODY[emo], JITTER))
    pitch += 8.0 * speaker_rng.standard_normal()  # speaker's habitual pitch
    rate *= 1.0 + 0.06 * speaker_rng.standard_normal()
    ssml = (f'<speak><prosody pitch="{pitch:+.0f}%" range="{max(prange, 10):.0f}%" '
            f'rate="{max(rate, 40):.0f}%" volume="{max(volume, 20):.0f}%">{text}</prosody></speak>')
    voice = f"{demo.voice}+{demo.speakers[spk_index][1]}"
    proc = subprocess.run([binary, "-m", "-v", voice, "--stdout", ssml],
                          capture_output=True, check=False)
    if proc.returncode != 0 or not proc.stdout:
        raise EmoboxError(f"espeak-ng failed for voice {voice}: {proc.stderr.decode().strip()}")
    audio, sr = sf.read(io.BytesIO(proc.stdout), dtype="float32")
    snr_db = rng.uniform(12.0, 30.0)
    noise = rng.standard_normal(len(audio)).astype(np.float32)
    noise *= np.sqrt(np.mean(audio**2) / 10 ** (snr_db / 10))
    audio = audio + noise
    audio *= min(1.0, 0.95 / max(float(np.abs(audio).max()), 1e-6))  # no clipping
    return audio.astype(np.float32), sr
