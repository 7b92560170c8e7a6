"""`RunKey`: the identity of a result — everything that changes it, and nothing else.

Two runs with the same key are the same experiment (a rerun may skip or replace it); two runs
that differ in any field are different results and are never mixed or replaced.

>>> key = RunKey(protocol="intra", train_corpus="ravdess", test_corpus="ravdess",
...              model="wavlm-base", features={"layers": [12]}, layer=12, recipe="emobox",
...              hparams={"lr": 1e-3, "hidden": 128}, scheme="emobox",
...              scheme_params={"seed": 0}, label_space="native", prior="none", fold="1", seed=0,
...              corpora=["ravdess"], labels=["Angry", "Happy"])
>>> key.id == RunKey.from_dict(key.to_dict()).id, len(key.id)
(True, 16)
>>> key.with_(fold="2").id == key.id
False
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any


def canonical(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces): equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def _frozen(value: Mapping[str, Any] | None) -> dict[str, Any]:
    return json.loads(canonical(dict(value or {})))


@dataclass(frozen=True)
class RunKey:
    """Protocol, corpora, model and feature settings, layer, recipe and its hyperparameters,
    partition scheme and its parameters, label space, prior, fold and seed; `corpora` is the
    corpus set of the grid the run belongs to (a cross or OOD matrix is one set) and `labels`
    the classes its head predicts.

    Built by `emobox.runs.identity.run_key` alone, from the description of a protocol run."""

    protocol: str
    train_corpus: str
    test_corpus: str
    model: str
    features: Mapping[str, Any] = field(default_factory=dict, hash=False)
    layer: int | None = None
    recipe: str = "emobox"
    hparams: Mapping[str, Any] = field(default_factory=dict, hash=False)
    scheme: str = ""
    scheme_params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    label_space: str = "native"
    prior: str = "none"
    fold: str = "1"
    seed: int = 0
    corpora: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("features", "hparams", "scheme_params"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        for name in ("corpora", "labels"):
            object.__setattr__(self, name, tuple(getattr(self, name) or ()))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["corpora"], data["labels"] = list(self.corpora), list(self.labels)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunKey:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    @property
    def id(self) -> str:
        """16 hex digits of the SHA-256 of the canonical key."""
        return hashlib.sha256(canonical(self.to_dict()).encode()).hexdigest()[:16]

    def group(self, *without: str) -> str:
        """The canonical text of the key without some fields (e.g. ``"fold"``): results that
        share it may be aggregated together."""
        return canonical({k: v for k, v in self.to_dict().items() if k not in without})

    def with_(self, **changes: Any) -> RunKey:
        return replace(self, **changes)
