"""Pseudo-labelers for the agreement filter of balanced cross-corpus test sets (EmoBox §2.3):
a trained emobox head, or emotion2vec through FunASR (the ``funasr`` extra).

A labeler is any callable ``(utterances) -> labels`` (`emobox.partition.balanced.Labeler`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from emobox.errors import EmoboxError
from emobox.manifest import Utterance


class ModelLabeler:
    """A trained emobox head as a pseudo-labeler, predicting from a feature store."""

    name = "a trained emobox head"
    lineage = ""  # the registry lineage of its features' model, where it has one

    def __init__(self, trained: Any, store: Any) -> None:
        self.trained, self.store = trained, store

    def __call__(self, utterances: Sequence[Utterance]) -> list[str]:
        missing = [u.key for u in utterances if u.key not in self.store]
        if missing:
            raise EmoboxError(f"no features for {missing[0]!r} ({len(missing)} missing); run "
                              f"`emobox extract` for this corpus first")
        predicted, _ = self.trained.predict(self.store, [u.key for u in utterances])
        return list(predicted)


#: emotion2vec's 9 classes (``"生气/angry"`` etc.) → our canonical names.
EMOTION2VEC = {"angry": "Angry", "disgusted": "Disgust", "fearful": "Fear", "happy": "Happy",
               "neutral": "Neutral", "other": "Other", "sad": "Sad", "surprised": "Surprise",
               "<unk>": "Other"}


class Emotion2VecLabeler:
    """emotion2vec (through FunASR) as a pseudo-labeler, as EmoBox did; audio is read from
    `raw_root` / ``wav``. Needs the ``funasr`` package and the model weights."""

    lineage = "emotion2vec"  # what a test set it selects is not held out for

    def __init__(self, raw_root: str | os.PathLike, model: str = "iic/emotion2vec_plus_large"
                 ) -> None:
        try:
            from funasr import AutoModel  # type: ignore[import-not-found]
        except ImportError:
            raise EmoboxError("the emotion2vec labeler needs FunASR (pip install funasr); "
                              "or pass any callable or a trained emobox model") from None
        self.raw_root = Path(raw_root)
        self.name = f"emotion2vec ({model})"
        self.model = AutoModel(model=model)

    def __call__(self, utterances: Sequence[Utterance]) -> list[str]:
        out = []
        for u in utterances:
            result = self.model.generate(str(self.raw_root / u.wav), granularity="utterance")
            entry = result[0] if isinstance(result, list) else result
            scores = list(entry["scores"])
            name = str(entry["labels"][scores.index(max(scores))]).split("/")[-1].lower()
            out.append(EMOTION2VEC.get(name, "Other"))
        return out


def _lineage(model: str) -> str:
    from emobox.features.registry import MODELS

    entry = MODELS.get(model)
    return entry.lineage if entry else ""


def get_labeler(spec: str, workspace: Any, corpus: str) -> Any:
    """A labeler from its command-line spelling: ``run:RUN_ID`` (a trained emobox head, on the
    corpus's stored features of the run's model), ``emotion2vec`` (FunASR), or
    ``module:function`` (any callable `(utterances) -> labels` importable by Python)."""
    import importlib

    from emobox.corpora import raw_root_of

    kind, _, value = spec.partition(":")
    if kind == "run" and value:
        from emobox.features import FeatureStore
        from emobox.runs.results import ResultsDB
        from emobox.train.export import load_model

        with ResultsDB(workspace.results) as db:
            found = db.find(value)
            if len(found) != 1:
                raise EmoboxError(f"--labeler run:{value}: no such run (or ambiguous)")
            head_dir = db.heads_dir / found[0].info.get("head", found[0].run_id)
        trained, config = load_model(head_dir)
        labeler = ModelLabeler(trained, FeatureStore.open(workspace.features(config["model"],
                                                                             corpus)))
        labeler.name = f"run:{value} ({config['model']})"
        labeler.lineage = _lineage(config["model"])
        return labeler
    if spec == "emotion2vec":
        return Emotion2VecLabeler(raw_root_of(workspace, corpus))
    if kind and value:
        try:
            return getattr(importlib.import_module(kind), value)
        except (ImportError, AttributeError) as exc:
            raise EmoboxError(f"--labeler {spec}: cannot import it ({exc})") from None
    raise EmoboxError(f"--labeler takes run:RUN_ID, emotion2vec or module:function, not "
                      f"{spec!r}")


__all__ = ["EMOTION2VEC", "Emotion2VecLabeler", "ModelLabeler", "get_labeler"]
