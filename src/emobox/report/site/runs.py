"""The page of one run: its metrics, training cost, validation curves, confusion matrix,
notes and identity — one function per section, in `RUN_SECTIONS`. A section is given the run
and the database and returns HTML, or "" to leave itself out; add a section (e.g. a
reliability diagram from the stored probabilities) by appending a function to the list.
A page is rebuilt only when its run was stored again (`page_digest`)."""

from __future__ import annotations

import json
from collections.abc import Callable

from emobox.report.site.cache import digest
from emobox.report.site.page import esc, page
from emobox.report.site.svg import confusion_table, line_chart, reliability_chart
from emobox.runs.results import ResultsDB, RunRecord

Section = Callable[[RunRecord, ResultsDB], str]


def identity(r: RunRecord, db: ResultsDB) -> str:
    return f"<h2>Identity</h2><pre>{esc(json.dumps(r.key.to_dict(), indent=1))}</pre>"


def metrics(r: RunRecord, db: ResultsDB) -> str:
    rows = "".join(f"<tr><td>{esc(k)}</td><td>{100 * v:.2f}</td></tr>"
                   for k, v in r.metrics.items() if isinstance(v, float))
    n = r.metrics.get("n")
    note = f"<p class='note'>percent, on {n} test utterances</p>" if n else ""
    return f"<h2>Metrics</h2>{note}<table id='metrics'><tbody>{rows}</tbody></table>"


def training(r: RunRecord, db: ResultsDB) -> str:
    seconds = r.info.get("train_seconds")
    if seconds is None:
        return ""
    machine = r.info.get("train_machine", "machine not recorded")
    return (f"<h2>Training</h2><p>the sweep ({len(r.info.get('curves') or [])} "
            f"configurations) took {seconds:.1f} s on {esc(machine)}</p>")


def curves(r: RunRecord, db: ResultsDB) -> str:
    found = [c for c in r.info.get("curves") or [] if c.get("valid_ua")]
    if not found:
        return ""
    series = [(", ".join(f"{k}={c['config'][k]}" for k in ("lr", "hidden") if k in c["config"])
               or "config", [100 * v for v in c["valid_ua"]]) for c in found]
    return ("<h2>Validation curves</h2>" + line_chart(
        series, title=f"validation UA per epoch ({r.run_id})", xlabel="epoch",
        ylabel="validation UA (%)"))


def confusion(r: RunRecord, db: ResultsDB) -> str:
    if "confusion" not in r.metrics:
        return ""
    return ("<h2>Confusion matrix</h2><p class='note'>test utterances; rows: true label, "
            "columns: predicted</p>" + confusion_table(r.metrics["labels"],
                                                        r.metrics["confusion"]))


def calibration(r: RunRecord, db: ResultsDB) -> str:
    """The reliability diagram and ECE of the stored test probabilities (and, for an OOD
    cell, of those before logit adjustment); nothing for a run stored without them."""
    from emobox.report.calibration import run_calibration

    found = run_calibration(db, r)
    if not found:
        return ""
    curves = []
    for name, rel in found.items():
        seen = rel.counts > 0
        curves.append((f"{name}: ECE {100 * rel.ece:.1f} %", 100 * rel.confidence[seen],
                       100 * rel.accuracy[seen], rel.counts[seen].tolist()))
    bins = next(iter(found.values())).bins
    ece = " · ".join(f"{name} {100 * rel.ece:.2f} %" for name, rel in found.items())
    return ("<h2>Calibration</h2><p class='note' id='ece'>expected calibration error (ECE, "
            f"{bins} equal-width bins of the top-class probability, n = "
            f"{next(iter(found.values())).n}): {esc(ece)}</p>"
            + reliability_chart(curves, title=f"reliability ({r.run_id})"))


def notes(r: RunRecord, db: ResultsDB) -> str:
    found = r.info.get("notes") or []
    if not found:
        return ""
    return "<h2>Notes</h2><ul>" + "".join(f"<li>{esc(n)}</li>" for n in found) + "</ul>"


#: The sections of a run page, in order.
RUN_SECTIONS: list[Section] = [metrics, training, curves, confusion, calibration, notes,
                               identity]


def page_digest(r: RunRecord) -> str:
    """What a run page is made of: the stored run (stored again → new `created`) and the
    list of sections."""
    return digest(r.run_id, r.created, r.version, [s.__qualname__ for s in RUN_SECTIONS])


def run_page(r: RunRecord, db: ResultsDB) -> str:
    k = r.key
    what = (f"<p>{esc(k.protocol)} · {esc(k.model)} · train {esc(k.train_corpus)} · test "
            f"{esc(k.test_corpus)} · fold {esc(k.fold)} · seed {k.seed}</p>")
    body = "".join(section(r, db) for section in RUN_SECTIONS)
    return page(f"run {r.run_id}", "<nav><a href='../index.html'>← leaderboard</a></nav>"
                + what + body)
