"""The Python API for users' own models — what EmoBox's ``EmoDataset``/``EmoEval`` promised:
`Dataset` gives a fold's utterances (16 kHz audio, or stored features) with label indices and
speakers; `score` scores a model's predictions with emobox's metrics and stores them in the
results database, so they appear in every report beside emobox's own runs."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from emobox.audio import load
from emobox.corpora import raw_root_of, resolve_corpus
from emobox.errors import EmoboxError
from emobox.labels import apply_label_space
from emobox.manifest import read_manifest
from emobox.metrics import evaluate
from emobox.partition import Splits, default_scheme
from emobox.workspace import Workspace

PARTS = ("train", "valid", "test")


class Dataset(torch.utils.data.Dataset):
    """One part of one fold of a prepared, partitioned corpus.

    Items are dicts: ``key``, ``audio`` (float32, 16 kHz mono; or ``features`` ``(T, D)`` of
    the stored `features` model at `layer`), ``label`` (index into `labels`), ``emotion``,
    ``speaker``. `collate` pads a batch and adds ``lengths``.
    """

    def __init__(self, corpus: str, split: str = "train", *, fold: str = "1",
                 scheme: str | None = None, label_space: str = "native",
                 features: str | None = None, layer: int | None = None,
                 workspace: str | os.PathLike | Workspace | None = None) -> None:
        if split not in PARTS:
            raise EmoboxError(f"split must be one of {', '.join(PARTS)}, not {split!r}")
        ws = workspace if isinstance(workspace, Workspace) else Workspace.resolve(workspace)
        self.corpus = resolve_corpus(ws, corpus)
        utts = read_manifest(ws.manifest(self.corpus))
        if label_space != "native":
            utts = apply_label_space(utts, label_space)[0]
        splits = Splits.load(ws.splits(self.corpus, scheme or default_scheme(self.corpus)))
        if fold not in splits.folds:
            raise EmoboxError(f"{self.corpus}: no fold {fold!r} (folds: "
                              f"{', '.join(splits.folds)})")
        wanted = set(getattr(splits.folds[fold], split))
        self.items = [u for u in utts if u.key in wanted]
        self.labels = sorted({u.label for u in utts})
        self.root = raw_root_of(ws, self.corpus)
        self.store = None
        if features is not None:
            from emobox.features import FeatureStore, store_name

            self.store = FeatureStore.open(ws.features(store_name(features), self.corpus))
            self.layer = self.store.layers[-1] if layer is None else layer

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, Any]:
        u = self.items[i]
        item: dict[str, Any] = {"key": u.key, "label": self.labels.index(u.label),
                                "emotion": u.label, "speaker": u.speaker}
        if self.store is not None:
            item["features"] = torch.from_numpy(
                np.array(self.store.frames(u.key, self.layer), dtype=np.float32))
        else:
            item["audio"] = torch.from_numpy(load(self.root / u.wav, start=u.start_time,
                                                  end=u.end_time))
        return item

    @staticmethod
    def collate(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """A padded batch: ``audio`` or ``features`` stacked with zeros, and ``lengths``."""
        name = "features" if "features" in items[0] else "audio"
        values = [it[name] for it in items]
        batch = {k: [it[k] for it in items] for k in ("key", "emotion", "speaker")}
        batch["label"] = torch.tensor([it["label"] for it in items])
        batch[name] = torch.nn.utils.rnn.pad_sequence(values, batch_first=True)
        batch["lengths"] = torch.tensor([len(v) for v in values])
        return batch


def score(predictions: Mapping[str, str], corpus: str, split: str = "test", *,
          fold: str = "1", scheme: str | None = None, label_space: str = "native",
          name: str = "my-model", store: bool = True,
          workspace: str | os.PathLike | Workspace | None = None) -> dict[str, Any]:
    """Score `predictions` ({key: emotion}) on a fold's part with emobox's metrics; with
    `store`, record them in the results database as model `name` (protocol intra, recipe
    ``user``), so reports show them beside emobox's runs. Every key of the part must be
    predicted."""
    from emobox.runs.identity import run_key
    from emobox.runs.results import ResultsDB

    data = Dataset(corpus, split, fold=fold, scheme=scheme, label_space=label_space,
                   workspace=workspace)
    missing = [u.key for u in data.items if u.key not in predictions]
    if missing:
        raise EmoboxError(f"{len(missing)} {split} utterances have no prediction (e.g. "
                          f"{missing[0]!r})")
    truth = [u.label for u in data.items]
    predicted = [str(predictions[u.key]) for u in data.items]
    metrics = evaluate(truth, predicted, data.labels)
    if store:
        ws = workspace if isinstance(workspace, Workspace) else Workspace.resolve(workspace)
        splits = Splits.load(ws.splits(data.corpus, scheme or default_scheme(data.corpus)))
        key = run_key("intra", train=data.corpus, test=data.corpus, model=name, features=None,
                      layer=None, recipe="user", scheme=splits.scheme,
                      scheme_params=splits.params, label_space=label_space, prior="none",
                      fold=fold, seed=0, corpora=[data.corpus], labels=data.labels)
        with ResultsDB(ws.results) as db:
            db.add(key, metrics, info={"labels": data.labels, "source": "emobox.score"},
                   predictions=[(u.key, y, p) for u, y, p in zip(data.items, truth, predicted)])
        metrics["run"] = key.id
    return metrics


__all__ = ["Dataset", "score"]
