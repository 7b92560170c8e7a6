"""Run an extractor over a prepared corpus into its feature store (resumable)."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from emobox.audio import load
from emobox.errors import AudioError, EmoboxError
from emobox.features.base import Extractor
from emobox.features.store import FeatureStore
from emobox.manifest import Utterance
from emobox.progress import new_progress


@dataclass
class ExtractResult:
    """What one extraction did: counts and the files it could not read."""

    store: Path
    extracted: int
    already_done: int
    audio_seconds: float
    failed: list[tuple[str, str]] = field(default_factory=list)


def get_extractor(model: str, *, layers: str | list[int] | None = "all",
                  device: str = "cpu") -> Extractor:
    """``egemaps`` for openSMILE eGeMAPS functionals, else a transformers model id or folder."""
    if model == "egemaps":
        from emobox.features.egemaps import EgemapsExtractor

        return EgemapsExtractor()
    from emobox.features.hf import HFExtractor

    return HFExtractor(model, layers=layers, device=device)


def extract_corpus(
    extractor: Extractor,
    utterances: Sequence[Utterance],
    raw_root: str | Path,
    store_path: str | Path,
    *,
    chunk_size: int = 64,
    decode_workers: int = 2,
    show_progress: bool = True,
) -> ExtractResult:
    """Extract every utterance not yet in the store; decoding runs ahead in background threads;
    the store is committed every `chunk_size` utterances. Unreadable audio is skipped and
    listed in the result, the rest extracted."""
    raw_root = Path(raw_root)
    writer = FeatureStore.create(store_path, model=extractor.name, layers=extractor.layers,
                                 dim=extractor.dim, frame_rate=extractor.frame_rate,
                                 extra={"norm": extractor.norm})
    todo = [u for u in utterances if u.key not in writer]
    result = ExtractResult(Path(store_path), 0, len(utterances) - len(todo), 0.0)

    def decode(u: Utterance) -> np.ndarray | str:
        try:
            return load(raw_root / u.wav, start=u.start_time, end=u.end_time,
                        sample_rate=extractor.sample_rate)
        except AudioError as exc:
            return str(exc)

    try:
        with ThreadPoolExecutor(max_workers=decode_workers) as pool, new_progress() as progress:
            task = progress.add_task(f"extract {Path(store_path).name}", total=len(todo),
                                     visible=show_progress)
            for i, (u, audio) in enumerate(zip(todo, pool.map(decode, todo))):
                if isinstance(audio, str) or len(audio) == 0:
                    result.failed.append((u.key, audio if isinstance(audio, str) else "empty"))
                else:
                    writer.add(u.key, extractor.extract(audio))
                    result.extracted += 1
                    result.audio_seconds += len(audio) / extractor.sample_rate
                if (i + 1) % chunk_size == 0:
                    writer.commit()
                progress.advance(task)
    finally:
        writer.close()
    if result.extracted == 0 and result.already_done == 0:
        raise EmoboxError(f"no utterance could be extracted into {store_path} "
                          f"(first failure: {result.failed[0][1] if result.failed else 'none'})")
    return result
