"""Issue 22, the site and cost: a user corpus prepared, partitioned, extracted and trained
through the CLI beside fabricated stored runs; the cost recorded by extract and train and
shown in the cost table; a page per prepared corpus with its counts; a rebuild that renders
only what changed; and the site driven in Debian's Chromium — console clean, numbers equal
the database's, sorting and the language / source / setting filters working."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
from fabricate import write_audio, write_corrupt
from test_report import EVIL, chromium, stored_results
from typer.testing import CliRunner

from emobox.cli import app
from emobox.features import FeatureStore
from emobox.machine import machine
from emobox.manifest import read_manifest
from emobox.partition import Splits
from emobox.report.cost import NOT_RECORDED, cost_grid, cost_rows
from emobox.report.views import build_views
from emobox.runs import ResultsDB
from emobox.workspace import Workspace

runner = CliRunner()
EMOTIONS = ("Angry", "Happy", "Neutral", "Sad", "Disgust")
CORPUS = "mycorpus"
MODEL = "logmel"


def cli(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result


@pytest.fixture(scope="module")
def site_ws(tmp_path_factory):
    """A user-table corpus (4 speakers × 5 emotions × 2, lengths 0.3–0.9 s, one unreadable
    file) run through prepare → partition → extract → run intra, plus the fabricated runs
    of test_report (three models, hostile strings, a cross matrix) in the same database."""
    root = tmp_path_factory.mktemp("site")
    raw, rows = root / "raw", []
    for s, speaker in enumerate(("s1", "s2", "s3", "s4")):
        for e, emotion in enumerate(EMOTIONS):
            for i in range(2):
                rel = f"{speaker}/{emotion}{i}.wav"
                write_audio(raw / rel, seconds=0.3 + 0.06 * ((s + e + i) % 11),
                            freq=150.0 + 60 * e + 7 * s)
                rows.append(f"{rel},{emotion},{speaker},{'F' if s % 2 else 'M'},fr")
    write_corrupt(raw / "s1/broken.wav")
    rows.append("s1/broken.wav,Angry,s1,M,fr")
    table = root / "table.csv"
    table.write_text("path,emotion,speaker,gender,language\n" + "\n".join(rows) + "\n")
    ws = Workspace(root / "ws")
    w = str(ws.root)
    cli("prepare", CORPUS, "--table", str(table), "--raw", str(raw), "-w", w)
    cli("partition", CORPUS, "-w", w)
    cli("extract", CORPUS, "--model", MODEL, "-w", w)
    cli("run", "intra", CORPUS, "--model", MODEL, "--epochs", "3", "--grid", "lr=0.001", "-w", w)
    stored_results(ws)
    return ws


def test_extract_and_train_record_their_cost_and_the_table_shows_it(site_ws):
    ws = site_ws
    store = FeatureStore.open(next((ws.root / "features").glob(f"*/{CORPUS}")))
    sessions = store.meta["cost"]
    seconds = sum(u.length for u in read_manifest(ws.manifest(CORPUS)))
    assert len(sessions) == 1 and sessions[0]["utterances"] == len(store) == 40
    assert sessions[0]["audio_seconds"] == pytest.approx(seconds, abs=0.01)
    assert sessions[0]["wall_seconds"] > 0 and sessions[0]["machine"] == machine("cpu")
    cli("extract", CORPUS, "--model", MODEL, "-w", str(ws.root))  # nothing left to do
    assert FeatureStore.open(store.path).meta["cost"] == sessions  # kept, none added
    with ResultsDB(ws.results, readonly=True) as db:
        records = db.runs()
    timed = [r for r in records if r.key.model == store.path.parent.name
             and r.key.protocol == "intra"]
    assert timed and all(r.info["train_seconds"] > 0 and r.info["train_machine"] ==
                         machine("cpu") for r in timed)
    assert all("train_seconds" not in r.info for r in records if r.key.model == "wavlm-base")
    assert "cost" not in store.identity()  # cost is no part of what the features are
    assert all("cost" not in r.key.features for r in timed)
    rows = {(r.model, r.machine): r for r in cost_rows(records, ws)}
    mine = rows[(store.path.parent.name, machine("cpu"))]
    assert mine.sweeps == len(timed) and mine.stores == 1
    assert mine.train_seconds == pytest.approx(sum(r.info["train_seconds"] for r in timed))
    assert mine.per_audio_hour == pytest.approx(3600 * sessions[0]["wall_seconds"]
                                                / sessions[0]["audio_seconds"])
    assert mine.store_bytes == sum(f.stat().st_size for f in store.path.iterdir()
                                   if f.is_file())
    old = rows[("wavlm-base", NOT_RECORDED)]  # fabricated runs: 2 corpora × 2 folds + cross 2
    assert old.sweeps == 6 and old.stores == 0
    grid = cost_grid(list(rows.values()))[0]
    line = next(r for r in grid.rows if r[0] == "wavlm-base")
    assert line[1] == NOT_RECORDED and line[3] == "" and line[7] == ""  # nothing guessed
    assert "not recorded" in grid.note and "per hour of audio" in grid.note
    md = cli("report", "-w", str(ws.root), "-f", "md").stdout
    assert "Cost per model and machine" in md and machine("cpu") in md


def test_a_corpus_page_counts_what_the_manifest_splits_and_report_hold(site_ws, tmp_path):
    from playwright.sync_api import sync_playwright

    ws = site_ws
    cli("report", "-w", str(ws.root), "--html", str(tmp_path / "site"))
    page_file = tmp_path / "site" / "corpora" / f"{CORPUS}.html"
    utts = read_manifest(ws.manifest(CORPUS))
    splits = Splits.load(next((ws.corpus_dir(CORPUS) / "splits").glob("*.json")))
    report = json.loads(ws.prepare_report(CORPUS).read_text())
    assert report["skipped"] == 1
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page()
        errors = watch(page)
        page.goto(page_file.as_uri())

        def table(selector):
            return page.eval_on_selector_all(f"{selector} tbody tr", "rows => rows.map(r => "
                                             "Array.from(r.cells).map(c => c.textContent))")

        assert {r[0]: int(r[1]) for r in table("#per-emotion")} == Counter(u.label
                                                                          for u in utts)
        assert {r[0]: int(r[2]) for r in table("#per-speaker")} == Counter(u.speaker
                                                                          for u in utts)
        assert {r[0]: int(r[1]) for r in table("#per-gender")} == Counter(u.gender
                                                                         for u in utts)
        folds = table(f"#folds-{splits.scheme}")
        assert {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in folds} == {
            n: (len(f.train), len(f.valid), len(f.test)) for n, f in splits.folds.items()}
        label_map = {r[0]: r[2:] for r in table("#label-map")}
        assert label_map["Disgust"] == ["disgust", "dropped"]  # serval8, shared4
        spaces = {r[0]: r for r in table("#label-spaces")}
        assert spaces["shared4"][1] == "32" and spaces["shared4"][2] == "8 dropped"
        assert "1 files skipped" in page.inner_text("#skipped-count")
        assert table("#skipped")[0][0] == "s1/broken.wav"
        bars = page.eval_on_selector_all("svg rect title", "ts => ts.map(t => t.textContent)")
        assert sum(int(t.rsplit(": ", 1)[1]) for t in bars) == len(utts)
        page.goto((tmp_path / "site" / "index.html").as_uri())
        page.click(f"nav a[href='corpora/{CORPUS}.html']")
        assert page.title() == f"corpus {CORPUS}"
        browser.close()
    assert not errors


def watch(page) -> list[str]:
    """Console errors, page errors and dialogs of `page`, as they happen."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(d.message), d.dismiss()))
    return errors


def test_the_site_in_chromium_numbers_sorting_and_filters(site_ws, tmp_path):
    from playwright.sync_api import sync_playwright

    ws = site_ws
    site = tmp_path / "site"
    cli("report", "-w", str(ws.root), "--html", str(site))
    with ResultsDB(ws.results, readonly=True) as db:
        stored = {r.run_id: r for r in db.runs() if not r.key.protocol.endswith("-config")}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page()
        errors = watch(page)
        page.goto((site / "index.html").as_uri())

        def visible(selector, col=None):
            return page.eval_on_selector_all(
                f"{selector} tbody tr:not(.hidden)", "(rows, col) => rows.map(r => col === "
                "null ? r.getAttribute('data-corpora') : r.cells[col].textContent.trim())",
                col)

        ids = visible("#runs", 0)
        assert sorted(ids) == sorted(stored)  # every run listed, each with the stored UA
        assert visible("#runs", 6) == [f"{100 * stored[i].metrics['ua']:.1f}" for i in ids]
        links = page.eval_on_selector_all("table[id^=intra] td a", "as => as.map(a => "
                                          "[a.textContent, a.getAttribute('href')])")
        assert links and all(href.removeprefix("runs/").removesuffix(".html") in stored
                             for _, href in links)
        page.click("#runs thead th:nth-child(7)")
        ascending = [float(v) for v in visible("#runs", 6)]
        assert ascending == sorted(ascending)
        intra = next(t for t in page.eval_on_selector_all("table[id^=intra]",
                                                          "ts => ts.map(t => t.id)"))
        page.click(f"#{intra} thead th:nth-child(2)")  # a column of linked cells
        column = [float(v.split(" ")[0]) for v in visible(f"#{intra}", 1) if v]
        assert column == sorted(column)

        assert visible("table[id^=cross]", 0)[-1] == "average (Eq. 1)"
        page.select_option("#filter-source", "acted")
        assert set(visible("#runs")) == {"ravdess"}  # meld (TV) and the rest hidden
        assert "source=acted" in page.url
        page.select_option("#filter-source", "")
        page.select_option("#filter-lang", "fr")
        assert set(visible("#runs")) == {CORPUS}
        assert set(visible(f"#{intra}", 0)) == {CORPUS}
        cross = page.eval_on_selector("table[id^=cross]", "t => t.id")
        assert visible(f"#{cross}", 0) == []  # no pair left, so no Eq. 1 of the whole matrix
        page.select_option("#filter-lang", "")
        page.select_option("#filter-setting", "hubert-base")
        headers = page.eval_on_selector_all(f"#{intra} thead th:not(.hidden)",
                                            "hs => hs.map(h => h.textContent)")
        assert headers == ["corpus", "hubert-base"]
        settings = {stored[i].key.model for i in visible("#runs", 0)}
        assert settings == {"hubert-base"}
        page.goto((site / "index.html").as_uri() + "#source=TV")  # a linked filtered view
        page.reload()
        assert page.input_value("#filter-source") == "TV"
        assert visible("#runs") == []  # the one TV corpus only appears beside an acted one

        run_id = next(i for i in ids if stored[i].key.test_corpus == CORPUS)
        page.goto((site / "runs" / f"{run_id}.html").as_uri())
        metrics = dict(page.eval_on_selector_all(
            "#metrics tr", "rows => rows.map(r => [r.cells[0].textContent, "
            "r.cells[1].textContent])"))
        assert metrics["ua"] == f"{100 * stored[run_id].metrics['ua']:.2f}"
        assert (page.locator("h2 + svg polyline").count()  # the validation curves' chart
                == len(stored[run_id].info["curves"]))
        assert "Training" in page.content() and "Confusion matrix" in page.content()
        browser.close()
    assert not errors
    assert all(EVIL not in f.read_text() for f in site.rglob("*.html"))


def test_a_rebuild_renders_only_the_runs_that_changed(tmp_path):
    ws = Workspace(tmp_path / "ws")
    stored_results(ws)
    site = tmp_path / "site"
    cli("report", "-w", str(ws.root), "--html", str(site))
    pages = {p.name: p.stat().st_mtime_ns for p in (site / "runs").glob("*.html")}
    time.sleep(0.01)
    with ResultsDB(ws.results) as db:
        runs = db.runs(protocol="intra")
        changed, gone = runs[0], runs[1]
        db.add(changed.key, {**changed.metrics, "ua": 0.123}, info=changed.info)
        db.delete([gone.run_id])
    cli("report", "-w", str(ws.root), "--html", str(site))
    after = {p.name: p.stat().st_mtime_ns for p in (site / "runs").glob("*.html")}
    assert set(after) == set(pages) - {f"{gone.run_id}.html"}  # a deleted run's page goes
    rebuilt = {name for name in after if after[name] != pages[name]}
    assert rebuilt == {f"{changed.run_id}.html"}
    assert "12.30" in (site / "runs" / f"{changed.run_id}.html").read_text()
    assert "12.3" in (site / "index.html").read_text()


def test_views_without_a_workspace_still_count_the_runs():
    assert build_views([]).cost == [] and cost_grid([]) == []
