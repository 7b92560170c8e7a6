"""A store knows its model (identity, one folder per model) and fits a disk (frames of the kept
layers, pooled statistics of every layer, the size checked before writing)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import tiny_models
from conftest import make_corpus
from transformers import AutoModel, WavLMConfig

from emobox.errors import EmoboxError
from emobox.features import (
    ExtractionSettings,
    FeatureStore,
    extract_corpus,
    get_extractor,
    model_identity,
    paper_model,
    store_name,
)
from emobox.features.extract import check_space
from emobox.features.registry import info
from emobox.features.sizing import store_bytes


def wavlm_13_layers(folder: Path, seed: int = 0) -> Path:
    """A tiny WavLM with 12 blocks (13 hidden states, like a base model) and real 20 ms
    frames."""
    import torch

    torch.manual_seed(seed)
    config = WavLMConfig(hidden_size=32, num_hidden_layers=12, num_attention_heads=2,
                         intermediate_size=64, conv_dim=(32, 32, 32), conv_kernel=(10, 8, 4),
                         conv_stride=(5, 8, 8), num_conv_pos_embeddings=16,
                         num_conv_pos_embedding_groups=2, num_buckets=16, max_bucket_distance=50)
    AutoModel.from_config(config).eval().save_pretrained(folder)
    return folder


def size_on_disk(path: Path) -> int:
    return sum(f.stat().st_size for f in path.iterdir() if f.is_file())


@pytest.fixture(scope="module")
def deep(tmp_path_factory):
    return wavlm_13_layers(tmp_path_factory.mktemp("deep") / "wavlm13")


def test_default_store_keeps_the_last_frames_and_every_pooled_layer(deep, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    utts = make_corpus(raw, [3.0, 2.5, 3.5, 3.0, 4.0, 2.0])
    stores = {}
    for layers in ("default", "all"):
        settings = ExtractionSettings.of(str(deep), layers=layers, precision="fp32")
        extract_corpus(get_extractor(settings), utts, raw, tmp_path / layers,
                       show_progress=False)
        stores[layers] = FeatureStore.open(tmp_path / layers)
    small, full = stores["default"], stores["all"]
    assert small.layers == [12] and small.pooled_layers == full.layers == list(range(13))
    ratio = size_on_disk(small.path) / size_on_disk(full.path)
    assert ratio <= 0.1, ratio  # issue #21: a default store ≤ 1/10 of the all-layers one
    keys = small.keys()
    for layer in (0, 5, 12):  # the linear probe's input works for any layer
        np.testing.assert_allclose(small.pooled_matrix(keys, layer, "std"),
                                   full.pooled_matrix(keys, layer, "std"), rtol=1e-3, atol=1e-4)
    np.testing.assert_array_equal(small.frames(keys[0]), full.frames(keys[0], 12))
    with pytest.raises(EmoboxError, match="layer 5 has only pooled statistics.*--layers all"):
        small.frames(keys[0], 5)
    # the size estimate is the store's size (a little above: frame rounding, meta.json)
    seconds = sum(u.length for u in utts)
    for name, store in stores.items():
        estimate = store_bytes(info(str(deep)), seconds, len(utts), name)
        assert size_on_disk(store.path) <= estimate <= 1.1 * size_on_disk(store.path)


def test_two_local_models_with_one_folder_name_get_two_stores(tmp_path):
    a = tiny_models.build("wavlm", tmp_path / "run1" / "checkpoint-500", seed=0)
    b = tiny_models.build("wavlm", tmp_path / "run2" / "checkpoint-500", seed=1)
    assert store_name(str(a)) != store_name(str(b))
    assert store_name(str(a)).startswith("checkpoint-500-")
    assert store_name(str(a)) == store_name(str(tmp_path / "run1" / ".." / "run1" /
                                                 "checkpoint-500"))
    raw = tmp_path / "raw"
    raw.mkdir()
    utts = make_corpus(raw, [0.5, 0.8])
    extract_corpus(get_extractor(str(a)), utts, raw, tmp_path / "store", show_progress=False)
    recorded = FeatureStore.open(tmp_path / "store").meta["identity"]
    assert recorded == model_identity(str(a)).to_dict() and recorded["kind"] == "local"
    with pytest.raises(EmoboxError, match=r"holds features of .*run1/checkpoint-500 "
                                          r"\(fingerprint \w+\), not of .*run2/checkpoint-500"):
        extract_corpus(get_extractor(str(b)), utts, raw, tmp_path / "store",
                       show_progress=False)
    assert len(FeatureStore.open(tmp_path / "store", model=str(a))) == 2
    with pytest.raises(EmoboxError, match="holds features of .*, not of .*run2"):
        FeatureStore.open(tmp_path / "store", model=str(b))


def test_the_store_records_exactly_the_settings(tiny, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    utts = make_corpus(raw, [0.5, 0.8])
    ex = get_extractor(ExtractionSettings.of(str(tiny("whisper")), layers="0,-1",
                                             precision="fp32", whisper_mode="trim"))
    extract_corpus(ex, utts, raw, tmp_path / "s", show_progress=False)
    store = FeatureStore.open(tmp_path / "s")
    assert store.meta["settings"] == ex.settings.record()
    assert ExtractionSettings.from_meta(store.meta) == ex.settings
    assert ex.settings.layers == (0, 2) and ex.settings.whisper_mode == "trim"
    wavlm = get_extractor(str(tiny("wavlm")), precision="fp32")
    assert wavlm.settings.whisper_mode is None  # no Whisper window for other families


def test_an_older_store_is_refused_with_what_to_do(tmp_path):
    with FeatureStore.create(tmp_path / "s", model="m", layers=[0], dim=2) as w:
        w.add("k", np.ones((1, 3, 2), np.float32))
    meta = json.loads((tmp_path / "s" / "meta.json").read_text())
    del meta["identity"]
    meta["format"] = 1
    (tmp_path / "s" / "meta.json").write_text(json.dumps(meta))
    for opening in (lambda: FeatureStore.open(tmp_path / "s"),
                    lambda: FeatureStore.create(tmp_path / "s", model="m", layers=[0], dim=2)):
        with pytest.raises(EmoboxError, match="older emobox.*run `emobox extract` again"):
            opening()


def test_size_check_refuses_a_store_that_will_not_fit(tmp_path, monkeypatch, caplog):
    raw = tmp_path / "raw"
    raw.mkdir()
    utts = make_corpus(raw, [2.0] * 10)
    settings = ExtractionSettings.of("wavlm-large")
    path = tmp_path / "ws" / "features" / settings.store_name / "c"
    need = store_bytes("wavlm-large", 20.0, 10)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage._replace(free=need - 1))
    with pytest.raises(EmoboxError, match=r"need about \d+\.\d MiB and \d+\.\d MiB are free on "
                                          r".*--force to try anyway"):
        check_space(settings, {path: utts})
    assert check_space(settings, {path: utts}, force=True) == need
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage._replace(free=need))
    assert check_space(settings, {path: utts}) == need
    assert check_space(ExtractionSettings.of("someone/unknown-model"), {path: utts}) is None


def test_paper_model_only_for_the_papers_model_and_settings(tmp_path):
    def recorded(model: str, **settings) -> dict:
        return {"identity": model_identity(model).to_dict(),
                "settings": {"precision": "fp32", "whisper_mode": None, "layer_norm": False,
                             **settings}}

    assert paper_model(recorded("microsoft/wavlm-base")) == "wavlm-base"
    assert paper_model(recorded("whisper-large-v3", whisper_mode="pad30")) == "whisper-large-v3"
    assert paper_model(recorded("whisper-large-v3", whisper_mode="trim")) is None
    assert paper_model(recorded("wavlm-base", precision="bf16")) is None
    assert paper_model(recorded("whisper-base-ct2", whisper_mode="pad30")) is None  # no paper
    impostor = tiny_models.build("wavlm", tmp_path / "wavlm-base")
    assert paper_model(recorded(str(impostor))) is None  # a folder name is not an identity


def test_clap_frame_rate_is_one_fact(tiny):
    ex = get_extractor(str(tiny("clap")), precision="fp32")
    assert ex.frame_rate == info(str(tiny("clap"))).frame_rate == 12.8
    frames = ex.extract(np.zeros(48000 * 10, np.float32)).shape[1]
    assert frames == ex.frame_rate * 10


def test_extract_refuses_before_writing_and_force_tries(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from emobox.cli import app

    raw = tmp_path / "raw"
    raw.mkdir()
    utts = make_corpus(raw, [1.0, 1.2, 0.8, 1.1])
    table = tmp_path / "t.csv"
    table.write_text("path,emotion,speaker\n" + "".join(
        f"{u.wav},{'neu' if i % 2 else 'ang'},s{i % 2}\n" for i, u in enumerate(utts)))
    ws = str(tmp_path / "ws")
    runner = CliRunner()
    assert runner.invoke(app, ["prepare", "c", "--table", str(table), "--raw", str(raw),
                               "-w", ws]).exit_code == 0
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage._replace(free=1000))
    refused = runner.invoke(app, ["extract", "c", "-m", "logmel", "-w", ws])
    assert isinstance(refused.exception, EmoboxError)  # `emobox` prints it as one line, exit 2
    assert "the logmel stores need about" in str(refused.exception)
    assert "--force to try anyway" in str(refused.exception)
    assert not (tmp_path / "ws" / "features" / "logmel" / "c").exists()  # nothing written
    forced = runner.invoke(app, ["extract", "c", "-m", "logmel", "-w", ws, "--force", "--json"])
    assert forced.exit_code == 0, forced.output
    assert len(FeatureStore.open(tmp_path / "ws" / "features" / "logmel" / "c")) == 4
