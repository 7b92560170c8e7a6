"""Predict emotions of audio files with a trained head: the features it was trained on are
extracted with the same settings (model source, layers, precision, Whisper mode), then the
head gives class probabilities — per file, or per window of a long file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from emobox.audio import load
from emobox.errors import AudioError, EmoboxError
from emobox.features import get_extractor
from emobox.features.registry import HANDCRAFTED
from emobox.train.adjust import softmax
from emobox.train.export import load_model


def predict_files(files: Sequence[str | Path], model_dir: str | Path, *,
                  window: float | None = None, device: str = "cpu",
                  allow_pickle: bool = False) -> list[dict[str, Any]]:
    """One row per file (or window): file, start, end, emotion, probabilities
    (`allow_pickle`: the feature model's weights may be a pickle, as for extraction)."""
    model, config = load_model(model_dir)
    features = config.get("features") or {}
    name = config.get("model", "")
    if name in HANDCRAFTED:
        extractor = get_extractor(name)
    else:
        from dataclasses import replace

        from emobox.features import ExtractionSettings, Runtime

        settings = ExtractionSettings.from_meta(features)
        if features.get("source"):  # where the model lies now (a local folder's path)
            settings = replace(settings, model=features["source"])
        extractor = get_extractor(replace(settings, layers=tuple(model.layers)),
                                  Runtime(device=device, allow_pickle=allow_pickle))
    rows = []
    for file in files:
        path = Path(file)
        if not path.is_file():
            raise EmoboxError(f"audio file not found: {path}")
        try:
            audio = load(path, sample_rate=extractor.sample_rate)
        except AudioError as exc:
            raise EmoboxError(f"{path}: {exc}") from None
        if not len(audio):
            raise EmoboxError(f"{path}: no audio samples")
        step = int(window * extractor.sample_rate) if window else len(audio)
        spans = [(s, min(s + step, len(audio))) for s in range(0, len(audio), step)]
        if len(spans) > 1 and spans[-1][1] - spans[-1][0] < step / 2:  # a short tail joins
            spans[-2:] = [(spans[-2][0], spans[-1][1])]                # the window before
        feats = extractor.extract_batch([audio[a:b] for a, b in spans])
        if not all(np.isfinite(f).all() for f in feats):
            raise EmoboxError(f"{path}: too short for {name} features (use a longer --window)")
        probs = softmax(model.logits_of(feats))
        for (a, b), p in zip(spans, probs):
            rows.append({"file": str(path), "start": a / extractor.sample_rate,
                         "end": b / extractor.sample_rate,
                         "emotion": model.labels[int(p.argmax())],
                         "probabilities": {lab: float(v) for lab, v in zip(model.labels, p)}})
    return rows
