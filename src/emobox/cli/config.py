"""A benchmark as one file: `emobox run --config bench.toml` runs what a command line would,
and `emobox run PROTOCOL ... --dump-config FILE` writes the file that reproduces a command
line. The resolved configuration is stored with every run (`emobox runs show`).

The file is flat TOML: ``protocol`` (intra, cross, ood, layers) and the options of that
command by name — ``corpora`` (a list of names, or all / emobox / serval), ``models``,
``scheme``, ``recipe``, ``grid``, ``set``, ``epochs``, ``space``, ``prior``, ``seeds`` (a list:
one run of the grid per seed), ``executor``, …
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import tomllib

from emobox.errors import EmoboxError

#: File keys → command parameters, where they differ.
ALIASES = {"set": "setting", "model": "models"}
GROUPS = ("all", "emobox", "serval")


def dump(path: Path, protocol: str, params: dict[str, Any]) -> Path:
    """Write `params` of a `protocol` command as TOML (options left at None are left out)."""
    reverse = {v: k for k, v in ALIASES.items()}
    lines = [f"protocol = {json.dumps(protocol)}"]
    for name, value in params.items():
        if value is None or name in ("workspace", "json_output", "dump_config"):
            continue
        if name == "group":
            name = "corpora_group"
        lines.append(f"{reverse.get(name, name)} = {json.dumps(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load(path: Path) -> tuple[str, dict[str, Any], list[int]]:
    """(protocol, command parameters, seeds) of a config file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise EmoboxError(f"{path}: not a readable TOML config ({exc})") from None
    protocol = data.pop("protocol", None)
    if protocol not in ("intra", "cross", "ood", "layers"):
        raise EmoboxError(f"{path}: 'protocol' must be intra, cross, ood or layers, not "
                          f"{protocol!r}")
    seeds = data.pop("seeds", None)
    if "seed" in data:
        seeds = [data.pop("seed")]
    params: dict[str, Any] = {}
    for key, value in data.items():
        name = ALIASES.get(key, key)
        if name == "corpora" and isinstance(value, str):
            if value not in GROUPS:
                raise EmoboxError(f"{path}: 'corpora' is a list of names or one of "
                                  f"{', '.join(GROUPS)}")
            name = "group"
        if name == "corpora_group":
            name = "group"
        if name == "models" and isinstance(value, str):
            value = [value]
        params[name] = value
    return protocol, params, [int(s) for s in (seeds or [0])]


def config_of(protocol: str, params: dict[str, Any]) -> dict[str, Any]:
    """The resolved configuration stored with every run of a command."""
    return {"protocol": protocol, **{k: v for k, v in params.items()
                                     if v is not None and k not in ("workspace", "json_output",
                                                                    "dump_config")}}
