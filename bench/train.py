"""Training benchmark: the EmoBox sweep by emobox vs a loop that mirrors the released recipe.

    python bench/train.py [--quick] [--work DIR] [--output FILE]

One fold (leave-one-speaker-out) of a demo corpus, all-layer features of a transformers model
(a WavLM built from its config: random weights cost what real ones cost), training on the
last layer. Both sides run the full EmoBox sweep — 4 configurations (lr ∈ {1e-3, 1e-4} ×
hidden ∈ {128, 256}) × 100 epochs, validation every epoch, selection on validation UA:

* baseline — as EmoBox's released recipe runs it: one ``.npy`` per utterance read through a
  ``DataLoader`` every epoch, features layer-normalised per utterance, ``torch.optim.Adam``,
  the configurations trained one after another, batch 32;
* emobox — `emobox.train.train_sweep`: frames normalised once and held in memory, the four
  configurations trained side by side on the same batches.

Both use the same initialisation and batch order, so their UAs should agree. Baseline and
emobox repetitions are interleaved (ABAB) and the medians kept. Writes
bench/results/train.local.json (or --output) and prints it. Not a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from common import write_results  # noqa: E402

from emobox.features import FeatureStore, extract_corpus, get_extractor  # noqa: E402
from emobox.features.precision import NATIVE_BF16_FLAGS, cpu_flags  # noqa: E402
from emobox.metrics import evaluate  # noqa: E402
from emobox.train import get_recipe, train_sweep  # noqa: E402
from emobox.train.optim import linear_warmup  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "train.local.json"


def build(work: Path, quick: bool):
    """Demo corpus, all-layer WavLM features, one LOSO fold: (store, train, valid, test)."""
    from transformers import WavLMConfig, WavLMModel

    from emobox.corpora import get_corpus, prepare
    from emobox.demo.synth import DemoSpec, synthesise_demo
    from emobox.partition import partition
    from emobox.workspace import Workspace

    folder = synthesise_demo(work / "raw", DemoSpec(("en",), 4, 6 if quick else 12),
                             show_progress=False)["demo-en"]
    ws = Workspace(work / "ws")
    utts = prepare(get_corpus("demo-en"), folder, ws, show_progress=False).utterances
    model_dir = work / "wavlm"
    if not (model_dir / "config.json").exists():
        torch.manual_seed(0)
        WavLMModel(WavLMConfig(num_hidden_layers=4)).save_pretrained(model_dir)
    store_path = work / "store"
    if not (store_path / "index.json").exists():
        extract_corpus(get_extractor(str(model_dir), precision="fp32"), utts, folder,
                       store_path, show_progress=False)
    fold = partition(utts, "loso", seed=0).folds["1"]
    label = {u.key: u.label for u in utts}
    parts = {p: [(k, label[k]) for k in keys] for p, keys in fold.to_dict().items()}
    return FeatureStore.open(store_path), parts["train"], parts["valid"], parts["test"]


class NpyDataset(torch.utils.data.Dataset):
    """One .npy per utterance, read on every access (the released recipe's data path)."""

    def __init__(self, folder: Path, pairs, labels):
        self.folder, self.pairs, self.index = folder, pairs, {y: i for i, y in enumerate(labels)}

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, i):
        key, label = self.pairs[i]
        x = torch.from_numpy(np.load(self.folder / f"{key}.npy"))
        return torch.nn.functional.layer_norm(x, x.shape), self.index[label]


def collate(items):
    xs, ys = zip(*items)
    lengths = torch.tensor([x.shape[0] for x in xs])
    x = torch.nn.utils.rnn.pad_sequence(list(xs), batch_first=True)
    return x, torch.arange(x.shape[1])[None] < lengths[:, None], torch.tensor(ys)


class Head(torch.nn.Module):
    def __init__(self, dim, classes, hidden):
        super().__init__()
        self.proj, self.out = torch.nn.Linear(dim, hidden), torch.nn.Linear(hidden, classes)

    def forward(self, x, mask):
        h = torch.relu(self.proj(x)) * mask[..., None]
        return self.out(h.sum(1) / mask.sum(1, keepdim=True))


def baseline(folder: Path, train, valid, labels, dim, recipe, seed=0):
    """The four configurations one after another, data read from .npy files every epoch."""
    best = (-1.0, 0.0, None, None)
    train_ds, valid_ds = NpyDataset(folder, train, labels), NpyDataset(folder, valid, labels)
    factors = linear_warmup(recipe.epochs, recipe.warmup_epochs)
    for config in recipe.configs():
        torch.manual_seed(seed)
        head = Head(dim, len(labels), config["hidden"])
        opt = torch.optim.Adam(head.parameters(), lr=config["lr"])
        generator = torch.Generator().manual_seed(seed)
        for epoch in range(recipe.epochs):
            for group in opt.param_groups:
                group["lr"] = config["lr"] * factors[epoch]
            order = torch.randperm(len(train), generator=generator).tolist()
            batches = [order[i:i + 32] for i in range(0, len(order), 32)]
            head.train()
            for x, mask, y in torch.utils.data.DataLoader(train_ds, batch_sampler=batches,
                                                          collate_fn=collate):
                loss = torch.nn.functional.cross_entropy(head(x, mask), y)
                opt.zero_grad()
                loss.backward()
                if recipe.grad_clip:  # SpeechBrain's Brain.check_gradients
                    torch.nn.utils.clip_grad_norm_(head.parameters(), recipe.grad_clip)
                opt.step()
            head.eval()
            preds, losses = [], []
            with torch.no_grad():
                for x, mask, y in torch.utils.data.DataLoader(valid_ds, batch_size=64,
                                                              collate_fn=collate):
                    logits = head(x, mask)
                    losses.append(float(torch.nn.functional.cross_entropy(
                        logits, y, reduction="sum")))
                    preds += logits.argmax(-1).tolist()
            ua = evaluate([y for _, y in valid], [labels[i] for i in preds], labels)["ua"]
            loss = sum(losses) / len(valid)
            if (ua, -loss) > (best[0], -best[1]):
                best = (ua, loss, config, {k: v.clone() for k, v in head.state_dict().items()})
    head = Head(dim, len(labels), best[2]["hidden"])
    head.load_state_dict(best[3])
    return head, best[2]


def test_ua_baseline(head, folder, test, labels):
    ds = NpyDataset(folder, test, labels)
    preds = []
    with torch.no_grad():
        for x, mask, _ in torch.utils.data.DataLoader(ds, batch_size=64, collate_fn=collate):
            preds += head.eval()(x, mask).argmax(-1).tolist()
    return evaluate([y for _, y in test], [labels[i] for i in preds], labels)["ua"]


def compute_floor(store, train, labels, layer, recipe, epochs: int = 10) -> float:
    """Seconds per 100 epochs of the bare arithmetic of the four configurations — forward and
    backward of the head on frames already in memory, no data loading, no validation — run
    one configuration after another: the floor no data pipeline can beat in float32."""
    from emobox.train.data import FeatureNorm, FrameSet

    data = FrameSet(store, [k for k, _ in train], [layer], FeatureNorm("utterance"))
    y = torch.tensor([labels.index(label) for _, label in train])
    start = time.perf_counter()
    for config in recipe.configs():
        torch.manual_seed(0)
        head = Head(store.dim, len(labels), config["hidden"])
        opt = torch.optim.Adam(head.parameters(), lr=config["lr"])
        for _ in range(epochs):
            order = torch.randperm(len(train)).tolist()
            for i in range(0, len(order), 32):
                idx = order[i:i + 32]
                x, segments, lengths = data.packed(idx)
                h = torch.relu(head.proj(x))
                pooled = h.new_zeros(len(idx), h.shape[1]).index_add_(0, segments, h)
                logits = head.out(pooled / lengths[:, None])
                loss = torch.nn.functional.cross_entropy(logits, y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
    return (time.perf_counter() - start) * 100 / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller corpus, 2 repetitions")
    parser.add_argument("--work", type=Path, default=None, help="scratch folder")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON")
    args = parser.parse_args()
    started = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="emobox-bench-train-"))
    store, train, valid, test = build(work, args.quick)
    labels = sorted({y for _, y in train})
    layer = store.layers[-1]
    npy = work / "npy"
    npy.mkdir(exist_ok=True)
    for key in store:
        np.save(npy / f"{key}.npy", np.asarray(store.frames(key, layer), dtype=np.float32))
    recipe = get_recipe("emobox")
    times: dict[str, list[float]] = {"baseline": [], "emobox": []}
    ua: dict[str, float] = {}
    for _ in range(2 if args.quick else 3):  # ABAB: interleaved, medians kept
        start = time.perf_counter()
        head, base_config = baseline(npy, train, valid, labels, store.dim, recipe)
        times["baseline"].append(time.perf_counter() - start)
        ua["baseline"] = test_ua_baseline(head, npy, test, labels)
        start = time.perf_counter()
        model = train_sweep(store, train, valid, recipe, labels=labels, layer=layer)
        times["emobox"].append(time.perf_counter() - start)
        predicted, _ = model.predict(store, [k for k, _ in test])
        ua["emobox"] = evaluate([y for _, y in test], predicted, labels)["ua"]
    base_s, ours_s = statistics.median(times["baseline"]), statistics.median(times["emobox"])
    floor_s = compute_floor(store, train, labels, layer, recipe)
    res = {
        "quick": args.quick,
        "cpu": {"flags": {f: f in cpu_flags() for f in (*NATIVE_BF16_FLAGS, "avx512f")},
                "cores": os.cpu_count(), "torch": torch.__version__,
                "threads": torch.get_num_threads()},
        "model": "WavLM (WavLMConfig(num_hidden_layers=4), random weights), last layer, dim "
                 f"{store.dim}",
        "fold": {"train": len(train), "valid": len(valid), "test": len(test)},
        "sweep": "lr {1e-3, 1e-4} x hidden {128, 256}, 100 epochs, validation every epoch",
        "baseline_s": round(base_s, 2), "emobox_s": round(ours_s, 2),
        "baseline_runs_s": [round(t, 2) for t in times["baseline"]],
        "emobox_runs_s": [round(t, 2) for t in times["emobox"]],
        "speedup_vs_baseline": round(base_s / ours_s, 1),
        "compute_floor_s": round(floor_s, 2),
        "emobox_over_floor": round(ours_s / floor_s, 2),
        "ua_baseline": round(ua["baseline"], 4), "ua_emobox": round(ua["emobox"], 4),
        "chosen_baseline": {k: base_config[k] for k in ("lr", "hidden")},
        "chosen_emobox": {k: model.config[k] for k in ("lr", "hidden")},
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "goals": {"speedup_vs_baseline": 20, "ua_difference_max_points": 1.0},
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    write_results(args.output, res)


if __name__ == "__main__":
    main()
