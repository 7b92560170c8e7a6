"""Build the data2vec 2.0 / emotion2vec test fixtures with FunASR's reference implementation.

Run in a separate virtual environment with FunASR (it is not an emobox dependency):

    python3 -m venv /tmp/funasr-venv
    /tmp/funasr-venv/bin/pip install torch==2.13.0 funasr pyyaml
    /tmp/funasr-venv/bin/python scripts/make_data2vec2_fixtures.py
    /tmp/funasr-venv/bin/python scripts/make_data2vec2_fixtures.py --full-size DIR  # optional

For two tiny random models — ``base`` (data2vec 2.0 base's shape: no prenet, no extra tokens,
12 heads, odd positional kernels) and ``large`` (emotion2vec's features at data2vec 2.0 large's
head count: an audio prenet, extra tokens, per-layer ALiBi scales, an even positional kernel, a
classification head) — it writes, under ``tests/fixtures/data2vec2/``:

* ``<size>-funasr/``: FunASR's layout, ``config.yaml`` (``model: Emotion2vec`` and its
  ``model_conf``) and ``model.pt`` (the state dict);
* ``<size>-fairseq.pt``: the same weights as a fairseq checkpoint (``cfg.model`` with
  ``_name: data2vec_multi``, ``cfg.task.normalize``, the state dict under ``model`` with fairseq's
  keys, plus an ``_ema`` entry as fairseq writes it);
* ``<size>-reference.npz``: the clips (``audio_<i>``) and every hidden state FunASR computes
  for each (``states_<i>``: the input of the first block, then each block's output, extra tokens
  removed), from FunASR's own ``inference`` (its waveform normalisation included).

The tests (`tests/features/test_data2vec2.py`) load the checkpoints through emobox and compare.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import torch
import yaml
from funasr.models.emotion2vec.model import Emotion2vec

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "data2vec2"
CONV = "[(16, 10, 5)] + [(16, 3, 2)] * 4 + [(16,2,2)] + [(16,2,2)]"
SIZES = {
    "base": dict(embed_dim=48, depth=2, num_heads=12, mlp_ratio=2.0,
                 audio=dict(prenet_depth=0, num_extra_tokens=0, conv_pos_width=95,
                            conv_pos_depth=5, conv_pos_groups=16,
                            learned_alibi_scale_per_layer=False), vocab=0),
    "large": dict(embed_dim=32, depth=2, num_heads=16, mlp_ratio=2.0,
                  audio=dict(prenet_depth=1, num_extra_tokens=3, conv_pos_width=40,
                             conv_pos_depth=2, conv_pos_groups=16,
                             learned_alibi_scale_per_layer=True), vocab=9),
}
CLIP_SECONDS = (1.6, 0.5, 2.4)
AMPLITUDES = (0.3, 0.004, 0.1)  # the quiet one: variance near the normalisation's eps


def model_conf(size: dict) -> dict:
    """FunASR's ``model_conf`` (its template's training settings, the shape of `size`)."""
    audio = {
        "type": "AUDIO", "prenet_layerdrop": 0.0, "prenet_dropout": 0.1,
        "start_drop_path_rate": 0.0, "end_drop_path_rate": 0.0, "init_extra_token_zero": True,
        "mask_noise_std": 0.01, "mask_prob_min": None, "mask_prob": 0.5, "inverse_mask": False,
        "mask_prob_adjust": 0.05, "keep_masked_pct": 0.0, "mask_length": 5, "add_masks": False,
        "remove_masks": False, "mask_dropout": 0.0, "encoder_zero_mask": True,
        "mask_channel_prob": 0.0, "mask_channel_length": 64, "ema_local_encoder": False,
        "local_grad_mult": 1.0, "use_alibi_encoder": True, "alibi_scale": 1.0,
        "learned_alibi": False, "alibi_max_pos": None, "learned_alibi_scale": True,
        "learned_alibi_scale_per_head": True, "num_alibi_heads": size["num_heads"],
        "model_depth": size["depth"], "extractor_mode": "layer_norm",
        "feature_encoder_spec": CONV, "conv_pos_pre_ln": False,
        "decoder": {"decoder_dim": 8, "decoder_groups": 4, "decoder_kernel": 3,
                    "decoder_layers": 1, "input_dropout": 0.1, "add_positions_masked": False,
                    "add_positions_all": False, "decoder_residual": True,
                    "projection_layers": 1, "projection_ratio": 2.0},
        **size["audio"],
    }
    return {
        "loss_beta": 0.0, "loss_scale": None, "depth": size["depth"],
        "start_drop_path_rate": 0.0, "end_drop_path_rate": 0.0,
        "num_heads": size["num_heads"], "norm_eps": 1e-5, "norm_affine": True,
        "encoder_dropout": 0.1, "post_mlp_drop": 0.1, "attention_dropout": 0.1,
        "activation_dropout": 0.0, "dropout_input": 0.0, "layerdrop": 0.0,
        "embed_dim": size["embed_dim"], "mlp_ratio": size["mlp_ratio"],
        "layer_norm_first": False, "average_top_k_layers": size["depth"],
        "end_of_block_targets": False, "clone_batch": 8, "instance_norm_target_layer": True,
        "ema_decay": 0.999, "ema_end_decay": 0.99999, "ema_encoder_only": False,
        "extractor_mode": "layer_norm", "shared_decoder": None, "supported_modality": "AUDIO",
        "mae_init": False, "seed": 1, "skip_ema": False, "normalize": True,
        "modalities": {"audio": audio},
    }


def randomise(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Move every norm, ALiBi scale and extra token off its initial value, so a wrong
    mapping of any of them shows."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            noise = torch.randn(p.shape, generator=generator)
            if name.endswith("alibi_scale"):
                p.copy_(0.3 + 1.2 * torch.rand(p.shape, generator=generator))
            elif "extra_tokens" in name:
                p.copy_(noise)
            elif p.dim() == 1 and ("norm" in name or "project_features.1" in name
                                  or ".2.1." in name):
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.1 * noise)


def clips(rng: np.random.Generator) -> list[np.ndarray]:
    """Speech-like test signals: a gliding harmonic tone with noise, per clip its length and
    level."""
    out = []
    for seconds, amplitude in zip(CLIP_SECONDS, AMPLITUDES):
        t = np.arange(int(seconds * 16000)) / 16000
        f0 = 120 + 60 * np.sin(2 * np.pi * 1.3 * t)
        phase = 2 * np.pi * np.cumsum(f0) / 16000
        wave = sum(np.sin(k * phase) / k for k in range(1, 6)) + 0.3 * rng.standard_normal(len(t))
        out.append((amplitude * wave / np.abs(wave).max()).astype(np.float32))
    return out


def hidden_states(model: Emotion2vec, audio: np.ndarray) -> np.ndarray:
    """Every hidden state FunASR's ``inference`` computes for `audio`, read by hooks on its
    blocks; checked against the ``feats`` it returns."""
    enc = model.modality_encoders["AUDIO"]
    blocks = list(enc.context_encoder.blocks) + list(model.blocks)
    n = enc.modality_cfg.num_extra_tokens
    states: list[torch.Tensor] = []
    hooks = [blocks[0].register_forward_pre_hook(lambda m, args: states.append(args[0]))]
    hooks += [b.register_forward_hook(lambda m, args, out: states.append(out[0]))
              for b in blocks]
    try:
        results, _ = model.inference([torch.from_numpy(audio)], key=["clip"], device="cpu",
                                     granularity="frame", extract_embedding=True)
    finally:
        for hook in hooks:
            hook.remove()
    stacked = torch.stack([s[0, n:] for s in states]).detach().numpy()
    np.testing.assert_array_equal(stacked[-1], results[0]["feats"])
    return stacked


def fairseq_checkpoint(conf: dict, state: dict) -> dict:
    """The fairseq layout of a data2vec 2.0 checkpoint (what ``checkpoint_utils`` saves)."""
    model_cfg = {k: v for k, v in conf.items() if k != "normalize"}
    model_cfg["_name"] = "data2vec_multi"
    state = dict(state)
    state["_ema"] = {"blocks.0.norm1.weight": state["blocks.0.norm1.weight"].clone()}
    return {
        "args": None,
        "cfg": {"_name": None, "common": {"fp16": True, "seed": 1},
                "task": {"_name": "audio_pretraining", "normalize": conf["normalize"],
                         "sample_rate": 16000},
                "model": model_cfg, "criterion": {"_name": "model"}},
        "model": state, "criterion": None, "optimizer_history": [],
        "task_state": {}, "extra_state": {"epoch": 1}, "last_optimizer_state": None,
    }


def full_size(folder: Path) -> None:
    """A random model of emotion2vec base's real shape (512-channel convolutions, 768 wide, 4
    prenet + 8 blocks, 10 extra tokens) as a FunASR folder, with FunASR's hidden states for a
    2.4 s clip in ``reference.npz`` — too big to commit; for checking the numerics at full size
    (`tests/features/test_data2vec2.py` reads it when ``EMOBOX_D2V2_FULL`` names the folder)."""
    global CONV
    CONV = "[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512,2,2)] + [(512,2,2)]"
    size = dict(embed_dim=768, depth=8, num_heads=12, mlp_ratio=4.0, vocab=9,
                audio=dict(prenet_depth=4, num_extra_tokens=10, conv_pos_width=95,
                           conv_pos_depth=5, conv_pos_groups=16,
                           learned_alibi_scale_per_layer=False))
    conf = model_conf(size)
    torch.manual_seed(0)
    model = Emotion2vec(model_conf=copy.deepcopy(conf), vocab_size=size["vocab"]).eval()
    randomise(model, torch.Generator().manual_seed(1))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(
        {"model": "Emotion2vec", "model_conf": conf}, sort_keys=False))
    torch.save(model.state_dict(), folder / "model.pt")
    clip = clips(np.random.default_rng(3))[2]
    with torch.no_grad():
        np.savez(folder / "reference.npz", audio_0=clip, states_0=hidden_states(model, clip))


def main() -> None:
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--full-size":
        full_size(Path(sys.argv[2]))
        return
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1)
    audio = clips(np.random.default_rng(2))
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size in SIZES.items():
        conf = model_conf(size)
        model = Emotion2vec(model_conf=copy.deepcopy(conf), vocab_size=size["vocab"]).eval()
        randomise(model, generator)
        state = model.state_dict()
        folder = OUT / f"{name}-funasr"
        folder.mkdir(exist_ok=True)
        (folder / "config.yaml").write_text(yaml.safe_dump(
            {"model": "Emotion2vec", "model_conf": conf, "frontend": None}, sort_keys=False))
        torch.save(state, folder / "model.pt")
        torch.save(fairseq_checkpoint(conf, state), OUT / f"{name}-fairseq.pt")
        reference = {}
        with torch.no_grad():
            for i, clip in enumerate(audio):
                reference[f"audio_{i}"] = clip
                reference[f"states_{i}"] = hidden_states(model, clip)
        np.savez_compressed(OUT / f"{name}-reference.npz", **reference)
        print(name, {k: v.shape for k, v in reference.items()})


if __name__ == "__main__":
    main()
