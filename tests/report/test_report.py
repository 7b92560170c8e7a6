"""Reports: the paper layouts in Markdown, CSV and LaTeX (best three marked), the published
numbers beside ours, plots, and the HTML leaderboard driven in a real browser (Debian's
chromium): no console error, the stored numbers shown, sorting reorders, strings escaped."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from emobox.cli import app
from emobox.report import intra_rows
from emobox.report.formats import table4
from emobox.runs import ResultsDB, RunKey
from emobox.workspace import Workspace

runner = CliRunner()
EVIL = "<script>alert('x')</script>"


def paper(model: str) -> dict:
    """The store identity of a registry model extracted as the paper did."""
    return {"identity": {"kind": "registry", "name": model},
            "settings": {"precision": "fp32", "layer_norm": False, "whisper_mode": "pad30"}}


def stored_results(ws: Workspace) -> None:
    """Intra results of three models on two corpora, one with hostile strings."""
    scores = {("wavlm-base", "ravdess"): 0.70, ("hubert-base", "ravdess"): 0.60,
              ("whisper-large-v3", "ravdess"): 0.80, ("wavlm-base", f"c{EVIL}"): 0.50,
              ("hubert-base", f"c{EVIL}"): 0.55}
    with ResultsDB(ws.results) as db:
        for (model, corpus), ua in scores.items():
            for fold, delta in (("1", 0.02), ("2", -0.02)):
                key = RunKey(protocol="intra", train_corpus=corpus, test_corpus=corpus,
                             model=model, scheme="emobox", fold=fold, features=paper(model))
                labels = ["Angry", f"Sad{EVIL}"]
                db.add(key, {"ua": ua + delta, "wa": ua, "macro_f1": ua - 0.01, "n": 2,
                             "labels": labels, "confusion": [[1, 0], [0, 1]]},
                       info={"labels": labels, "notes": [f"note {EVIL}"]},
                       predictions=[(f"k{EVIL}", "Angry", "Angry"), ("k2", labels[1],
                                                                       labels[1])])
        for train, test, acc in (("iemocap", "meld", 0.3), ("meld", "iemocap", 0.5)):
            db.add(RunKey(protocol="cross", train_corpus=train, test_corpus=test,
                          model="wavlm-base", scheme="cross", fold="all",
                          features=paper("wavlm-base"), corpora=["iemocap", "meld"]),
                   {"ua": acc, "wa": acc, "macro_f1": acc, "n": 2})


@pytest.fixture
def ws(tmp_path):
    ws = Workspace(tmp_path / "ws")
    stored_results(ws)
    return ws


def test_table4_layout_marks_the_best_three_and_sets_the_paper_beside(ws):
    with ResultsDB(ws.results) as db:
        grid = table4(intra_rows(db.runs()), "ua", compare_paper=True)[0]
    ravdess = next(r for r in grid.rows if r[0] == "ravdess")
    cols = grid.columns
    assert ravdess[cols.index("whisper-large-v3")].endswith("¹")
    assert ravdess[cols.index("wavlm-base")].endswith("²")
    assert ravdess[cols.index("hubert-base")].endswith("³")
    assert ravdess[cols.index("wavlm-base (paper)")] == "61.6"  # EmoBox Table 4, WavLM base
    md = runner.invoke(app, ["report", "-w", str(ws.root), "-f", "md", "--compare-paper"])
    assert md.exit_code == 0 and "**80.0 ± 2.0¹**" in md.stdout
    table = list(csv.reader(io.StringIO(runner.invoke(app, ["report", "-w", str(ws.root),
                                                            "-f", "csv"]).stdout)))
    assert table[0][0] == "corpus" and "hubert-base" in table[0]
    cross = runner.invoke(app, ["report", "-w", str(ws.root), "-f", "md"]).stdout
    assert "| average (Eq. 1) | 40.0 |" in cross
    with ResultsDB(ws.results) as db:  # another model called wavlm-base gets no paper figure
        record = db.runs(model="wavlm-base", protocol="intra")[0]
        db.add(record.key.with_(model="wavlm-base", features={"identity": {
            "kind": "local", "path": "/x/wavlm-base"}}, seed=5), record.metrics)
        again = table4(intra_rows(db.runs(protocol="intra")), "ua", compare_paper=True)[0]
    local = [c for c in again.columns if "seed 5" in c and "(paper)" in c]
    assert local and all(row[again.columns.index(local[0])] == "" for row in again.rows)


def test_latex_compiles_when_a_tex_is_installed(ws, tmp_path):
    latex = runner.invoke(app, ["report", "-w", str(ws.root), "-f", "latex"]).stdout
    assert r"\begin{tabular}" in latex and "<script>" in latex.replace(r"\textbackslash{}", "")
    if shutil.which("pdflatex") is None:
        pytest.skip("no pdflatex on this machine")
    doc = tmp_path / "t.tex"
    doc.write_text("\\documentclass{article}\\usepackage[utf8]{inputenc}\\begin{document}"
                   + latex + "\\end{document}")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", doc.name], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:]


def test_plots_are_written(ws, tmp_path):
    result = runner.invoke(app, ["report", "-w", str(ws.root), "--plots", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert {p.suffix for p in (tmp_path / "p").iterdir()} == {".png", ".svg"}


def chromium():
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("Debian's chromium is not installed (make test installs it)")
    return path


def test_html_leaderboard_in_a_real_browser(ws, tmp_path):
    from playwright.sync_api import sync_playwright

    site = tmp_path / "site"
    result = runner.invoke(app, ["report", "-w", str(ws.root), "--html", str(site)])
    assert result.exit_code == 0, result.output
    for page_file in [site / "index.html", *(site / "runs").glob("*.html")]:
        assert EVIL not in page_file.read_text()  # every string escaped
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page()
        errors, dialogs = [], []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto((site / "index.html").as_uri())
        assert page.title() == "emobox leaderboard"
        text = page.inner_text("#intra-0")
        assert "80.0 ± 2.0" in text and "cross" not in text
        assert EVIL in page.inner_text("#intra-0")  # shown as text, never run

        def first_column():
            return [c.strip() for c in page.eval_on_selector_all(
                "#runs tbody tr td:nth-child(7)", "cells => cells.map(c => c.textContent)")]

        before = first_column()
        page.click("#runs thead th:nth-child(7)")
        ascending = first_column()
        page.click("#runs thead th:nth-child(7)")
        descending = first_column()
        assert ascending == sorted(before, key=float) and descending == ascending[::-1]
        page.click("#runs tbody tr td a")
        assert "Identity" in page.content()
        browser.close()
    assert not errors and not dialogs


def test_a_label_names_each_differing_hyperparameter_default_included():
    """Two settings that differ in epochs: each label says its own (100 is the recipe's
    default, and still named beside 20); a field only one recipe has is left to its name."""
    from emobox.report.settings import variant_label
    from emobox.runs import RunKey
    from emobox.train import get_recipe

    def key(recipe):
        return RunKey(protocol="intra", train_corpus="ravdess", test_corpus="ravdess",
                      model="wavlm-base", recipe=recipe.id, hparams=recipe.hparams())

    long, short = key(get_recipe("emobox")), key(get_recipe("emobox", epochs=20))
    labels = [variant_label(k, ["hparams"], among=[long, short]) for k in (long, short)]
    assert "epochs=100" in labels[0] and "epochs=20" in labels[1]
    probe = key(get_recipe("serval"))
    assert "batch_size" not in variant_label(long, ["recipe", "hparams"], among=[long, probe])
