"""The architecture of a data2vec 2.0 / emotion2vec audio encoder, and how its checkpoints are
recognised — torch-free, so the registry and the sizing plans read it without loading a model.

>>> Data2Vec2Config(prenet_depth=4, depth=8).n_blocks
12
"""

from __future__ import annotations

import ast
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from emobox.errors import EmoboxError

#: the waveform normalisation's epsilon (fairseq's ``task.normalize`` and FunASR's
#: ``model_conf.normalize`` both apply ``F.layer_norm`` over the utterance, eps 1e-5)
INPUT_NORM_EPS = 1e-5

#: fairseq's default: 512 channels; kernels 10, 3 × 4, 2 × 2; strides 5, 2 × 6 (320 samples)
DEFAULT_CONV_SPEC = "[(512, 10, 5)] + [(512, 3, 2)] * 4 + [(512,2,2)] + [(512,2,2)]"


def parse_conv_spec(spec: str) -> tuple[tuple[int, int, int], ...]:
    """fairseq's ``feature_encoder_spec`` — a Python list expression of ``(dim, kernel,
    stride)`` tuples joined by ``+`` and ``*`` — read without running it (fairseq `eval`s it).

    >>> parse_conv_spec("[(512, 10, 5)] + [(512, 3, 2)] * 2")
    ((512, 10, 5), (512, 3, 2), (512, 3, 2))
    """

    def value(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [value(e) for e in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            left, right = value(node.left), value(node.right)
            if isinstance(node.op, ast.Mult) and max(
                    (x for x in (left, right) if isinstance(x, int)), default=0) > 64:
                raise ValueError("repeat count over 64")
            return left + right if isinstance(node.op, ast.Add) else left * right
        raise ValueError(ast.dump(node))

    try:
        layers = value(ast.parse(spec, mode="eval").body)
        result = tuple((int(d), int(k), int(s)) for d, k, s in layers)
    except (SyntaxError, ValueError, TypeError):
        raise EmoboxError(f"feature_encoder_spec {spec!r} is not a list of (dim, kernel, "
                          "stride) tuples") from None
    if not result:
        raise EmoboxError("feature_encoder_spec has no layers")
    return result


@dataclass(frozen=True)
class Data2Vec2Config:
    """The architecture, in fairseq's field names (``model`` and ``model.modalities.audio``
    of a data2vec 2.0 checkpoint's config; FunASR's ``model_conf``)."""

    embed_dim: int = 768
    depth: int = 12  # the shared blocks
    num_heads: int = 12
    mlp_ratio: float = 4.0
    norm_eps: float = 1e-5
    norm_affine: bool = True
    layer_norm_first: bool = False
    prenet_depth: int = 0  # the audio encoder's own blocks, before the shared ones
    feature_encoder_spec: str = DEFAULT_CONV_SPEC
    extractor_mode: str = "layer_norm"
    conv_pos_width: int = 95
    conv_pos_groups: int = 16
    conv_pos_depth: int = 5
    conv_pos_pre_ln: bool = False
    num_extra_tokens: int = 0
    use_alibi_encoder: bool = True
    learned_alibi: bool = False
    learned_alibi_scale_per_head: bool = False
    learned_alibi_scale_per_layer: bool = False
    num_alibi_heads: int | None = None  # fairseq: model.num_heads
    #: the waveform is layer-normalised over the utterance first (fairseq ``task.normalize``,
    #: FunASR ``model_conf.normalize``)
    normalize: bool = True

    @classmethod
    def from_fairseq(cls, model: dict, normalize: bool | None = None) -> Data2Vec2Config:
        """From a ``model`` config dict (``modalities.audio`` merged over it); unknown keys
        (training settings) are ignored."""
        audio = dict((model.get("modalities") or {}).get("audio") or {})
        merged = {**model, **{k: v for k, v in audio.items() if v is not None}}
        if normalize is not None:
            merged["normalize"] = normalize
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in merged.items() if k in names}
        if not isinstance(values.get("num_alibi_heads"), int):  # an unresolved ${...}
            values.pop("num_alibi_heads", None)
        config = cls(**values)
        if config.extractor_mode != "layer_norm":
            raise EmoboxError(f"extractor_mode {config.extractor_mode!r} is not supported "
                              "(data2vec 2.0 and emotion2vec use layer_norm)")
        if config.learned_alibi:
            raise EmoboxError("learned_alibi (a learned bias table) is not supported")
        if config.layer_norm_first:
            raise EmoboxError("layer_norm_first (pre-norm blocks) is not supported: no "
                              "data2vec 2.0 audio or emotion2vec checkpoint uses it")
        return config

    # what `emobox.features.families.Family` reads of a transformers config
    model_type = "data2vec2"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def num_hidden_layers(self) -> int:
        return self.n_blocks

    @property
    def hidden_size(self) -> int:
        return self.embed_dim

    @property
    def conv_stride(self) -> tuple[int, ...]:
        return tuple(s for _, _, s in self.conv_layers)

    @property
    def conv_layers(self) -> tuple[tuple[int, int, int], ...]:
        return parse_conv_spec(self.feature_encoder_spec)

    @property
    def n_blocks(self) -> int:
        return self.prenet_depth + self.depth

    @property
    def hop(self) -> int:
        """Samples per output frame (320 = 20 ms at 16 kHz)."""
        return math.prod(s for _, _, s in self.conv_layers)


def is_checkpoint(path: str | Path) -> bool:
    """Whether `path` is a data2vec 2.0 / emotion2vec checkpoint: a fairseq ``.pt`` file, a
    folder with a FunASR ``config.yaml``, or a folder holding one ``*.pt`` and no
    ``config.json``."""
    path = Path(path).expanduser()
    if path.is_file():
        return path.suffix == ".pt"
    if not path.is_dir() or (path / "config.json").exists():
        return False
    return (path / "config.yaml").is_file() or len(list(path.glob("*.pt"))) == 1


def read_funasr_config(folder: str | Path) -> dict:
    """The ``model_conf`` of a FunASR folder's ``config.yaml`` (checked: ``model`` is
    ``Emotion2vec`` where given)."""
    import yaml

    path = Path(folder) / "config.yaml"
    try:
        conf = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise EmoboxError(f"{path}: not YAML ({str(exc).splitlines()[0]})") from None
    model_conf = conf.get("model_conf") if isinstance(conf, dict) else None
    if not isinstance(model_conf, dict):
        raise EmoboxError(f"{path}: no model_conf")
    if conf.get("model") not in (None, "Emotion2vec"):
        raise EmoboxError(f"{path}: model {conf.get('model')!r} is not Emotion2vec")
    return model_conf
