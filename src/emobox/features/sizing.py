"""What a feature store will take on disk, and what extracting it costs, before anything runs.

Everything follows from the registry's record of the model (`emobox.features.registry`: its
architecture, frame rate and sample rate) and its family's adapter
(`emobox.features.families`: hidden states, width, FLOPs) — the same facts the extractor and
the store use, so the estimate and the store cannot drift apart.

>>> store_bytes("wavlm-base", 1.0, 0, layers="all") - META_BYTES  # 13 × 768 × 2 B × 50 fps
998400
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from emobox.errors import EmoboxError
from emobox.features.base import parse_layers
from emobox.features.families import CONTEXT_SECONDS, adapter_of
from emobox.features.registry import HANDCRAFTED, HANDCRAFTED_SHAPES, ModelInfo, info

#: Bytes of one stored frame value and of one pooled statistic (`emobox.features.store`).
FRAME_BYTES = 2
POOLED_BYTES = 2
#: Bytes of one index row (``["<corpus>-<id>", offset, n_frames],`` in index.json).
INDEX_ROW_BYTES = 48
#: meta.json and the lock file.
META_BYTES = 4096


def shape_of(model: str | ModelInfo) -> tuple[int, int, float | None]:
    """``(hidden states, width, frames per second)`` of a model's features; a frame rate of
    None means one frame per utterance (eGeMAPS functionals)."""
    if isinstance(model, str) and model in HANDCRAFTED:
        dim, rate = HANDCRAFTED_SHAPES[model]
        return 1, dim, rate
    entry = info(model) if isinstance(model, str) else model
    if entry.arch is None:
        raise EmoboxError(f"the size of {entry.name} is not known before it is loaded "
                          "(give its local folder or a registry name)")
    adapter = adapter_of(entry.family)
    return adapter.hidden_states(entry.arch), adapter.width(entry.arch), entry.frame_rate


def frame_layers(model: str | ModelInfo, layers: str | Sequence[int] | None = "default",
                 ) -> list[int]:
    """The layers whose frames a store keeps (``default``: the last, what EmoBox trains on)."""
    return parse_layers(layers, shape_of(model)[0])


def store_bytes(model: str | ModelInfo, seconds: float, utterances: int,
                layers: str | Sequence[int] | None = "default") -> int:
    """Bytes of the store of `utterances` utterances, `seconds` of audio in all: float16
    frames of the kept `layers` at the model's frame rate and width, float16 pooled mean and
    std of every layer per utterance, the index rows and the meta file."""
    n_layers, dim, rate = shape_of(model)
    kept = len(parse_layers(layers, n_layers))
    return layout_bytes(kept, n_layers, dim, rate, seconds, utterances) + META_BYTES


def layout_bytes(kept: int, pooled: int, dim: int, frame_rate: float | None, seconds: float,
                 utterances: int) -> int:
    """Bytes `utterances` utterances of `seconds` in all add to a store keeping the frames
    of `kept` layers and the pooled statistics of `pooled` layers (the store's layout)."""
    frames = seconds * frame_rate if frame_rate else utterances
    return int(kept * frames * dim * FRAME_BYTES + utterances * pooled * 2 * dim * POOLED_BYTES
               + utterances * INDEX_ROW_BYTES)


def extract_flop_per_second(model: str | ModelInfo, *,
                            context_seconds: float = CONTEXT_SECONDS) -> float:
    """Forward FLOPs per audio-second (feature encoder + blocks, attention over
    `context_seconds`); 0 for the handcrafted feature sets. WavLM large: ≈ 37 GFLOP/s."""
    if isinstance(model, str) and model in HANDCRAFTED:
        return 0.0
    entry = info(model) if isinstance(model, str) else model
    if entry.arch is None:
        raise EmoboxError(f"the size of {entry.name} is not known before it is loaded")
    return adapter_of(entry.family).flop_per_second(entry.arch, entry.sample_rate,
                                                    context_seconds)


def extract_flop(model: str | ModelInfo, seconds: float, utterances: int, *,
                 padded: bool = False) -> float:
    """Forward FLOPs of extracting `utterances` of `seconds` in all. `padded`: every
    utterance is encoded in whole windows (Whisper's ``pad30``; CLAP always is), so it costs
    ``ceil(length / window)`` windows — counted from the mean length."""
    if isinstance(model, str) and model in HANDCRAFTED:
        return 0.0
    entry = info(model) if isinstance(model, str) else model
    adapter = adapter_of(entry.family)
    if (padded or entry.family == "clap") and utterances:
        window = adapter.window_seconds
        seconds = utterances * window * math.ceil(seconds / utterances / window)
        return extract_flop_per_second(entry, context_seconds=window) * seconds
    context = seconds / utterances if utterances else CONTEXT_SECONDS
    return extract_flop_per_second(entry, context_seconds=context) * seconds
