"""What `emobox splits show` prints: per fold, counts per label and speaker, test share and
speaker overlap."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from emobox.manifest import Utterance
from emobox.partition.core import Splits

PARTS = ("train", "valid", "test")


def describe_splits(splits: Splits, utterances: Sequence[Utterance]) -> dict[str, Any]:
    """Per fold: sizes, counts per label and per speaker for each part, the test share of all
    fold keys, and the speakers test shares with train/valid (``overlap_ok`` is False when a
    speaker-independent scheme has any)."""
    by_key = {u.key: u for u in utterances}
    folds: dict[str, Any] = {}
    for name, fold in splits.folds.items():
        parts = fold.to_dict()
        utts = {p: [by_key[k] for k in parts[p] if k in by_key] for p in PARTS}
        spk = {p: {u.speaker for u in utts[p] if u.speaker is not None} for p in PARTS}
        total = sum(len(v) for v in parts.values())
        overlap = sorted(spk["test"] & (spk["train"] | spk["valid"]))
        folds[name] = {
            "sizes": {p: len(parts[p]) for p in PARTS},
            "test_share": round(len(parts["test"]) / total, 4) if total else 0.0,
            "labels": {p: dict(sorted(Counter(u.label for u in utts[p]).items())) for p in PARTS},
            "speakers": {p: dict(sorted(Counter(str(u.speaker) for u in utts[p]).items()))
                         for p in PARTS},
            "speaker_overlap": overlap,
            "overlap_ok": not (splits.speaker_independent and overlap),
            "unknown_keys": sum(k not in by_key for p in PARTS for k in parts[p]),
        }
    return {"scheme": splits.scheme, "params": splits.params,
            "speaker_independent": splits.speaker_independent, "notes": splits.notes,
            "folds": folds}
