"""The numeric precision of extraction, chosen by device and checked against the CPU.

On a CPU bf16 pays only with native bf16 instructions (AVX-512 BF16 or AMX); elsewhere it is
emulated and measured ≈ 3× slower than float32 (DESIGN.md, "offline facts"), so ``auto``
picks bf16 only where the flags say it is native. On CUDA ``auto`` is bf16 where the GPU
supports it, else fp16.

>>> choose_precision("fp32", "cpu")
'fp32'
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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


def choose_precision(requested: str, device: str) -> str:
    """``fp32``, ``bf16`` or ``fp16`` for `device` (``auto``: see the module docstring)."""
    if requested not in PRECISIONS:
        raise EmoboxError(f"--precision must be one of {', '.join(PRECISIONS)}, not "
                          f"{requested!r}")
    on_cuda = device.startswith("cuda")
    if requested == "auto":
        if on_cuda:
            import torch

            return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
        return "bf16" if native_bf16() else "fp32"
    if requested == "fp16" and not on_cuda:
        raise EmoboxError("--precision fp16 is for CUDA devices; on a CPU use fp32 or bf16")
    return requested
