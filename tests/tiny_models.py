"""Tiny random speech models built from configs, saved like real checkpoints (offline, ~100 kB).

``build(family, folder)`` writes a model folder that loads through ``AutoModel.from_pretrained``
and ``emobox.features.get_extractor``, exactly as a real hub checkpoint would.
MERT has no transformers class (its hub checkpoint is remote code): ``mert`` builds a HuBERT
with ``sample_rate=24000`` in its config, which is what MERT is to the extractor.
"""

from __future__ import annotations

from pathlib import Path

import torch

CONV = {"conv_dim": (32, 32), "conv_kernel": (10, 3), "conv_stride": (5, 2),
        "num_conv_pos_embeddings": 16, "num_conv_pos_embedding_groups": 2}
SMALL = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
         "intermediate_size": 64}

FAMILIES = ("wav2vec2", "hubert", "wavlm", "data2vec-audio", "whisper", "w2v-bert", "clap",
            "mert")


def tiny_config(family: str):
    """The config of a tiny model of `family`."""
    import transformers as tf

    if family == "wav2vec2":
        return tf.Wav2Vec2Config(**SMALL, **CONV)
    if family == "hubert":
        return tf.HubertConfig(**SMALL, **CONV)
    if family == "mert":
        return tf.HubertConfig(**SMALL, **CONV, sample_rate=24000)
    if family == "wavlm":
        return tf.WavLMConfig(**SMALL, **CONV, num_buckets=16, max_bucket_distance=40)
    if family == "data2vec-audio":
        return tf.Data2VecAudioConfig(**SMALL, **{**CONV, "num_conv_pos_embeddings": 5})
    if family == "whisper":
        return tf.WhisperConfig(d_model=32, encoder_layers=2, decoder_layers=1,
                                encoder_attention_heads=2, decoder_attention_heads=2,
                                encoder_ffn_dim=64, decoder_ffn_dim=64, vocab_size=128,
                                max_target_positions=32, num_mel_bins=80,
                                max_source_positions=1500, decoder_start_token_id=1,
                                pad_token_id=0, bos_token_id=1, eos_token_id=2)
    if family == "w2v-bert":
        return tf.Wav2Vec2BertConfig(**SMALL, feature_projection_input_dim=160,
                                     output_hidden_size=32, conv_depthwise_kernel_size=3,
                                     position_embeddings_type="relative_key",
                                     left_max_position_embeddings=8,
                                     right_max_position_embeddings=8)
    if family == "clap":
        return tf.ClapConfig(
            text_config={"hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
                         "intermediate_size": 32, "vocab_size": 64,
                         "max_position_embeddings": 32},
            audio_config={"hidden_size": 64, "patch_embeds_hidden_size": 8,
                          "depths": [1, 1], "num_attention_heads": [2, 2],
                          "window_size": 4, "spec_size": 128, "patch_size": 4,
                          "patch_stride": (4, 4), "num_mel_bins": 16,
                          "projection_dim": 16, "enable_fusion": False},
            projection_dim=16)
    raise KeyError(family)


def build(family: str, folder: str | Path, seed: int = 0) -> Path:
    """Save a tiny random model of `family` in `folder` (and return the folder)."""
    from transformers import AutoModel

    torch.manual_seed(seed)
    model = AutoModel.from_config(tiny_config(family)).eval()
    folder = Path(folder)
    model.save_pretrained(folder)
    return folder
