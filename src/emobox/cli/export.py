"""`emobox export corpus|features|head`: a corpus fold to Hugging Face datasets, lhotse,
audformat or CSV; features to .npy or Parquet; a trained head with its model card."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from emobox.cli.app import app, out
from emobox.cli.options import (
    CorpusArgument,
    SchemeOption,
    WorkspaceOption,
    prepared,
    scheme_for,
    workspace_of,
)
from emobox.cli.runs import RunArgument, _db, _find

export_app = typer.Typer(help="Export corpora, features and trained heads to other tools.",
                         no_args_is_help=True)
app.add_typer(export_app, name="export")
OutOption = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]


@export_app.command("corpus")
def export_corpus_command(
    corpus: CorpusArgument,
    to: Annotated[str, typer.Option("--to", help="hf (Hugging Face datasets), lhotse, "
                                    "audformat (nkululeko, audb) or csv.")],
    out_dir: OutOption,
    scheme: SchemeOption = None,
    fold: Annotated[str, typer.Option(help="The fold whose train / valid / test become the "
                                      "parts.")] = "1",
    space: Annotated[str, typer.Option(help="Label space: native, shared4, serval8 or a "
                                       "mapping file.")] = "native",
    workspace: WorkspaceOption = None,
) -> None:
    """Export one fold of a prepared corpus (train, validation, test) to another tool's format."""
    from emobox.corpora import raw_root_of
    from emobox.errors import EmoboxError
    from emobox.interop.exports import export_corpus
    from emobox.labels import apply_label_space
    from emobox.manifest import read_manifest
    from emobox.partition import Splits

    ws = workspace_of(workspace)
    name = prepared(ws, corpus)
    utts = read_manifest(ws.manifest(name))
    if space != "native":
        utts = apply_label_space(utts, space)[0]
    splits = Splits.load(ws.splits(name, scheme_for(name, scheme)))
    if fold not in splits.folds:
        raise EmoboxError(f"{name}: no fold {fold!r} (folds: {', '.join(splits.folds)})")
    by_key = {u.key: u for u in utts}
    parts = {p: [by_key[k] for k in keys if k in by_key]
             for p, keys in splits.folds[fold].to_dict().items()}
    labels = sorted({u.label for u in utts})
    path = export_corpus(to, parts, raw_root_of(ws, name), out_dir, labels=labels)
    counts = ", ".join(f"{p} {len(v)}" for p, v in parts.items())
    out.print(f"{name} fold {fold} ({counts}) → {to} in {path}", soft_wrap=True)


@export_app.command("features")
def export_features_command(
    corpus: CorpusArgument,
    model: Annotated[str, typer.Option("--model", "-m", help="The model of the store.")],
    out_dir: OutOption,
    layer: Annotated[int | None, typer.Option(help="Layer (default: the last stored).",
                                              show_default=False)] = None,
    to: Annotated[str, typer.Option("--to", help="npy (one array per utterance plus "
                                    "keys.txt) or parquet (pooled mean and std per utterance "
                                    "with the manifest's columns).")] = "npy",
    workspace: WorkspaceOption = None,
) -> None:
    """Export a layer of a feature store."""
    import numpy as np

    from emobox.errors import EmoboxError
    from emobox.features import FeatureStore, store_name
    from emobox.manifest import read_manifest

    ws = workspace_of(workspace)
    name = prepared(ws, corpus)
    store = FeatureStore.open(ws.features(store_name(model), name))
    out_dir.mkdir(parents=True, exist_ok=True)
    if to == "npy":
        for key in store:
            np.save(out_dir / f"{key}.npy", np.asarray(store.frames(key, layer), np.float32))
        (out_dir / "keys.txt").write_text("\n".join(store.keys()) + "\n", encoding="utf-8")
    elif to == "parquet":
        frame = store.to_pandas(layer, manifest=read_manifest(ws.manifest(name)))
        try:
            frame.to_parquet(out_dir / f"{name}.parquet")
        except ImportError:
            raise EmoboxError("Parquet export needs pyarrow: pip install 'emobox[parquet]'"
                              ) from None
    else:
        raise EmoboxError(f"--to must be npy or parquet, not {to!r}")
    out.print(f"{len(store)} utterances of {store.model} → {out_dir}", soft_wrap=True)


@export_app.command("head")
def export_head_command(run: RunArgument, output: OutOption,
                        workspace: WorkspaceOption = None) -> None:
    """A run's trained head as the Hugging Face Hub lays a model out: model.safetensors,
    config.json and a README.md model card (data, protocol, scheme, fold, metrics with 95 %
    intervals, the upstream model and its revision)."""
    import shutil

    from emobox.errors import EmoboxError
    from emobox.metrics import bootstrap_ci
    from emobox.train.card import model_card

    with _db(workspace) as db:
        r = _find(db, run)
        source = db.heads_dir / r.info.get("head", r.run_id)
        pairs = db.predictions(r.id)
    if not (source / "config.json").is_file():
        raise EmoboxError(f"run {r.run_id} has no saved head in {source}")
    output.mkdir(parents=True, exist_ok=True)
    for name in ("model.safetensors", "config.json"):
        shutil.copy2(source / name, output / name)
    intervals = {m: bootstrap_ci([p[1] for p in pairs], [p[2] for p in pairs],
                                 r.metrics.get("labels"), metric=m)
                 for m in ("ua", "wa", "macro_f1")} if pairs else {}
    (output / "README.md").write_text(model_card(r, intervals), encoding="utf-8")
    out.print(f"head of run {r.run_id} → {output}", soft_wrap=True)
