"""The training device: its choice and checks, the CUDA decision between holding the frames
on the GPU and streaming them (free memory mocked), the same result streamed or held, and
the matmul-precision switch."""

from __future__ import annotations

import pytest
import torch
from test_train import make_store

from emobox.errors import EmoboxError
from emobox.train import data as train_data
from emobox.train import get_recipe, train_sweep
from emobox.train.data import FeatureNorm, FrameSet
from emobox.train.device import (
    GPU_FRACTION,
    GPU_RESERVE,
    fits_on,
    matmul_precision,
    resolve_device,
)

GIB = 2**30


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    return make_store(tmp_path_factory.mktemp("toy") / "store", n=40)


def test_default_is_the_best_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device(None) == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device(None) == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("cuda:1") == torch.device("cuda:1")
    with pytest.raises(EmoboxError, match="2 CUDA device"):
        resolve_device("cuda:2")


@pytest.mark.parametrize("name", ["tpu", "gpu", "cuda:x", "CPU", ""])
def test_unknown_devices_are_one_line_errors(name):
    with pytest.raises(EmoboxError, match="cpu, cuda or cuda:N"):
        resolve_device(name)


def test_cuda_without_a_gpu_is_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(EmoboxError, match="sees no CUDA GPU"):
        resolve_device("cuda")


def test_frames_held_on_the_gpu_when_they_fit_in_its_free_memory(monkeypatch, toy):
    store, pairs = toy
    nbytes = FrameSet(store, [k for k, _ in pairs], [2], FeatureNorm("utterance")).nbytes
    assert nbytes == sum(store.n_frames(k) for k, _ in pairs) * store.dim * 4
    cuda = torch.device("cuda")
    free = (nbytes + GPU_RESERVE) / GPU_FRACTION
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (int(free) + 8, 9 * free))
    assert fits_on(cuda, nbytes, budget=0)  # the CPU budget plays no part on CUDA
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (int(free) - 8, 9 * free))
    assert not fits_on(cuda, nbytes, budget=10 * nbytes)


def test_an_h200_holds_msp_podcast_of_a_large_model_an_a100_40gb_does_not(monkeypatch):
    frames = 42 * 10**9 // 2  # MSP-Podcast, last layer of a large model: ≈ 42 GB in float16
    nbytes = frames * 4
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (139 * GIB, 141 * GIB))
    assert fits_on(torch.device("cuda:0"), nbytes, budget=0)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (39 * GIB, 40 * GIB))
    assert not fits_on(torch.device("cuda:0"), nbytes, budget=0)


def test_cpu_decision_is_the_ram_budget():
    assert fits_on(torch.device("cpu"), 10, budget=10)
    assert not fits_on(torch.device("cpu"), 11, budget=10)


def test_streamed_sweep_equals_the_held_one(monkeypatch, toy):
    store, pairs = toy
    recipe = get_recipe("emobox", epochs=3)
    kwargs = {"labels": ["A", "B"], "layer": 2, "seed": 0, "device": "cpu"}
    held = train_sweep(store, pairs[:30], pairs[30:], recipe, **kwargs)
    monkeypatch.setattr(train_data, "fits_on", lambda *a, **k: False)
    assert FrameSet(store, [k for k, _ in pairs], [2], FeatureNorm("utterance")).streaming
    streamed = train_sweep(store, pairs[:30], pairs[30:], recipe, **kwargs)
    assert [c.valid_loss for c in streamed.curves] == [c.valid_loss for c in held.curves]
    assert streamed.config == held.config


def test_sweep_checks_its_device_and_returns_a_cpu_model(toy):
    store, pairs = toy
    recipe = get_recipe("emobox", epochs=1)
    with pytest.raises(EmoboxError, match="cpu, cuda or cuda:N"):
        train_sweep(store, pairs[:30], pairs[30:], recipe, labels=["A", "B"], layer=2,
                    device="tpu")
    model = train_sweep(store, pairs[:30], pairs[30:], recipe, labels=["A", "B"], layer=2)
    assert all(p.device.type == "cpu" for p in model.head.parameters())


def test_matmul_precision_switch():
    with matmul_precision("fp32", torch.device("cpu")):
        pass
    with pytest.raises(EmoboxError, match="for CUDA"), \
            matmul_precision("tf32", torch.device("cpu")):
        pass
    with pytest.raises(EmoboxError, match="fp32, tf32, bf16"), \
            matmul_precision("fp8", torch.device("cpu")):
        pass
