"""A user's own corpus from a table: prepared, partitioned, extracted, trained and reported
like a built-in one; bad tables stop with one line naming the table row."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from emobox.cli import app
from emobox.demo import DemoSpec, synthesise_demo

runner = CliRunner()


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    """A folder of real (synthesised) speech: 4 speakers × 5 emotions × 3 sentences."""
    root = tmp_path_factory.mktemp("user")
    raw = synthesise_demo(root / "raw", DemoSpec(("fr",), 4, 3), show_progress=False)["demo-fr"]
    rows = []
    for wav in sorted(raw.rglob("*.wav")):
        speaker, emo, _ = wav.stem.split("_")
        rows.append((wav.relative_to(raw).as_posix(), emo, speaker, speaker[0]))
    return raw, rows


def write_table(path, rows, header="path,emotion,speaker,gender"):
    path.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_table_corpus_end_to_end(audio, tmp_path):
    raw, rows = audio
    table = write_table(tmp_path / "mine.csv", rows)
    ws = str(tmp_path / "ws")
    steps = [["prepare", "mycorpus", "--table", str(table), "--raw", str(raw), "-w", ws],
             ["partition", "mycorpus", "-w", ws],
             ["extract", "mycorpus", "-w", ws],
             ["run", "intra", "mycorpus", "--epochs", "5", "-w", ws, "--json"]]
    for step in steps:
        result = runner.invoke(app, step)
        assert result.exit_code == 0, (step, result.output)
    data = json.loads(result.stdout)
    assert data[0]["corpus"] == "mycorpus" and data[0]["scheme"] == "paper"
    assert data[0]["folds"] == 4  # 4 balanced speakers: leave-one-speaker-out (§2.2)
    report = runner.invoke(app, ["report", "-w", ws, "--corpus", "mycorpus", "--json"])
    assert json.loads(report.stdout)["intra"][0]["runs"]


def test_jsonl_and_tsv_tables_read_the_same(audio, tmp_path):
    raw, rows = audio
    tsv = tmp_path / "t.tsv"
    tsv.write_text("path\temotion\tspeaker\n" + "".join(f"{p}\t{e}\t{s}\n"
                                                        for p, e, s, _ in rows))
    jsonl = tmp_path / "t.jsonl"
    jsonl.write_text("".join(json.dumps({"wav": p, "emo": e, "speaker": s}) + "\n"
                             for p, e, s, _ in rows))
    counts = []
    for i, table in enumerate((tsv, jsonl)):
        result = runner.invoke(app, ["prepare", f"mine{i}", "--table", str(table), "--raw",
                                     str(raw), "-w", str(tmp_path / "ws"), "--json"])
        assert result.exit_code == 0, result.output
        counts.append(json.loads(result.stdout)["utterances"])
    assert counts == [len(rows)] * 2


def cli(*args):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    code = "import sys; from emobox.cli import main; sys.argv[0] = 'emobox'; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env=env)


@pytest.mark.parametrize("case, message", [
    ("unknown_column", "mine.csv:2: unknown column 'mood'"),
    ("empty_emotion", "mine.csv:3: empty or missing 'emotion'"),
    ("missing_file", "mine.csv:2: file not found"),
    ("escaping_path", "mine.csv:2: "),
    ("duplicate", "mine.csv:3: utterance"),
    ("builtin_name", "'ravdess' is a built-in corpus"),
])
def test_bad_tables_name_the_row(audio, tmp_path, case, message):
    raw, rows = audio
    header, name = "path,emotion,speaker,gender", "mycorpus"
    rows = [list(r) for r in rows[:3]]
    if case == "unknown_column":
        header = "path,emotion,speaker,mood"
    elif case == "empty_emotion":
        rows[1][1] = ""
    elif case == "missing_file":
        rows[0][0] = "F01/nope.wav"
    elif case == "escaping_path":
        rows[0][0] = "../outside.wav"
    elif case == "duplicate":
        rows[1] = rows[0]
    elif case == "builtin_name":
        name = "ravdess"
    table = write_table(tmp_path / "mine.csv", [tuple(r) for r in rows], header)
    proc = cli("prepare", name, "--table", str(table), "--raw", str(raw), "-w",
               str(tmp_path / "ws"))
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "ws" / "corpora" / name / "manifest.jsonl").exists()
