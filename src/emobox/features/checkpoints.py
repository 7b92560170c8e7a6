"""Reading data2vec 2.0 / emotion2vec checkpoints into `Data2Vec2Model`.

Two layouts, given as a path:

* **fairseq** (``base_libri.pt``, ``large_vox.pt``; a file, or a folder holding one ``*.pt``
  and no ``config.yaml``): a torch checkpoint whose ``cfg`` has the architecture under
  ``model`` (``modalities.audio`` inside) and the input normalisation under
  ``task.normalize``, and whose ``model`` is the state dict;
* **FunASR** (``emotion2vec_base``, ``emotion2vec_plus_*``: a folder): ``config.yaml`` with the
  architecture and ``normalize`` under ``model_conf``, the weights in ``model.pt`` (the state
  dict, possibly inside ``state_dict`` / ``model_state_dict`` / ``model``, as FunASR reads it)
  or ``model.safetensors``.

Both write the encoder's weights under fairseq's names (``modality_encoders.AUDIO.…``,
``blocks.N.…``); the EMA teacher (``_ema``), the decoders and emotion2vec+'s classification
head (``proj``) are ignored. ``.pt`` files are pickles, which can run code when loaded: they
are read only with ``allow_pickle`` (``--allow-pickle``).

`save_funasr` writes a model as a FunASR-layout folder with ``model.safetensors``: a pickle
checkpoint, once trusted and loaded, can be kept in a form that loads without
``--allow-pickle``. `download` fetches a registered checkpoint by name: FunASR folders from the
Hugging Face hub, fairseq files from the URL its authors publish.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from emobox.errors import EmoboxError
from emobox.features.data2vec2 import Data2Vec2Model
from emobox.features.data2vec2_config import Data2Vec2Config, read_funasr_config

PREFIX = "modality_encoders.AUDIO."
#: (fairseq name inside the audio encoder, ours): "{}" is a layer index
NAMES = (
    ("local_encoder.conv_layers.{}.0.", "feature_extractor.conv_layers.{}.conv."),
    ("local_encoder.conv_layers.{}.2.1.", "feature_extractor.conv_layers.{}.layer_norm."),
    ("project_features.1.", "feature_projection.layer_norm."),
    ("project_features.2.", "feature_projection.projection."),
    ("context_encoder.norm.", "encoder.layer_norm."),
    ("alibi_scale", "encoder.alibi_scale"),
    ("extra_tokens", "encoder.extra_tokens"),
)
#: training-only parts of a checkpoint (EMA teacher, decoders, heads, projections)
IGNORED = re.compile(r"^(_ema|modality_encoders\.AUDIO\.decoder\.|shared_decoder\.|"
                     r"recon_proj\.|proj\.)")
#: (fairseq template, our template, our index − fairseq's, our indices it covers)
Pair = tuple[str, str, int, range]


def name_pairs(config: Data2Vec2Config) -> list[Pair]:
    """Every fairseq ↔ emobox name correspondence of `config`'s model: `NAMES`, the audio
    prenet's blocks (our first blocks) and the shared ones after them, and the positional
    convolutions (fairseq: ``Sequential(TransposeLast, (conv, …) × depth, …)``, wrapped as
    ``Sequential(LayerNorm, that)`` when ``conv_pos_pre_ln``)."""
    every = range(1 << 30)
    pairs = [(PREFIX + fairseq, ours, 0, every) for fairseq, ours in NAMES]
    pos = PREFIX + "relative_positional_encoder." + ("1." if config.conv_pos_pre_ln else "")
    pairs += [(pos + "{}.0.", "encoder.pos_conv_embed.blocks.{}.", -1, every),
              (PREFIX + "context_encoder.blocks.{}.", "encoder.layers.{}.", 0,
               range(config.prenet_depth)),
              ("blocks.{}.", "encoder.layers.{}.", config.prenet_depth,
               range(config.prenet_depth, 1 << 30))]
    if config.conv_pos_pre_ln:
        pairs.append((PREFIX + "relative_positional_encoder.0.",
                      "encoder.pos_conv_embed.pre_norm.", 0, every))
    return pairs


def _translate(name: str, pairs: list[Pair], to_ours: bool) -> str | None:
    for fairseq, ours, offset, covers in pairs:
        src, dst, shift = (fairseq, ours, offset) if to_ours else (ours, fairseq, -offset)
        pattern = re.escape(src).replace(r"\{\}", r"(\d+)") + ("" if src.endswith(".") else "$")
        found = re.match(pattern, name)
        if not found:
            continue
        if "{}" in src:
            index = int(found[1])
            if (index + shift if to_ours else index) not in covers:
                continue
            dst = dst.format(index + shift)
        return dst + name[found.end():]
    return None


def rename(key: str, config: Data2Vec2Config) -> str | None:
    """Our parameter name of a fairseq / FunASR state dict key (None: ignored; an unknown key
    is kept as it is, and reported as unexpected by `to_model`)."""
    if IGNORED.match(key):
        return None
    return _translate(key, name_pairs(config), to_ours=True) or key


def fairseq_name(name: str, config: Data2Vec2Config) -> str:
    """The fairseq / FunASR key of one of our parameter names (the inverse of `rename`)."""
    key = _translate(name, name_pairs(config), to_ours=False)
    if key is None:
        raise ValueError(name)
    return key


def save_funasr(model: Data2Vec2Model, folder: str | Path) -> Path:
    """`model` as a FunASR-layout folder without pickle: ``config.yaml`` (its architecture as
    ``model_conf``) and ``model.safetensors`` (fairseq's key names); `load` reads it back."""
    from dataclasses import asdict

    import yaml
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(
        {"model": "Emotion2vec", "model_conf": asdict(model.config)}, sort_keys=False))
    save_file({fairseq_name(k, model.config): v.contiguous()
               for k, v in model.state_dict().items()}, folder / "model.safetensors")
    return folder


def to_model(config: Data2Vec2Config, state: dict, source: str) -> Data2Vec2Model:
    """`Data2Vec2Model` with `state` (fairseq names) loaded; every encoder weight must be
    there, and nothing but the training-only parts may be left over."""
    import torch

    model = Data2Vec2Model(config)
    ours: dict[str, Any] = {}
    for key, value in state.items():
        if not torch.is_tensor(value):
            continue
        name = rename(key.removeprefix("module."), config)
        if name is not None:
            ours[name] = value
    scale = ours.get("encoder.alibi_scale")
    if scale is not None and scale.dim() == 4:  # fairseq's upgrade_state_dict_named
        ours["encoder.alibi_scale"] = scale[None]
    expected = model.state_dict()
    missing = sorted(set(expected) - set(ours))
    unexpected = sorted(set(ours) - set(expected))
    if missing or unexpected:
        detail = f"missing {missing[:3]}" if missing else f"unexpected {unexpected[:3]}"
        raise EmoboxError(f"{source}: weights do not match its config ({detail})")
    for name, value in ours.items():
        if tuple(value.shape) != tuple(expected[name].shape):
            raise EmoboxError(f"{source}: {name} has shape {tuple(value.shape)}, its config "
                              f"says {tuple(expected[name].shape)}")
    model.load_state_dict({k: v.float() for k, v in ours.items()})
    return model.eval()


def _torch_load(path: Path, allow_pickle: bool) -> Any:
    if not allow_pickle:
        raise EmoboxError(f"{path} is a pickle checkpoint (torch .pt), which can run code when "
                          "loaded; pass --allow-pickle if you trust it")
    import torch

    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except ModuleNotFoundError as exc:
        raise EmoboxError(f"{path}: unpickling needs the module {exc.name!r} (pip install "
                          f"{exc.name})") from None
    except (OSError, RuntimeError, EOFError) as exc:
        raise EmoboxError(f"cannot read checkpoint {path}: {str(exc).splitlines()[0]}"
                          ) from None


def _unwrap(state: Any, path: Path) -> dict:
    for key in ("state_dict", "model_state_dict", "model"):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
    if not isinstance(state, dict):
        raise EmoboxError(f"{path}: no state dict inside")
    return state


def load_fairseq(path: Path, allow_pickle: bool = False) -> tuple[Data2Vec2Model, dict]:
    """A fairseq data2vec 2.0 checkpoint file; returns the model and its settings."""
    checkpoint = _torch_load(path, allow_pickle)
    cfg = checkpoint.get("cfg") if isinstance(checkpoint, dict) else None
    if not isinstance(cfg, dict) or not isinstance(cfg.get("model"), dict):
        raise EmoboxError(f"{path}: not a fairseq data2vec 2.0 checkpoint (no cfg.model)")
    name = cfg["model"].get("_name")
    if name not in (None, "data2vec_multi"):
        raise EmoboxError(f"{path}: model {name!r} is not data2vec 2.0 (data2vec_multi)")
    normalize = (cfg.get("task") or {}).get("normalize")
    config = Data2Vec2Config.from_fairseq(dict(cfg["model"]), normalize=normalize)
    return to_model(config, _unwrap(checkpoint, path), str(path)), {"format": "fairseq"}


def load_funasr(folder: Path, allow_pickle: bool = False) -> tuple[Data2Vec2Model, dict]:
    """A FunASR emotion2vec folder (``config.yaml`` and ``model.safetensors`` or
    ``model.pt``)."""
    model_conf = read_funasr_config(folder)
    config = Data2Vec2Config.from_fairseq(model_conf)
    if (folder / "model.safetensors").is_file():
        from safetensors.torch import load_file

        state = load_file(folder / "model.safetensors")
    elif (folder / "model.pt").is_file():
        state = _unwrap(_torch_load(folder / "model.pt", allow_pickle), folder / "model.pt")
    else:
        raise EmoboxError(f"{folder}: no model.safetensors or model.pt beside config.yaml")
    return to_model(config, state, str(folder)), {"format": "funasr"}


def load(path: str | Path, allow_pickle: bool = False) -> tuple[Data2Vec2Model, dict]:
    """The model of a checkpoint file or folder (see the module docstring)."""
    path = Path(path).expanduser()
    if path.is_file():
        return load_fairseq(path, allow_pickle)
    if (path / "config.yaml").is_file():
        return load_funasr(path, allow_pickle)
    files = sorted(path.glob("*.pt")) if path.is_dir() else []
    if len(files) == 1:
        return load_fairseq(files[0], allow_pickle)
    raise EmoboxError(f"{path}: not a data2vec 2.0 checkpoint (a fairseq .pt file, or a "
                      "folder with config.yaml and model.pt)")


def load_for_extraction(model: str, entry: Any, allow_pickle: bool,
                        revision: str | None = None) -> tuple[str, Data2Vec2Model]:
    """``(source, model)`` for `emobox.features.hf`: a local checkpoint file or folder, or a
    registered name (`entry.checkpoint`, downloaded on first use — after the pickle check,
    as every published checkpoint is a torch pickle)."""
    from emobox.features.registry import MODELS

    source = model
    if model in MODELS and entry.checkpoint:
        if not allow_pickle:
            raise EmoboxError(f"{model}: its checkpoint is a torch pickle, which can run code "
                              "when loaded; pass --allow-pickle if you trust it")
        source = str(download(entry.name, entry.checkpoint, revision))
    net, _ = load(source, allow_pickle)
    return source, net


def cache_dir() -> Path:
    """Where downloaded checkpoints are kept (``$EMOBOX_CACHE`` or ``~/.cache/emobox``)."""
    import os

    return Path(os.environ.get("EMOBOX_CACHE", "~/.cache/emobox")).expanduser() / "checkpoints"


def download(name: str, source: str, revision: str | None = None) -> Path:
    """The local path of registered checkpoint `name`, downloaded on first use: `source` is
    ``hf:owner/repo`` (a FunASR folder on the Hugging Face hub, at `revision`) or an
    ``https://`` URL of a fairseq file. Without network: a one-line error saying what to
    download."""
    if source.startswith("hf:"):
        from huggingface_hub import snapshot_download

        repo = source[3:]
        try:
            return Path(snapshot_download(repo, revision=revision,
                                          allow_patterns=["config.yaml", "model.pt"]))
        except Exception as exc:  # noqa: BLE001 - every hub failure is the same to the user
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise EmoboxError(f"cannot download {name} from the Hugging Face hub ({repo}): "
                              f"{reason}; download the folder yourself and pass it with -m"
                              ) from None
    target = cache_dir() / name / source.rsplit("/", 1)[-1]
    if not target.is_file():
        import urllib.request

        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        try:
            with urllib.request.urlopen(source, timeout=30) as response, \
                    partial.open("wb") as out:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise EmoboxError(f"cannot download {name} from {source}: "
                              f"{getattr(exc, 'reason', exc)}; download it yourself and pass "
                              "the file with -m") from None
        partial.rename(target)
    return target
