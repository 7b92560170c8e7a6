"""Extractors on tiny random models of every registry family (offline)."""

from __future__ import annotations

import numpy as np
import pytest
import tiny_models
import torch
from transformers import AutoModel

from emobox.errors import EmoboxError
from emobox.features import get_extractor
from emobox.features.ct2 import convert_whisper, write_model_bin
from emobox.features.hf import WHISPER_HOP, whisper_frames

RNG = np.random.default_rng(0)
AUDIO = [(0.1 * RNG.standard_normal(n)).astype(np.float32) for n in (16000, 11000, 20500)]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    num = (a * b).sum(-1)
    return float((num / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-12)).mean())


@pytest.mark.parametrize("family", ["wav2vec2", "hubert", "wavlm", "data2vec-audio", "mert",
                                    "w2v-bert"])
def test_hidden_states_match_the_model(tiny, family):
    ex = get_extractor(str(tiny(family)), precision="fp32")
    model = AutoModel.from_pretrained(tiny(family)).eval()
    audio = AUDIO[0] if family != "mert" else (0.1 * RNG.standard_normal(24000)).astype(
        np.float32)
    feats = ex.extract(audio)
    with torch.inference_mode():
        if family == "w2v-bert":
            inputs = ex._fe(audio, sampling_rate=16000, return_tensors="pt")
            hidden = model(inputs.input_features, output_hidden_states=True).hidden_states
        else:
            x = torch.from_numpy(audio)[None]
            if ex.adapter.normalize:
                x = (x - x.mean()) / torch.sqrt(x.var(unbiased=False) + 1e-7)
            hidden = model(x, output_hidden_states=True).hidden_states
    assert feats.shape == (len(hidden), hidden[0].shape[1], hidden[0].shape[2])
    for i, h in enumerate(hidden):
        np.testing.assert_allclose(feats[i], h[0].numpy(), atol=1e-5, rtol=1e-4)
    assert ex.sample_rate == (24000 if family == "mert" else 16000)


def test_whisper_pad30_frames_equal_the_cropped_padded_output(tiny):
    ex = get_extractor(str(tiny("whisper")), precision="fp32", whisper_mode="pad30")
    model = AutoModel.from_pretrained(tiny("whisper")).eval()
    feats = ex.extract(AUDIO[1])
    with torch.inference_mode():
        mel = ex._fe(AUDIO[1], sampling_rate=16000, return_tensors="pt").input_features
        hidden = model.encoder(mel, output_hidden_states=True).hidden_states
    keep = len(AUDIO[1]) // WHISPER_HOP  # floor: the frames wholly inside the clip
    assert feats.shape[:2] == (len(hidden), keep) and keep == 34  # 11000 samples / 320
    assert whisper_frames(319) == 1 and whisper_frames(640) == whisper_frames(959) == 2
    for i, h in enumerate(hidden):
        np.testing.assert_allclose(feats[i], h[0, :keep].numpy(), atol=1e-5, rtol=1e-4)


def test_whisper_trim_runs_on_the_real_length(tiny):
    pad = get_extractor(str(tiny("whisper")), precision="fp32", whisper_mode="pad30")
    trim = get_extractor(str(tiny("whisper")), precision="fp32", whisper_mode="trim")
    a, b = pad.extract_batch(AUDIO), trim.extract_batch(AUDIO)
    assert [x.shape for x in a] == [x.shape for x in b]
    # a trimmed batch equals each clip trimmed alone (padding is masked in attention; only
    # the last frame's conv window sees the batch's silence instead of zeros)
    for x, audio in zip(b, AUDIO):
        alone = trim.extract(audio)
        np.testing.assert_allclose(x[:, :-1], alone[:, :-1], atol=1e-4, rtol=1e-3)
        assert cosine(x, alone) > 0.999
    with pytest.raises(EmoboxError, match="whisper mode"):
        get_extractor(str(tiny("whisper")), whisper_mode="crop")


def test_clap_one_layer_of_time_frames(tiny):
    ex = get_extractor(str(tiny("clap")), precision="fp32")
    assert ex.sample_rate == 48000 and ex.layers == [0]
    feats = ex.extract((0.1 * RNG.standard_normal(48000 * 3)).astype(np.float32))
    assert feats.shape[0] == 1 and feats.shape[2] == ex.dim and feats.shape[1] >= 1


@pytest.mark.parametrize("family", tiny_models.FAMILIES)
def test_batched_bf16_is_faithful_to_single_fp32(tiny, family):
    rate = 48000 if family == "clap" else 24000 if family == "mert" else 16000
    audio = [(0.1 * RNG.standard_normal(int(n * rate / 16000))).astype(np.float32)
             for n in (16000, 11000, 20500)]
    fp32 = get_extractor(str(tiny(family)), precision="fp32")
    single = [fp32.extract(a) for a in audio]
    batched = fp32.extract_batch(audio)
    bf16 = get_extractor(str(tiny(family)), precision="bf16").extract_batch(audio)
    for s, b, h in zip(single, batched, bf16):
        assert s.shape == b.shape == h.shape
        assert cosine(s, b) > 0.9999
        assert cosine(s, h) > 0.99


def test_long_audio_is_chunked_and_stitched(tiny):
    ex = get_extractor(str(tiny("whisper")), layers="last", precision="fp32")
    long = (0.1 * RNG.standard_normal(16000 * 31)).astype(np.float32)
    feats = ex.extract(long)
    assert feats.shape == (1, 1500 + 50, ex.dim)
    np.testing.assert_allclose(feats[:, 1500:], ex.extract(long[16000 * 30:]), atol=1e-5)


def test_layer_subset_and_layer_norm(tiny):
    ex = get_extractor(str(tiny("wavlm")), layers="0,-1", precision="fp32", layer_norm=True)
    assert ex.layers == [0, 2]
    feats = ex.extract(AUDIO[0])
    assert feats.shape[0] == 2
    np.testing.assert_allclose(feats.mean(-1), 0, atol=1e-4)


def test_ct2_whisper_converts_to_the_same_model(tiny, tmp_path):
    model = AutoModel.from_pretrained(tiny("whisper")).eval()
    ct2 = tmp_path / "ct2"
    ct2.mkdir()
    write_model_bin(model, ct2 / "model.bin")
    converted = AutoModel.from_pretrained(convert_whisper(ct2 / "model.bin", tmp_path / "hf"))
    for name, value in model.state_dict().items():
        torch.testing.assert_close(converted.state_dict()[name], value)
    a = get_extractor(str(ct2), precision="fp32").extract(AUDIO[0])  # the CT2 folder loads directly
    np.testing.assert_allclose(a, get_extractor(str(tiny("whisper")), precision="fp32"
                                                ).extract(AUDIO[0]), atol=1e-5)


def test_handcrafted_logmel():
    ex = get_extractor("logmel")
    assert ex.extract(AUDIO[0]).shape == (1, 101, 80)


@pytest.mark.parametrize("model,match", [("no-such-model", "unknown model"),
                                         ("data2vec2-base", "pickle.*--allow-pickle")])
def test_unknown_models_are_user_errors(model, match):
    with pytest.raises(EmoboxError, match=match):
        get_extractor(model)


def test_bad_layer_spec_is_a_user_error(tiny):
    with pytest.raises(EmoboxError, match="layer 7"):
        get_extractor(str(tiny("hubert")), layers="7")
    with pytest.raises(EmoboxError, match="--layers"):
        get_extractor(str(tiny("hubert")), layers="x")


def test_store_settings_rebuild_the_same_extractor(tiny):
    from emobox.features import ExtractionSettings

    ex = get_extractor(str(tiny("whisper")), precision="bf16", whisper_mode="trim",
                       layer_norm=True)
    meta = {"identity": ex.settings.identity.to_dict(), **ex.store_meta()}
    settings = ExtractionSettings.from_meta(meta)
    assert settings == ex.settings and settings.layers == (0, 1, 2)
    again = get_extractor(settings)
    assert again.store_meta() == ex.store_meta()
    np.testing.assert_array_equal(again.extract(AUDIO[1]), ex.extract(AUDIO[1]))
