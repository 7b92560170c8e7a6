"""Run a corpus spec over a raw folder: probe audio, map labels, report, write the manifest."""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emobox.audio import probe
from emobox.corpora.core.spec import Candidate, Corpus, Skip
from emobox.errors import AudioError, EmoboxError, LayoutError
from emobox.manifest import Utterance, atomic_write_text, check_relative_path, write_manifest
from emobox.progress import track
from emobox.workspace import Workspace

log = logging.getLogger(__name__)


@dataclass
class PrepareResult:
    """The prepared utterances and the report written beside the manifest."""

    corpus: str
    utterances: list[Utterance]
    skipped: list[Skip]
    report: dict[str, Any] = field(default_factory=dict)


def prepare(
    corpus: Corpus,
    raw: str | os.PathLike,
    workspace: Workspace | None = None,
    *,
    workers: int = 8,
    show_progress: bool = True,
) -> PrepareResult:
    """List, probe and label every utterance of `corpus` under `raw`.

    Writes ``manifest.jsonl`` and ``prepare_report.json`` (atomically) when a `workspace` is
    given. Unreadable, zero-length, unlabelled or duplicate files are skipped and reported.
    """
    raw = Path(raw)
    if raw.is_file():
        raise LayoutError(f"--raw {raw} is a file; give the folder the corpus was unpacked into")
    if not raw.is_dir():
        raise LayoutError(f"raw folder does not exist: {raw}")
    corpus.check_layout(raw)
    found = list(corpus.discover(raw))
    skipped = [d for d in found if isinstance(d, Skip)]
    candidates = [d for d in found if isinstance(d, Candidate)]
    if not candidates:
        raise LayoutError(f"no usable {corpus.expect} under {raw} — is this the "
                          f"{corpus.info.display_name} download? ({len(skipped)} files skipped)")

    label_map = corpus.info.label_map
    labelled: list[Candidate] = []
    seen: set[str] = set()
    for cand in candidates:
        check_relative_path(cand.wav, where=f"{corpus.name}: ")
        if cand.emo not in label_map:
            skipped.append(Skip(cand.wav, f"unknown label {cand.emo!r}"))
        elif cand.key in seen:
            skipped.append(Skip(cand.wav, f"duplicate key {cand.key!r}"))
        else:
            seen.add(cand.key)
            labelled.append(cand)

    def probe_one(cand: Candidate):
        try:
            return probe(raw / cand.wav)
        except AudioError as exc:
            return str(exc)

    infos: dict[str, Any] = {}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(probe_one, labelled)
        items = track(results, f"prepare {corpus.name}", total=len(labelled)) \
            if show_progress else results
        for cand, info in zip(labelled, items):
            infos[cand.key] = info

    utterances: list[Utterance] = []
    # a corpus in one language fills in `lang`; a multilingual one must say per utterance
    default_lang = corpus.info.languages[0] if len(corpus.info.languages) == 1 else ""
    for cand in labelled:
        info = infos[cand.key]
        if isinstance(info, str):
            skipped.append(Skip(cand.wav, f"unreadable: {info}"))
            continue
        length = info.duration
        if cand.start_time is not None and cand.end_time is not None:
            length = cand.end_time - cand.start_time
        if not length > 0:
            skipped.append(Skip(cand.wav, "zero length"))
            continue
        utterances.append(Utterance(
            key=cand.key, dataset=corpus.name, wav=cand.wav, emo=cand.emo,
            label=label_map[cand.emo], speaker=cand.speaker, gender=cand.gender,
            lang=cand.lang or default_lang, sample_rate=info.sample_rate,
            length=round(length, 4), channel=info.channels, start_time=cand.start_time,
            end_time=cand.end_time, extra=cand.extra,
        ))
    if not utterances:
        raise EmoboxError(f"{corpus.name}: every file under {raw} was skipped "
                          f"({_top_reason(skipped)})")

    report = build_report(corpus, raw, utterances, skipped)
    log.info("%s: %d utterances kept, %d files skipped", corpus.name, len(utterances),
             len(skipped))
    for skip in skipped:
        log.debug("%s: skipped %s: %s", corpus.name, skip.wav, skip.reason)
    if workspace is not None:
        from emobox.corpora.core.local import write_record

        write_manifest(workspace.manifest(corpus.name), utterances)
        write_record(workspace, corpus.info, raw, origin=type(corpus).__name__)
        atomic_write_text(workspace.prepare_report(corpus.name),
                          json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return PrepareResult(corpus.name, utterances, skipped, report)


def build_report(corpus: Corpus, raw: Path, utterances: list[Utterance],
                 skipped: list[Skip]) -> dict[str, Any]:
    """Counts per label and speaker, compared with the registry; skips; rate/channel histograms."""
    info = corpus.info
    speakers = Counter(u.speaker for u in utterances if u.speaker is not None)
    labels = Counter(u.label for u in utterances)
    warnings = []
    hours = sum(u.length for u in utterances) / 3600

    def compare(what: str, expected: Any, actual: Any) -> None:
        if expected is not None and expected != actual:
            why = f" (corpus notes: {info.notes})" if info.notes else ""
            warnings.append(f"{what}: published {expected}, found {actual}{why}")

    compare("utterances", info.n_utterances, len(utterances))
    compare("speakers", info.n_speakers, len(speakers) if speakers else "no speaker ids")
    compare("classes", info.n_classes, len(labels))
    return {
        "corpus": corpus.name,
        "utterances": len(utterances),
        "hours": round(hours, 4),
        "speakers": len(speakers),
        "labels": dict(sorted(labels.items())),
        "per_speaker": dict(sorted(speakers.items())),
        "sample_rates": _histogram(u.sample_rate for u in utterances),
        "channels": _histogram(u.channel for u in utterances),
        "skipped": len(skipped),
        "skipped_reasons": dict(Counter(_reason_kind(s.reason) for s in skipped).most_common()),
        "skipped_files": [{"wav": s.wav, "reason": s.reason} for s in skipped],
        "warnings": warnings,
    }


def _histogram(values) -> dict[str, int]:
    return {str(k): v for k, v in sorted(Counter(values).items())}


def _reason_kind(reason: str) -> str:
    return reason.split(":")[0].split(" '")[0].split(' "')[0]


def _top_reason(skipped: list[Skip]) -> str:
    if not skipped:
        return "nothing found"
    reason, count = Counter(_reason_kind(s.reason) for s in skipped).most_common(1)[0]
    return f"most often: {reason} ×{count}"
