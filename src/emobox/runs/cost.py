"""The cost of a protocol before it runs: audio to extract, disk for the stores, training
frames × epochs × configurations, FLOPs, and the wall time here and on a GPU.

What a run will do is counted from the workspace where it can be (manifests, splits files,
feature stores, the results database: what is stored or trained counts as done) and from the
published figures where it cannot (`CorpusInfo` counts and hours, EmoBox's released per-fold
counts). Store sizes and extraction FLOPs come from `emobox.features.sizing`, the training
configurations and epochs from the recipe.

The time model (`Rates`, measured by `calibrate` in about a second):

* extraction: FLOPs ÷ the model-FLOP rate of a real encoder forward pass here (a WavLM with
  base's feature encoder and width and `CALIBRATION_BLOCKS` blocks, random weights, on
  `CALIBRATION_AUDIO_S` seconds of audio: the same convolutions, attention and matmuls as
  `extract` runs — its FLOPs counted by the same formula as the plan's), in float32 and, on a
  CPU with native bf16, in bf16 too: each model at the precision ``--precision auto`` gives
  its family here;
* training, per run: the head's FLOPs — ≈ 6·D·Σh per trained frame and epoch (forward and
  backward of D→h for every configuration stacked), 2·D·Σh per validation frame and epoch —
  at the rate a real sweep step reaches, plus a fixed cost per optimisation step and per
  evaluation batch (measured on `emobox.train.sweep.train_step` itself), and per epoch and
  configuration the scoring of its validation predictions (`emobox.metrics.evaluate`).

On a GPU (`GPU`): extraction at the bf16 peak, training at the float32 peak (the sweep's default
on CUDA), each × an assumed utilisation, plus an assumed cost per step — none of it measured
in this project yet.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from emobox.corpora.core.local import corpus_info, resolve_corpus
from emobox.corpora.core.registry import list_corpora
from emobox.errors import EmoboxError
from emobox.features import sizing
from emobox.features.identity import store_name
from emobox.features.registry import HANDCRAFTED, info
from emobox.manifest import read_manifest
from emobox.partition import Splits, default_scheme
from emobox.train.recipe import Recipe
from emobox.workspace import Workspace

PROTOCOLS = ("intra", "cross", "ood", "layers")
#: The encoder the extraction rate is measured on: WavLM base's front end and width, this many
#: transformer blocks, on this much audio (one forward pass ≈ 0.15–0.3 s on 2 cores).
CALIBRATION_BLOCKS = 2
CALIBRATION_AUDIO_S = 4.0
#: Share of a corpus tested when no partition of it is known (EmoBox's random-25 rule).
UNPARTITIONED_TEST = 0.25
#: The head the calibration steps: the EmoBox grid's four configurations on D = 1024.
CALIBRATION_DIM = 1024
CALIBRATION_HIDDEN = (128, 128, 256, 256)


@dataclass(frozen=True)
class Rates:
    """This machine's speeds: float32 matmul FLOP/s (for reference); the model FLOP/s of an
    encoder forward pass (extraction); the head arithmetic's FLOP/s in a sweep step; seconds
    per optimisation step and per evaluation batch besides the arithmetic, and per epoch and
    configuration (scoring its validation predictions)."""

    matmul_flop_s: float
    extract_flop_s: float
    train_flop_s: float
    step_s: float
    eval_s: float
    score_s: float = 0.0
    extract_bf16_flop_s: float | None = None  # measured where the CPU has native bf16

    def extract_rate(self, family: str) -> float:
        """The encoder rate at the precision `extract` picks here for `family` (``auto``:
        bf16 on a CPU with native bf16 for the families that stay faithful in it)."""
        from emobox.features.precision import choose_precision

        if self.extract_bf16_flop_s and choose_precision("auto", "cpu", family) == "bf16":
            return self.extract_bf16_flop_s
        return self.extract_flop_s

    def to_dict(self) -> dict[str, float | None]:
        return asdict(self)


@dataclass(frozen=True)
class GPU:
    """A GPU's speeds, as assumed (spec-sheet peaks; utilisations and step cost not measured):
    an H200 (= H100 SXM compute): 989 TFLOP/s dense bf16, 67 TFLOP/s float32 (no tensor
    cores)."""

    bf16_tflops: float = 989.0
    fp32_tflops: float = 67.0
    extract_utilisation: float = 0.4
    train_utilisation: float = 0.5
    step_s: float = 1e-3

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def encoder_flop_s(budget: float = 0.4, precision: str = "fp32") -> float:
    """Model FLOP/s of an encoder forward pass here at `precision` (``fp32``, or ``bf16`` as
    `extract` runs it on a CPU: bf16 weights with float32 islands; see the module's
    docstring): the best of repeated passes within about `budget` seconds, after a warm-up
    pass."""
    import torch
    from transformers import WavLMConfig, WavLMModel

    from emobox.audio import TARGET_SAMPLE_RATE
    from emobox.features import hf
    from emobox.features.families import adapter_of
    from emobox.features.precision import apply_precision, torch_dtype

    config = WavLMConfig(num_hidden_layers=CALIBRATION_BLOCKS)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = WavLMModel(config).eval()
    hf.fast_wavlm_attention(model)
    apply_precision(model, precision, "cpu")
    audio = torch.randn(1, int(CALIBRATION_AUDIO_S * TARGET_SAMPLE_RATE)).to(
        torch_dtype(precision))
    adapter = adapter_of("wavlm")
    flop = CALIBRATION_AUDIO_S * adapter.flop_per_second(
        adapter.arch_from_config(config.to_dict()), TARGET_SAMPLE_RATE, CALIBRATION_AUDIO_S)
    with torch.inference_mode():
        return flop / _best(lambda: model(audio), budget)


def _best(fn, budget: float) -> float:
    """The fastest of `fn`'s timed calls (at least two, within about `budget` seconds, after
    one untimed call)."""
    fn()
    times, start = [], time.perf_counter()
    while len(times) < 2 or time.perf_counter() - start < budget:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def calibrate(seconds: float = 1.0) -> Rates:
    """Measure `Rates` here in about `seconds` (plus building the encoder): the matmul rate,
    an encoder forward pass, then the real sweep step (`train_step` of the EmoBox grid's four
    stacked heads, D = 1024) on a small and a large packed batch, and an evaluation forward
    pass."""
    import torch

    from emobox.features.precision import native_bf16
    from emobox.metrics import evaluate
    from emobox.train.head import StackedHeads
    from emobox.train.optim import StackedAdam
    from emobox.train.sweep import train_step

    n = 2048
    a, b = torch.randn(n, n), torch.randn(n, n)
    matmul = 2 * n**3 / _best(lambda: a @ b, 0.15 * seconds)
    extract = encoder_flop_s(0.3 * seconds)
    extract_bf16 = encoder_flop_s(0.3 * seconds, "bf16") if native_bf16() else None
    heads = StackedHeads("emobox", CALIBRATION_DIM, 4, list(CALIBRATION_HIDDEN))
    optimiser = StackedAdam(heads.trainable(), [1e-4] * len(CALIBRATION_HIDDEN))
    smoothing = torch.zeros(len(CALIBRATION_HIDDEN))
    target = torch.zeros(32, dtype=torch.long)

    def batch(frames: int):
        lengths = torch.full((32,), frames // 32)
        return (torch.randn(int(lengths.sum()), CALIBRATION_DIM),
                torch.repeat_interleave(torch.arange(32), lengths), lengths)

    small, large = batch(32), batch(32 * 64)

    def step(data) -> None:
        train_step(heads, optimiser, data, target, smoothing, grad_clip=None, factor=1.0)

    t_small = _best(lambda: step(small), 0.15 * seconds)
    t_large = _best(lambda: step(large), 0.4 * seconds)
    with torch.no_grad():
        t_eval = _best(lambda: heads.packed(*small), 0.1 * seconds)
    labels = [str(i) for i in range(8)]
    truth = [labels[i % 8] for i in range(32)]
    t_score = _best(lambda: evaluate(truth, truth[::-1], labels), 0.05 * seconds)
    per_frame = max(t_large - t_small, 1e-9) / (len(large[0]) - len(small[0]))
    return Rates(matmul, extract, head_flop(CALIBRATION_DIM, sum(CALIBRATION_HIDDEN))
                 / per_frame, t_small, t_eval, t_score, extract_bf16)


def head_flop(dim: int, hidden_sum: int, *, train: bool = True) -> float:
    """FLOPs of the stacked head per frame and epoch: ≈ 6·D·Σh trained, 2·D·Σh evaluated."""
    return (6 if train else 2) * dim * hidden_sum


# -- what the protocols train --------------------------------------------------------------
@dataclass(frozen=True)
class Part:
    """Utterances and seconds of audio."""

    utterances: int
    seconds: float

    def scaled(self, fraction: float) -> Part:
        return Part(round(self.utterances * fraction), self.seconds * fraction)

    def frames(self, rate: float | None) -> float:
        """Stored frames at `rate` per second (None: one per utterance)."""
        return self.seconds * rate if rate else float(self.utterances)


@dataclass(frozen=True)
class Run:
    """One training run of a protocol (one fold, one source corpus or one layer)."""

    corpus: str
    fold: str
    train: Part
    valid: Part
    test: Part
    layer: int | None = None


@dataclass
class Corpus:
    """A corpus as the plan sees it: its utterances' lengths when prepared, else the published
    count and hours."""

    name: str
    utterances: int
    seconds: float
    prepared: bool
    lengths: dict[str, float] = field(default_factory=dict)
    assumed_length: bool = False

    @property
    def mean_seconds(self) -> float:
        return self.seconds / self.utterances if self.utterances else 0.0

    def part(self, keys: Sequence[str] | int) -> Part:
        if isinstance(keys, int):
            return Part(keys, keys * self.mean_seconds)
        return Part(len(keys), sum(self.lengths.get(k, self.mean_seconds) for k in keys))


def load_corpus(ws: Workspace, name: str) -> Corpus:
    """A prepared corpus from its manifest, else a registry corpus from its `CorpusInfo`."""
    if ws.manifest(name).is_file():
        lengths = {u.key: u.length for u in read_manifest(ws.manifest(name))}
        return Corpus(name, len(lengths), sum(lengths.values()), True, lengths)
    info = corpus_info(ws, name)
    if not info.n_utterances:
        raise EmoboxError(f"{name}: not prepared, and its record has no published utterance "
                          "count to plan from (prepare it first)")
    if not info.hours:  # a count without hours: the registry's mean utterance length
        return Corpus(name, info.n_utterances, info.n_utterances * mean_published_seconds(),
                      False, assumed_length=True)
    return Corpus(name, info.n_utterances, info.hours * 3600, False)


def mean_published_seconds() -> float:
    """Seconds per utterance over the registry's corpora that publish count and hours."""
    known = [c.info for c in list_corpora() if c.info.n_utterances and c.info.hours]
    return sum(i.hours * 3600 for i in known) / sum(i.n_utterances for i in known)


def plan_corpora(ws: Workspace, names: Sequence[str] | None, group: str | None) -> list[str]:
    """The corpora a protocol would run on, prepared or not: the names given plus a group
    (``emobox``/``serval``: the registry's corpora of that protocol; ``all``: every registry
    corpus and every prepared one)."""
    chosen = [resolve_corpus(ws, c) for c in names or []]
    if group is not None:
        if group not in ("all", "emobox", "serval"):
            raise EmoboxError(f"--corpora takes all, emobox or serval, not {group!r}")
        chosen += [c.name for c in list_corpora(None if group == "all" else group)]
        root = ws.root / "corpora"
        if group == "all" and root.is_dir():
            chosen += sorted(p.name for p in root.iterdir() if (p / "manifest.jsonl").is_file())
    chosen = list(dict.fromkeys(chosen))
    if not chosen:
        raise EmoboxError("no corpora: name them, or pass --corpora all|emobox|serval")
    return chosen


def folds(ws: Workspace, corpus: Corpus, scheme: str, recipe: Recipe) -> list[Run]:
    """The folds of `scheme`: from the splits file when the corpus is prepared and
    partitioned, else EmoBox's released per-fold counts, else one fold testing
    `UNPARTITIONED_TEST` of it. A fold without validation gets `recipe.valid_fraction` of its
    train part, as the run carves it."""
    path = ws.splits(corpus.name, scheme)
    released = corpus_info(ws, corpus.name).emobox_partition if scheme == "emobox" else None
    if corpus.prepared and path.is_file():
        splits = Splits.load(path)
        parts = {name: (corpus.part(f.train), corpus.part(f.valid), corpus.part(f.test))
                 for name, f in splits.folds.items()}
    elif released is not None:
        parts = {name: _released_parts(corpus, counts)
                 for name, counts in released["counts"].items()}
    else:
        whole = Part(corpus.utterances, corpus.seconds)
        parts = {"1": (whole.scaled(1 - UNPARTITIONED_TEST), Part(0, 0.0),
                       whole.scaled(UNPARTITIONED_TEST))}
    runs = []
    for name, (train, valid, test) in parts.items():
        if not valid.utterances and recipe.valid_fraction:
            valid = train.scaled(recipe.valid_fraction)
            train = Part(train.utterances - valid.utterances, train.seconds - valid.seconds)
        runs.append(Run(corpus.name, name, train, valid, test))
    return runs


def _released_parts(corpus: Corpus, counts: dict[str, int | None]) -> tuple[Part, Part, Part]:
    """A released fold's parts from its counts; a count not published (MSP-Podcast's train)
    is the rest of the corpus."""
    known = sum(n for n in counts.values() if n is not None)
    return tuple(corpus.part(int(counts[p]) if counts.get(p) is not None
                             else max(corpus.utterances - known, 0))
                 for p in ("train", "valid", "test"))  # type: ignore[return-value]


def protocol_runs(ws: Workspace, protocol: str, corpora: Sequence[Corpus], recipe: Recipe, *,
                  scheme: str | None, frame_layers: Sequence[int]) -> list[Run]:
    """Every training run of `protocol` on `corpora`: intra — every fold; layers — every fold
    of every layer whose frames are stored; ood — each corpus's first fold; cross — each
    corpus whole (less the recipe's validation share) as the training side."""
    if protocol not in PROTOCOLS:
        raise EmoboxError(f"unknown protocol {protocol!r} (one of {', '.join(PROTOCOLS)})")
    runs: list[Run] = []
    for c in corpora:
        if protocol == "cross":
            whole = Part(c.utterances, c.seconds)
            valid = whole.scaled(recipe.valid_fraction)
            runs.append(Run(c.name, "all", Part(whole.utterances - valid.utterances,
                                                whole.seconds - valid.seconds), valid, whole))
            continue
        these = folds(ws, c, scheme or default_scheme(c.name), recipe)
        if protocol == "ood":
            runs.append(these[0])
        elif protocol == "layers":
            runs += [Run(r.corpus, r.fold, r.train, r.valid, r.test, layer)
                     for layer in frame_layers for r in these]
        else:
            runs += these
    return runs


# -- the plan ------------------------------------------------------------------------------
@dataclass
class Line:
    """The cost of one model on one corpus (what is left to do; done work is counted)."""

    model: str
    corpus: str
    source: str
    audio_hours: float
    extract_hours: float
    store_bytes: int
    store_done: bool
    extract_flop: float
    runs: int
    runs_done: int
    train_frames: float
    epochs: int
    configs: int
    train_flop: float
    steps: int
    seconds_here: float
    seconds_gpu: float
    extract_seconds_here: float = 0.0
    train_seconds_here: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


TOTALS = ("audio_hours", "extract_hours", "store_bytes", "extract_flop", "runs", "runs_done",
          "train_frames", "train_flop", "steps", "seconds_here", "seconds_gpu",
          "extract_seconds_here", "train_seconds_here")


def total(lines: Sequence[Line]) -> dict[str, float]:
    """The sums of `TOTALS` over `lines`."""
    return {k: sum(getattr(line, k) for line in lines) for k in TOTALS}


def _done_runs(ws: Workspace, protocol: str, model: str, recipe: Recipe) -> set[tuple]:
    """(corpus, fold, layer) of the runs the results database holds for this model and
    recipe (same epochs and grid)."""
    if not ws.results.is_file():
        return set()
    from emobox.runs.results import ResultsDB

    wanted = recipe.hparams()
    with ResultsDB(ws.results) as db:
        return {(r.key.train_corpus, r.key.fold, r.key.layer if protocol == "layers" else None)
                for r in db.runs(protocol=protocol, model=model)
                if r.key.recipe == recipe.id and all(
                    r.key.hparams.get(k) == wanted.get(k) for k in ("epochs", "grid", "head"))}


def _left_to_extract(ws: Workspace, model: str, corpus: Corpus) -> tuple[Part, bool]:
    """The utterances of `corpus` the model's store does not hold yet, and whether it is
    complete."""
    path = ws.features(store_name(model), corpus.name)
    if not (path / "index.json").is_file():
        return Part(corpus.utterances, corpus.seconds), False
    from emobox.features.store import FeatureStore

    store = FeatureStore.open(path)
    if not corpus.prepared:
        return Part(0, 0.0), True
    missing = [k for k in corpus.lengths if k not in store]
    return corpus.part(missing), not missing


def plan(ws: Workspace, protocol: str, corpora: Sequence[str], models: Sequence[str],
         recipe: Recipe, *, scheme: str | None = None, layers: str = "default",
         whisper_mode: str = "pad30", rates: Rates | None = None, gpu: GPU | None = None
         ) -> list[Line]:
    """One `Line` per (model, corpus): what `protocol` still has to extract and train
    (Whisper in ``pad30`` mode encodes 30 s windows whatever the utterance's length)."""
    from emobox.train.sweep import EVAL_BATCH

    gpu = gpu or GPU()
    loaded = [load_corpus(ws, c) for c in corpora]
    configs = recipe.configs()
    hidden = sum(int(c["hidden"]) for c in configs)
    lines = []
    for model in models:
        _, dim, rate = sizing.shape_of(model)
        family = "handcrafted" if model in HANDCRAFTED else info(model).family
        padded = whisper_mode == "pad30" and family == "whisper"
        frame_layers = sizing.frame_layers(model, layers)
        runs = protocol_runs(ws, protocol, loaded, recipe, scheme=scheme,
                             frame_layers=frame_layers)
        done = _done_runs(ws, protocol, store_name(model), recipe)
        for corpus in loaded:
            left, complete = _left_to_extract(ws, model, corpus)
            x_flop = sizing.extract_flop(model, left.seconds, left.utterances, padded=padded)
            todo = [r for r in runs if r.corpus == corpus.name
                    and (r.corpus, r.fold, r.layer) not in done]
            n_runs = sum(r.corpus == corpus.name for r in runs)

            t_frames = sum(r.train.frames(rate) for r in todo) * recipe.epochs
            v_frames = sum(r.valid.frames(rate) for r in todo) * recipe.epochs
            e_frames = sum(r.test.frames(rate) for r in todo)
            t_flop = t_frames * head_flop(dim, hidden)
            v_flop = (v_frames + e_frames) * head_flop(dim, hidden, train=False)
            steps = sum(math.ceil(r.train.utterances / int(configs[0]["batch_size"]))
                        for r in todo) * recipe.epochs
            evals = sum(math.ceil(r.valid.utterances / EVAL_BATCH) * recipe.epochs
                        + math.ceil(r.test.utterances / EVAL_BATCH) for r in todo)
            x_here = train_here = 0.0
            if rates is not None:
                x_here = x_flop / rates.extract_rate(family)
                scores = sum(recipe.epochs for r in todo if r.valid.utterances) * len(configs)
                train_here = ((t_flop + v_flop) / rates.train_flop_s + steps * rates.step_s
                              + evals * rates.eval_s + scores * rates.score_s)
            x_gpu = x_flop / (gpu.bf16_tflops * 1e12 * gpu.extract_utilisation)
            t_gpu = ((t_flop + v_flop) / (gpu.fp32_tflops * 1e12 * gpu.train_utilisation)
                     + (steps + evals) * gpu.step_s)
            lines.append(Line(
                model=model, corpus=corpus.name,
                source="manifest" if corpus.prepared else
                "published count, mean length assumed" if corpus.assumed_length else "published",
                audio_hours=corpus.seconds / 3600, extract_hours=left.seconds / 3600,
                store_bytes=sizing.store_bytes(model, corpus.seconds, corpus.utterances,
                                               layers),
                store_done=complete, extract_flop=x_flop, runs=n_runs,
                runs_done=n_runs - len(todo), train_frames=t_frames, epochs=recipe.epochs,
                configs=len(configs), train_flop=t_flop + v_flop, steps=steps,
                seconds_here=x_here + train_here, seconds_gpu=x_gpu + t_gpu,
                extract_seconds_here=x_here, train_seconds_here=train_here))
    return lines
