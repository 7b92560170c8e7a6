"""`emobox partition`, `emobox splits show|import|export` and `emobox balance`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from emobox.cli.app import app, out
from emobox.cli.options import (
    CorpusArgument,
    JsonOption,
    SchemeOption,
    SeedOption,
    WorkspaceOption,
    prepared,
    print_json,
    scheme_for,
    workspace_of,
)
from emobox.partition.core import VALID_FRACTION

splits_app = typer.Typer(help="Inspect, import and export partitions.", no_args_is_help=True)
app.add_typer(splits_app, name="splits")


@app.command("partition")
def partition_command(
    corpus: CorpusArgument,
    scheme: SchemeOption = None,
    k: Annotated[int | None, typer.Option(help="Folds (speaker-kfold).",
                                          show_default=False)] = None,
    test_fraction: Annotated[float | None, typer.Option(
        help="Test share per label (stratified, paper; default 0.25).",
        show_default=False)] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Key lists for --scheme file: a "
                                              "splits JSON.", show_default=False)] = None,
    param: Annotated[list[str] | None, typer.Option(
        "--param", help="Any other scheme parameter as NAME=VALUE (JSON value), e.g. "
        "tolerance=0.1.", show_default=False, metavar="NAME=VALUE")] = None,
    valid_fraction: Annotated[float, typer.Option(help="Share of each fold's train held out "
                                                  "for model selection.")] = VALID_FRACTION,
    name: Annotated[str | None, typer.Option(help="Save as splits/<name>.json "
                                             "(default: the scheme).", show_default=False)] = None,
    seed: SeedOption = 0,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Split a prepared corpus into folds of train / valid / test keys. Each scheme declares
    its parameters; passing one it does not take is an error."""
    from rich.table import Table

    from emobox.corpora import corpus_manifest
    from emobox.partition import partition, scheme_parameters

    ws = workspace_of(workspace)
    corpus = prepared(ws, corpus)
    scheme = scheme_for(corpus, scheme)
    declared = scheme_parameters(scheme)
    params: dict[str, Any] = {"corpus": corpus} if "corpus" in declared else {}
    given = {"k": k, "test_fraction": test_fraction,
             "path": str(file) if file is not None else None, **_parse_params(param or [])}
    params.update({key: value for key, value in given.items() if value is not None})
    splits = partition(corpus_manifest(ws, corpus), scheme, seed=seed,
                       valid_fraction=valid_fraction, **params)
    path = splits.save(ws.splits(corpus, name or scheme))
    if json_output:
        print_json({"splits": str(path), "speaker_independent": splits.speaker_independent,
                    "notes": splits.notes,
                    **{f: {p: len(v) for p, v in fold.to_dict().items()}
                       for f, fold in splits.folds.items()}})
        return
    table = Table(title=f"{corpus}: {scheme}")
    for col in ("fold", "train", "valid", "test"):
        table.add_column(col, justify="right")
    for fold_name, fold in splits.folds.items():
        table.add_row(fold_name, str(len(fold.train)), str(len(fold.valid)), str(len(fold.test)))
    out.print(table)
    out.print(f"saved to {path}", soft_wrap=True)
    for note in splits.notes:
        out.print(f"note: {note}")


@splits_app.command("show")
def show_command(
    corpus: CorpusArgument,
    scheme: SchemeOption = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Per fold: counts per label and speaker, test share, speaker overlap."""
    from rich.table import Table

    from emobox.errors import EmoboxError
    from emobox.manifest import read_manifest
    from emobox.partition import Splits, describe_splits

    ws = workspace_of(workspace)
    corpus = prepared(ws, corpus)
    summary = describe_splits(Splits.load(ws.splits(corpus, scheme_for(corpus, scheme))),
                              read_manifest(ws.manifest(corpus)))
    if json_output:
        print_json(summary)
    else:
        claim = "speaker-independent" if summary["speaker_independent"] else "speaker-dependent"
        out.print(f"{corpus}: {summary['scheme']} ({claim})")
        for note in summary["notes"]:
            out.print(f"note: {note}", soft_wrap=True)
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
                                               "name).", show_default=False)] = None,
    name: Annotated[str | None, typer.Option(
        help="Save the folds as splits/<name>.json (default: emobox-import, the scheme "
        "name runs then take with --scheme emobox-import).", show_default=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing splits file of "
                                        "that name.")] = False,
    manifest: Annotated[bool, typer.Option("--manifest", help="Also write the manifest "
                                           "(replacing one written by prepare).")] = False,
    raw: Annotated[Path | None, typer.Option(help="The raw folder the EmoBox paths point "
                                             "into (needed to extract features).",
                                             show_default=False)] = None,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Read EmoBox's released metadata (jsonl, folds, label map, stm speakers)."""
    from emobox.corpora import CorpusInfo, get_corpus
    from emobox.corpora.core import write_record
    from emobox.errors import EmoboxError
    from emobox.interop import read_emobox
    from emobox.interop.emobox import IMPORT_SCHEME
    from emobox.manifest import read_manifest, write_manifest

    data = read_emobox(folder, corpus)
    ws = workspace_of(workspace)
    name = name or IMPORT_SCHEME
    if ws.splits(data.corpus, name).is_file() and not force:
        raise EmoboxError(f"{ws.splits(data.corpus, name)} exists; pass --name for another "
                          "file, or --force to replace it")
    target = ws.manifest(data.corpus)
    if manifest or not target.is_file():
        write_manifest(target, data.utterances)
        try:
            info = get_corpus(data.corpus).info
        except EmoboxError:  # not in the registry: its record holds EmoBox's label map
            info = CorpusInfo(name=data.corpus, display_name=data.corpus, languages=("und",),
                              label_map=data.label_map, source="EmoBox data/ import",
                              protocols=("user",), notes=f"imported from {folder}")
        write_record(ws, info, raw or folder, origin="emobox-import")
    else:
        known = {u.key for u in read_manifest(target)}
        missing = [k for f in data.splits.folds.values() for k in f.test + f.train
                   if k not in known]
        if missing:
            raise EmoboxError(f"{target}: key {missing[0]!r} of the EmoBox folds is not in the "
                              f"manifest ({len(missing)} missing; pass --manifest to replace it)")
    path = data.splits.save(ws.splits(data.corpus, name))
    result = {"corpus": data.corpus, "utterances": len(data.utterances), "splits": str(path),
              "folds": {n: {p: len(v) for p, v in f.to_dict().items()}
                        for n, f in data.splits.folds.items()}, "notes": data.notes}
    if json_output:
        print_json(result)
    else:
        out.print(f"{data.corpus}: {len(data.utterances)} utterances, "
                  f"{len(data.splits.folds)} folds → {path}", soft_wrap=True)
        for note in data.notes:
            out.print(f"note: {note}", soft_wrap=True)


@splits_app.command("export")
def export_command(
    corpus: CorpusArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for "
                                         "<corpus>.jsonl, fold_N/, label_map.json.")],
    scheme: SchemeOption = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Write a corpus's manifest and splits in EmoBox's data/<corpus> layout."""
    from emobox.corpora import corpus_info
    from emobox.interop import write_emobox
    from emobox.manifest import read_manifest
    from emobox.partition import Splits

    ws = workspace_of(workspace)
    corpus = prepared(ws, corpus)
    utts = read_manifest(ws.manifest(corpus))
    label_map = dict(corpus_info(ws, corpus).label_map)
    files = write_emobox(output, corpus, utts,
                         Splits.load(ws.splits(corpus, scheme_for(corpus, scheme))),
                         label_map=label_map or None)
    out.print(f"{corpus}: wrote {len(files)} files under {output}", soft_wrap=True)


@app.command("balance")
def balance_command(
    corpus: CorpusArgument,
    preset: Annotated[bool, typer.Option("--preset", help="EmoBox's track2 composition for "
                                         "this corpus (iemocap, meld, ravdess, "
                                         "savee).")] = False,
    space: Annotated[str, typer.Option(help="Label space: native, serval8, shared4 or a "
                                       "mapping file.")] = "shared4",
    speakers: Annotated[str, typer.Option(help="'all', a comma list, or per gender as "
                                          "'F=10,M=10'.")] = "all",
    per_cell: Annotated[int, typer.Option("--per-cell", "-n", help="Items per speaker and "
                                          "label.", min=1)] = 1,
    track2: Annotated[Path | None, typer.Option(help="Import an EmoBox track2 list instead "
                                                "of selecting.", show_default=False)] = None,
    labeler: Annotated[str | None, typer.Option(
        help="Keep only utterances whose pseudo-label agrees with their label (EmoBox §2.3): "
        "run:RUN_ID (a trained emobox head), emotion2vec (needs the funasr extra and its "
        "weights) or module:function.", show_default=False)] = None,
    name: Annotated[str, typer.Option(help="Save as splits/<name>.json (one fold, test "
                                      "only).")] = "balanced",
    seed: SeedOption = 0,
    workspace: WorkspaceOption = None,
    json_output: JsonOption = False,
) -> None:
    """Select a fully balanced cross-corpus test set (n per speaker per label)."""
    from emobox.manifest import read_manifest
    from emobox.partition import Fold, Splits
    from emobox.partition.balanced import (
        BalancedSet,
        balanced_test_set,
        preset_test_set,
        read_track2,
    )
    from emobox.runs.labelers import get_labeler

    ws = workspace_of(workspace)
    corpus = prepared(ws, corpus)
    utts = read_manifest(ws.manifest(corpus))
    pseudo = get_labeler(labeler, ws, corpus) if labeler else None
    chosen: BalancedSet
    if track2 is not None:
        chosen = read_track2(track2, utts, space=space)
    elif preset:
        chosen = preset_test_set(corpus, utts, seed=seed, labeler=pseudo)
    else:
        chosen = balanced_test_set(utts, space=space, speakers=_parse_speakers(speakers),
                                   per_cell=per_cell, seed=seed, labeler=pseudo)
    splits = Splits("balanced", {"1": Fold(train=[], valid=[], test=chosen.keys)},
                    {"seed": seed, "space": space, "per_cell": chosen.per_cell,
                     "labels": chosen.labels,
                     "selection": chosen.selection.to_dict() if chosen.selection else None})
    path = splits.save(ws.splits(corpus, name))
    if json_output:
        print_json({"splits": str(path), **chosen.to_dict()})
        return
    out.print(f"{corpus}: {len(chosen.keys)} utterances, {len(chosen.speakers)} speakers × "
              f"{chosen.per_cell} per label {chosen.per_label} → {path}", soft_wrap=True)
    for s, why in chosen.skipped_speakers.items():
        out.print(f"skipped speaker {s}: only {why}")


def _parse_params(items: list[str]) -> dict[str, Any]:
    import json

    from emobox.errors import EmoboxError

    params: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise EmoboxError(f"--param takes NAME=VALUE, not {item!r}")
        try:
            params[name.strip().replace("-", "_")] = json.loads(value)
        except json.JSONDecodeError:
            params[name.strip().replace("-", "_")] = value
    return params


def _parse_speakers(text: str) -> str | list[str] | dict[str, int]:
    from emobox.errors import EmoboxError

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
