"""The extraction settings: one frozen object from the command line to the store's record.

`ExtractionSettings` says *what* the features are — the model's identity, the layers with frames,
the precision, the Whisper window, the stored normalisation — and is exactly what a store
records (``meta["settings"]`` beside ``meta["identity"]``), so a store's features can be
recomputed from it (`ExtractionSettings.from_meta`). `Runtime` says *how* they are computed
on this machine (device, batch size, compilation, what the user allows to load) and changes
no value. The batch policy and the store's folder name are derived from them once
(`batch_policy_of`, `ExtractionSettings.store_name`).

>>> s = ExtractionSettings.of("microsoft/wavlm-base", precision="fp32")
>>> s.model, s.store_name, s.layers
('wavlm-base', 'wavlm-base', 'default')
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from emobox.errors import EmoboxError
from emobox.features.batching import ONE_AT_A_TIME, BatchPolicy, batch_policy
from emobox.features.identity import ModelIdentity, model_identity
from emobox.features.precision import PRECISIONS

#: Whisper's input windows: ``pad30`` pads every clip to 30 s as both papers do (keeping the
#: frames of the real audio), ``trim`` encodes only the real length.
WHISPER_MODES = ("pad30", "trim")


@dataclass(frozen=True)
class ExtractionSettings:
    """What a store's features are. `model` is where the model loads from (registry name,
    hub id, a local folder's resolved path, or a handcrafted feature set); `layers` the
    layers whose frames are kept (``default``, ``all``, ``last``, ``"3,6"``, or — once
    resolved against the model — a tuple of indices); `precision` as requested (``auto``)
    or resolved; `whisper_mode` None for models other than Whisper once resolved."""

    model: str
    identity: ModelIdentity
    layers: str | tuple[int, ...] = "default"
    precision: str = "auto"
    whisper_mode: str | None = "pad30"
    layer_norm: bool = False

    @classmethod
    def of(cls, model: str, *, layers: str | list[int] | tuple[int, ...] | None = "default",
           precision: str = "auto", whisper_mode: str | None = "pad30",
           layer_norm: bool = False, revision: str | None = None) -> ExtractionSettings:
        """The settings of `model` as the user spelled it (checked, identity computed)."""
        if precision not in PRECISIONS:
            raise EmoboxError(f"--precision must be one of {', '.join(PRECISIONS)}, not "
                              f"{precision!r}")
        if whisper_mode is not None and whisper_mode not in WHISPER_MODES:
            raise EmoboxError(f"whisper mode must be one of {', '.join(WHISPER_MODES)}, "
                              f"not {whisper_mode!r}")
        identity = model_identity(model, revision)
        source = identity.path or (identity.name if identity.kind != "hub" else model)
        spec = "all" if layers is None else layers if isinstance(layers, str) else tuple(layers)
        return cls(source, identity, spec, precision, whisper_mode, layer_norm)

    @property
    def revision(self) -> str | None:
        return self.identity.revision

    @property
    def store_name(self) -> str:
        """The folder name of this model's stores (`ModelIdentity.store_name`)."""
        return self.identity.store_name

    @property
    def handcrafted(self) -> bool:
        return self.identity.kind == "handcrafted"

    def resolved(self, *, layers: list[int], precision: str, family: str) -> ExtractionSettings:
        """These settings once the model is loaded: layer indices, the precision chosen for
        the device, no Whisper window for other families."""
        return replace(self, layers=tuple(layers), precision=precision,
                       whisper_mode=self.whisper_mode if family == "whisper" else None)

    def record(self) -> dict[str, Any]:
        """What the store records (``meta["settings"]``; the identity goes beside it)."""
        out = {k: v for k, v in asdict(self).items() if k != "identity"}
        out["layers"] = list(self.layers) if isinstance(self.layers, tuple) else self.layers
        return out

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> ExtractionSettings:
        """The settings a store (or a trained model's ``features`` record) was written with."""
        try:
            record, identity = meta["settings"], ModelIdentity.from_dict(meta["identity"])
        except (KeyError, TypeError):
            raise EmoboxError("these features were recorded by an older emobox (no settings "
                              "and model identity); extract them again") from None
        known = {f.name for f in fields(cls)} - {"identity"}
        values = {k: v for k, v in record.items() if k in known}
        if isinstance(values.get("layers"), list):
            values["layers"] = tuple(values["layers"])
        return cls(identity=identity, **values)


@dataclass(frozen=True)
class Runtime:
    """How features are computed here; changes no value (within float tolerance)."""

    device: str = "cpu"
    batch_seconds: float | None = None
    compile: bool = False
    trust_remote_code: bool = False
    allow_pickle: bool = False


#: The layers of the keyword API (`get_extractor("m", ...)`, `extract_corpus_ray("m", ...)`):
#: every layer, as the extractor's programmatic users have always had them; `emobox extract`
#: and `ExtractionSettings.of` keep ``default`` (the last).
KEYWORD_LAYERS = "all"


def split_options(model: str, **options: Any) -> tuple[ExtractionSettings, Runtime]:
    """Keyword options (``layers`` — default `KEYWORD_LAYERS` —, ``precision``, ``device``,
    …) as the two objects."""
    options.setdefault("layers", KEYWORD_LAYERS)
    runtime_keys = {f.name for f in fields(Runtime)}
    unknown = set(options) - runtime_keys - {"layers", "precision", "whisper_mode",
                                             "layer_norm", "revision"}
    if unknown:
        raise TypeError(f"unknown extraction options: {', '.join(sorted(unknown))}")
    runtime = Runtime(**{k: v for k, v in options.items() if k in runtime_keys})
    settings = ExtractionSettings.of(model, **{k: v for k, v in options.items()
                                               if k not in runtime_keys})
    return settings, runtime


def batch_policy_of(settings: ExtractionSettings, runtime: Runtime) -> BatchPolicy:
    """The batching of an extraction (one item at a time for handcrafted features, else the
    device's `batch_policy`): what the extractor and the Ray executor's plan both use."""
    if settings.handcrafted:
        return ONE_AT_A_TIME
    return batch_policy(runtime.device, runtime.batch_seconds)
