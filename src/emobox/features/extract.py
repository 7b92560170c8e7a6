"""Run an extractor over prepared corpora into their feature stores (batched, resumable).

Utterances are planned into batches by the extractor's `BatchPolicy` (`plan_utterances`,
deterministic, so the Ray executor computes the same batches); audio is decoded and
resampled in background threads and the store is written by a background thread, so the
model waits for neither; the store is committed every `chunk_seconds` of audio.
Unreadable audio and non-finite features are reported as failures and not stored; the rest
is extracted. SIGINT/SIGTERM stop after the current batch, with everything done so
far committed.
"""

from __future__ import annotations

import errno
import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import ProgressColumn, Task
from rich.text import Text

from emobox.audio import load
from emobox.errors import AudioError, EmoboxError
from emobox.features.base import Extractor
from emobox.features.batching import plan_utterances, prefetch
from emobox.features.settings import ExtractionSettings, Runtime, split_options
from emobox.features.sizing import layout_bytes, store_bytes
from emobox.features.store import FeatureStore, StoreWriter
from emobox.features.writer import BackgroundWriter
from emobox.manifest import Utterance
from emobox.progress import new_progress
from emobox.signals import stop_requests

log = logging.getLogger(__name__)


@dataclass
class ExtractResult:
    """What one extraction did: counts and the files it could not read."""

    store: Path
    extracted: int
    already_done: int
    audio_seconds: float
    failed: list[tuple[str, str]] = field(default_factory=list)
    #: Seconds per stage: decode (decoding and resampling, in background threads), the
    #: extractor's own stages (feature_encoder, transformer), store_writes (background
    #: thread), waiting_for_audio (the model idle for want of decoded audio) and wall.
    timings: dict[str, float] = field(default_factory=dict)


def cost_session(extractor: Extractor, result: ExtractResult, wall: float) -> dict[str, Any]:
    """What one extraction session cost, as the store records it (`StoreWriter.add_cost`):
    wall seconds of `extract_corpus` (decoding, the model, the writes; loading the model not
    included), the audio seconds and utterances it extracted, the machine and device."""
    from emobox.machine import machine

    device = str(getattr(extractor, "device", "cpu"))
    return {"wall_seconds": round(wall, 3), "audio_seconds": round(result.audio_seconds, 3),
            "utterances": result.extracted, "device": device, "machine": machine(device),
            "finished": time.time()}


def get_extractor(model: str | ExtractionSettings, runtime: Runtime | None = None,
                  **options: Any) -> Extractor:
    """The extractor of `model`: ``egemaps`` / ``egemaps-lld`` / ``logmel`` for handcrafted
    features, else a registry name, a transformers hub id, a local model folder or a
    CTranslate2 Whisper folder. Pass `ExtractionSettings` and a `Runtime`, or a model and
    their fields as keywords (``layers`` — here every layer unless told —, ``precision``,
    ``whisper_mode``, ``layer_norm``, ``revision``; ``device``, ``batch_seconds``,
    ``compile``, ``trust_remote_code``, ``allow_pickle``)."""
    if isinstance(model, str):
        model, parsed = split_options(model, **options)
        runtime = runtime or parsed
    elif options:
        raise TypeError("give ExtractionSettings and a Runtime, or keyword options, not both")
    settings, runtime = model, runtime or Runtime()
    if settings.handcrafted:
        from emobox.features.handcrafted import handcrafted

        extractor = handcrafted(settings.model)
        extractor.pooled_layers = list(extractor.layers)
        extractor.settings = settings.resolved(layers=extractor.layers, precision="fp32",
                                               family="handcrafted")
        return extractor
    from emobox.features.hf import HFExtractor

    return HFExtractor(settings, runtime)


def disk_full(store_path: str | Path, writer: StoreWriter, todo: Sequence[Utterance],
              result: ExtractResult, frames_at_start: int) -> str:
    """The one-line message of a full disk: how much more space the rest of the corpus needs,
    from the frames per audio-second this run produced (else the store's nominal rate)."""
    import shutil

    meta = writer.meta
    frames = int(meta["n_frames"]) - frames_at_start
    rate = (frames / result.audio_seconds if result.audio_seconds > 0 and frames > 0
            else float(meta.get("frame_rate") or 50.0))
    left = max(sum(utterance_seconds(u) for u in todo) - result.audio_seconds, 0.0)
    needed = layout_bytes(len(meta["layers"]), len(meta["pooled_layers"]), int(meta["dim"]),
                          rate, left, max(len(todo) - result.extracted, 0))
    free = shutil.disk_usage(Path(store_path).parent).free
    return (f"disk full while writing {store_path}: about {needed / 2**20:.1f} MiB more are "
            f"needed ({free / 2**20:.1f} MiB free); free space and rerun to resume (the "
            f"{writer.committed} committed utterances are kept)")


def space_needed(settings: ExtractionSettings, utterances: Sequence[Utterance],
                 store_path: str | Path) -> int | None:
    """Bytes the store at `store_path` will grow by to hold `utterances` (those it lacks),
    from the manifest's durations (`sizing.store_bytes`); None when the model's size is not
    known before loading it (a hub id outside the registry)."""
    from emobox.features.registry import info

    done: set[str] = set()
    if (Path(store_path) / "index.json").is_file():
        done = {row[0] for row in json.loads((Path(store_path) / "index.json").read_text())}
    todo = [u for u in utterances if u.key not in done]
    model = settings.model if settings.handcrafted else info(settings.model)
    try:
        return store_bytes(model, sum(utterance_seconds(u) for u in todo), len(todo),
                           settings.layers)
    except EmoboxError:
        return None


def check_space(settings: ExtractionSettings, plans: dict[Path, Sequence[Utterance]], *,
                force: bool = False) -> int | None:
    """Refuse, before anything is written, stores that will not fit the free disk space
    (`force`: only warn); the estimate in bytes, or None when it cannot be made."""
    import shutil

    sizes = [space_needed(settings, utts, path) for path, utts in plans.items()]
    if not plans or any(size is None for size in sizes):
        return None
    need = sum(sizes)  # type: ignore[arg-type]
    where = next(iter(plans))
    while not where.exists():
        where = where.parent
    free = shutil.disk_usage(where).free
    if need > free:
        message = (f"the {settings.store_name} stores need about {gib(need)} and {gib(free)} "
                   f"are free on {where}; free space, keep fewer layers (--layers) or pass "
                   "--force to try anyway")
        if not force:
            raise EmoboxError(message)
        log.warning("%s", message.replace(" or pass --force to try anyway", ""))
    return need


def gib(n: float) -> str:
    """Bytes as GiB (MiB below 1 GiB)."""
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB"


def utterance_seconds(u: Utterance) -> float:
    """Planned length of an utterance (segment bounds, else the manifest's length)."""
    if u.start_time is not None and u.end_time is not None:
        return float(u.end_time) - float(u.start_time)
    return float(u.length or 0.0)


def open_store(extractor: Extractor, store_path: str | Path) -> StoreWriter:
    """The writer of `extractor`'s store at `store_path` (its identity, layers and settings
    recorded; an existing store of another model or configuration refused)."""
    return FeatureStore.create(store_path, model=extractor.name, layers=extractor.layers,
                               dim=extractor.dim, frame_rate=extractor.frame_rate,
                               identity=extractor.settings.identity.to_dict(),
                               pooled_layers=extractor.pooled_layers,
                               extra={"norm": extractor.norm, **extractor.store_meta()})


def batches_of(extractor: Extractor, utterances: Sequence[Utterance]) -> list[list[Utterance]]:
    """The deterministic batch plan of `utterances` for `extractor`."""
    plan = plan_utterances([utterance_seconds(u) for u in utterances], extractor.batch_policy)
    return [[utterances[i] for i in batch] for batch in plan]


class AudioRateColumn(ProgressColumn):
    """Audio seconds done of the total, and audio seconds per wall-clock second (the bar
    itself counts utterances, so it never passes its total)."""

    def render(self, task: Task) -> Text:
        done, total = task.fields.get("audio", 0.0), task.fields.get("audio_total", 0.0)
        elapsed = task.finished_time or task.elapsed
        rate = f" {done / elapsed:,.1f} audio-s/s" if elapsed else ""
        return Text(f"utt. {done:,.0f}/{total:,.0f} s audio{rate}", style="cyan")


def extract_corpus(
    extractor: Extractor,
    utterances: Sequence[Utterance],
    raw_root: str | Path,
    store_path: str | Path,
    *,
    chunk_seconds: float = 600.0,
    commit_every: float = 5.0,
    decode_workers: int = 2,
    show_progress: bool = True,
    batches: Sequence[Sequence[Utterance]] | None = None,
) -> ExtractResult:
    """Extract every utterance not yet in the store (batched, resumable, committed every
    `chunk_seconds` of audio or `commit_every` wall-clock seconds, whichever comes first, so a
    kill loses only the work in flight). `batches` overrides the plan (the Ray executor passes
    a shard's share of the global plan). A full disk stops with how much space is needed; the
    store stays valid and resumes once space is freed."""
    raw_root = Path(raw_root)
    writer = open_store(extractor, store_path)
    frames_at_start = int(writer.meta["n_frames"])
    todo = [u for u in utterances if u.key not in writer]
    result = ExtractResult(Path(store_path), 0, len(utterances) - len(todo), 0.0)
    plan = ([[u for u in b if u.key not in writer] for b in batches] if batches is not None
            else batches_of(extractor, todo))
    plan = [b for b in plan if b]

    decode_seconds = [0.0]
    decode_lock = threading.Lock()
    stages_before = dict(getattr(extractor, "timings", {}))
    started = time.perf_counter()

    def decode(batch: Sequence[Utterance]) -> list[np.ndarray | str]:
        begin = time.perf_counter()
        out: list[np.ndarray | str] = []
        for u in batch:
            try:
                audio = load(raw_root / u.wav, start=u.start_time, end=u.end_time,
                             sample_rate=extractor.sample_rate)
                out.append("no audio samples" if not len(audio) else
                           "non-finite audio samples (NaN/inf)"
                           if not np.isfinite(audio).all() else audio)
            except AudioError as exc:
                out.append(str(exc))
        with decode_lock:
            decode_seconds[0] += time.perf_counter() - begin
        return out

    total = sum(utterance_seconds(u) for b in plan for u in b)
    since_commit, last_commit = 0.0, time.monotonic()
    failed_write = False
    background = BackgroundWriter(writer)
    waiting = 0.0
    try:
        with stop_requests() as stop, new_progress(AudioRateColumn()) as progress:
            task = progress.add_task(f"extract {Path(store_path).name}",
                                     total=sum(len(b) for b in plan) or None,
                                     visible=show_progress, audio=0.0, audio_total=total)
            decoded_batches = prefetch(plan, decode, workers=decode_workers, ahead=3)
            while True:
                wait_start = time.perf_counter()
                batch, decoded = next(decoded_batches, (None, None))
                waiting += time.perf_counter() - wait_start
                if batch is None:
                    break
                good = [(u, a) for u, a in zip(batch, decoded) if not isinstance(a, str)]
                result.failed += [(u.key, a) for u, a in zip(batch, decoded)
                                  if isinstance(a, str)]
                if good:
                    feats = extractor.extract_pooled([a for _, a in good])
                    ready = []
                    for (u, audio), (f, pooled) in zip(good, feats):
                        if not (np.isfinite(f).all() and np.isfinite(pooled).all()):
                            # e.g. openSMILE on a too-short clip
                            result.failed.append((u.key, "non-finite features (NaN/inf)"))
                            continue
                        ready.append((u.key, f, pooled))
                        seconds = len(audio) / extractor.sample_rate
                        result.extracted += 1
                        result.audio_seconds += seconds
                        since_commit += seconds
                    background.add_batch(ready)
                if since_commit >= chunk_seconds or time.monotonic() - last_commit > commit_every:
                    background.commit()
                    since_commit, last_commit = 0.0, time.monotonic()
                progress.update(task, advance=len(batch), audio=min(total, progress.tasks[
                    task].fields["audio"] + sum(utterance_seconds(u) for u in batch)))
                if stop:
                    break
            decoded_batches.close()
        background.finish()
    except OSError as exc:
        failed_write = True
        background.finish(raise_errors=False)
        writer.abort()
        if exc.errno == errno.ENOSPC:
            raise EmoboxError(disk_full(store_path, writer, todo, result, frames_at_start)
                              ) from None
        raise
    finally:
        if not failed_write:
            background.finish(raise_errors=False)
            if result.extracted:
                writer.add_cost(cost_session(extractor, result, time.perf_counter() - started))
            writer.close()
        stages = getattr(extractor, "timings", {})
        result.timings = {
            "decode": decode_seconds[0],
            **{k: v - stages_before.get(k, 0.0) for k, v in stages.items()},
            "store_writes": background.seconds, "waiting_for_audio": waiting,
            "wall": time.perf_counter() - started}
    stop.check(f"{result.extracted} utterances were extracted and saved in {store_path}")
    if result.extracted == 0 and result.already_done == 0:
        raise EmoboxError(f"no utterance could be extracted into {store_path} "
                          f"(first failure: {result.failed[0][1] if result.failed else 'none'})")
    return result
