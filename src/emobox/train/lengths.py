"""Utterances longer than a recipe's ``max_seconds``, as the two reference implementations
treat them:

* ``drop`` — EmoBox: its feature extraction (``examples/sb/speech_feature_extraction.py``)
  skips every utterance whose metadata ``length`` is over 30 s, and ``dataset_prepare.py``
  then keeps only keys with features, so they are in no train, validation or test part. The
  protocols select keys through `LengthRule.keep`, which leaves them out and counts them.
* ``cut`` — SER Evals: ``cleaner_datasets.load_audio`` keeps the first 30 s of audio. Here the
  first ``floor(max_seconds · frame_rate)`` stored frames are used (`max_frames`), when the
  frames are loaded, for training and testing alike; the stored frames were computed over the
  whole utterance, not over its first 30 s of audio. `LengthRule.keep` counts them.

An utterance's duration is its manifest ``length`` (EmoBox's own criterion), or where that is
unknown (0) its stored frames over the store's frame rate.

>>> from emobox.train.recipe import get_recipe
>>> max_frames(get_recipe("serval"), 50.0), max_frames(get_recipe("emobox"), 50.0)
(1500, None)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from emobox.features.store import FeatureStore
from emobox.manifest import Utterance
from emobox.train.recipe import Recipe


def max_frames(recipe: Recipe, frame_rate: float | None) -> int | None:
    """The frames an utterance is cut to under `recipe` (None: not cut, or no frame rate)."""
    if recipe.long_utterances != "cut" or not frame_rate or recipe.max_seconds is None:
        return None
    return math.floor(recipe.max_seconds * frame_rate)


class LengthRule:
    """`recipe`'s rule for long utterances applied to one corpus's keys: `keep` filters (or,
    for ``cut``, only counts) a part's (key, label) pairs; `notes` says what it did."""

    def __init__(self, recipe: Recipe, utts: Sequence[Utterance], store: FeatureStore) -> None:
        self.mode, self.limit = recipe.long_utterances, recipe.max_seconds
        self.store = store
        self.frame_rate = store.meta.get("frame_rate")
        self.cut = max_frames(recipe, self.frame_rate)
        self.lengths = {u.key: u.length for u in utts}
        self.counts: dict[str, int] = {}
        self.unknown: set[str] = set()

    def seconds(self, key: str) -> float | None:
        """The duration of `key`: its manifest length, else its frames over the frame rate."""
        length = self.lengths.get(key) or 0.0
        if length > 0:
            return float(length)
        if self.frame_rate and key in self.store:
            return self.store.n_frames(key) / float(self.frame_rate)
        return None

    def is_long(self, key: str) -> bool:
        if self.mode == "cut" and self.cut is not None and key in self.store:
            return self.store.n_frames(key) > self.cut
        seconds = self.seconds(key)
        if seconds is None:
            self.unknown.add(key)
            return False
        return seconds > float(self.limit or math.inf)

    def keep(self, pairs: Sequence[tuple[str, str]], part: str) -> list[tuple[str, str]]:
        """`pairs` without the long utterances (``drop``), or all of them (``keep``,
        ``cut``); the long ones are counted under `part`."""
        if self.mode == "keep":
            return list(pairs)
        long = {k for k, _ in pairs if self.is_long(k)}
        self.counts[part] = self.counts.get(part, 0) + len(long)
        return [p for p in pairs if p[0] not in long] if self.mode == "drop" else list(pairs)

    def parts(self, parts: dict[str, tuple[list[tuple[str, str]], int]]
              ) -> dict[str, tuple[list[tuple[str, str]], int]]:
        """`keep` applied to each part of ``{part: (pairs, n_missing)}`` (`labelled`'s)."""
        return {part: (self.keep(pairs, part), n) for part, (pairs, n) in parts.items()}

    def notes(self, *parts: str) -> list[str]:
        """One line on the long utterances of `parts` (all counted parts when none given)."""
        counts = {p: n for p, n in self.counts.items() if n and (not parts or p in parts)}
        out = []
        if counts:
            where = ", ".join(f"{p} {n}" for p, n in counts.items())
            limit = f"{self.limit:g} s"
            if self.mode == "drop":
                out.append(f"{sum(counts.values())} utterance(s) over {limit} left out "
                           f"({where}), as EmoBox's feature extraction skips them")
            elif self.cut is None:
                out.append(f"{sum(counts.values())} utterance(s) over {limit} not cut "
                           f"({where}): the store has no frame rate")
            else:
                out.append(f"{sum(counts.values())} utterance(s) over {limit} cut to their "
                           f"first {self.cut} frames ({where}), as SER Evals cuts the audio")
        if self.unknown and self.mode != "keep":
            out.append(f"{len(self.unknown)} utterance(s) of unknown duration (no manifest length, "
                       "no frame rate) kept whole")
        return out
