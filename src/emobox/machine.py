"""The machine a piece of work ran on, in one line, as cost records name it: the CPU model
(``/proc/cpuinfo``) for CPU work, the GPU's name for CUDA work."""

from __future__ import annotations

import platform
from functools import lru_cache
from pathlib import Path
from typing import Any


@lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU's model name, else the platform's processor string, else ``unknown``."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(device: Any = "cpu") -> str:
    """``<GPU name> (cuda)`` for a CUDA device, else ``<CPU model> (cpu)``."""
    device = str(device or "cpu")
    if device.startswith("cuda"):
        import torch

        index = int(device.split(":")[1]) if ":" in device else 0
        return f"{torch.cuda.get_device_name(index)} (cuda)"
    return f"{cpu_model()} (cpu)"
