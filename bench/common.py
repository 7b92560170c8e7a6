"""What the benchmark scripts share: the peak-memory reading of a process and the results
file every script writes (and prints)."""

from __future__ import annotations

import json
import resource
from pathlib import Path
from typing import Any


def peak_rss_kb() -> int:
    """This process's peak resident memory (kB): ``VmHWM``, the high-water mark of its own
    address space. Not ``ru_maxrss``: Linux carries that over ``exec`` from the forked copy
    of the parent, so a child started by a 3 GB parent reports 3 GB whatever it uses."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def write_results(path: Path, results: dict[str, Any]) -> None:
    """Write `results` as the benchmark's JSON file, and print them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=2)
    path.write_text(text + "\n")
    print(text)
