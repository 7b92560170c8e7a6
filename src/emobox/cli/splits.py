"""`emobox partition`, `emobox splits show|import|export` and `emobox balance`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from emobox.cli.app import JsonOption, WorkspaceOption, app, out, print_json, workspace_of
from emobox.corpora import get_corpus
from emobox.crosscorpus import TRACK2, BalancedSet, balanced_test_set, read_track2
from emobox.emobox_format import read_emobox, read_label_map, write_emobox
from emobox.errors import EmoboxError
from emobox.manifest import read_manifest, write_manifest
from emobox.partition import SCHEMES, Fold, Splits, describe_splits, partition

SeedOption = Annotated[int, typer.Option(help="Random seed.")]
SchemeOption = Annotated[str, typer.Option(help="Partition scheme: emobox, paper, official, "
                                           "loso, speaker-kfold, stratified, file.")]

splits_app = typer.Typer(help="Inspect, import and export partitions.", no_args_is_help=True)
app.add_typer(splits_app, name="splits")


def _corpus_name(corpus: str) -> str:
    try:
        return get_corpus(corpus).name
    except EmoboxError:
        return corpus  # a corpus imported from elsewhere, not in the registry


@app.command("partition")
def partition_command(
    corpus: Annotated[str, typer.Argument(help="A prepared corpus.")],
    scheme: SchemeOption = "speaker-kfold",
    k: Annotated[int, typer.Option(help="Folds for speaker-kfold.")] = 5,
    test_fraction: Annotated[float, typer.Option(help="Test share per label for "
                                                 "stratified and paper.")] = 0.25,
    file: Annotated[Path | None, typer.Option("--file", help="Key lists for --scheme file: a "
                                              "splits JSON or an EmoBox data folder.")] = None,
    valid_fraction: Annotated[float, typer.Option(help="Share of each fold's train held out "
                                                  "for model selection.")] = 0.2,
    name: Annotated[str | None, typer.Option(help="Save as splits/<name>.json "
                                             "(default: the scheme).")] = None,
    seed: SeedOption = 0,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Split a prepared corpus into folds of train / valid / test keys."""
    corpus = _corpus_name(corpus)
    ws = workspace_of(workspace)
    if scheme not in SCHEMES:
        raise EmoboxError(f"unknown scheme {scheme!r} (available: {', '.join(sorted(SCHEMES))})")
    utts = read_manifest(ws.manifest(corpus))
    params: dict[str, Any] = {
        "speaker-kfold": {"k": k}, "stratified": {"test_fraction": test_fraction},
        "paper": {"test_fraction": test_fraction, "corpus": corpus},
        "emobox": {"corpus": corpus}, "official": {"corpus": corpus},
        "file": {"path": str(file) if file else None},
    }.get(scheme, {})
    splits = partition(utts, scheme, seed=seed, valid_fraction=valid_fraction, **params)
    path = splits.save(ws.splits(corpus, name or scheme))
    if json_output:
        print_json({"splits": str(path), "speaker_independent": splits.speaker_independent,
                    "notes": splits.notes,
                    **{f: {p: len(v) for p, v in fold.to_dict().items()}
                       for f, fold in splits.folds.items()}})
        return
    table = Table(title=f"{corpus}: {scheme} → {path}")
    for col in ("fold", "train", "valid", "test"):
        table.add_column(col, justify="right")
    for fold_name, fold in splits.folds.items():
        table.add_row(fold_name, str(len(fold.train)), str(len(fold.valid)), str(len(fold.test)))
    out.print(table)
    for note in splits.notes:
        out.print(f"note: {note}")


@splits_app.command("show")
def show_command(
    corpus: Annotated[str, typer.Argument(help="A prepared corpus.")],
    scheme: SchemeOption = "speaker-kfold",
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Per fold: counts per label and speaker, test share, speaker overlap."""
    corpus = _corpus_name(corpus)
    ws = workspace_of(workspace)
    summary = describe_splits(Splits.load(ws.splits(corpus, scheme)),
                              read_manifest(ws.manifest(corpus)))
    if json_output:
        print_json(summary)
    else:
        claim = "speaker-independent" if summary["speaker_independent"] else "speaker-dependent"
        out.print(f"{corpus}: {summary['scheme']} ({claim})")
        for note in summary["notes"]:
            out.print(f"note: {note}")
        for name, fold in summary["folds"].items():
            labels = sorted({lab for part in fold["labels"].values() for lab in part})
            table = Table(title=f"fold {name}: test share {fold['test_share']:.1%}, "
                          f"{len(fold['speakers']['test'])} test speakers, overlap: "
                          f"{', '.join(fold['speaker_overlap']) or 'none'}")
            table.add_column("part")
            for lab in labels:
                table.add_column(lab, justify="right")
            table.add_column("speakers", justify="right")
            table.add_column("total", justify="right")
            for part in ("train", "valid", "test"):
                table.add_row(part, *(str(fold["labels"][part].get(lab, 0)) for lab in labels),
                              str(len(fold["speakers"][part])), str(fold["sizes"][part]))
            out.print(table)
    bad = [n for n, f in summary["folds"].items() if not f["overlap_ok"]]
    if bad:
        raise EmoboxError(f"speaker-independent splits share speakers in fold(s) "
                          f"{', '.join(bad)}")


@splits_app.command("import")
def import_command(
    folder: Annotated[Path, typer.Argument(help="An EmoBox data/<corpus> folder.")],
    corpus: Annotated[str | None, typer.Option(help="Corpus name (default: the folder "
                                               "name).")] = None,
    name: Annotated[str, typer.Option(help="Save the folds as splits/<name>.json.")] = "emobox",
    manifest: Annotated[bool, typer.Option(help="Also write the manifest (replacing one "
                                           "written by prepare).")] = False,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Read EmoBox's released metadata (jsonl, folds, label map, stm speakers)."""
    data = read_emobox(folder, corpus)
    ws = workspace_of(workspace)
    target = ws.manifest(data.corpus)
    if manifest or not target.is_file():
        write_manifest(target, data.utterances)
    else:
        known = {u.key for u in read_manifest(target)}
        missing = [k for f in data.splits.folds.values() for k in f.test + f.train
                   if k not in known]
        if missing:
            raise EmoboxError(f"{target}: key {missing[0]!r} of the EmoBox folds is not in the "
                              f"manifest ({len(missing)} missing; pass --manifest to replace it)")
    (ws.corpus_dir(data.corpus) / "label_map.json").write_text(
        json.dumps(data.label_map, indent=4) + "\n", encoding="utf-8")
    path = data.splits.save(ws.splits(data.corpus, name))
    result = {"corpus": data.corpus, "utterances": len(data.utterances), "splits": str(path),
              "folds": {n: {p: len(v) for p, v in f.to_dict().items()}
                        for n, f in data.splits.folds.items()}, "notes": data.notes}
    if json_output:
        print_json(result)
    else:
        out.print(f"{data.corpus}: {len(data.utterances)} utterances, "
                  f"{len(data.splits.folds)} folds → {path}")
        for note in data.notes:
            out.print(f"note: {note}")


@splits_app.command("export")
def export_command(
    corpus: Annotated[str, typer.Argument(help="A prepared corpus.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for "
                                         "<corpus>.jsonl, fold_N/, label_map.json.")],
    scheme: SchemeOption = "emobox",
    workspace: WorkspaceOption = None,
) -> None:
    """Write a corpus's manifest and splits in EmoBox's data/<corpus> layout."""
    corpus = _corpus_name(corpus)
    ws = workspace_of(workspace)
    utts = read_manifest(ws.manifest(corpus))
    label_map, _ = read_label_map(ws.corpus_dir(corpus))
    if not label_map:
        try:
            label_map = dict(get_corpus(corpus).info.label_map)
        except EmoboxError:
            label_map = {}
    files = write_emobox(output, corpus, utts, Splits.load(ws.splits(corpus, scheme)),
                         label_map=label_map or None)
    out.print(f"{corpus}: wrote {len(files)} files under {output}")


@app.command("balance")
def balance_command(
    corpus: Annotated[str, typer.Argument(help="A prepared corpus.")],
    preset: Annotated[bool, typer.Option(help="EmoBox's track2 composition for this corpus "
                                         f"({', '.join(TRACK2)}).")] = False,
    space: Annotated[str, typer.Option(help="Label space: native, serval8, shared4 or a "
                                       "mapping file.")] = "shared4",
    speakers: Annotated[str, typer.Option(help="'all', a comma list, or per gender as "
                                          "'F=10,M=10'.")] = "all",
    per_cell: Annotated[int, typer.Option("--per-cell", "-n", help="Items per speaker and "
                                          "label.")] = 1,
    track2: Annotated[Path | None, typer.Option(help="Import an EmoBox track2 list instead "
                                                "of selecting.")] = None,
    name: Annotated[str, typer.Option(help="Save as splits/<name>.json (one fold, test "
                                      "only).")] = "balanced",
    seed: SeedOption = 0,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Select a fully balanced cross-corpus test set (n per speaker per label)."""
    corpus = _corpus_name(corpus)
    ws = workspace_of(workspace)
    utts = read_manifest(ws.manifest(corpus))
    chosen: BalancedSet
    if track2 is not None:
        chosen = read_track2(track2, utts, space=space)
    elif preset:
        from emobox.crosscorpus import preset_test_set

        chosen = preset_test_set(corpus, utts, seed=seed)
    else:
        chosen = balanced_test_set(utts, space=space, speakers=_parse_speakers(speakers),
                                   per_cell=per_cell, seed=seed)
    splits = Splits("balanced", {"1": Fold(train=[], valid=[], test=chosen.keys)},
                    {"seed": seed, "space": space, "per_cell": chosen.per_cell,
                     "labels": chosen.labels})
    path = splits.save(ws.splits(corpus, name))
    if json_output:
        print_json({"splits": str(path), **chosen.to_dict()})
        return
    out.print(f"{corpus}: {len(chosen.keys)} utterances, {len(chosen.speakers)} speakers × "
              f"{chosen.per_cell} per label {chosen.per_label} → {path}")
    for s, why in chosen.skipped_speakers.items():
        out.print(f"skipped speaker {s}: only {why}")


def _parse_speakers(text: str) -> str | list[str] | dict[str, int]:
    text = text.strip()
    if text == "all":
        return "all"
    items = [t.strip() for t in text.split(",") if t.strip()]
    if items and all("=" in t for t in items):
        try:
            return {g.strip(): int(n) for g, n in (t.split("=", 1) for t in items)}
        except ValueError:
            raise EmoboxError(f"--speakers: per gender as 'F=10,M=10', not {text!r}") from None
    if not items:
        raise EmoboxError("--speakers: empty")
    return items
