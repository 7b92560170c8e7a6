"""The feature store of one model on one corpus: frames of the kept layers, one array per layer,
and pooled statistics of every layer.

Layout of the folder::

    meta.json         the model's identity (`emobox.features.identity`), the extraction
                      settings, the layers with frames (`layers`) and with pooled statistics
                      (`pooled_layers`, by default every layer), dim, dtype, frame rate, counts,
                      and `cost`: one entry per extraction session (wall seconds, audio
                      seconds, utterances, machine, device; `add_cost`)
    index.json        [[key, offset, n_frames], ...] of committed utterances, in write order:
                      the commit record
    layer_<L>.f16     float16 frames of layer L, utterances concatenated (rows of `dim`)
    pooled.f16        float16 (n_utts, n_pooled_layers, 2, dim): mean and std over frames
                      (computed in float32; read back as float32)

A store belongs to one model: opening it for writing with another model's identity is an
error naming both. Stores of an older format (no identity) are refused with how to rebuild.

Writes append to the data files and then replace ``meta.json``/``index.json`` atomically
(a *commit*). Anything past the last commit — a crash or ``kill -9`` mid-chunk — is cut off
when the store is reopened for writing, so committed utterances are never recomputed and
never corrupt.

>>> import numpy as np, tempfile
>>> path = tempfile.mkdtemp()
>>> with FeatureStore.create(path, model="m", layers=[0, 1], dim=3) as w:
...     w.add("a", np.ones((2, 4, 3), dtype=np.float32))
>>> store = FeatureStore.open(path)
>>> store.keys(), store.frames("a", 1).shape, store.pooled("a").shape
(['a'], (4, 3), (2, 2, 3))
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emobox.errors import EmoboxError
from emobox.manifest import atomic_write_text

FORMAT_VERSION = 2
POOLED_FILE = "pooled.f16"
#: Recorded facts that may differ when a store is resumed: where the model lies now, the hub
#: commit a revision resolved to.
UNCHECKED = ("source", "commit", "cost")
#: Meta fields a writer fixes itself (the rest is the extraction's record, copied as is).
STRUCTURE = ("format", "model", "identity", "layers", "pooled_layers", "dim", "dtype",
             "frame_rate", "n_utterances", "n_frames")
#: Meta fields that are not part of what the features are (a run's identity leaves them out).
NOT_IDENTITY = ("format", "layers", "pooled_layers", "dim", "n_utterances", "n_frames",
                "dtype", "frame_rate", "cost")


class FeatureStore:
    """Read access to a committed store (memory-mapped; nothing is loaded up front)."""

    def __init__(self, path: Path, meta: dict[str, Any], index: list[list]) -> None:
        self.path = path
        self.meta = meta
        self._index = {row[0]: (i, int(row[1]), int(row[2])) for i, row in enumerate(index)}
        self._order = [row[0] for row in index]
        self.total_frames = int(index[-1][1]) + int(index[-1][2]) if index else 0
        self._frames: dict[int, np.memmap] = {}
        self._pooled: np.ndarray | None = None

    # -- opening -------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike, *, model: Any = None) -> FeatureStore:
        """Open a store for reading; with `model` (a `ModelIdentity`, its dict, or a model
        as the user spells it) refuse a store of another model."""
        path = Path(path)
        meta_path, index_path = path / "meta.json", path / "index.json"
        if not meta_path.is_file() or not index_path.is_file():
            raise EmoboxError(f"no feature store at {path} (run `emobox extract` first)")
        meta = _current(path, json.loads(meta_path.read_text()))
        if model is not None:
            _same_model(path, meta["identity"], _identity_dict(model))
        index = json.loads(index_path.read_text())
        return cls(path, meta, index)

    @classmethod
    def create(cls, path: str | os.PathLike, *, model: str, layers: Sequence[int], dim: int,
               frame_rate: float | None = None, extra: dict[str, Any] | None = None,
               identity: dict[str, Any] | None = None,
               pooled_layers: Sequence[int] | None = None) -> StoreWriter:
        """Open a store for writing, resuming a compatible existing one (after cutting off any
        uncommitted tail) or starting a new one. `identity` is the model's
        (`ModelIdentity.to_dict`; default: a store named `model` by a program);
        `pooled_layers` the layers with pooled statistics (default: `layers`)."""
        return StoreWriter(Path(path), model=model, layers=list(layers), dim=dim,
                           frame_rate=frame_rate, extra=extra or {},
                           identity=identity or {"kind": "named", "name": model},
                           pooled_layers=list(layers if pooled_layers is None
                                              else pooled_layers))

    # -- reading -------------------------------------------------------------------------
    @property
    def layers(self) -> list[int]:
        return list(self.meta["layers"])

    @property
    def pooled_layers(self) -> list[int]:
        """The layers with pooled statistics (by default every layer of the model)."""
        return list(self.meta["pooled_layers"])

    @property
    def dim(self) -> int:
        return int(self.meta["dim"])

    @property
    def model(self) -> str:
        return str(self.meta["model"])

    def __len__(self) -> int:
        return len(self._order)

    def __contains__(self, key: str) -> bool:
        return key in self._index

    def __iter__(self):
        return iter(self._order)

    def keys(self) -> list[str]:
        """Keys in write order."""
        return list(self._order)

    def n_frames(self, key: str) -> int:
        return self._lookup(key)[2]

    def frames(self, key: str, layer: int | None = None) -> np.ndarray:
        """float16 frames ``(n_frames, dim)`` of `key` at `layer` (default: the last stored)."""
        _, offset, n = self._lookup(key)
        return self._layer_array(self._layer(layer))[offset:offset + n]

    def pooled(self, key: str) -> np.ndarray:
        """float32 ``(len(layers), 2, dim)``: mean and std over frames of every layer with
        frames (`pooled_all` for every pooled layer)."""
        cols = [self.pooled_layers.index(layer) for layer in self.layers]
        return self.pooled_all(key)[cols]

    def pooled_all(self, key: str) -> np.ndarray:
        """float32 ``(len(pooled_layers), 2, dim)``: mean and std of every pooled layer."""
        i, _, _ = self._lookup(key)
        return np.asarray(self._pooled_array()[i], dtype=np.float32)

    def pooled_matrix(self, keys: Iterable[str], layer: int | None = None,
                      stat: str = "mean") -> np.ndarray:
        """``(len(keys), dim)`` float32 pooled `stat` ("mean" or "std") of any pooled layer
        (default: the last with frames), for fast probes."""
        col = self._pooled_col(layer)
        rows = [self._lookup(k)[0] for k in keys]
        return np.asarray(self._pooled_array()[rows, col, 0 if stat == "mean" else 1],
                          dtype=np.float32)

    def padded_batch(self, keys: Sequence[str], layer: int | None = None,
                     dtype: type = np.float32) -> tuple[np.ndarray, np.ndarray]:
        """``(batch, max_frames, dim)`` frames of `keys` at `layer`, zero-padded, and the bool
        mask of real frames; read straight from the memory map (only these rows are touched)."""
        spans = [self._lookup(k) for k in keys]
        longest = max((n for _, _, n in spans), default=0)
        batch = np.zeros((len(keys), longest, self.dim), dtype=dtype)
        mask = np.zeros((len(keys), longest), dtype=bool)
        data = self._layer_array(self._layer(layer))
        for b, (_, offset, n) in enumerate(spans):
            batch[b, :n] = data[offset:offset + n]
            mask[b, :n] = True
        return batch, mask

    def nonfinite_keys(self) -> list[str]:
        """Keys whose stored features hold NaN or inf (seen in their pooled statistics, which
        any non-finite frame makes non-finite)."""
        if not self._order:
            return []
        pooled = self._pooled_array().reshape(len(self._order), -1)
        bad = ~np.isfinite(pooled).all(axis=1)
        return [self._order[i] for i in np.flatnonzero(bad)]

    def require_finite(self) -> None:
        """Refuse a store holding non-finite features, saying how to repair it."""
        bad = self.nonfinite_keys()
        if bad:
            raise EmoboxError(
                f"feature store {self.path} holds {len(bad)} utterance(s) with NaN/inf features "
                f"(e.g. {bad[0]!r}); run `emobox features repair` on it, then `emobox extract` "
                "again")

    def identity(self) -> dict[str, Any]:
        """The settings that change what the features are (model, its revision and path,
        precision, Whisper mode, stored normalisation…): part of every run's identity."""
        return {k: v for k, v in self.meta.items() if k not in NOT_IDENTITY}

    def to_pandas(self, layer: int | None = None, *, pooled: bool = True,
                  manifest: Sequence[Any] | None = None) -> Any:
        """One row per utterance: the `layer`'s pooled mean and std (``mean_0…``, ``std_0…``;
        with ``pooled=False`` the frames, one row per frame with ``frame``), plus the
        manifest's columns when `manifest` (its utterances) is given. Needs pandas."""
        try:
            import pandas as pd
        except ImportError:
            raise EmoboxError("FeatureStore.to_pandas needs pandas: pip install "
                              "'emobox[parquet]'") from None
        keys = self.keys()
        if pooled:
            mean = self.pooled_matrix(keys, layer, "mean")
            std = self.pooled_matrix(keys, layer, "std")
            frame = pd.DataFrame(np.hstack([mean, std]), columns=[
                *(f"mean_{i}" for i in range(self.dim)), *(f"std_{i}" for i in range(self.dim))])
            frame.insert(0, "key", keys)
        else:
            parts = [np.asarray(self.frames(k, layer), dtype=np.float32) for k in keys]
            frame = pd.DataFrame(np.vstack(parts), columns=[f"f_{i}" for i in range(self.dim)])
            frame.insert(0, "frame", np.concatenate([np.arange(len(p)) for p in parts]))
            frame.insert(0, "key", np.repeat(keys, [len(p) for p in parts]))
        if manifest is not None:
            meta = pd.DataFrame([{"key": u.key, "dataset": u.dataset, "wav": u.wav,
                                  "emo": u.emo, "label": u.label, "speaker": u.speaker,
                                  "gender": u.gender, "lang": u.lang, "length": u.length}
                                 for u in manifest])
            frame = meta.merge(frame, on="key", how="right")
        return frame

    def summary(self) -> dict[str, Any]:
        """What the store holds: model, layers, dim, counts, hours, size on disk, settings."""
        frame_rate = self.meta.get("frame_rate")
        size = sum(f.stat().st_size for f in self.path.iterdir() if f.is_file())
        return {"path": str(self.path), "model": self.model, "utterances": len(self),
                "layers": self.layers, "pooled_layers": self.pooled_layers, "dim": self.dim,
                "frames": self.total_frames,
                "hours": round(self.total_frames / frame_rate / 3600, 3) if frame_rate else None,
                "bytes": size, **{k: v for k, v in self.meta.items() if k not in {
                    "model", "layers", "pooled_layers", "dim", "n_utterances", "n_frames"}}}

    def _layer(self, layer: int | None) -> int:
        if layer is None or layer == -1:
            return self.layers[-1]
        if layer not in self.layers:
            pooled = (" has only pooled statistics" if layer in self.pooled_layers
                      else " is not")
            raise EmoboxError(f"layer {layer}{pooled} in the store {self.path} (frames "
                              f"stored: {self.layers}; `emobox extract --layers all` or "
                              f"--layers {layer} keeps its frames)")
        return layer

    def _pooled_col(self, layer: int | None) -> int:
        layer = self.layers[-1] if layer is None or layer == -1 else layer
        if layer not in self.pooled_layers:
            raise EmoboxError(f"layer {layer} is not in the store {self.path} "
                              f"(pooled layers: {self.pooled_layers})")
        return self.pooled_layers.index(layer)

    def _lookup(self, key: str) -> tuple[int, int, int]:
        try:
            return self._index[key]
        except KeyError:
            raise EmoboxError(f"{key!r} is not in the feature store {self.path}") from None

    def _layer_array(self, layer: int) -> np.ndarray:
        if layer not in self._frames:
            total = self.total_frames
            shape = (total, self.dim)
            self._frames[layer] = (np.memmap(self.path / f"layer_{layer}.f16", dtype=np.float16,
                                             mode="r", shape=shape) if total
                                   else np.zeros(shape, dtype=np.float16))
        return self._frames[layer]

    def _pooled_array(self) -> np.ndarray:
        if self._pooled is None:
            n = len(self._order)
            shape = (n, len(self.pooled_layers), 2, self.dim)
            self._pooled = (np.memmap(self.path / POOLED_FILE, dtype=np.float16, mode="r",
                                      shape=shape) if n else np.zeros(shape, np.float16))
        return self._pooled


def remove_keys(path: str | os.PathLike, keys: Iterable[str]) -> None:
    """Rewrite the store at `path` without `keys` (copied bit for bit into a new folder,
    then swapped in), e.g. to drop utterances with non-finite features."""
    path = Path(path)
    store = FeatureStore.open(path)
    drop = set(keys)
    tmp, old = path.with_name(path.name + ".repair"), path.with_name(path.name + ".old")
    for leftover in (tmp, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    with create_like(store, tmp) as writer:
        for key in store:
            if key not in drop:
                writer.add_stored(key, [store.frames(key, layer) for layer in store.layers],
                                  store.pooled_all(key))
    path.rename(old)
    tmp.rename(path)
    shutil.rmtree(old)


def create_like(store: FeatureStore, path: str | os.PathLike) -> StoreWriter:
    """A writer of a store at `path` with everything `store` records (model, identity, layers,
    settings): for copies, repairs and merges."""
    meta = store.meta
    return FeatureStore.create(path, model=store.model, layers=store.layers, dim=store.dim,
                               frame_rate=meta.get("frame_rate"), identity=meta["identity"],
                               pooled_layers=store.pooled_layers,
                               extra={k: v for k, v in meta.items() if k not in STRUCTURE})


def _current(path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """`meta` of a store in the current format, else the one-line refusal saying what to do."""
    if meta.get("format") != FORMAT_VERSION or "identity" not in meta:
        raise EmoboxError(f"{path} is a feature store of an older emobox (format "
                          f"{meta.get('format')}: no model identity, pooled statistics of the "
                          "stored layers only); delete it and run `emobox extract` again")
    return meta


def describe(identity: dict[str, Any]) -> str:
    """One line naming the model of a recorded identity."""
    from emobox.features.identity import ModelIdentity

    return ModelIdentity.from_dict(identity).describe()


class StoreWriter:
    """Appends utterances; `commit` makes everything added so far durable and visible."""

    def __init__(self, path: Path, *, model: str, layers: list[int], dim: int,
                 frame_rate: float | None, extra: dict[str, Any],
                 identity: dict[str, Any] | None = None,
                 pooled_layers: list[int] | None = None) -> None:
        self.path = path
        identity = identity or {"kind": "named", "name": model}
        pooled_layers = list(layers) if pooled_layers is None else list(pooled_layers)
        if not set(layers) <= set(pooled_layers):
            raise ValueError(f"layers {layers} are not all among the pooled {pooled_layers}")
        path.mkdir(parents=True, exist_ok=True)
        self._lock = _lock(path)
        try:
            self._open(path, model, layers, pooled_layers, dim, frame_rate, extra, identity)
        except BaseException:
            self._lock.close()
            raise

    def _open(self, path: Path, model: str, layers: list[int], pooled_layers: list[int],
              dim: int, frame_rate: float | None, extra: dict[str, Any],
              identity: dict[str, Any]) -> None:
        self.meta: dict[str, Any] = {"format": FORMAT_VERSION, "model": model,
                                     "identity": identity, "layers": layers,
                                     "pooled_layers": pooled_layers, "dim": dim,
                                     "dtype": "float16", "frame_rate": frame_rate,
                                     "n_utterances": 0, "n_frames": 0, **extra}
        self.index: list[list] = []
        if (path / "meta.json").is_file() and (path / "index.json").is_file():
            old = _current(path, json.loads((path / "meta.json").read_text()))
            _same_model(path, old["identity"], identity)
            settings = {k: v for k, v in extra.items() if k not in UNCHECKED}
            if ((old.get("layers"), old.get("pooled_layers"), old.get("dim")) !=
                    (layers, pooled_layers, dim)
                    or any(old.get(k) != v for k, v in settings.items())):
                raise EmoboxError(f"{path} holds features of another configuration "
                                  f"({old.get('model')}, layers {old.get('layers')}); "
                                  "delete it or choose another workspace")
            self.index = json.loads((path / "index.json").read_text())
            self.meta["cost"] = list(old.get("cost", []))  # earlier sessions stay recorded
            last = self.index[-1] if self.index else ["", 0, 0]
            # the index is the commit record; counts in meta.json are derived from it
            self.meta.update(n_utterances=len(self.index), n_frames=int(last[1]) + int(last[2]))
        self._truncate_to_committed()
        self.committed = len(self.index)
        self._keys = {row[0] for row in self.index}
        # kept open across add() calls, closed in close()
        self._files = {layer: open(path / f"layer_{layer}.f16", "ab")  # noqa: SIM115
                       for layer in layers}
        self._pooled_file = open(path / POOLED_FILE, "ab")  # noqa: SIM115
        if not (path / "index.json").is_file():
            self.commit()  # a new store is valid (and empty) from the start

    def _truncate_to_committed(self) -> None:
        frames, n = int(self.meta["n_frames"]), int(self.meta["n_utterances"])
        dim, n_layers = int(self.meta["dim"]), len(self.meta["pooled_layers"])
        sizes = {f"layer_{layer}.f16": frames * dim * 2 for layer in self.meta["layers"]}
        sizes[POOLED_FILE] = n * n_layers * 2 * dim * 2
        for name, size in sizes.items():
            file = self.path / name
            if file.exists() and file.stat().st_size > size:
                os.truncate(file, size)
            elif not file.exists() or file.stat().st_size < size:
                file.touch()
                if file.stat().st_size < size:
                    raise EmoboxError(f"feature store {self.path} is corrupt ({name} is shorter "
                                      "than its index); delete it and extract again")

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def add(self, key: str, layers: np.ndarray, pooled: np.ndarray | None = None) -> None:
        """Append one utterance. Without `pooled`, `layers` is ``(len(pooled_layers),
        n_frames, dim)`` (the statistics are computed here, the frames of `layers` kept); with
        it, `layers` holds only the frames kept, ``(len(layers), n_frames, dim)``, and
        `pooled` is ``(len(pooled_layers), 2, dim)`` mean and std."""
        if key in self._keys:
            raise EmoboxError(f"{key!r} is already in the feature store {self.path}")
        layers = np.asarray(layers, dtype=np.float32)
        kept, every = self.meta["layers"], self.meta["pooled_layers"]
        n_layers, n_frames, dim = layers.shape
        expected = len(every) if pooled is None else len(kept)
        if n_layers != expected or dim != self.meta["dim"] or n_frames < 1:
            raise ValueError(f"{key}: features of shape {layers.shape} do not fit the store "
                             f"({expected} layers × dim {self.meta['dim']})")
        if pooled is None:
            pooled = np.stack([layers.mean(axis=1), layers.std(axis=1)], axis=1)
            layers = layers[[every.index(layer) for layer in kept]]
        for layer, frames in zip(kept, layers):
            self._files[layer].write(frames.astype(np.float16).tobytes())
        self._pooled_file.write(np.asarray(pooled, dtype=np.float32).astype(np.float16
                                                                            ).tobytes())
        self.index.append([key, int(self.meta["n_frames"]), int(n_frames)])
        self.meta["n_frames"] += int(n_frames)
        self.meta["n_utterances"] += 1
        self._keys.add(key)

    def add_stored(self, key: str, frames: Sequence[np.ndarray], pooled: np.ndarray) -> None:
        """Append an utterance copied from another store (float16 frames per layer and its
        pooled statistics, bit for bit): how shard stores are merged."""
        if key in self._keys:
            raise EmoboxError(f"{key!r} is already in the feature store {self.path}")
        for layer, f in zip(self.meta["layers"], frames):
            self._files[layer].write(np.ascontiguousarray(f, dtype=np.float16).tobytes())
        self._pooled_file.write(np.ascontiguousarray(pooled, dtype=np.float16).tobytes())
        n_frames = int(frames[0].shape[0])
        self.index.append([key, int(self.meta["n_frames"]), n_frames])
        self.meta["n_frames"] += n_frames
        self.meta["n_utterances"] += 1
        self._keys.add(key)

    def add_cost(self, session: dict[str, Any]) -> None:
        """Record one extraction session (recorded with the next commit)."""
        self.meta["cost"] = [*self.meta.get("cost", []), session]

    def commit(self) -> None:
        """fsync the data, then atomically publish the index and counts."""
        for fh in [*self._files.values(), self._pooled_file]:
            fh.flush()
            os.fsync(fh.fileno())
        atomic_write_text(self.path / "index.json", json.dumps(self.index))
        atomic_write_text(self.path / "meta.json", json.dumps(self.meta, indent=1))
        self.committed = len(self.index)

    def close(self) -> None:
        """Commit, close the files and release the lock."""
        try:
            self.commit()
        finally:
            self.abort()

    def abort(self) -> None:
        """Close without committing (after a failed write): the store stays as of its last
        commit, and the uncommitted tail is cut off when it is opened again."""
        for fh in [*self._files.values(), self._pooled_file]:
            with contextlib.suppress(OSError):
                fh.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> StoreWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _same_model(path: Path, recorded: dict[str, Any], given: dict[str, Any]) -> None:
    """Refuse to add one model's features to another model's store."""
    from emobox.features.identity import ModelIdentity

    old, new = ModelIdentity.from_dict(recorded), ModelIdentity.from_dict(given)
    if not old.same_model(new):
        raise EmoboxError(f"{path} holds features of {old.describe()}, not of "
                          f"{new.describe()}; use that model, or another workspace")


def _identity_dict(model: Any) -> dict[str, Any]:
    from emobox.features.identity import ModelIdentity, model_identity

    if isinstance(model, str):
        model = model_identity(model)
    return model.to_dict() if isinstance(model, ModelIdentity) else dict(model)


def _lock(path: Path) -> Any:
    """An exclusive lock on the store folder (``.lock``), held while writing: a second writer
    is refused with a message instead of corrupting the store."""
    import fcntl

    handle = open(path / ".lock", "a+")  # noqa: SIM115 - held until close()
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "?"
        handle.close()
        raise EmoboxError(f"{path} is being written by another emobox process (pid {owner}); "
                          "wait for it to finish, or stop it and rerun") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle
