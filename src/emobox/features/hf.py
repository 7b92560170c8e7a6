"""Hidden states of a transformers speech model (registry name, hub id or local folder).

One forward pass gives every hidden state (the embeddings, then one per block); the selected
layers are kept. Utterances are batched (zero-padded, with an attention mask where the model
takes one); audio longer than the model's window (30 s; CLAP 10 s) is cut into windows whose
frames are stitched back together. The precision is chosen and applied by
`emobox.features.precision` (``auto``: bf16 only where the CPU has it natively; on a CPU bf16
means bf16 weights with float32 islands, on CUDA autocast).

Input handling per family (see `emobox.features.registry`):

* waveform models (wav2vec 2.0, HuBERT, WavLM, data2vec, MERT at 24 kHz): raw samples,
  normalised per utterance where the checkpoint's feature extractor says so;
* Whisper: log-mel from `WhisperFeatureExtractor`, encoder only, ``pad30`` (pad to 30 s as both
  papers do, keep the frames of the real audio) or ``trim`` (encode only the real length);
* w2v-BERT 2.0: fbank features from `SeamlessM4TFeatureExtractor`;
* CLAP: 48 kHz log-mel from `ClapFeatureExtractor`; the final HTSAT stage averaged over
  frequency, one layer.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from emobox.errors import EmoboxError
from emobox.features.base import Extractor, parse_layers
from emobox.features.batching import batch_policy
from emobox.features.data2vec2 import normalize_waveform
from emobox.features.precision import apply_precision, choose_precision, torch_dtype
from emobox.features.registry import MODELS, family_of_config, info, store_name

log = logging.getLogger(__name__)

WINDOW_SECONDS = 30.0
CLAP_SECONDS = 10.0
MIN_SAMPLES = 400  # one 25 ms window of the conv front end
WHISPER_HOP = 320  # encoder frames are 20 ms: 160-sample mel hop × stride-2 conv
WHISPER_MODES = ("pad30", "trim")


def whisper_frames(n_samples: int) -> int:
    """Encoder frames of `n_samples` of 16 kHz audio (one per 20 ms, at least one)."""
    return max(1, math.ceil(n_samples / WHISPER_HOP))


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
    """Every selected hidden state of a transformers speech encoder, in one forward pass."""

    norm = "layer"

    def __init__(self, model: str, *, layers: str | Sequence[int] | None = "all",
                 device: str = "cpu", precision: str = "auto", whisper_mode: str = "pad30",
                 layer_norm: bool = False, batch_seconds: float | None = None,
                 revision: str | None = None, trust_remote_code: bool = False,
                 allow_pickle: bool = False, compile: bool = False) -> None:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        if whisper_mode not in WHISPER_MODES:
            raise EmoboxError(f"whisper mode must be one of {', '.join(WHISPER_MODES)}, "
                              f"not {whisper_mode!r}")
        entry = info(model)
        if entry.family == "data2vec2":
            source, config, net = _load_data2vec2(model, entry, allow_pickle, revision)
            family = entry.family
        else:
            source, config, net = _load_transformers(model, entry, revision, trust_remote_code,
                                                     allow_pickle)
            family = family_of_config(config.model_type)
        self.name = store_name(model, revision)
        self.source = str(Path(source).resolve()) if Path(source).exists() else str(source)
        self.revision = revision or getattr(config, "_commit_hash", None)
        self.precision = choose_precision(precision, device, family)
        log.info("%s: precision %s on %s (requested %s)", self.name, self.precision, device,
                 precision)
        self.family = family
        self.device = parse_device(device)
        self.whisper_mode = whisper_mode
        self.layer_norm = layer_norm
        self.batch_policy = batch_policy(str(self.device), batch_seconds)
        self.timings = {"feature_encoder": 0.0, "transformer": 0.0}
        self.sample_rate = int(getattr(config, "sample_rate", 0) or entry.sample_rate)
        if family == "whisper":
            net, n_layers, self.dim = net.encoder, config.encoder_layers + 1, config.d_model
        elif family == "clap":
            net, n_layers = net.audio_model, 1
            audio = config.audio_config  # the last Swin stage doubles the width per stage
            self.dim = int(audio.patch_embeds_hidden_size * 2 ** (len(audio.depths) - 1))
            self.sample_rate = 48000
        else:
            n_layers, self.dim = config.num_hidden_layers + 1, config.hidden_size
        self.model = net.to(self.device).eval()
        self.layers = parse_layers(layers, n_layers)
        self.frame_rate = {"clap": None, "mert": 75.0}.get(family, 50.0)
        if family == "hubert" and self.sample_rate == 24000:
            self.frame_rate = 75.0
        self.window = CLAP_SECONDS if family == "clap" else WINDOW_SECONDS
        self._hop = math.prod(getattr(config, "conv_stride", None) or [0])  # samples per frame
        self._fe = _feature_extractor(source, family, config)
        self._normalize = bool(getattr(self._fe, "do_normalize", False)) or (
            getattr(config, "feat_extract_norm", "group") == "layer")
        self._normalise = _standardise
        if family == "data2vec2":  # fairseq's and FunASR's normalisation of the waveform
            self._normalize, self._normalise = config.normalize, normalize_waveform
        self._valid: list[torch.Tensor] = []  # per-batch masks the padding hooks read
        if family not in ("whisper", "w2v-bert", "clap"):
            _install_padding_hooks(self.model, self._valid)
        if family == "wavlm":
            _fast_wavlm_attention(self.model)
        if not compile:  # timing hooks would break the compiled graph
            self._time_feature_encoder()
        apply_precision(self.model, self.precision, self.device.type)
        # model inputs: the weights' dtype on a CPU, float32 under CUDA autocast
        self._input_dtype = (torch_dtype(self.precision) if self.device.type == "cpu"
                             else torch.float32)
        if compile:  # optional: pays on GPUs with long runs; compiles on the first batches
            self.model = torch.compile(self.model, dynamic=True)

    # -- public ---------------------------------------------------------------------------
    def store_meta(self) -> dict:
        """Settings recorded in (and checked against) the feature store."""
        meta: dict = {"family": self.family, "precision": self.precision,
                      "layer_norm": self.layer_norm, "sample_rate": self.sample_rate,
                      "source": self.source, "revision": self.revision}
        if self.family == "whisper":
            meta["whisper_mode"] = self.whisper_mode
        return meta

    @staticmethod
    def options_from_meta(meta: dict) -> dict:
        """The constructor options that reproduce the features of a store whose settings
        `store_meta` wrote (its inverse; the source is ``meta["source"]``)."""
        return {"precision": meta.get("precision", "fp32"),
                "whisper_mode": meta.get("whisper_mode", "pad30"),
                "layer_norm": bool(meta.get("layer_norm", False)),
                "revision": meta.get("revision")}

    def extract(self, audio: np.ndarray) -> np.ndarray:
        return self.extract_batch([audio])[0]

    @torch.inference_mode()
    def extract_batch(self, audios: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Features of several utterances, ``(len(layers), n_frames, dim)`` float32 each."""
        window = int(self.window * self.sample_rate)
        segments: list[np.ndarray] = []
        owner: list[int] = []
        for i, audio in enumerate(audios):
            audio = np.asarray(audio, dtype=np.float32)
            for start in range(0, max(len(audio), 1), window):
                segments.append(audio[start:start + window])
                owner.append(i)
        cost = [self._cost(len(s)) for s in segments]
        outputs: list[torch.Tensor | None] = [None] * len(segments)
        for group in self.batch_policy.plan(cost):
            for j, feats in zip(group, self.forward([segments[j] for j in group])):
                outputs[j] = feats
        result = []
        for i in range(len(audios)):
            parts = [outputs[j] for j, o in enumerate(owner) if o == i]
            feats = torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]  # type: ignore
            if self.layer_norm:
                feats = F.layer_norm(feats.float(), feats.shape[-1:])
            result.append(feats.float().cpu().numpy())
        return result

    def forward(self, segments: Sequence[np.ndarray]) -> list[torch.Tensor]:
        """One forward pass over a batch of segments (each at most one window long):
        ``(len(layers), n_frames, dim)`` per segment."""
        autocast = torch.autocast(self.device.type, dtype=torch_dtype(self.precision),
                                  enabled=self.device.type == "cuda" and self.precision != "fp32")
        start, encoder_before = time.perf_counter(), self.timings["feature_encoder"]
        with autocast:
            if self.family == "whisper":
                hidden, frames = self._whisper(segments)
            elif self.family == "w2v-bert":
                hidden, frames = self._w2v_bert(segments)
            elif self.family == "clap":
                hidden, frames = self._clap(segments)
            else:
                hidden, frames = self._waveform(segments)
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
        encoder = self.timings["feature_encoder"] - encoder_before
        self.timings["transformer"] += time.perf_counter() - start - encoder
        return [torch.stack([hidden[layer][b, :n] for layer in self.layers])
                for b, n in enumerate(frames)]

    # -- batching and timing -----------------------------------------------------------------
    def _padded(self) -> bool:
        return self.family == "whisper" and self.whisper_mode == "pad30"

    def _cost(self, n_samples: int) -> float:
        """Seconds a segment of `n_samples` costs, at the feature encoder's rounding: segments
        of equal cost compute equal frame counts (a CPU batch holds only those)."""
        if self._padded():
            return self.window
        if self.family == "whisper":
            return whisper_frames(n_samples) * WHISPER_HOP / self.sample_rate
        lengths = getattr(self.model, "_get_feat_extract_output_lengths", None)
        if lengths is not None and self._hop:
            frames = int(lengths(torch.tensor(max(n_samples, MIN_SAMPLES))))
            return frames * self._hop / self.sample_rate
        return n_samples / self.sample_rate

    def _time_feature_encoder(self) -> None:
        """Time the feature encoder (conv front end; Whisper's convolutions; w2v-BERT's
        projection) into ``timings["feature_encoder"]``; log-mel/fbank time adds to it in
        `_features`. On CUDA the split is approximate (kernels run asynchronously)."""
        span = {"whisper": ("conv1", "conv2"), "w2v-bert": ("feature_projection",) * 2}.get(
            self.family, ("feature_extractor",) * 2)
        first, last = (getattr(self.model, name, None) for name in span)
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

    # -- families ---------------------------------------------------------------------------
    def _input(self, x: torch.Tensor) -> torch.Tensor:
        """`x` on the model's device, floats in the model's input dtype; on CUDA through pinned
        host memory with a non-blocking copy."""
        if x.is_floating_point():
            x = x.to(self._input_dtype)
        if self.device.type == "cuda":
            return x.pin_memory().to(self.device, non_blocking=True)
        return x

    def _waveform(self, segments: Sequence[np.ndarray]) -> tuple[Sequence[torch.Tensor], list]:
        lengths = [max(len(s), MIN_SAMPLES) for s in segments]
        x = torch.zeros(len(segments), max(lengths))
        mask = torch.zeros(len(segments), max(lengths), dtype=torch.long)
        for b, s in enumerate(segments):
            t = torch.from_numpy(s)
            if self._normalize:
                t = self._normalise(t)
            x[b, :len(s)] = t
            mask[b, :lengths[b]] = 1
        kwargs = {"attention_mask": self._input(mask)} if len(segments) > 1 else {}
        frames = self.model._get_feat_extract_output_lengths(torch.tensor(lengths)).tolist()
        self._valid[:] = [torch.tensor(lengths), torch.tensor(frames)] if kwargs else []
        try:
            out = self.model(self._input(x), output_hidden_states=True, **kwargs)
        finally:
            self._valid.clear()
        return out.hidden_states, [int(n) for n in frames]

    def _whisper(self, segments: Sequence[np.ndarray]) -> tuple[Sequence[torch.Tensor], list]:
        frames = [whisper_frames(len(s)) for s in segments]
        if self.whisper_mode == "pad30":
            feats = self._features(segments, sampling_rate=16000, return_tensors="pt")
            out = self.model(self._input(feats.input_features), output_hidden_states=True)
            return out.hidden_states, frames
        longest = max(frames)
        feats = self._input(self._features(
            segments, sampling_rate=16000, return_tensors="pt", padding="max_length",
            max_length=longest * WHISPER_HOP, truncation=True).input_features)
        return _whisper_encode(self.model, feats, frames), frames

    def _w2v_bert(self, segments: Sequence[np.ndarray]) -> tuple[Sequence[torch.Tensor], list]:
        padded = [s if len(s) >= MIN_SAMPLES else np.pad(s, (0, MIN_SAMPLES - len(s)))
                  for s in segments]
        feats = self._features(padded, sampling_rate=16000, return_tensors="pt", padding=True,
                               return_attention_mask=True)
        mask = feats.attention_mask
        out = self.model(self._input(feats.input_features), attention_mask=self._input(mask),
                         output_hidden_states=True)
        return out.hidden_states, [int(n) for n in mask.sum(1)]

    def _clap(self, segments: Sequence[np.ndarray]) -> tuple[Sequence[torch.Tensor], list]:
        feats = self._features(segments, sampling_rate=48000, return_tensors="pt")
        out = self.model(input_features=self._input(feats.input_features),
                         is_longer=self._input(feats.is_longer))
        hidden = out.last_hidden_state  # (batch, dim, freq, time)
        frames = hidden.mean(dim=2).transpose(1, 2)
        n = [max(1, math.ceil(frames.shape[1] * len(s) / (CLAP_SECONDS * 48000)))
             for s in segments]
        return [frames], n


def _load_transformers(model: str, entry, revision: str | None, trust_remote_code: bool,
                       allow_pickle: bool):
    """``(source, config, model)`` of a transformers checkpoint (hub id or local folder)."""
    from transformers import AutoConfig, AutoModel

    from emobox.features.ct2 import ensure_transformers

    source = ensure_transformers(entry.hub_id or model)
    if entry.family == "mert" and not trust_remote_code:
        raise EmoboxError(f"{model} runs code from its repository; pass "
                          "--trust-remote-code if you trust it")
    kwargs = {"trust_remote_code": trust_remote_code, "revision": revision}
    folder = Path(source)
    if (not allow_pickle and folder.is_dir() and not any(folder.glob("*.safetensors"))
            and any(folder.glob("*.bin"))):
        raise EmoboxError(f"{model} has only pickle weights (*.bin), which can run code when "
                          "loaded; pass --allow-pickle if you trust them")
    try:
        config = AutoConfig.from_pretrained(source, **kwargs)
        family_of_config(config.model_type)
        net = AutoModel.from_pretrained(source, use_safetensors=None if allow_pickle
                                        else True, **kwargs)
    except (OSError, ValueError) as exc:
        raise EmoboxError(f"cannot load model {model!r}: {str(exc).splitlines()[0]}") from None
    return source, config, net


def _load_data2vec2(model: str, entry, allow_pickle: bool, revision: str | None):
    """``(source, config, model)`` of a data2vec 2.0 / emotion2vec checkpoint: a local file or
    folder, or a registered name (downloaded on first use; its weights are a pickle, so the
    flag is checked first)."""
    from emobox.features import checkpoints

    source = model
    if model in MODELS and entry.checkpoint:
        if not allow_pickle:
            raise EmoboxError(f"{model}: its checkpoint is a torch pickle, which can run code "
                              "when loaded; pass --allow-pickle if you trust it")
        source = str(checkpoints.download(entry.name, entry.checkpoint, revision))
    net, _ = checkpoints.load(source, allow_pickle)
    return source, net.config, net


def _standardise(t: torch.Tensor) -> torch.Tensor:
    """Zero mean, unit variance, as transformers' ``Wav2Vec2FeatureExtractor`` normalises."""
    return (t - t.mean()) / torch.sqrt(t.var(unbiased=False) + 1e-7)

def _no_autocast(device: torch.device):
    return torch.autocast(device.type, enabled=False)


def _install_padding_hooks(model, valid: list[torch.Tensor]) -> None:
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


def _fast_wavlm_attention(model) -> None:
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


def _whisper_encode(encoder, feats: torch.Tensor, frames: Sequence[int]) -> list[torch.Tensor]:
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


def _feature_extractor(source: str, family: str, config):
    import transformers as tf

    if family == "data2vec2":  # no transformers feature extractor; `_waveform` normalises
        return None
    try:
        return tf.AutoFeatureExtractor.from_pretrained(source)
    except (OSError, ValueError):
        pass
    if family == "whisper":
        return tf.WhisperFeatureExtractor(feature_size=config.num_mel_bins)
    if family == "w2v-bert":
        return tf.SeamlessM4TFeatureExtractor(
            feature_size=config.feature_projection_input_dim // 2)
    if family == "clap":
        fusion = bool(config.audio_config.enable_fusion)
        return tf.ClapFeatureExtractor(feature_size=config.audio_config.num_mel_bins,
                                       truncation="fusion" if fusion else "rand_trunc")
    return None
