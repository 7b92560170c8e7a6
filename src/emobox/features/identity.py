"""Which model a feature store holds, and the one folder name derived from it.

A model is a registry entry (its short name, whichever spelling was given), another hub id (with
its revision), a local folder or fairseq checkpoint file (its resolved path and a fingerprint of
its config and weights: names, sizes and the first and last MiB of each file — fast, and
different for two models trained into folders of the same name), or a handcrafted feature
set. The store records the
identity; the folder name (`store_name`) is derived from it, so two models never share one.

>>> model_identity("microsoft/wavlm-base").store_name, store_name("egemaps")
('wavlm-base', 'egemaps')
>>> store_name("someone/model", "v2")
'someone__model@v2'
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from emobox.errors import EmoboxError
from emobox.features.registry import _BY_HUB, HANDCRAFTED, MODELS, looks_like_path

#: Bytes read from each end of a weights file for the fingerprint.
FINGERPRINT_BYTES = 1 << 20
#: Files of a model folder that decide its features.
MODEL_FILES = ("*.json", "*.yaml", "*.safetensors", "*.bin", "*.pt", "*.ckpt", "*.model")


@dataclass(frozen=True)
class ModelIdentity:
    """One model: `kind` is ``registry``, ``hub``, ``local``, ``handcrafted`` or ``named`` (a
    store written by a program under a name of its own)."""

    kind: str
    name: str
    hub_id: str | None = None
    revision: str | None = None
    path: str | None = None
    fingerprint: str | None = None

    @property
    def store_name(self) -> str:
        """The folder name of this model's stores."""
        if self.kind == "local":
            return f"{Path(self.path or self.name).name}-{(self.fingerprint or '')[:10]}"
        name = self.name if self.kind != "hub" else self.name.strip("/").replace("/", "__")
        name = name.replace(":", "_")
        return f"{name}@{self.revision}" if self.revision else name

    def same_model(self, other: ModelIdentity) -> bool:
        """Whether `other` is this model (a local folder by its fingerprint, wherever it
        lies now; the rest by name, hub id and revision)."""
        if self.kind == "local" or other.kind == "local":
            return (self.kind, self.fingerprint) == (other.kind, other.fingerprint)
        return (self.kind, self.name, self.hub_id, self.revision) == (
            other.kind, other.name, other.hub_id, other.revision)

    def describe(self) -> str:
        if self.kind == "local":
            return f"{self.path} (fingerprint {(self.fingerprint or '')[:10]})"
        return self.name + (f"@{self.revision}" if self.revision else "")

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelIdentity:
        return cls(**{k: data.get(k) for k in ("kind", "name", "hub_id", "revision", "path",
                                               "fingerprint")})


def model_identity(model: str, revision: str | None = None) -> ModelIdentity:
    """The identity of `model` as the user gave it (registry name, hub id, local folder or
    handcrafted feature set)."""
    if model in HANDCRAFTED:
        return ModelIdentity("handcrafted", model)
    entry = MODELS.get(model) or _BY_HUB.get(model)
    if entry is not None:
        return ModelIdentity("registry", entry.name, entry.hub_id, revision)
    folder = Path(model).expanduser()
    if folder.is_dir() or folder.suffix == ".pt" and folder.is_file():  # .pt: fairseq's
        path = folder.resolve()
        return ModelIdentity("local", path.name, None, revision, str(path), fingerprint(path))
    if looks_like_path(model):
        raise EmoboxError(f"model folder not found: {model}")
    return ModelIdentity("hub", model, model, revision)


def store_name(model: str, revision: str | None = None) -> str:
    """The one folder name of a model's feature stores, whatever spelling the user gave:
    a registry model by its short name (``microsoft/wavlm-base`` → ``wavlm-base``), a local
    folder by its name and a fingerprint of its files (``./m`` and ``/abs/m`` →
    ``m-<fingerprint>``), another hub id as ``owner__name``; a revision is appended
    (``@rev``)."""
    return model_identity(model, revision).store_name


def fingerprint(folder: str | Path) -> str:
    """A hash of a model folder's config and weights files (or of one checkpoint file): their
    names and sizes and the first and last `FINGERPRINT_BYTES` of each (reads at most 2 MiB
    per file)."""
    digest = hashlib.sha256()
    folder = Path(folder)
    files = [folder] if folder.is_file() else sorted(
        {f for pattern in MODEL_FILES for f in folder.glob(pattern) if f.is_file()})
    for file in files:
        size = file.stat().st_size
        digest.update(f"{file.name}\0{size}\0".encode())
        with open(file, "rb") as fh:
            digest.update(fh.read(FINGERPRINT_BYTES))
            if size > 2 * FINGERPRINT_BYTES:
                fh.seek(size - FINGERPRINT_BYTES)
                digest.update(fh.read(FINGERPRINT_BYTES))
            elif size > FINGERPRINT_BYTES:
                digest.update(fh.read())
    return digest.hexdigest()[:16]
