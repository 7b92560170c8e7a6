"""Store sizes and extraction FLOPs from the registry, against hand arithmetic."""

from __future__ import annotations

import json

import pytest
import tiny_models

from emobox.errors import EmoboxError
from emobox.features.families import adapter_of
from emobox.features.registry import MODELS, info
from emobox.features.sizing import (
    INDEX_ROW_BYTES,
    META_BYTES,
    extract_flop,
    extract_flop_per_second,
    store_bytes,
)


def test_base_model_store_by_hand():
    seconds, n = 3600.0, 900
    frames = 13 * 768 * 2 * 50 * seconds  # 13 hidden states × 768 × float16 × 50 frames/s
    pooled = n * 13 * 2 * 768 * 2  # mean and std of every layer, float16
    overhead = n * INDEX_ROW_BYTES + META_BYTES
    assert store_bytes("wavlm-base", seconds, n, layers="all") == frames + pooled + overhead
    last = 768 * 2 * 50 * seconds
    assert store_bytes("microsoft/wavlm-base", seconds, n) == last + pooled + overhead
    assert store_bytes("wavlm-base", seconds, n, layers=[0, 6]) == 2 * last + pooled + overhead


def test_large_models_and_handcrafted():
    # whisper large-v3: 33 hidden states × 1280; EmoBox's 294 h with every layer ≈ 4.5 TB
    assert store_bytes("whisper-large-v3", 294 * 3600, 262020, "all") / 1e12 == pytest.approx(
        4.5, rel=0.05)
    # a large model over EmoBox: its last layer's frames ≈ 108 GB (issue #21: 80-110 GB) and
    # pooled statistics of its 25 layers ≈ 27 GB
    frames, pooled = 1024 * 2 * 50 * 294 * 3600, 262020 * 25 * 2 * 1024 * 2
    assert store_bytes("wavlm-large", 294 * 3600, 262020) == pytest.approx(frames + pooled,
                                                                          rel=1e-3)
    assert store_bytes("egemaps", 100.0, 10) == (10 * 88 * 2 + 10 * 88 * 2 * 2
                                                 + 10 * INDEX_ROW_BYTES + META_BYTES)
    assert store_bytes("logmel", 1.0, 0) == 100 * 80 * 2 + META_BYTES


def test_flop_per_second_by_hand():
    d, f, t = 1024, 4096, 4.0 * 50  # WavLM large, attention over a 4 s utterance
    blocks = 50 * 24 * (2 * (4 * d * d + 2 * d * f) + 4 * t * d)
    conv, rate, cin = 0.0, 16000.0, 1
    for out, k, s in info("wavlm-large").arch.conv:
        rate /= s
        conv += 2 * k * cin * out * rate
        cin = out
    projection = 50 * 2 * 512 * d
    pos = 50 * 2 * 128 * d * d / 16
    assert extract_flop_per_second("wavlm-large") == pytest.approx(blocks + conv + projection
                                                                   + pos)
    assert extract_flop_per_second("wavlm-large") / 1e9 == pytest.approx(37, rel=0.05)
    # 294 h of a large model ≈ 4 × 10^16 FLOP (issue #21)
    assert extract_flop("wavlm-large", 294 * 3600, 262020) == pytest.approx(4e16, rel=0.1)
    assert extract_flop("egemaps", 10.0, 3) == 0.0


def test_padded_whisper_pays_whole_windows():
    per_second = extract_flop_per_second("whisper-large-v3", context_seconds=30.0)
    assert extract_flop("whisper-large-v3", 40.0, 10, padded=True) == pytest.approx(
        per_second * 30 * 10)
    assert extract_flop("whisper-large-v3", 40.0, 10) < per_second * 40


def test_registry_frame_rates_follow_the_adapters():
    """One fact in one place: each registered frame rate is what its adapter computes from
    the architecture (CLAP: 32 frames per 10 s window)."""
    for entry in MODELS.values():
        assert adapter_of(entry.family).frame_rate(entry.arch, entry.sample_rate) == \
            entry.frame_rate, entry.name
    assert info("clap-music-speech").frame_rate == 3.2


@pytest.mark.parametrize("family", tiny_models.FAMILIES)
def test_local_folder_sizes_come_from_its_config(tiny, family):
    entry = info(str(tiny(family)))
    config = json.loads((tiny(family) / "config.json").read_text())
    assert entry.arch is not None and extract_flop_per_second(entry) > 0
    if family not in ("clap", "whisper"):
        assert entry.arch.blocks == config["num_hidden_layers"]
        assert store_bytes(entry, 1.0, 0, "all") - META_BYTES == (
            (config["num_hidden_layers"] + 1) * config["hidden_size"] * 2 * entry.frame_rate)


def test_unknown_size_is_a_user_error():
    with pytest.raises(EmoboxError, match="not known"):
        store_bytes("someone/some-model", 1.0, 1)


@pytest.mark.parametrize("name", ["egemaps", "egemaps-lld", "logmel"])
def test_handcrafted_shapes_are_what_the_extractors_give(name):
    from emobox.features import get_extractor
    from emobox.features.registry import HANDCRAFTED_SHAPES

    ex = get_extractor(name)
    assert (ex.dim, ex.frame_rate) == HANDCRAFTED_SHAPES[name]
