"""Issue 19: one description of a protocol run, one identity per result, and reports that
never pick, merge or hide a setting — each item as a user met it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_run_identity import fake_corpus, small
from typer.testing import CliRunner

from emobox.cli import app
from emobox.errors import EmoboxError
from emobox.metrics import bootstrap_ci, fold_mean_ci
from emobox.partition import partition
from emobox.report.views import build_views
from emobox.runs import ProtocolRun, ResultsDB, run_cross, run_intra
from emobox.runs.ood import run_ood
from emobox.runs.spec import load_config
from emobox.workspace import Workspace

runner = CliRunner()
SPEAKERS = {"savee": ["DC", "JE", "JK", "KL"], "ravdess": ["01", "02", "03", "04"],
            "emodb": ["03", "08", "09", "10"], "cremad": ["1001", "1002", "1003", "1004"]}


@pytest.fixture
def ws(tmp_path):
    ws = Workspace(tmp_path / "ws")
    for corpus, speakers in SPEAKERS.items():
        utts = fake_corpus(ws, corpus, speakers)
        partition(utts, "paper", corpus=corpus).save(ws.splits(corpus, "paper"))
    return ws


def save_default_splits(ws, corpus, utts):
    from emobox.partition import default_scheme

    scheme = default_scheme(corpus)
    partition(utts, scheme, corpus=corpus).save(ws.splits(corpus, scheme))


def cli(ws, *args, width=250):
    return runner.invoke(app, [*args, "-w", str(ws.root)], terminal_width=width)


def test_two_layers_are_two_labelled_columns_in_every_format(ws):
    with ResultsDB(ws.results) as db:
        for layer in (None, 0):
            run_intra(ws, "savee", "toy", scheme="paper", recipe=small(hidden=8), layer=layer,
                      db=db, show_progress=False)
    for fmt in ("md", "latex", "csv"):
        text = cli(ws, "report", "-f", fmt).output.replace(r" $\cdot$ ", " · ")
        assert "toy · layer 0" in text and "toy · layer 1" in text, (fmt, text)
    md = cli(ws, "report", "-f", "md").output
    caption = md.splitlines()[0]
    assert "layer" not in caption and "scheme paper" in caption  # constant fields in caption
    terminal = cli(ws, "report").output
    assert "toy · layer 0" in terminal and "toy · layer 1" in terminal
    html = cli(ws, "report", "--html", str(ws.root / "site"))
    assert html.exit_code == 0
    page = (ws.root / "site" / "index.html").read_text()
    assert "toy · layer 0" in page and "toy · layer 1" in page


def test_cross_matrices_of_two_corpus_sets_are_never_merged(ws):
    recipe = small(hidden=8)
    with ResultsDB(ws.results) as db:
        run_cross(ws, ["cremad", "emodb", "ravdess"], "toy", recipe=recipe, db=db,
                  show_progress=False)
        run_cross(ws, ["ravdess", "savee"], "toy", recipe=recipe, db=db, show_progress=False)
    data = json.loads(cli(ws, "report", "--json").stdout)["cross"]
    assert sorted(len(m["pairs"]) for m in data) == [2, 6]
    assert all(m["complete"] and m["average"] is not None for m in data)
    assert {tuple(m["corpora"]) for m in data} == {("cremad", "emodb", "ravdess"),
                                                   ("ravdess", "savee")}
    text = cli(ws, "report", "-f", "md").output
    assert "corpus set cremad+emodb+ravdess" in text and "over 8 pairs" not in text


def test_an_incomplete_matrix_is_shown_incomplete_and_never_reduced(ws):
    with ResultsDB(ws.results) as db:
        results = run_cross(ws, ["cremad", "emodb", "ravdess"], "toy", recipe=small(hidden=8),
                            db=db, show_progress=False)
        db.delete([r.key.id for r in results[2:]])  # as if the run died after one corpus
    data = json.loads(cli(ws, "report", "--json").stdout)["cross"][0]
    assert not data["complete"] and data["average"] is None and len(data["missing"]) == 4
    text = cli(ws, "report").output
    assert "incomplete (4 missing)" in text and "average (Eq. 1) │ 4" not in text
    assert "INCOMPLETE: 4 of 6 cells missing" in text and "emodb→cremad" in text


def test_ood_runs_of_two_schemes_are_two_matrices_in_percent(tmp_path):
    ws = Workspace(tmp_path / "ws")
    for corpus in ("emovo", "cafe"):
        speakers = {"emovo": ["f1", "f2", "f3", "m1", "m2", "m3"],
                    "cafe": ["01", "02", "03", "04"]}[corpus]
        utts = fake_corpus(ws, corpus, speakers)
        save_default_splits(ws, corpus, utts)
    from emobox.train import get_recipe

    recipe = get_recipe("serval", epochs=20, lr=3e-3, hidden=32, drop_last=False)
    with ResultsDB(ws.results) as db:
        run_ood(ws, ["emovo", "cafe"], "toy", recipe=recipe, db=db, show_progress=False)
        run_ood(ws, ["emovo", "cafe"], "toy", recipe=recipe, scheme="serval", db=db,
                show_progress=False)
    data = json.loads(cli(ws, "report", "--json").stdout)["ood"]
    assert sorted(m["scheme"] for m in data) == ["default", "serval"]
    assert all(m["complete"] and len(m["cells"]) == 4 for m in data)
    md = cli(ws, "report", "-f", "md").output
    table3 = md[md.index("SER Evals Table 3"):].split("\n**")[0]  # up to the next table
    rows = [line for line in table3.splitlines() if line.startswith("| toy")]
    assert len(rows) == 2 and "scheme default" in rows[0] + rows[1]
    id_means = [float(row.strip("|").split("|")[1].split()[0]) for row in rows]
    assert all(v > 1 for v in id_means)  # percent, as every other table
    assert all("[" in cell for row in rows for cell in row.strip("|").split("|")[1:])
    with ResultsDB(ws.results, readonly=True) as db:  # calibration before/after adjustment
        for r in db.runs(protocol="ood"):
            raw = db.unadjusted_probabilities(r.id)
            if r.key.train_corpus == r.key.test_corpus:
                assert all(p is None for p in raw)  # nothing adjusted in-domain
            else:
                assert raw and all(abs(sum(p) - 1) < 1e-6 for p in raw)


def test_ood_without_an_eligible_pair_prints_no_nan(tmp_path):
    ws = Workspace(tmp_path / "ws")
    for corpus, speakers in (("casia", ["liuchanhg", "wangzhe", "zhaoquanyin", "ZhaoZuoxiang"]),
                             ("emovo", ["f1", "f2", "f3", "m1", "m2", "m3"])):
        utts = fake_corpus(ws, corpus, speakers)
        save_default_splits(ws, corpus, utts)
    from emobox.train import get_recipe

    with ResultsDB(ws.results) as db:
        run_ood(ws, ["casia", "emovo"], "toy", db=db, show_progress=False,
                recipe=get_recipe("serval", epochs=2, hidden=8, drop_last=False))
    text = cli(ws, "report").output + cli(ws, "report", "-f", "md").output
    assert "nan" not in text and "no out-of-domain cell" in text


def test_set_on_a_swept_field_replaces_its_grid(ws):
    result = cli(ws, "run", "intra", "savee", "-m", "toy", "--scheme", "paper", "--epochs", "2",
                 "--set", "hidden=24", "--json")
    assert result.exit_code == 0, result.output
    with ResultsDB(ws.results) as db:
        keys = [r.key for r in db.runs(protocol="intra")]
    assert {k.hparams["hidden"] for k in keys} == {24}
    assert all("hidden" not in (k.hparams.get("grid") or {}) for k in keys)


def test_every_cell_has_the_interval_of_the_mean_over_folds(ws):
    with ResultsDB(ws.results) as db:
        run_intra(ws, "savee", "toy", scheme="paper", recipe=small(hidden=8), db=db,
                  show_progress=False)
    text = cli(ws, "report", "-f", "md").output
    assert "the 95 % percentile bootstrap interval (1000 resamples, seed 0) of the mean " \
        "over folds" in text and "| savee | " in text and " [" in text.split("| savee | ")[1]
    truth = ["a", "a", "b", "b", "b"]
    guess = ["a", "b", "b", "b", "a"]
    assert fold_mean_ci([(truth, guess)], ["a", "b"]) == bootstrap_ci(truth, guess, ["a", "b"])
    low, high = fold_mean_ci([(truth, guess), (truth, truth)], ["a", "b"])
    assert low < (0.5833 + 1.0) / 2 < high


@pytest.mark.parametrize("args, message", [
    (["run", "intra", "savee", "--set", "lr=abc"], "recipe field lr must be a number"),
    (["run", "intra", "savee", "--grid", "lr=abc"], "recipe field lr must be a number"),
    (["run", "ood", "savee", "--metric", "foo"], "--metric must be one of ua, wa, macro_f1"),
    (["run", "ood", "savee", "--prior", "foo"], "--prior must be one of"),
    (["run", "intra", "savee", "--executor", "dask"], "--executor must be one of local, ray"),
    (["report", "--metric", "foo"], "--metric must be one of"),
    (["run", "intra", "savee", "--device", "tpu"], "--device takes cpu, cuda or cuda:N"),
])
def test_bad_values_are_one_line_exit_2(ws, args, message):
    env = {**os.environ, "EMOBOX_WORKSPACE": str(ws.root)}
    done = subprocess.run([sys.executable, "-c", "from emobox.cli import main; main()", *args],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_label_the_corpus_does_not_have_is_refused(ws):
    path = ws.manifest("savee")
    lines = path.read_text().splitlines()
    row = json.loads(lines[2])
    row["label"] = "Angryy"
    lines[2] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    for args in (["partition", "savee"], ["run", "intra", "savee", "-m", "toy"]):
        result = cli(ws, *args)
        assert result.exit_code != 0
        assert f"{path}:3: label 'Angryy' is not one of savee's labels" in str(result.exception)


def test_readme_python_example_runs_as_printed(tmp_path):
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    start = readme.index("<!-- python-example -->")
    code = readme[start:].split("```python\n", 1)[1].split("```", 1)[0]
    env = {**os.environ, "EMOBOX_WORKSPACE": str(tmp_path / "ws")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr


def test_config_file_keys_are_the_description_fields(tmp_path):
    run = ProtocolRun("cross", corpora=("ravdess", "savee"), settings=("hidden=8",), seed=3)
    path = tmp_path / "bench.toml"
    path.write_text(run.to_toml([1, 2]))
    text = path.read_text()
    assert "version = 1" in text and 'settings = ["hidden=8"]' in text
    assert [r.seed for r in load_config(path)] == [1, 2]
    assert load_config(path)[0].with_(seed=3) == run
    path.write_text('protocol = "intra"\nserval_splits = true\n')
    with pytest.raises(EmoboxError, match="unknown key 'serval_splits'"):
        load_config(path)
    path.write_text('protocol = "intra"\nversion = 7\n')
    with pytest.raises(EmoboxError, match="format version 7"):
        load_config(path)


def test_every_entry_point_gets_the_protocols_label_space():
    from emobox.runs.spec import resolve_label_space
    from emobox.train import get_recipe

    assert ProtocolRun("cross").label_space() == "shared4"
    assert ProtocolRun("cross", space="native").label_space() == "native"
    assert ProtocolRun("intra").label_space() == "native"
    assert ProtocolRun("intra", recipe_name="serval").label_space() == "serval8"
    assert ProtocolRun("ood").label_space() == "serval8" and ProtocolRun("ood").prior() == "oracle"
    assert resolve_label_space("cross", get_recipe("emobox")) == "shared4"
    with pytest.raises(EmoboxError, match="serval8 label space"):
        ProtocolRun("ood", space="native").validate()


def test_progress_is_plain_lines_in_a_log_and_counts_config_epochs(ws, tmp_path):
    env = {**os.environ, "EMOBOX_WORKSPACE": str(ws.root), "EMOBOX_PROGRESS_SECONDS": "0"}
    done = subprocess.run([sys.executable, "-c", "from emobox.cli import main; main()", "run",
                           "intra", "savee", "-m", "toy", "--scheme", "paper", "--epochs", "3",
                           "--grid", "hidden=8,16"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    lines = [x for x in done.stderr.splitlines() if x.startswith("intra savee · toy")]
    assert lines[0].startswith("intra savee · toy: 0/24 config-epochs")  # 4 folds × 3 × 2
    assert "24/24 config-epochs (100 %)" in lines[-1] and len(lines) > 4


def test_sigterm_stops_a_run_cleanly_with_exit_143(ws):
    env = {**os.environ, "EMOBOX_WORKSPACE": str(ws.root)}
    proc = subprocess.Popen([sys.executable, "-c", "from emobox.cli import main; main()", "run",
                             "intra", "savee", "-m", "toy", "--scheme", "paper", "--epochs",
                             "400", "--grid", "hidden=64,128,256"], stderr=subprocess.PIPE,
                            text=True, env={**env, "EMOBOX_PROGRESS_SECONDS": "0"})
    deadline = time.time() + 60
    while time.time() < deadline and "config-epochs" not in (proc.stderr.readline() or ""):
        pass
    proc.send_signal(signal.SIGTERM)
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 143, err
    assert "interrupted (SIGTERM)" in err and "rerun the same command to resume" in err


def test_results_of_a_schema_3_database_are_refused(tmp_path):
    import sqlite3

    from emobox.runs import RunKey

    path = tmp_path / "results.sqlite"
    with ResultsDB(path) as db:
        db.add(RunKey("intra", "c", "c", "m"), {"ua": 0.5})
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value='3' WHERE name='schema'")
    with pytest.raises(EmoboxError, match="older emobox \\(schema 3\\).*move it aside"):
        ResultsDB(path)


def test_readers_work_on_a_read_only_workspace(ws, tmp_path):
    with ResultsDB(ws.results) as db:
        run_intra(ws, "savee", "toy", scheme="paper", recipe=small(hidden=8), db=db,
                  show_progress=False)
    ro = tmp_path / "ro"
    ro.mkdir()
    if subprocess.run(["mount", "--bind", str(ws.root), str(ro)]).returncode:
        pytest.skip("this machine cannot make a read-only bind mount")
    try:
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(ro)]).returncode:
            pytest.skip("this machine cannot make a bind mount read-only")
        env = {**os.environ, "EMOBOX_WORKSPACE": str(ro)}

        def emobox(*args):
            return subprocess.run([sys.executable, "-c", "from emobox.cli import main; main()",
                                   *args], capture_output=True, text=True, env=env)

        for args in (["report"], ["runs", "list"], ["splits", "show", "savee", "--scheme",
                                                    "paper"]):
            done = emobox(*args)
            assert done.returncode == 0, (args, done.stderr)
        with ResultsDB(Workspace(ro).results, readonly=True) as db:  # closed: umount works
            assert len(build_views(db.runs()).intra) == 1
        for args in (["partition", "savee"], ["run", "intra", "savee", "-m", "toy", "--scheme",
                                              "paper", "--epochs", "1", "--seed", "9"]):
            done = emobox(*args)
            assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
            assert "Read-only file system" in done.stderr
    finally:
        if subprocess.run(["umount", str(ro)]).returncode:
            subprocess.run(["umount", "--lazy", str(ro)])  # never leave a mount behind


def test_single_fold_results_print_no_zero_std(ws):
    with ResultsDB(ws.results) as db:
        run_intra(ws, "savee", "toy", scheme="paper", recipe=small(hidden=8), folds=["1"],
                  db=db, show_progress=False)
    text = cli(ws, "report", "-f", "md").output
    assert "± 0.0" not in text


def test_layers_get_a_table_in_every_format_and_a_plot_per_setting(ws, tmp_path):
    for seed in (0, 1):
        result = cli(ws, "run", "layers", "savee", "-m", "toy", "--scheme", "paper",
                     "--epochs", "2", "--grid", "hidden=8", "--seed", str(seed))
        assert result.exit_code == 0, result.output
        assert "UA per layer" in result.output
    for fmt in ("md", "latex"):
        text = cli(ws, "report", "-f", fmt).output.replace(r" $\cdot$ ", " · ")
        titles = [line for line in text.splitlines() if "UA per layer (" in line]
        assert len(titles) == 4, text  # probe and recipe, for each of two seeds
        assert sum("linear-probe-v1" in t for t in titles) == 2
        assert sum("seed 1" in t for t in titles) == 2
    cli(ws, "report", "--plots", str(tmp_path / "plots"))
    names = sorted(p.name for p in (tmp_path / "plots").glob("layers-*.png"))
    assert len(names) == 4 and sum("seed_1" in n for n in names) == 2
    assert sum("linear-probe" in n for n in names) == 2


def test_runs_show_is_json_and_export_matches_list(ws, tmp_path):
    with ResultsDB(ws.results) as db:
        run_intra(ws, "savee", "toy", scheme="paper", recipe=small(hidden=8).with_(
            grid=(("hidden", (8, 16)),)), db=db, show_progress=False)
    listed = json.loads(cli(ws, "runs", "list", "--json").stdout)
    shown = cli(ws, "runs", "show", listed[0]["run"])
    assert json.loads(shown.stdout)["run"] == listed[0]["run"]
    cli(ws, "runs", "export", "-o", str(tmp_path / "runs.csv"))
    rows = (tmp_path / "runs.csv").read_text().strip().splitlines()
    assert len(rows) - 1 == len(listed) == 4
    cli(ws, "runs", "export", "-o", str(tmp_path / "all.csv"), "--configs")
    assert len((tmp_path / "all.csv").read_text().strip().splitlines()) - 1 == 4 + 8


def test_workspace_takes_a_string(tmp_path):
    import emobox

    assert emobox.Workspace(str(tmp_path)).manifest("x") == tmp_path / "corpora/x/manifest.jsonl"
