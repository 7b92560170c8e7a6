"""Recipes: named, versioned sets of training choices, recorded with every result.

* ``emobox`` (v2) — EmoBox §3.1, and where the paper is silent its released SpeechBrain recipe
  (``examples/sb/hparams/*.yaml``, ``train.py``, SpeechBrain 0.5.16): the EmoBox head (Linear
  D→h, ReLU, masked mean over frames, Linear h→C), Adam without weight decay, batch 32,
  cross-entropy, 100 epochs at the factors of `optim.linear_warmup` (epoch 1 at lr, epoch 2 at
  0, the peak at epoch 12, then down to 2/90 at epoch 100), the gradient norm of each
  configuration clipped at 5 (``Brain.check_gradients``), utterances over 30 s left out of
  train, validation and test (``speech_feature_extraction.py`` skips them), features
  layer-normalised per utterance over (frames × dims) as ``F.layer_norm(x, (T, D))``; the grid
  lr ∈ {1e-3, 1e-4} × hidden ∈ {128, 256}, 20 % of train for validation; the configuration
  **and** the epoch are chosen on validation UA (ties: the lower validation loss) — a
  departure: EmoBox tests every epoch's checkpoint.
* ``serval`` (v2) — SER Evals (``ImprovedMLPHead``, serval.md §2.6): a per-frame MLP (Linear
  D→512, LayerNorm, GELU, dropout 0.1, Linear 512→C) whose frame logits are averaged; AdamW lr
  1e-4, weight decay 0.1, OneCycle (pct_start 0.1) stepped per batch, gradient clipping 0.5,
  label smoothing 0.1, batch 32 with the last partial batch dropped, 100 epochs, the last epoch
  kept; the unified 8-class label space; the first 30 s of frames of longer utterances; the
  oracle prior of logit adjustment from each corpus's full label distribution. Features are not
  normalised (SER Evals feeds raw frames).

Fields of the two protocols' details: ``max_seconds`` with ``long_utterances`` (``keep``,
``drop`` — out of every part, ``cut`` — to the first `max_seconds` of frames);
``oracle_prior`` (``split`` — the training split's and the test set's label frequencies,
``corpus`` — each corpus's whole label distribution, SER Evals); ``unseen_classes`` (``mask``
— classes without training data are never predicted, ``epsilon`` — SER Evals' log(π + 1e−12),
which gives them +27.6).

Any field can be overridden (`Recipe.with_`), and any grid given (`parse_grid`):

>>> r = get_recipe("emobox")
>>> [(c["lr"], c["hidden"]) for c in r.configs()]
[(0.001, 128), (0.001, 256), (0.0001, 128), (0.0001, 256)]
>>> get_recipe("emobox", epochs=5, grid=parse_grid("lr=1e-3")).configs()[0]["hidden"]
128
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from emobox.errors import EmoboxError
from emobox.partition.core import VALID_FRACTION
from emobox.train.head import HEADS

OPTIMIZERS = ("adam", "adamw")
SCHEDULES = ("linear-warmup", "onecycle", "constant")
NORMS = ("utterance", "frame", "standard", "none")
SELECTIONS = ("best", "last")
LONG_UTTERANCES = ("keep", "drop", "cut")
ORACLE_PRIORS = ("split", "corpus")
UNSEEN_CLASSES = ("mask", "epsilon")
#: Fields a grid may vary.
GRID_FIELDS = ("lr", "hidden", "weight_decay", "dropout", "label_smoothing")

Grid = tuple[tuple[str, tuple[Any, ...]], ...]


@dataclass(frozen=True)
class Recipe:
    """Every training choice. `lr` and `hidden` are the values used where the `grid` does not
    vary them."""

    name: str
    version: int
    head: str
    optimizer: str
    lr: float
    hidden: int
    weight_decay: float
    batch_size: int
    epochs: int
    warmup_epochs: int
    schedule: str
    grad_clip: float | None
    label_smoothing: float
    dropout: float
    select: str
    norm: str
    label_space: str
    drop_last: bool
    valid_fraction: float = VALID_FRACTION
    pct_start: float = 0.1
    max_seconds: float | None = None
    long_utterances: str = "keep"
    oracle_prior: str = "split"
    unseen_classes: str = "mask"
    grid: Grid = field(default=())

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name != "grid" and not _typed(f.type, getattr(self, f.name)):
                raise EmoboxError(f"recipe field {f.name} must be {_TYPE_WORDS[f.type]}, not "
                                  f"{getattr(self, f.name)!r}")
        for name, allowed in (("head", HEADS), ("optimizer", OPTIMIZERS),
                              ("schedule", SCHEDULES), ("norm", NORMS),
                              ("select", SELECTIONS),
                              ("long_utterances", LONG_UTTERANCES),
                              ("oracle_prior", ORACLE_PRIORS),
                              ("unseen_classes", UNSEEN_CLASSES)):
            if getattr(self, name) not in allowed:
                raise EmoboxError(f"recipe field {name} must be one of {', '.join(allowed)}, "
                                  f"not {getattr(self, name)!r}")
        checks = [("epochs", self.epochs >= 1, "at least 1"),
                  ("warmup_epochs", self.warmup_epochs >= 0, "at least 0"),
                  ("batch_size", self.batch_size >= 1, "at least 1"),
                  ("hidden", self.hidden >= 1, "at least 1"),
                  ("lr", self.lr > 0, "positive"),
                  ("weight_decay", self.weight_decay >= 0, "at least 0"),
                  ("dropout", 0 <= self.dropout < 1, "in [0, 1)"),
                  ("label_smoothing", 0 <= self.label_smoothing < 1, "in [0, 1)"),
                  ("valid_fraction", 0 <= self.valid_fraction < 1, "in [0, 1)"),
                  ("max_seconds", self.max_seconds is None or self.max_seconds > 0,
                   "positive (or null)"),
                  ("max_seconds", self.long_utterances == "keep" or self.max_seconds is not None,
                   f"set for long_utterances={self.long_utterances}")]
        for name, ok, rule in checks:
            if not ok:
                raise EmoboxError(f"{name} must be {rule}, not {getattr(self, name)}")
        for name, values in self.grid:
            if name not in GRID_FIELDS:
                raise EmoboxError(f"the grid cannot vary {name!r} (it varies "
                                  f"{', '.join(GRID_FIELDS)})")
            if not values:
                raise EmoboxError(f"grid field {name!r} has no values")
            for value in values:  # each grid point must be a valid recipe
                replace(self, grid=(), **{name: value})

    @property
    def id(self) -> str:
        """``name-vN``: the recipe part of a run's identity."""
        return f"{self.name}-v{self.version}"

    def configs(self) -> list[dict[str, Any]]:
        """Every grid point as a full set of hyperparameters (the grid's order)."""
        base = self.hparams(with_grid=False)
        names = [n for n, _ in self.grid]
        return [{**base, **dict(zip(names, point))}
                for point in itertools.product(*(v for _, v in self.grid))] or [base]

    def point(self, config: dict[str, Any]) -> Recipe:
        """The recipe of one grid point (no grid)."""
        return replace(self, grid=(), **{k: config[k] for k, _ in self.grid})

    def hparams(self, *, with_grid: bool = True) -> dict[str, Any]:
        """Every choice (the run key's hyperparameters): all fields but name and version."""
        data = {k: v for k, v in asdict(self).items() if k not in ("name", "version", "grid")}
        if with_grid and self.grid:
            data["grid"] = {k: list(v) for k, v in self.grid}
        return data

    def with_(self, **overrides: Any) -> Recipe:
        """This recipe with fields overridden (unknown fields are an error)."""
        known = {f.name for f in fields(self)} - {"name", "version"}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise EmoboxError(f"recipe has no field {unknown[0]!r} (fields: "
                              f"{', '.join(sorted(known))})")
        if "grid" not in overrides and any(n in overrides for n, _ in self.grid):
            # a field set explicitly is no longer swept: it replaces that field's grid
            overrides["grid"] = tuple((n, v) for n, v in self.grid if n not in overrides)
        return replace(self, **overrides)


#: Field annotation → what a value must be, in words (for the one-line error).
_TYPE_WORDS = {"str": "text", "int": "an integer", "float": "a number", "bool": "true or false",
               "float | None": "a number or null", "int | None": "an integer or null"}


def _typed(annotation: str, value: Any) -> bool:
    """Whether `value` fits a field annotated `annotation` (an int is a number too)."""
    if annotation not in _TYPE_WORDS:
        return True
    if value is None:
        return annotation.endswith("| None")
    base = annotation.split(" |")[0]
    if base == "bool":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if base == "int":
        return isinstance(value, int)
    if base == "float":
        return isinstance(value, int | float) and value == value
    return isinstance(value, str)


#: v2 (issue 20): EmoBox's lr stepping, gradient clipping at 5, utterances over 30 s left out.
EMOBOX = Recipe(
    name="emobox", version=2, head="emobox", optimizer="adam", lr=1e-3, hidden=128,
    weight_decay=0.0, batch_size=32, epochs=100, warmup_epochs=10, schedule="linear-warmup",
    grad_clip=5.0, label_smoothing=0.0, dropout=0.0, select="best", norm="utterance",
    label_space="native", drop_last=False, max_seconds=30.0, long_utterances="drop",
    grid=(("lr", (1e-3, 1e-4)), ("hidden", (128, 256))))
#: v2 (issue 20): the first 30 s of frames, the oracle prior from whole corpora.
SERVAL = Recipe(
    name="serval", version=2, head="frame-mlp", optimizer="adamw", lr=1e-4, hidden=512,
    weight_decay=0.1, batch_size=32, epochs=100, warmup_epochs=0, schedule="onecycle",
    grad_clip=0.5, label_smoothing=0.1, dropout=0.1, select="last", norm="none",
    label_space="serval8", drop_last=True, max_seconds=30.0, long_utterances="cut",
    oracle_prior="corpus")
RECIPES = {r.name: r for r in (EMOBOX, SERVAL)}


def get_recipe(name: str | Recipe, **overrides: Any) -> Recipe:
    """A built-in recipe by name, with fields overridden."""
    if isinstance(name, Recipe):
        return name.with_(**overrides) if overrides else name
    if name not in RECIPES:
        raise EmoboxError(f"unknown recipe {name!r} (built in: {', '.join(RECIPES)})")
    return RECIPES[name].with_(**overrides) if overrides else RECIPES[name]


def _value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text.lower() == "null":
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def parse_grid(text: str) -> Grid:
    """``"lr=1e-3,1e-4 hidden=128,256"`` → the grid (fields in the order given)."""
    grid = []
    for item in text.split():
        name, sep, values = item.partition("=")
        if not sep or not values:
            raise EmoboxError(f"--grid takes NAME=V1,V2 items, not {item!r}")
        grid.append((name.strip(), tuple(_value(v) for v in values.split(","))))
    return tuple(grid)


def parse_settings(items: list[str]) -> dict[str, Any]:
    """``["epochs=20", "norm=frame"]`` → recipe overrides."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise EmoboxError(f"--set takes NAME=VALUE, not {item!r}")
        out[name.strip().replace("-", "_")] = _value(value.strip())
    return out
