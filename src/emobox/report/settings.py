"""What a report says about the settings behind its numbers: among the runs a table shows,
every identity field (`RunKey`) whose value is the same for all goes into the caption, and
every field that differs goes into the label of the row or column it distinguishes — so two
settings never share a cell and none is hidden.

>>> from emobox.runs.key import RunKey
>>> a = RunKey("intra", "savee", "savee", "m", layer=12, scheme="emobox", corpora=["savee"])
>>> varying_fields([a, a.with_(layer=0)])
['layer']
>>> variant_label(a.with_(layer=0), ["layer"])
'm · layer 0'
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Sequence
from typing import Any

from emobox.runs.key import RunKey, canonical

#: Identity fields a report can distinguish, in the order captions name them (the table's
#: axes — corpora, fold — are never among them).
FIELDS = ("model", "features", "layer", "recipe", "hparams", "scheme", "scheme_params",
          "label_space", "labels", "prior", "seed", "corpora")


def _hparams(key: RunKey, show: Collection[str] = ()) -> str:
    from emobox.report.tables import describe_hparams

    return f"({describe_hparams(key.recipe, dict(key.hparams), show)})"


def differing_hparams(keys: Sequence[RunKey]) -> set[str]:
    """The hyperparameters that every one of `keys` has and whose values differ among them
    (each label then names its own value, a recipe default included; one a recipe alone has
    is said by the recipe's name)."""
    if not keys:
        return set()
    names = set.intersection(*({n for n in dict(k.hparams) if n != "grid"} for k in keys))
    return {n for n in names if len({repr(dict(k.hparams)[n]) for k in keys}) > 1}


def _short(value: Any) -> str:
    return hashlib.sha256(canonical(value).encode()).hexdigest()[:6]


DESCRIBE: dict[str, Callable[[RunKey], str]] = {
    "model": lambda k: k.model,
    "features": lambda k: f"features #{_short(k.features)}",
    "layer": lambda k: f"layer {'last' if k.layer is None else k.layer}",
    "recipe": lambda k: f"recipe {k.recipe}",
    "hparams": _hparams,
    "scheme": lambda k: f"scheme {k.scheme or '—'}",
    "scheme_params": lambda k: (f"test split {k.scheme_params['test_split']}"
                                if "test_split" in k.scheme_params else
                                f"scheme parameters #{_short(k.scheme_params)}"),
    "label_space": lambda k: f"labels {k.label_space}",
    "labels": lambda k: f"classes {'/'.join(k.labels)}",
    "prior": lambda k: f"prior {k.prior}",
    "seed": lambda k: f"seed {k.seed}",
    "corpora": lambda k: f"corpus set {'+'.join(k.corpora)}",
}


def _value(key: RunKey, name: str) -> str:
    return canonical(getattr(key, name))


def varying_fields(keys: Sequence[RunKey], skip: Sequence[str] = ()) -> list[str]:
    """The fields (of `FIELDS`, less `skip`) whose values differ among `keys`; the feature
    settings count only where they differ for one model (another model has other features)."""
    return [f for f in FIELDS if f not in skip and _differs(keys, f)]


def _differs(keys: Sequence[RunKey], name: str) -> bool:
    if name != "features":
        return len({_value(k, name) for k in keys}) > 1
    per_model: dict[str, set[str]] = {}
    for k in keys:
        per_model.setdefault(k.model, set()).add(_value(k, name))
    return any(len(v) > 1 for v in per_model.values())


def caption(keys: Sequence[RunKey], skip: Sequence[str] = ()) -> str:
    """The constant fields of `keys`, in words (what every number of the table shares)."""
    varying = set(varying_fields(keys, skip))
    shown = [f for f in FIELDS if f not in skip and f not in varying]
    parts = _words(keys[0], [f for f in shown if f not in ("features", "labels")])
    if "labels" in shown and keys[0].labels:
        parts.append(DESCRIBE["labels"](keys[0]))
    return " · ".join(parts)


def _words(key: RunKey, names: Sequence[str], show: Collection[str] = ()) -> list[str]:
    """Each named field of `key` in words; a recipe and its hyperparameters, when both are
    named, as one ("recipe emobox-v2 (lr∈{…})"); the hyperparameters in `show` are named even
    at their recipe default."""
    parts = []
    for f in names:
        if f == "hparams" and "recipe" in names:
            continue
        text = _hparams(key, show) if f == "hparams" else DESCRIBE[f](key)
        if f == "recipe" and "hparams" in names:
            text += f" {_hparams(key, show)}"
        parts.append(text)
    return parts


def per_row_fields(keys: Sequence[RunKey], row: Callable[[RunKey], str],
                   skip: Sequence[str] = ()) -> tuple[list[str], list[str]]:
    """Split the differing fields of `keys` into those that differ among the keys of one row
    (they label columns: two settings of one corpus) and those that differ only from row to
    row (a property of the row, e.g. each corpus's default scheme, said in the caption)."""
    rows: dict[str, list[RunKey]] = {}
    for k in keys:
        rows.setdefault(row(k), []).append(k)
    within = [f for f in FIELDS if f not in skip
              and any(_differs(group, f) for group in rows.values())]
    across = [f for f in varying_fields(keys, skip) if f not in within]
    return within, across


#: Fields that naturally differ from corpus to corpus, said as such rather than listed.
OWN = {"labels": "classes", "scheme_params": "scheme parameters", "features": "feature store"}


def per_row_caption(keys: Sequence[RunKey], fields_: Sequence[str],
                    row: Callable[[RunKey], str]) -> str:
    """The fields that are a property of each row, e.g. "scheme emobox: a, b; scheme paper:
    c" (classes: "classes per corpus")."""
    parts = []
    for f in fields_:
        if f in OWN:
            parts.append(f"{OWN[f]}: each corpus's own")
            continue
        values: dict[str, list[str]] = {}
        for k in keys:
            values.setdefault(DESCRIBE[f](k), [])
            if row(k) not in values[DESCRIBE[f](k)]:
                values[DESCRIBE[f](k)].append(row(k))
        parts.append("; ".join(f"{v}: {', '.join(sorted(rs))}" for v, rs in values.items()))
    return " · ".join(parts)


def variant_label(key: RunKey, varying: Sequence[str], *, with_model: bool = True,
                  among: Sequence[RunKey] = ()) -> str:
    """The label of one setting among others (`among`): the model and each differing field,
    each differing hyperparameter with its value (a default too: ``epochs=100`` beside
    ``epochs=20``)."""
    parts = [key.model] if with_model else []
    show = differing_hparams(among) if "hparams" in varying and among else set()
    return " · ".join(parts + _words(key, [f for f in varying if f != "model"], show))
