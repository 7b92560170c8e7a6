"""Scale-out: shard a corpus's batches across Ray workers, then merge the shard stores.

The batch plan is computed once (`plan_batches`, deterministic) and whole batches are dealt
to workers, so every utterance is computed in exactly the batch it would be in a single
process; the merge copies the shards' entries bit for bit in plan order. The result is the
store a single-process `extract_corpus` writes. Shards are resumable stores themselves.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emobox.errors import EmoboxError
from emobox.features.batching import plan_utterances
from emobox.features.extract import ExtractResult, extract_corpus, utterance_seconds
from emobox.features.settings import ExtractionSettings, Runtime, batch_policy_of, split_options
from emobox.features.store import FeatureStore, create_like
from emobox.manifest import Utterance


def _run_shard(settings: ExtractionSettings, runtime: Runtime, threads: int,
               utterances: list[Utterance], batches: list[list[int]], raw_root: str,
               shard: str) -> dict:
    import torch

    from emobox.features.extract import get_extractor

    torch.set_num_threads(threads)
    extractor = get_extractor(settings, runtime)
    result = extract_corpus(extractor, utterances, raw_root, shard, show_progress=False,
                            batches=[[utterances[i] for i in b] for b in batches])
    return {"extracted": result.extracted, "failed": result.failed,
            "audio_seconds": result.audio_seconds}


def extract_corpus_ray(
    model: str | ExtractionSettings,
    utterances: Sequence[Utterance],
    raw_root: str | Path,
    store_path: str | Path,
    *,
    workers: int = 2,
    gpus_per_worker: float = 0.0,
    threads_per_worker: int = 1,
    runtime: Runtime | None = None,
    **options: Any,
) -> ExtractResult:
    """Extract `utterances` with `workers` Ray tasks (one per GPU when `gpus_per_worker` is
    1, else CPU workers) into `store_path`, with `ExtractionSettings` and a `Runtime` (or a
    model name and their fields as keywords, as `get_extractor` takes them). Starts a
    local Ray instance (or connects to ``RAY_ADDRESS``) unless connected, and stays connected
    for the next corpus. On a cluster the workspace and the raw audio must be on a filesystem
    every node mounts at the same path: shards are written there and merged by the driver."""
    from emobox.cluster import start_ray

    start_ray(max(workers * threads_per_worker, 1))
    import ray

    store_path = Path(store_path)
    done = set(FeatureStore.open(store_path).keys()) if (store_path / "index.json").is_file() \
        else set()
    todo = [u for u in utterances if u.key not in done]
    if isinstance(model, str):
        settings, runtime = split_options(model, **options)
    else:
        settings, runtime = model, runtime or Runtime()
    plan = plan_utterances([utterance_seconds(u) for u in todo],
                           batch_policy_of(settings, runtime))
    result = ExtractResult(store_path, 0, len(utterances) - len(todo), 0.0)
    if not plan:
        return result
    task = ray.remote(num_cpus=threads_per_worker, num_gpus=gpus_per_worker)(_run_shard)
    shards_dir = store_path.parent / f".{store_path.name}.shards"
    workers = max(1, min(workers, len(plan)))
    shares: list[list[int]] = [list(range(w, len(plan), workers)) for w in range(workers)]
    futures = []
    for w, share in enumerate(shares):
        mine = sorted({i for b in share for i in plan[b]})
        local = {i: j for j, i in enumerate(mine)}
        futures.append(task.remote(settings, runtime, threads_per_worker, [todo[i] for i in mine],
                                   [[local[i] for i in plan[b]] for b in share],
                                   str(raw_root), str(shards_dir / f"shard_{w}")))
    reports = []
    for future in futures:
        try:
            reports.append(ray.get(future))
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause if isinstance(exc.cause, EmoboxError) else None
            if cause is None or "no utterance could be extracted" not in str(cause):
                raise
            reports.append({"extracted": 0, "failed": [], "audio_seconds": 0.0})
    for report in reports:
        result.extracted += report["extracted"]
        result.failed += [tuple(f) for f in report["failed"]]
        result.audio_seconds += report["audio_seconds"]
    merge_stores([shards_dir / f"shard_{w}" for w in range(workers)], store_path,
                 order=[todo[i].key for b in plan for i in b])
    shutil.rmtree(shards_dir, ignore_errors=True)
    if result.extracted == 0 and result.already_done == 0:
        raise EmoboxError(f"no utterance could be extracted into {store_path}")
    return result


def merge_stores(sources: Sequence[str | Path], dest: str | Path, *,
                 order: Sequence[str] | None = None) -> FeatureStore:
    """Copy every entry of the `sources` stores into `dest` (in `order`, else source by
    source), skipping keys `dest` already holds; one commit at the end."""
    stores = [FeatureStore.open(s) for s in sources if (Path(s) / "index.json").is_file()]
    if not stores:
        raise EmoboxError("no shard store to merge")
    where = {k: s for s in stores for k in s}
    keys = [k for k in (order if order is not None else list(where)) if k in where]
    prior = (FeatureStore.open(dest).meta.get("cost", [])
             if (Path(dest) / "index.json").is_file() else [])
    with create_like(stores[0], dest) as writer:
        writer.meta["cost"] = [*prior, *(c for s in stores for c in s.meta.get("cost", []))]
        for key in keys:
            if key in writer:
                continue
            store = where[key]
            writer.add_stored(key, [store.frames(key, layer) for layer in store.layers],
                              store.pooled_all(key))
    return FeatureStore.open(dest)
