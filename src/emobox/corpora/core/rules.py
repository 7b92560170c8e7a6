"""Field rules: how a corpus spec turns the fields of one file name (or side-file row) into
the manifest's key, emotion, speaker, gender and language.

A rule is a ``str.format`` template over the fields, or a callable of the fields:

* `lookup` — a field mapped through a code table; unknown values skip the file with a reason;
* `code` — a field mapped through a table, ``None`` for unknown values (gender, language);
* `rewrite` — a template with characters replaced (``"a03 (3)"`` → ``"a03-3"``);
* `parity` — a value chosen by whether a numeric field is odd or even (actor gender);
* `gender_of` — the one table of gender spellings (female, Female, F, W, male, M …).

>>> render(lookup("e", {"W": "Angry"}), {"e": "W"}), gender_of("Female"), gender_of("x")
('Angry', 'F', None)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any

Rule = Callable[[dict[str, str]], Any]


class SkipItem(Exception):
    """Raised inside a field rule to skip the current file with a reason."""


FieldRule = str | Callable[[dict[str, str]], Any] | None


def render(rule: FieldRule, fields: dict[str, str]) -> Any:
    """Evaluate a field rule: a ``str.format`` template over the fields, or a callable."""
    if rule is None:
        return None
    if callable(rule):
        return rule(fields)
    return rule.format(**fields)


def lookup(name: str, table: Mapping[str, Any], *, what: str = "code") -> Callable[[dict], Any]:
    """A field rule mapping the field `name` through `table`; unknown values skip the file."""

    def rule(fields: dict[str, str]) -> Any:
        value = fields[name]
        if value not in table:
            raise SkipItem(f"unknown {what} {value!r}")
        return table[value]

    return rule


def path_fields(rel: PurePosixPath) -> dict[str, str]:
    """Fields every pattern can use: path, name, stem, suffix, parent, grandparent."""
    parents = rel.parts[:-1]
    return {
        "path": rel.as_posix(),
        "name": rel.name,
        "stem": rel.stem,
        "suffix": rel.suffix,
        "parent": parents[-1] if parents else "",
        "grandparent": parents[-2] if len(parents) > 1 else "",
    }


def rewrite(template: str, replace: Mapping[str, str]) -> Rule:
    """Render `template` over the fields, then replace each key of `replace` by its value."""

    def rule(fields: dict[str, str]) -> str:
        text = template.format(**fields)
        for old, new in replace.items():
            text = text.replace(old, new)
        return text

    return rule


def code(name: str, table: Mapping[str, Any]) -> Rule:
    """Map the field `name` through `table`; values not in the table give ``None``."""
    return lambda fields: table.get(fields[name])


def parity(name: str, *, odd: str, even: str) -> Rule:
    """`odd` or `even` depending on the integer value of the field `name`."""
    return lambda fields: odd if int(fields[name]) % 2 else even


def str_or_none(value: Any) -> str | None:
    """``None`` for a missing or empty value, else its text."""
    return None if value is None or value == "" else str(value)


def float_or_none(value: Any) -> float | None:
    """A time value as float; ``None`` when empty; a bad value skips the item."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SkipItem(f"bad time value {value!r}") from None


_GENDERS = {"f": "F", "female": "F", "woman": "F", "w": "F",
            "m": "M", "male": "M", "man": "M"}


def gender_of(value: Any) -> str | None:
    """F/M from the spellings corpora use (female, Female, F, W, male, M …); else None."""
    return _GENDERS.get(str(value or "").strip().lower())


def stem(path: str) -> str:
    """The file name of a (posix) path without its last suffix."""
    return PurePosixPath(path).stem
