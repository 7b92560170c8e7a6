"""Hidden states of a speech model: a transformers model (registry name, hub id or local
folder), or a data2vec 2.0 / emotion2vec checkpoint, which `emobox.features.checkpoints` loads
into emobox's own encoder (`emobox.features.data2vec2`).

One forward pass gives every hidden state (the embeddings, then one per block): the selected
layers' frames are returned, and for a store the pooled mean and std of every layer
(`extract_pooled`). Utterances are batched (zero-padded, with an attention mask where the model
takes one); audio longer than the model's window (30 s; CLAP 10 s) is cut into windows whose
frames are stitched back together. What differs between model families — the module that
runs, the input features, the frame counts, the batch cost — is the family's adapter
(`emobox.features.families`, named by the registry record). The precision is chosen and applied
by `emobox.features.precision` (``auto``: bf16 only where the CPU has it natively; on a CPU bf16
means bf16 weights with float32 islands, on CUDA autocast).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from emobox.errors import EmoboxError
from emobox.features.base import Extractor, parse_layers
from emobox.features.families import MIN_SAMPLES, WHISPER_HOP, adapter_of, whisper_frames
from emobox.features.precision import apply_precision, choose_precision, torch_dtype
from emobox.features.registry import family_of_config, info
from emobox.features.settings import (
    WHISPER_MODES,
    ExtractionSettings,
    Runtime,
    batch_policy_of,
)

log = logging.getLogger(__name__)

__all__ = ["MIN_SAMPLES", "WHISPER_HOP", "WHISPER_MODES", "HFExtractor", "parse_device",
           "whisper_frames"]


def parse_device(device: str) -> torch.device:
    """``cpu``, ``cuda`` or ``cuda:N``, checked against the machine."""
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise EmoboxError(f"--device must be cpu, cuda or cuda:N, not {device!r}") from None
    if dev.type == "cuda" and (not torch.cuda.is_available()
                               or (dev.index or 0) >= torch.cuda.device_count()):
        raise EmoboxError(f"device {device!r} is not available on this machine")
    if dev.type not in ("cpu", "cuda"):
        raise EmoboxError(f"--device must be cpu, cuda or cuda:N, not {device!r}")
    return dev


class HFExtractor(Extractor):
    """Every hidden state of a transformers speech encoder, in one forward pass."""

    norm = "layer"

    def __init__(self, settings: ExtractionSettings, runtime: Runtime = Runtime()) -> None:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        model = settings.model
        entry = info(model)
        if entry.family == "data2vec2":  # fairseq / FunASR checkpoints, our own encoder
            from emobox.features.checkpoints import load_for_extraction

            source, net = load_for_extraction(model, entry, runtime.allow_pickle,
                                              settings.revision)
            config, family = net.config, entry.family
        else:
            source, config, net = _load_transformers(model, entry, settings, runtime)
            family = family_of_config(config.model_type, model)
        adapter = adapter_of(family)(config, whisper_mode=settings.whisper_mode,
                                      sample_rate=entry.sample_rate)
        self.adapter = adapter
        self.device = parse_device(runtime.device)
        self.precision = choose_precision(settings.precision, runtime.device, family)
        self.family = family
        self.pooled_layers = list(range(adapter.n_layers))
        self.layers = parse_layers(settings.layers, adapter.n_layers)
        self.settings = settings.resolved(layers=self.layers, precision=self.precision,
                                          family=family)
        self.name = settings.store_name
        self.source = str(Path(source).resolve()) if Path(source).exists() else str(source)
        self.commit = getattr(config, "_commit_hash", None)
        log.info("%s: precision %s on %s (requested %s)", self.name, self.precision,
                 runtime.device, settings.precision)
        self.whisper_mode = self.settings.whisper_mode
        self.layer_norm = settings.layer_norm
        self.batch_policy = batch_policy_of(settings, runtime)
        self.timings = {"feature_encoder": 0.0, "transformer": 0.0}
        self.sample_rate = adapter.sample_rate
        self.dim = adapter.dim
        self.frame_rate = adapter.frames_per_second
        self.window = adapter.window_seconds
        self.model = adapter.encoder(net).to(self.device).eval()
        self._fe = adapter.feature_extractor(source)
        self._valid: list[torch.Tensor] = []  # per-batch masks the padding hooks read
        adapter.prepare(self.model, self._valid)
        if not runtime.compile:  # timing hooks would break the compiled graph
            self._time_feature_encoder()
        apply_precision(self.model, self.precision, self.device.type)
        # model inputs: the weights' dtype on a CPU, float32 under CUDA autocast
        self._input_dtype = (torch_dtype(self.precision) if self.device.type == "cpu"
                             else torch.float32)
        if runtime.compile:  # optional: pays on GPUs with long runs; compiles on first batches
            self.model = torch.compile(self.model, dynamic=True)

    # -- public ---------------------------------------------------------------------------
    def store_meta(self) -> dict[str, Any]:
        """What the store records beside the identity: the resolved settings, and the facts
        of this model (family, sample rate, where it loaded from, the hub commit)."""
        return {"settings": self.settings.record(), "family": self.family,
                "sample_rate": self.sample_rate, "source": self.source, "commit": self.commit}

    def extract(self, audio: np.ndarray) -> np.ndarray:
        return self.extract_batch([audio])[0]

    def extract_batch(self, audios: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Features of several utterances, ``(len(layers), n_frames, dim)`` float32 each."""
        return [frames for frames, _ in self._run(audios, pooled=False)]

    def extract_pooled(self, audios: Sequence[np.ndarray]
                       ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per utterance: the frames of `layers` and the float32 ``(len(pooled_layers), 2,
        dim)`` mean and std over frames of every layer, computed on the device."""
        return self._run(audios, pooled=True)  # type: ignore[return-value]

    @torch.inference_mode()
    def _run(self, audios: Sequence[np.ndarray], *, pooled: bool
             ) -> list[tuple[np.ndarray, np.ndarray | None]]:
        window = int(self.window * self.sample_rate)
        segments: list[np.ndarray] = []
        owner: list[int] = []
        for i, audio in enumerate(audios):
            audio = np.asarray(audio, dtype=np.float32)
            for start in range(0, max(len(audio), 1), window):
                segments.append(audio[start:start + window])
                owner.append(i)
        rows = self.pooled_layers if pooled else self.layers
        keep = [rows.index(layer) for layer in self.layers]
        cost = [self.adapter.cost(self, len(s)) for s in segments]
        outputs: list[torch.Tensor | None] = [None] * len(segments)
        for group in self.batch_policy.plan(cost):
            for j, feats in zip(group, self.forward([segments[j] for j in group], rows)):
                outputs[j] = feats
        result: list[tuple[np.ndarray, np.ndarray | None]] = []
        for i in range(len(audios)):
            parts = [outputs[j] for j, o in enumerate(owner) if o == i]
            feats = torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]  # type: ignore
            feats = feats.float()
            if self.layer_norm:
                feats = F.layer_norm(feats, feats.shape[-1:])
            stats = None
            if pooled:
                stats = torch.stack([feats.mean(1), feats.std(1, unbiased=False)], 1)
                stats = stats.cpu().numpy()
                feats = feats[keep]
            result.append((feats.cpu().numpy(), stats))
        return result

    def forward(self, segments: Sequence[np.ndarray], rows: Sequence[int] | None = None,
                ) -> list[torch.Tensor]:
        """One forward pass over a batch of segments (each at most one window long):
        ``(len(rows), n_frames, dim)`` per segment (`rows`: hidden states, default `layers`)."""
        rows = self.layers if rows is None else rows
        autocast = torch.autocast(self.device.type, dtype=torch_dtype(self.precision),
                                  enabled=self.device.type == "cuda" and self.precision != "fp32")
        start, encoder_before = time.perf_counter(), self.timings["feature_encoder"]
        with autocast:
            hidden, frames = self.adapter.forward(self, segments)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        encoder = self.timings["feature_encoder"] - encoder_before
        self.timings["transformer"] += time.perf_counter() - start - encoder
        return [torch.stack([hidden[layer][b, :n] for layer in rows])
                for b, n in enumerate(frames)]

    # -- timing and inputs ------------------------------------------------------------------
    def _time_feature_encoder(self) -> None:
        """Time the feature encoder (conv front end; Whisper's convolutions; w2v-BERT's
        projection) into ``timings["feature_encoder"]``; log-mel/fbank time adds to it in
        `_features`. On CUDA the split is approximate (kernels run asynchronously)."""
        first, last = (getattr(self.model, name, None) for name in self.adapter.timing_span)
        if first is None or last is None:
            return
        began: list[float] = [0.0]

        def start(module, args):
            began[0] = time.perf_counter()

        def stop(module, args, output):
            self.timings["feature_encoder"] += time.perf_counter() - began[0]

        first.register_forward_pre_hook(start)
        last.register_forward_hook(stop)

    def _features(self, segments: Sequence[np.ndarray], **kwargs):
        """The checkpoint's feature extractor (log-mel, fbank) on `segments`, in float32."""
        start = time.perf_counter()
        with _no_autocast(self.device):
            feats = self._fe(list(segments), **kwargs)
        self.timings["feature_encoder"] += time.perf_counter() - start
        return feats

    def _input(self, x: torch.Tensor) -> torch.Tensor:
        """`x` on the model's device, floats in the model's input dtype; on CUDA through pinned
        host memory with a non-blocking copy."""
        if x.is_floating_point():
            x = x.to(self._input_dtype)
        if self.device.type == "cuda":
            return x.pin_memory().to(self.device, non_blocking=True)
        return x


def _load_transformers(model: str, entry: Any, settings: ExtractionSettings, runtime: Runtime
                       ) -> tuple[str, Any, Any]:
    """``(source, config, model)`` of a transformers checkpoint (hub id or local folder)."""
    from transformers import AutoConfig, AutoModel

    from emobox.features.ct2 import ensure_transformers

    source = ensure_transformers(entry.hub_id or model)
    if entry.family == "mert" and not runtime.trust_remote_code:
        raise EmoboxError(f"{model} runs code from its repository; pass "
                          "--trust-remote-code if you trust it")
    kwargs = {"trust_remote_code": runtime.trust_remote_code, "revision": settings.revision}
    folder = Path(source)
    if (not runtime.allow_pickle and folder.is_dir()
            and not any(folder.glob("*.safetensors")) and any(folder.glob("*.bin"))):
        raise EmoboxError(f"{model} has only pickle weights (*.bin), which can run code when "
                          "loaded; pass --allow-pickle if you trust them")
    try:
        config = AutoConfig.from_pretrained(source, **kwargs)
        family_of_config(config.model_type, model)
        net = AutoModel.from_pretrained(source, use_safetensors=None if runtime.allow_pickle
                                        else True, **kwargs)
    except (OSError, ValueError) as exc:
        raise EmoboxError(f"cannot load model {model!r}: {str(exc).splitlines()[0]}") from None
    return source, config, net

def _no_autocast(device: torch.device):
    return torch.autocast(device.type, enabled=False)


def install_padding_hooks(model, valid: list[torch.Tensor]) -> None:
    """Make a padded batch compute what each utterance computes alone: the first conv layer's
    GroupNorm (a per-channel norm over time in wav2vec 2.0 / HuBERT / WavLM base) uses only
    the real samples' statistics, and data2vec's stacked positional convolutions see zeros
    past the end, as zero padding gives them alone. `valid` holds [sample lengths, frame
    lengths] while a padded batch runs, and is empty otherwise."""
    conv_layers = getattr(getattr(model, "feature_extractor", None), "conv_layers", None)
    first = conv_layers[0] if conv_layers is not None else None
    norm = getattr(first, "layer_norm", None)
    if isinstance(norm, torch.nn.GroupNorm):
        conv = first.conv

        def masked_group_norm(module, inputs, output):
            if not valid:
                return output
            lengths = (valid[0] - conv.kernel_size[0]) // conv.stride[0] + 1
            out = output.clone()
            for b, n in enumerate(lengths.tolist()):
                if n < inputs[0].shape[-1]:
                    out[b, :, :n] = F.group_norm(inputs[0][b:b + 1, :, :n], module.num_groups,
                                                 module.weight, module.bias, module.eps)[0]
            return out

        norm.register_forward_hook(masked_group_norm)
    pos = getattr(getattr(model, "encoder", None), "pos_conv_embed", None)
    for layer in getattr(pos, "layers", []):  # data2vec-audio: (batch, channels, time)

        def zero_padding(module, inputs, output):
            if not valid:
                return output
            keep = torch.arange(output.shape[-1])[None, :] < valid[1][:, None]
            return output * keep[:, None, :].to(output.device, output.dtype)

        layer.register_forward_hook(zero_padding)


def fast_wavlm_attention(model) -> None:
    """WavLM's attention goes through ``F.multi_head_attention_forward`` on time-major input
    with ``need_weights=True``: on CPU that expands each projection weight per time step
    (a copy of T × 768 × 768 floats per projection) and never reaches a fused kernel. The
    same arithmetic — projections, the gated relative position bias plus key padding as an
    additive mask, softmax attention — as batch-major matmuls and one SDPA call."""
    import types

    from transformers.models.wavlm.modeling_wavlm import WavLMAttention

    def attention(self, hidden_states, attention_mask, gated_position_bias):
        b, t, d = hidden_states.shape
        heads = self.num_heads

        def split(x: torch.Tensor) -> torch.Tensor:
            return x.view(b, t, heads, d // heads).transpose(1, 2)

        q = split(self.q_proj(hidden_states))
        k = split(self.k_proj(hidden_states))
        v = split(self.v_proj(hidden_states))
        bias = gated_position_bias.view(b, heads, t, t)
        if attention_mask is not None:
            pad = attention_mask.ne(1)[:, None, None, :]
            bias = bias.masked_fill(pad, float("-inf"))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype))
        return self.out_proj(out.transpose(1, 2).reshape(b, t, d)), None

    for module in model.modules():
        if isinstance(module, WavLMAttention):
            module.torch_multi_head_self_attention = types.MethodType(attention, module)


def whisper_encode(encoder, feats: torch.Tensor, frames: Sequence[int]) -> list[torch.Tensor]:
    """The Whisper encoder on mel input of any length up to 30 s (the model's own forward
    insists on exactly 30 s), masking the padding of shorter clips in the batch."""
    x = F.gelu(encoder.conv1(feats))
    x = F.gelu(encoder.conv2(x)).permute(0, 2, 1)
    n = x.shape[1]
    x = x + encoder.embed_positions.weight[:n].to(x.dtype)
    mask = None
    if min(frames) < n:
        keep = torch.arange(n, device=x.device)[None, :] < torch.tensor(frames, device=x.device
                                                                          )[:, None]
        mask = torch.zeros(len(frames), 1, n, n, device=x.device, dtype=x.dtype)
        mask = mask.masked_fill(~keep[:, None, None, :], torch.finfo(x.dtype).min)
    states = [x]
    for layer in encoder.layers:
        x = layer(x, mask)
        x = x[0] if isinstance(x, tuple) else x
        states.append(x)
    states[-1] = encoder.layer_norm(x)
    return states
