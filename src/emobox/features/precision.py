"""The numeric precision of extraction, chosen by device and checked against the CPU.

On a CPU bf16 pays only with native bf16 instructions (AVX-512 BF16 or AMX); elsewhere it is
emulated and measured ≈ 3× slower than float32 (DESIGN.md, "offline facts"; 3.4× on an
AVX-512 Xeon without avx512_bf16 here), so ``auto`` picks bf16 only where the flags say it is
native, and only for the model families that stay faithful in bf16 (their adapter's
``bf16_faithful``, `emobox.features.families`). On CUDA ``auto`` is bf16 where the GPU supports
it, else fp16.

How the precision is applied (`apply_precision`): on a CPU the model's *weights* are cast to
bf16 — autocast re-casts every weight on every call, which issue #12 measured at 23 vs 31
audio-s/s on a native-bf16 CPU — except the few modules that are cheap and numerically
fragile, which stay float32 behind casting hooks (`fp32_islands`). On CUDA the weights stay
float32 and the forward runs under autocast (SDPA attention picks the fused kernels).

>>> choose_precision("fp32", "cpu")
'fp32'
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from emobox.errors import EmoboxError

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``; empty elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def native_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX-512 BF16 or AMX)."""
    return any(flag in cpu_flags() for flag in NATIVE_BF16_FLAGS)


def choose_precision(requested: str, device: str, family: str | None = None) -> str:
    """``fp32``, ``bf16`` or ``fp16`` for `device` and the model `family` (``auto``: see the
    module docstring; the family's adapter says whether bf16 stays faithful)."""
    if requested not in PRECISIONS:
        raise EmoboxError(f"--precision must be one of {', '.join(PRECISIONS)}, not "
                          f"{requested!r}")
    on_cuda = device.startswith("cuda")
    if requested == "auto":
        if on_cuda:
            import torch

            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        from emobox.features.families import ADAPTERS

        faithful = family is None or (family in ADAPTERS and ADAPTERS[family].bf16_faithful)
        return "bf16" if native_bf16() and faithful else "fp32"
    if requested == "fp16" and not on_cuda:
        raise EmoboxError("--precision fp16 is for CUDA devices; on a CPU use fp32 or bf16")
    return requested


def torch_dtype(precision: str) -> Any:
    """The torch dtype of `precision` (``fp32`` → float32, ``bf16``, ``fp16``)."""
    import torch

    return {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def fp32_islands(model: Any) -> Iterator[Any]:
    """The modules kept in float32 when the rest of a speech encoder runs in bf16: the first
    convolution's GroupNorm (wav2vec 2.0 / HuBERT / WavLM base normalise each channel over the
    whole utterance, a long sum) and the positional convolution (a 128-tap grouped conv
    summed into every frame). Both cost ≈ 5 % of the forward pass in float32."""
    convs = getattr(getattr(model, "feature_extractor", None), "conv_layers", None)
    if convs is not None and len(convs):
        norm = getattr(convs[0], "layer_norm", None)
        if norm is not None:
            yield norm
    pos = getattr(getattr(model, "encoder", None), "pos_conv_embed", None)
    if pos is not None:
        yield pos


def apply_precision(model: Any, precision: str, device_type: str) -> Any:
    """`model` made ready to run at `precision` on `device_type` (see the module docstring):
    on a CPU in bf16 its weights are cast, with `fp32_islands` kept float32; otherwise it is
    returned unchanged (CUDA precision is autocast, applied per forward pass)."""
    if precision == "fp32" or device_type != "cpu":
        return model
    import torch

    dtype = torch_dtype(precision)
    model.to(dtype)

    def cast(value: Any, to: Any) -> Any:
        if torch.is_tensor(value) and value.is_floating_point():
            return value.to(to)
        if isinstance(value, tuple):
            return tuple(cast(v, to) for v in value)
        return value

    def to_fp32(module: Any, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        return cast(args, torch.float32), {k: cast(v, torch.float32) for k, v in kwargs.items()}

    def back(module: Any, args: tuple, output: Any) -> Any:
        return cast(output, dtype)

    for island in fp32_islands(model):
        island.float()
        island.register_forward_pre_hook(to_fp32, with_kwargs=True)
        island.register_forward_hook(back)
    return model
