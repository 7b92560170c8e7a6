"""Where heads train: the device (``cpu``, ``cuda``, ``cuda:N``; default the best available),
whether a set's training frames are held on it or streamed from the store, and the matmul
precision of the sweep.

On CUDA the frames are held on the GPU when their float32 bytes fit in `GPU_FRACTION` of the
free memory (`torch.cuda.mem_get_info`) less `GPU_RESERVE` for the heads, the activations and
the allocator; otherwise each batch is read from the memory-mapped store into a pinned buffer
and copied over. On the CPU they are held in RAM up to `emobox.train.data.MEMORY_BUDGET`.

Matmul precision (`MATMULS`): ``fp32`` (the default everywhere), ``tf32`` or ``bf16`` (CUDA
only). The faster two were not measured on a GPU against float32 in this project yet (the
check is: on a fold, the chosen configuration and the UA match float32), so nothing picks
them by itself; pass ``matmul="tf32"`` to `emobox.train.train_sweep` to use them.

>>> resolve_device("cpu")
device(type='cpu')
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import torch

from emobox.errors import EmoboxError

#: Fraction of the free GPU memory the training frames may take, and bytes kept back.
GPU_FRACTION = 0.8
GPU_RESERVE = 2 * 2**30
MATMULS = ("fp32", "tf32", "bf16")
_DEVICE = re.compile(r"cpu|cuda(:\d+)?")


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """The training device: `device` checked (``cpu``, ``cuda``, ``cuda:N``), or by default
    CUDA when torch sees a GPU, else the CPU."""
    if isinstance(device, torch.device):
        device = str(device)
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not _DEVICE.fullmatch(device):
        raise EmoboxError(f"--device takes cpu, cuda or cuda:N, not {device!r}")
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise EmoboxError(f"device {device!r}: torch {torch.__version__} sees no CUDA GPU "
                              "(use --device cpu)")
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise EmoboxError(f"device {device!r}: there are {torch.cuda.device_count()} CUDA "
                              "device(s)")
    return torch.device(device)


def fits_on(device: torch.device, nbytes: int, *, budget: int) -> bool:
    """Whether `nbytes` of training frames are held on `device` (else streamed): on CUDA
    within `GPU_FRACTION` of its free memory less `GPU_RESERVE`, on the CPU within
    `budget`."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return nbytes <= GPU_FRACTION * free - GPU_RESERVE
    return nbytes <= budget


@contextlib.contextmanager
def matmul_precision(kind: str, device: torch.device) -> Iterator[None]:
    """Run the sweep's matmuls in `kind` (``fp32``; on CUDA also ``tf32`` or ``bf16``)."""
    if kind not in MATMULS:
        raise EmoboxError(f"matmul precision must be one of {', '.join(MATMULS)}, not {kind!r}")
    if kind == "fp32":
        yield
        return
    if device.type != "cuda":
        raise EmoboxError(f"matmul precision {kind} is for CUDA; the CPU trains in fp32")
    if kind == "bf16":
        with torch.autocast("cuda", dtype=torch.bfloat16):
            yield
        return
    old = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32 = old
