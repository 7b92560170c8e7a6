"""One page per prepared corpus of a workspace: what its manifest holds (utterances per
emotion, per speaker and per gender; a duration histogram), its folds and their sizes in
every scheme partitioned, the label map into each label space with what is dropped, made
``other`` or merged, and the files `prepare` skipped with the reasons."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from emobox.labels import LABEL_SPACES
from emobox.manifest import Utterance, read_manifest
from emobox.report.site.cache import SiteCache, digest
from emobox.report.site.page import esc, page
from emobox.report.site.svg import histogram
from emobox.workspace import Workspace

BINS = 20


def prepared(workspace: Workspace) -> list[str]:
    """The corpora of `workspace` with a manifest."""
    return sorted(p.parent.name for p in (workspace.root / "corpora").glob("*/manifest.jsonl"))


def _table(table_id: str, columns: list[str], rows: list[list[Any]], note: str = "") -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    note = f"<p class='note'>{esc(note)}</p>" if note else ""
    return (f"{note}<table class='sortable' id='{esc(table_id)}'><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def _info(workspace: Workspace, name: str) -> Any:
    from emobox.corpora import corpus_info
    from emobox.errors import EmoboxError

    try:
        return corpus_info(workspace, name)
    except EmoboxError:
        return None


def _facts(name: str, utts: list[Utterance], info: Any) -> str:
    hours = sum(u.length for u in utts) / 3600
    speakers = {u.speaker for u in utts if u.speaker is not None}
    facts = [("utterances", len(utts)), ("hours", f"{hours:.3f}"), ("speakers", len(speakers)),
             ("languages (manifest)", ", ".join(sorted({u.lang for u in utts if u.lang}))
              or "—")]
    if info is not None:
        facts = [("name", info.display_name), ("languages (registry)",
                                                ", ".join(info.languages)),
                 ("source", info.source), *facts]
        facts += [("published utterances / speakers / hours",
                   f"{info.n_utterances or '—'} / {info.n_speakers or '—'} / "
                   f"{info.hours or '—'}")]
    return _table("facts", ["fact", "value"], [list(f) for f in facts])


def _per_emotion(utts: list[Utterance]) -> str:
    counts = Counter(u.label for u in utts)
    raw = defaultdict(set)
    for u in utts:
        raw[u.label].add(u.emo)
    rows = [[lab, n, f"{100 * n / len(utts):.1f}", ", ".join(sorted(raw[lab]))]
            for lab, n in sorted(counts.items())]
    return "<h2>Utterances per emotion</h2>" + _table(
        "per-emotion", ["emotion", "utterances", "%", "raw labels"], rows,
        "canonical label (the manifest's label), with the corpus's raw labels mapped to it")


def _per_speaker(utts: list[Utterance]) -> str:
    by = defaultdict(Counter)
    gender: dict[str, str] = {}
    for u in utts:
        speaker = u.speaker if u.speaker is not None else "(none)"
        by[speaker][u.label] += 1
        gender[speaker] = u.gender or "unknown"
    labels = sorted({u.label for u in utts})
    rows = [[s, gender[s], sum(c.values()), *(c.get(lab, 0) for lab in labels)]
            for s, c in sorted(by.items())]
    genders = Counter(u.gender or "unknown" for u in utts)
    per_gender = _table("per-gender", ["gender", "utterances", "speakers"], [
        [g, n, len({s for s in gender if gender[s] == g})] for g, n in sorted(genders.items())])
    return ("<h2>Utterances per gender</h2>" + per_gender + "<h2>Utterances per speaker</h2>"
            + _table("per-speaker", ["speaker", "gender", "utterances", *labels], rows))


def _durations(utts: list[Utterance]) -> str:
    lengths = [u.length for u in utts]
    low, high = min(lengths), max(lengths)
    width = (high - low) / BINS or 1.0
    counts = [0] * BINS
    for x in lengths:
        counts[min(int((x - low) / width), BINS - 1)] += 1
    edges = [low + i * width for i in range(BINS + 1)]
    return ("<h2>Durations</h2>" + histogram(
        edges, counts, title=f"utterance durations ({len(utts)} utterances, {BINS} bins)",
        xlabel="seconds") + f"<p class='note'>min {low:.2f} s, max {high:.2f} s, mean "
        f"{sum(lengths) / len(lengths):.2f} s</p>")


def _folds(workspace: Workspace, name: str) -> str:
    from emobox.errors import EmoboxError
    from emobox.partition.core import Splits

    parts = ["<h2>Folds</h2>"]
    files = sorted((workspace.corpus_dir(name) / "splits").glob("*.json"))
    if not files:
        return "<h2>Folds</h2><p>not partitioned yet (`emobox partition`)</p>"
    for path in files:
        try:
            splits = Splits.load(path)
        except EmoboxError as exc:
            parts.append(f"<p>{esc(exc)}</p>")
            continue
        params = ", ".join(f"{k}={v}" for k, v in splits.params.items()) or "no parameters"
        independent = "" if splits.speaker_independent else "not "
        note = (f"scheme {splits.scheme} ({params}); {independent}speaker-independent"
                + "".join(f"; {n}" for n in splits.notes))
        rows = [[fold, len(f.train), len(f.valid), len(f.test)] for fold, f in
                splits.folds.items()]
        parts.append(f"<h3>{esc(splits.scheme)}</h3>" + _table(
            f"folds-{path.stem}", ["fold", "train", "valid", "test"], rows, note))
    return "".join(parts)


def _label_map(name: str, utts: list[Utterance]) -> str:
    counts = Counter(u.label for u in utts)
    spaces = [s for s in LABEL_SPACES.values() if not s.identity]
    rows, summary = [], []
    targets: dict[str, dict[str, list[str]]] = {s.name: defaultdict(list) for s in spaces}
    for lab in sorted(counts):
        line = [lab, counts[lab]]
        for space in spaces:
            target = space.map(name, lab)
            if target is None:
                line.append("other (unmapped)" if space.unmapped == "other" else "dropped")
            else:
                line.append(target)
                targets[space.name][target].append(lab)
        rows.append(line)
    for space in spaces:
        dropped = sum(counts[lab] for lab in counts if space.map(name, lab) is None)
        merged = [f"{t} ← {' + '.join(srcs)}" for t, srcs in targets[space.name].items()
                  if len(srcs) > 1]
        verb = "made other" if space.unmapped == "other" else "dropped"
        summary.append([space.name, len(utts) - (dropped if space.unmapped == "drop" else 0),
                        f"{dropped} {verb}", "; ".join(merged) or "none"])
    return ("<h2>Label map</h2>" + _table(
        "label-map", ["emotion", "utterances", *(s.name for s in spaces)], rows,
        "each canonical label's class in every built-in label space (native keeps it as is)")
        + _table("label-spaces", ["label space", "kept", "unmapped", "merged"], summary))


def _skipped(report: dict[str, Any] | None) -> str:
    if report is None:
        return "<h2>Skipped files</h2><p>no prepare report (prepared by another tool)</p>"
    files = report.get("skipped_files", [])
    reasons = ", ".join(f"{k} ×{v}" for k, v in report.get("skipped_reasons", {}).items())
    warnings = "".join(f"<li>{esc(w)}</li>" for w in report.get("warnings", []))
    head = (f"<h2>Skipped files</h2><p id='skipped-count'>{len(files)} files skipped by "
            f"prepare{': ' + esc(reasons) if reasons else ''}</p>")
    if warnings:
        head += f"<ul class='warnings'>{warnings}</ul>"
    if not files:
        return head
    return head + _table("skipped", ["file", "reason"],
                         [[f.get("wav", ""), f.get("reason", "")] for f in files])


def corpus_page(workspace: Workspace, name: str) -> str:
    utts = read_manifest(workspace.manifest(name))
    report_path = workspace.prepare_report(name)
    report = json.loads(report_path.read_text()) if report_path.is_file() else None
    info = _info(workspace, name)
    body = ["<nav><a href='../index.html'>← leaderboard</a></nav>", _facts(name, utts, info)]
    if utts:
        body += [_per_emotion(utts), _per_speaker(utts), _durations(utts)]
    body += [_folds(workspace, name), _label_map(name, utts), _skipped(report)]
    return page(f"corpus {name}", "".join(body))


def _inputs(workspace: Workspace, name: str) -> list[Any]:
    folder = workspace.corpus_dir(name)
    files = sorted(p for p in folder.rglob("*.json*") if p.is_file())
    return [(p.relative_to(folder).as_posix(), p.stat().st_size, p.stat().st_mtime_ns)
            for p in files]


def corpus_pages(workspace: Workspace, out: Path, cache: SiteCache) -> list[str]:
    """Write ``corpora/<name>.html`` for every prepared corpus (kept when none of its files
    changed); returns the corpora."""
    names = prepared(workspace)
    for name in names:
        cache.render(f"corpora/{name}.html", digest("corpus", name, _inputs(workspace, name)),
                     lambda name=name: corpus_page(workspace, name))
    cache.prune("corpora")
    return names
