"""One typed description of a protocol run — what the command line, a ``run --config`` TOML
file, the Python API and the demo all build — and the registry of protocols with their
defaults.

A `ProtocolRun` says everything a run of the benchmark depends on: protocol, corpora, models,
scheme, recipe and its overrides, label space, prior, layer, seed, test split, folds and
executor. Its defaults are resolved here and nowhere else: `recipe()` is the recipe it trains,
`label_space()` the label space (one default per protocol: intra and layers take the recipe's,
cross ``shared4`` as EmoBox Table 5, ood ``serval8`` as SER Evals), `prior()` the prior. Every
value is checked by `validate()` before any work, so a typo is one line, never a traceback.

>>> run = ProtocolRun("cross", corpora=("ravdess", "savee"))
>>> run.label_space(), run.prior(), run.recipe().id
('shared4', 'none', 'emobox-v2')
>>> ProtocolRun.from_dict(run.to_dict()) == run
True
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from emobox.errors import EmoboxError

#: Version of the saved description (the keys of a ``run --config`` file).
FORMAT_VERSION = 1
#: The corpus groups `--corpora` accepts.
CORPUS_GROUPS = ("all", "emobox", "serval")
#: Where a grid's cells run.
EXECUTORS = ("local", "ray")
#: The one cluster whose off-diagonal cells SER Evals' Table 3 reduces (the paper's 9
#: OOD-eligible corpora; serval.md §2.3 and §2.9): cells of the code's other clusters are
#: trained and shown, but not averaged.
SERVAL_OOD_CLUSTER = "cluster2"


@dataclass(frozen=True)
class Protocol:
    """A protocol and its defaults (`label_space` None: the recipe's)."""

    name: str
    recipe: str
    label_space: str | None
    prior: str
    summary: str


PROTOCOLS: dict[str, Protocol] = {p.name: p for p in (
    Protocol("intra", "emobox", None, "none",
             "EmoBox Table 4: every fold of each corpus, mean ± std over folds"),
    Protocol("cross", "emobox", "shared4", "none",
             "EmoBox Table 5: train on each corpus, test on each other (Eq. 1)"),
    Protocol("ood", "serval", "serval8", "oracle",
             "SER Evals Table 3: in-domain and out-of-domain with logit adjustment"),
    Protocol("layers", "emobox", None, "none",
             "the recipe on every stored layer of one extraction"),
)}


def resolve_label_space(protocol: str, recipe: Any, space: str | None = None) -> str:
    """The label space of a run — the one place it is decided: the one given, else the
    protocol's default, else the recipe's."""
    return space or protocol_of(protocol).label_space or recipe.label_space


def protocol_of(name: str) -> Protocol:
    if name not in PROTOCOLS:
        raise EmoboxError(f"protocol must be one of {', '.join(PROTOCOLS)}, not {name!r}")
    return PROTOCOLS[name]


@dataclass(frozen=True)
class ProtocolRun:
    """Everything one run of a protocol depends on (None: the protocol's default)."""

    protocol: str
    corpora: tuple[str, ...] = ()
    corpora_group: str | None = None
    models: tuple[str, ...] = ()
    scheme: str | None = None
    recipe_name: str | None = None
    grid: str | None = None
    settings: tuple[str, ...] = ()
    epochs: int | None = None
    space: str | None = None
    labels: tuple[str, ...] | None = None
    prior_name: str | None = None
    layer: int | None = None
    seed: int = 0
    test_split: str | None = None
    folds: tuple[str, ...] | None = None
    no_valid: bool = False
    allow_missing: bool = False
    executor: str = "local"
    device: str | None = None

    def __post_init__(self) -> None:
        for name in ("corpora", "models", "settings", "labels", "folds"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))

    # ---- resolved defaults: the one place each is decided
    @property
    def defaults(self) -> Protocol:
        return protocol_of(self.protocol)

    def recipe(self):
        """The recipe this run trains: the protocol's (or the named) recipe with the grid,
        ``--set`` fields and epochs applied; ``--set`` on a field the grid sweeps replaces
        that field's grid."""
        from emobox.train import get_recipe, parse_grid, parse_settings

        overrides = parse_settings(list(self.settings))
        if self.grid is not None:
            overrides["grid"] = parse_grid(self.grid)
        if self.epochs is not None:
            overrides["epochs"] = self.epochs
        return get_recipe(self.recipe_name or self.defaults.recipe, **overrides)

    def label_space(self) -> str:
        """The label space: given, else the protocol's default, else the recipe's."""
        return resolve_label_space(self.protocol, self.recipe(), self.space)

    def prior(self) -> str:
        return self.prior_name or self.defaults.prior

    def model_names(self) -> list[str]:
        """The models' store names (default: `DEFAULT_MODEL`)."""
        from emobox.features import store_name

        return [store_name(m) for m in (self.models or (DEFAULT_MODEL,))]

    def validate(self) -> ProtocolRun:
        """Check every value before any work: one line naming the field on a mistake."""
        from emobox.labels import get_label_space
        from emobox.train.adjust import PRIORS

        protocol_of(self.protocol)
        self.recipe()  # types and ranges of --set / --grid / --epochs
        if self.corpora_group is not None and self.corpora_group not in CORPUS_GROUPS:
            raise EmoboxError(f"--corpora takes {', '.join(CORPUS_GROUPS)}, not "
                              f"{self.corpora_group!r}")
        if self.prior_name is not None and self.prior_name not in PRIORS:
            raise EmoboxError(f"--prior must be one of {', '.join(PRIORS)}, not "
                              f"{self.prior_name!r}")
        if self.executor not in EXECUTORS:
            raise EmoboxError(f"--executor must be one of {', '.join(EXECUTORS)}, not "
                              f"{self.executor!r}")
        if self.protocol == "ood" and self.label_space() != "serval8":
            raise EmoboxError("the ood protocol (SER Evals) runs in the serval8 label space, "
                              f"not {self.label_space()!r}")
        if self.protocol != "ood" and self.prior() != "none":
            raise EmoboxError(f"--prior applies to the ood protocol only ({self.protocol} "
                              "adjusts nothing)")
        if self.protocol == "cross" and self.labels is not None and len(self.labels) < 2:
            raise EmoboxError("--labels needs at least two labels")
        if self.layer is not None and self.layer < -1:
            raise EmoboxError(f"--layer must be a layer index (or -1: the last), not "
                              f"{self.layer}")
        get_label_space(self.label_space())
        if self.device is not None:
            from emobox.train.device import resolve_device

            resolve_device(self.device)
        return self

    # ---- the saved description (``run --config`` files)
    def to_dict(self) -> dict[str, Any]:
        """The description as plain data (the config file's keys), defaults left out."""
        data = {"version": FORMAT_VERSION}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != f.default and value not in ((), None):
                data[f.name] = list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, where: str = "config") -> ProtocolRun:
        """The description from plain data; unknown keys and wrong types are one line."""
        data = dict(data)
        version = data.pop("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise EmoboxError(f"{where}: format version {version!r} is not "
                              f"{FORMAT_VERSION} (the one this emobox reads)")
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise EmoboxError(f"{where}: unknown key {unknown[0]!r} (keys: "
                              f"{', '.join(sorted(known))})")
        if "protocol" not in data:
            raise EmoboxError(f"{where}: 'protocol' is missing ({', '.join(PROTOCOLS)})")
        for name, value in data.items():
            if not _fits(known[name].type, value):
                raise EmoboxError(f"{where}: {name!r} must be {known[name].type}, not "
                                  f"{value!r}")
        return cls(**data)

    def to_toml(self, seeds: list[int] | None = None) -> str:
        data = self.to_dict()
        if seeds is not None:
            data.pop("seed", None)
            data["seeds"] = seeds
        return "\n".join(f"{k} = {json.dumps(v)}" for k, v in data.items()) + "\n"

    def with_(self, **changes: Any) -> ProtocolRun:
        return replace(self, **changes)

    def describe(self) -> dict[str, Any]:
        """The resolved settings, stored with every run (``runs show``)."""
        return {**asdict(self), "recipe": self.recipe().id, "label_space": self.label_space(),
                "prior": self.prior()}


def _fits(annotation: str, value: Any) -> bool:
    """Whether a config value has the type a field is declared with (as text)."""
    if value is None:
        return "None" in annotation
    if "tuple" in annotation:
        return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
    if annotation.startswith("bool"):
        return isinstance(value, bool)
    if annotation.startswith("int"):
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


def load_config(path: str | Path) -> list[ProtocolRun]:
    """The runs a TOML config file describes (one per seed of ``seeds``)."""
    import tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise EmoboxError(f"{path}: not a readable TOML config ({exc})") from None
    seeds = data.pop("seeds", None)
    if seeds is not None and (not isinstance(seeds, list) or not seeds
                              or not all(isinstance(s, int) for s in seeds)):
        raise EmoboxError(f"{path}: 'seeds' must be a list of integers")
    run = ProtocolRun.from_dict(data, where=str(path)).validate()
    return [run.with_(seed=s) for s in seeds] if seeds else [run]


#: The model a run uses when none is named.
DEFAULT_MODEL = "egemaps"
#: The epochs of the second intra-corpus setting `emobox demo` trains (its recipe again,
#: shorter), so that its report ranks two settings with ties — "are 100 epochs needed?".
DEMO_VERSUS_EPOCHS = 20
