"""The data2vec 2.0 / emotion2vec encoder against FunASR's implementation.

The fixtures (`tests/fixtures/data2vec2/`) were built by `scripts/make_data2vec2_fixtures.py`
with FunASR's ``Emotion2vec``: two tiny random models (data2vec 2.0 base's shape; emotion2vec's
prenet, extra tokens and per-layer ALiBi scales at large's head count), each saved as a FunASR
folder and as a fairseq checkpoint, with every hidden state FunASR computes for three clips.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from emobox.errors import EmoboxError
from emobox.features import get_extractor, model_info, store_name
from emobox.features.checkpoints import load
from emobox.features.data2vec2_config import Data2Vec2Config, parse_conv_spec
from emobox.features.families import adapter_of

FIXTURES = Path(__file__).parents[1] / "fixtures" / "data2vec2"
SIZES = ("base", "large")
FORMATS = ("funasr", "fairseq.pt")


def reference(size: str) -> tuple[list[np.ndarray], list[np.ndarray]]:
    ref = np.load(FIXTURES / f"{size}-reference.npz")
    n = len([k for k in ref.files if k.startswith("audio_")])
    return [ref[f"audio_{i}"] for i in range(n)], [ref[f"states_{i}"] for i in range(n)]


def checkpoint(size: str, fmt: str) -> str:
    return str(FIXTURES / (f"{size}-funasr" if fmt == "funasr" else f"{size}-fairseq.pt"))


def cosines(a: np.ndarray, b: np.ndarray) -> list[float]:
    """Per layer, the mean frame cosine."""
    cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return cos.mean(-1).tolist()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("size", SIZES)
def test_every_hidden_state_matches_funasr_in_float32(size, fmt):
    audio, states = reference(size)
    ex = get_extractor(checkpoint(size, fmt), precision="fp32", allow_pickle=True)
    assert ex.family == "data2vec2" and ex.layers == list(range(len(states[0])))
    for feats, expected in zip(ex.extract_batch(audio), states):  # one padded batch
        assert feats.shape == expected.shape
        assert np.abs(feats - expected).max() <= 1e-5
    alone = ex.extract(audio[1])  # the quiet clip: its normalisation's eps matters
    assert np.abs(alone - states[1]).max() <= 1e-5


@pytest.mark.parametrize("size", SIZES)
def test_bf16_is_forced_only_and_stays_within_cosine_0999(size, monkeypatch):
    import emobox.features.precision as precision

    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset({"avx512_bf16"}))
    path = checkpoint(size, "funasr")
    assert get_extractor(path, allow_pickle=True).precision == "fp32"  # auto: not measured
    assert not adapter_of("data2vec2").bf16_faithful
    audio, states = reference(size)
    bf16 = get_extractor(path, precision="bf16", allow_pickle=True)
    for feats, expected in zip(bf16.extract_batch(audio), states):
        assert min(cosines(feats, expected)) >= 0.999


def test_safetensors_folder_loads_without_pickle(tmp_path):
    from safetensors.torch import save_file

    folder = tmp_path / "e2v"
    folder.mkdir()
    shutil.copy(FIXTURES / "large-funasr" / "config.yaml", folder)
    state = torch.load(FIXTURES / "large-funasr" / "model.pt", weights_only=True)
    save_file({k: v.contiguous() for k, v in state.items()}, folder / "model.safetensors")
    audio, states = reference("large")
    feats = get_extractor(str(folder), precision="fp32").extract(audio[0])
    assert np.abs(feats - states[0]).max() <= 1e-5


@pytest.mark.parametrize("path", [FIXTURES / "base-fairseq.pt", FIXTURES / "base-funasr"])
def test_pickle_checkpoints_need_allow_pickle(path):
    with pytest.raises(EmoboxError, match=r"pickle.*--allow-pickle"):
        get_extractor(str(path))


def test_a_folder_with_one_fairseq_file_loads(tmp_path):
    shutil.copy(FIXTURES / "base-fairseq.pt", tmp_path / "base_libri.pt")
    model, meta = load(tmp_path, allow_pickle=True)
    assert meta == {"format": "fairseq"} and model.config.n_blocks == 2


def test_normalisation_follows_the_config(tmp_path):
    folder = tmp_path / "raw-input"
    shutil.copytree(FIXTURES / "base-funasr", folder)
    conf = yaml.safe_load((folder / "config.yaml").read_text())
    conf["model_conf"]["normalize"] = False
    (folder / "config.yaml").write_text(yaml.safe_dump(conf))
    audio, _ = reference("base")
    ex = get_extractor(str(folder), precision="fp32", allow_pickle=True)
    with torch.no_grad():
        raw = ex.model(torch.from_numpy(audio[0])[None]).hidden_states
    np.testing.assert_allclose(ex.extract(audio[0]), torch.cat(raw).numpy(), atol=1e-6)


def test_mismatched_weights_and_bad_configs_are_user_errors(tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(FIXTURES / "base-funasr", folder)
    conf = yaml.safe_load((folder / "config.yaml").read_text())
    conf["model_conf"]["depth"] = 3
    (folder / "config.yaml").write_text(yaml.safe_dump(conf))
    with pytest.raises(EmoboxError, match="do not match its config .*missing"):
        load(folder, allow_pickle=True)
    (folder / "config.yaml").write_text("model: Paraformer\nmodel_conf: {}\n")
    with pytest.raises(EmoboxError, match="not Emotion2vec"):
        load(folder, allow_pickle=True)
    for spec in ("__import__('os').system('true')", "[(1, 2, 3)] * 10000000", "[]"):
        with pytest.raises(EmoboxError, match="feature_encoder_spec"):
            parse_conv_spec(spec)
    with pytest.raises(EmoboxError, match="layer_norm_first"):
        Data2Vec2Config.from_fairseq({"layer_norm_first": True})
    (tmp_path / "junk").mkdir()
    with pytest.raises(EmoboxError, match="not a data2vec 2.0 checkpoint"):
        load(tmp_path / "junk")


@pytest.fixture
def network_off(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setenv("EMOBOX_CACHE", str(tmp_path / "cache"))


@pytest.mark.parametrize("name", ["data2vec2-base", "emotion2vec-plus-large"])
def test_registered_names_download_or_say_why_not(name, network_off):
    with pytest.raises(EmoboxError, match="--allow-pickle"):  # refused before any download
        get_extractor(name)
    with pytest.raises(EmoboxError, match=r"^cannot download .*pass (it|the file) with -m"
                       ) as error:
        get_extractor(name, allow_pickle=True)
    assert "\n" not in str(error.value)


def test_registry_records():
    for name in ("data2vec2-base", "data2vec2-large", "emotion2vec-base",
                 "emotion2vec-plus-seed", "emotion2vec-plus-base", "emotion2vec-plus-large"):
        entry = model_info(name)
        assert entry.family == "data2vec2" and entry.frame_rate == 50.0
        assert entry.checkpoint and entry.licence and entry.training_data and entry.params_m
        assert adapter_of(entry.family).hidden_states(entry.arch) in (13, 25)
    assert model_info("emotion2vec-plus-base").trained_on_emobox
    assert not model_info("data2vec2-base").trained_on_emobox
    assert "iemocap" in model_info("emotion2vec-base").seen_corpora
    assert model_info("data2vec2-large").arch.blocks == 24


def test_local_checkpoints_in_the_registry():
    folder = model_info(str(FIXTURES / "large-funasr"))
    assert folder.family == "data2vec2" and folder.arch.blocks == 3 and folder.arch.dim == 32
    assert model_info(str(FIXTURES / "base-fairseq.pt")).family == "data2vec2"
    assert store_name(str(FIXTURES / "base-fairseq.pt")).startswith("base-fairseq.pt-")


@pytest.mark.parametrize("size", SIZES)
def test_a_trusted_pickle_saved_as_safetensors_loads_the_same(size, tmp_path):
    from emobox.features.checkpoints import save_funasr

    model, _ = load(checkpoint(size, "fairseq.pt"), allow_pickle=True)
    folder = save_funasr(model, tmp_path / size)
    assert not list(folder.glob("*.pt"))
    audio, states = reference(size)
    feats = get_extractor(str(folder), precision="fp32").extract(audio[2])
    assert np.abs(feats - states[2]).max() <= 1e-5


def test_the_readme_table_says_where_every_model_comes_from():
    import re

    from emobox.features import list_models

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    rows = dict(re.findall(r"^\| `([^`]+)` \| [^|]+ \| [^|]+ \| (.+) \|$", readme, re.M))
    for m in list_models():
        assert m.name in rows, m.name
        assert (m.hub_id or m.checkpoint or "PyPI") in rows[m.name], m.name


@pytest.mark.parametrize("pre_ln", [False, True])
def test_fairseq_names_round_trip(pre_ln):
    from emobox.features.checkpoints import fairseq_name, rename
    from emobox.features.data2vec2 import Data2Vec2Model

    config = Data2Vec2Config(embed_dim=16, depth=2, num_heads=2, prenet_depth=2,
                             conv_pos_depth=2, conv_pos_groups=2, conv_pos_pre_ln=pre_ln,
                             num_extra_tokens=1, feature_encoder_spec="[(8, 10, 5)]")
    names = list(Data2Vec2Model(config).state_dict())
    keys = [fairseq_name(n, config) for n in names]
    assert len(set(keys)) == len(names) and "blocks.0.attn.qkv.weight" in keys
    assert "modality_encoders.AUDIO.context_encoder.blocks.1.norm1.weight" in keys
    assert [rename(k, config) for k in keys] == names


def test_funasr_weights_inside_a_wrapper_with_module_prefixes(tmp_path):
    folder = tmp_path / "wrapped"
    folder.mkdir()
    shutil.copy(FIXTURES / "base-funasr" / "config.yaml", folder)
    state = torch.load(FIXTURES / "base-funasr" / "model.pt", weights_only=True)
    torch.save({"state_dict": {"model": {f"module.{k}": v for k, v in state.items()}}},
               folder / "model.pt")
    audio, states = reference("base")
    feats = get_extractor(str(folder), precision="fp32", allow_pickle=True).extract(audio[0])
    assert np.abs(feats - states[0]).max() <= 1e-5


@pytest.mark.skipif(not os.environ.get("EMOBOX_D2V2_FULL"),
                    reason="EMOBOX_D2V2_FULL names no full-size fixture folder "
                    "(scripts/make_data2vec2_fixtures.py --full-size DIR)")
def test_full_size_emotion2vec_base_matches_funasr():
    folder = os.environ["EMOBOX_D2V2_FULL"]
    ref = np.load(Path(folder) / "reference.npz")
    feats = get_extractor(folder, precision="fp32", allow_pickle=True).extract(ref["audio_0"])
    assert feats.shape == ref["states_0"].shape and feats.shape[::2] == (13, 768)
    assert np.abs(feats - ref["states_0"]).max() <= 1e-5
