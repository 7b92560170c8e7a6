"""Bad audio and bad input: every broken file is decoded or skipped with its reason and the
totals add up; every user mistake is one line naming the problem, a non-zero exit, no
traceback, and nothing written half-way. Determinism: same seed, same everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
from fabricate import write_video
from typer.testing import CliRunner

from emobox.cli import app
from emobox.demo import DemoSpec, synthesise_demo

runner = CliRunner()
CLI = [sys.executable, "-c", "import sys; from emobox.cli import main; sys.argv[0] = 'emobox'; "
       "main()"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})


def speechlike(seconds: float, rate: int = 16000, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    x = 0.3 * np.sin(2 * np.pi * 180 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    x = x + 0.02 * np.random.default_rng(0).standard_normal(len(t))
    return np.repeat(x[:, None], channels, axis=1) if channels > 1 else x


@pytest.fixture(scope="module")
def bad_corpus(tmp_path_factory):
    raw = tmp_path_factory.mktemp("bad") / "raw"
    raw.mkdir()
    (raw / "empty.wav").write_bytes(b"")
    sf.write(raw / "full.wav", speechlike(1.0), 16000)
    (raw / "truncated.wav").write_bytes((raw / "full.wav").read_bytes()[:30])
    (raw / "random.wav").write_bytes(np.random.default_rng(1).bytes(5000))
    nan = speechlike(1.0).astype(np.float32)
    nan[100:200] = np.nan
    sf.write(raw / "nan.wav", nan, 16000, subtype="FLOAT")
    sf.write(raw / "single.wav", np.array([0.1]), 16000)
    sf.write(raw / "silence.wav", np.zeros(16000), 16000)
    sf.write(raw / "rate8k.wav", speechlike(1.0, 8000), 8000)
    sf.write(raw / "six.wav", speechlike(1.0, channels=6), 16000)
    sf.write(raw / "long.wav", speechlike(600.0).astype(np.float32), 16000, subtype="PCM_16")
    sf.write(raw / "speech.mp3", speechlike(1.0, 22050), 22050, format="MP3")
    sf.write(raw / "speech.flac", speechlike(1.0, 44100), 44100)
    sf.write(raw / "speech.ogg", speechlike(1.0, 48000), 48000, format="OGG")
    write_video(raw / "speech.mp4", seconds=1.0, sample_rate=44100)
    (raw / "notes.txt").write_text("not audio")
    names = sorted(p.name for p in raw.iterdir())
    table = raw.parent / "table.csv"
    table.write_text("path,emotion,speaker\n" + "".join(
        f"{n},{'Angry' if i % 2 else 'Sad'},s{i % 3}\n" for i, n in enumerate(names)))
    return raw, table, names


def test_bad_audio_is_decoded_or_skipped_with_reasons(bad_corpus, tmp_path):
    raw, table, names = bad_corpus
    ws = str(tmp_path / "ws")
    prepared = runner.invoke(app, ["prepare", "bad", "--table", str(table), "--raw", str(raw),
                                   "-w", ws, "--json"])
    assert prepared.exit_code == 0, prepared.output
    report = json.loads((tmp_path / "ws" / "corpora" / "bad" / "prepare_report.json")
                        .read_text())
    skipped = {s["wav"]: s["reason"] for s in report["skipped_files"]}
    assert report["utterances"] + report["skipped"] == len(names) == 15  # totals add up
    assert set(skipped) == {"empty.wav", "truncated.wav", "random.wav", "notes.txt"}
    assert all(reason.startswith("unreadable") for reason in skipped.values())
    extracted = runner.invoke(app, ["extract", "bad", "-w", ws, "--json"])
    assert extracted.exit_code == 0, extracted.output
    summary = json.loads(extracted.stdout)["bad"]
    assert summary["extracted"] + summary["failed"] == report["utterances"]
    failures = summary["failures"]
    assert failures["bad-nan"] == "non-finite audio samples (NaN/inf)"
    assert failures["bad-single"] == "non-finite features (NaN/inf)"  # shorter than a window
    assert not {"bad-long", "bad-six", "bad-rate8k", "bad-speech.mp3", "bad-speech.flac",
                "bad-speech.ogg", "bad-speech.mp4"} & set(failures)
    assert summary["audio_seconds"] > 600  # the 10-minute file went through
    stages = summary["stage_seconds"]  # handcrafted (egemaps): decode, writes, wall
    assert stages["decode"] > 0 and stages["wall"] >= stages["decode"] / 2


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("inputs")
    raws = synthesise_demo(root / "raw", DemoSpec(("en", "de"), 4, 2), show_progress=False)
    ws = root / "ws"
    for corpus, raw in raws.items():
        for step in (["prepare", corpus, "--raw", str(raw)], ["partition", corpus],
                     ["extract", corpus]):
            assert runner.invoke(app, [*step, "-w", str(ws)]).exit_code == 0
    return ws, raws["demo-en"]


def _manifest_with(ws, line_change) -> None:
    path = ws / "corpora" / "demo-en" / "manifest.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line_change(lines)) + "\n")


@pytest.mark.parametrize("case", ["unknown_corpus", "unknown_model", "raw_is_wrong",
                                  "duplicate_keys", "escaping_path", "absolute_path",
                                  "escaping_key_list", "unknown_label_space", "empty_test",
                                  "label_without_training_data", "table_missing_columns",
                                  "unknown_scheme_parameter", "bad_recipe_field"])
def test_bad_input_is_one_line(case, demo_ws, tmp_path):
    import shutil

    src, raw = demo_ws
    ws = tmp_path / "ws"
    shutil.copytree(src, ws)
    args: list[str]
    if case == "unknown_corpus":
        args, message = ["partition", "nosuch"], "unknown corpus 'nosuch'"
    elif case == "unknown_model":
        args, message = ["extract", "demo-en", "-m", "nosuchmodel"], "unknown model"
    elif case == "raw_is_wrong":
        args, message = ["prepare", "ravdess", "--raw", str(raw)], "RAVDESS"
    elif case == "duplicate_keys":
        _manifest_with(ws, lambda lines: [*lines, lines[0]])
        args, message = ["partition", "demo-en"], "duplicate key"
    elif case in ("escaping_path", "absolute_path"):
        bad = "../../etc/passwd" if case == "escaping_path" else "/etc/passwd"

        def change(lines):
            row = json.loads(lines[0])
            row["wav"] = bad
            return [json.dumps(row), *lines[1:]]

        _manifest_with(ws, change)
        args, message = ["partition", "demo-en"], "field 'wav': path"
    elif case == "escaping_key_list":
        keys = tmp_path / "keys.json"
        keys.write_text(json.dumps({"1": {"train": ["../x"], "test": ["demo-en-F01_ang_00"]}}))
        args, message = ["partition", "demo-en", "--scheme", "file", "--file", str(keys)], \
            "not in the manifest"
    elif case == "unknown_label_space":
        args, message = ["run", "cross", "demo-en", "demo-de", "--space", "nospace"], \
            "unknown label space"
    elif case == "empty_test":
        keys = tmp_path / "keys.json"
        keys.write_text(json.dumps({"1": {"train": ["demo-en-F01_ang_00"], "test": []}}))
        args, message = ["partition", "demo-en", "--scheme", "file", "--file", str(keys)], \
            "empty test part"
    elif case == "label_without_training_data":
        args, message = ["run", "cross", "demo-en", "demo-de", "--labels", "Angry,Calm"], \
            "label 'Calm' is not in demo-en, demo-de"
    elif case == "table_missing_columns":
        table = tmp_path / "t.csv"
        table.write_text("path,emotion\nF01/F01_ang_00.wav,Angry\n")
        args, message = ["prepare", "mine", "--table", str(table), "--raw", str(raw)], \
            "empty or missing 'speaker'"
    elif case == "unknown_scheme_parameter":
        args, message = ["partition", "demo-en", "--param", "bogus=1"], \
            "has no parameter 'bogus'"
    else:
        args, message = ["run", "intra", "demo-en", "--set", "optimiser=sgd"], \
            "recipe has no field 'optimiser'"
    before = sorted(p.relative_to(ws) for p in ws.rglob("*") if p.is_file())
    proc = cli(*args, "-w", str(ws))
    assert proc.returncode == 2, (case, proc.stderr)
    assert message in proc.stderr, (case, proc.stderr)
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    after = sorted(p.relative_to(ws) for p in ws.rglob("*") if p.is_file())
    assert after == before  # nothing written half-way


def test_same_seed_same_everything_other_seed_changes_only_what_it_should(tmp_path):
    raw = synthesise_demo(tmp_path / "raw", DemoSpec(("en",), 4, 2), show_progress=False)
    outputs = []
    for name, seed in (("a", "0"), ("b", "0"), ("c", "1")):
        ws = str(tmp_path / name)
        for step in (["prepare", "demo-en", "--raw", str(raw["demo-en"])],
                     ["partition", "demo-en", "--scheme", "speaker-kfold", "--k", "2",
                      "--seed", seed], ["extract", "demo-en"]):
            assert runner.invoke(app, [*step, "-w", ws]).exit_code == 0
        result = runner.invoke(app, ["run", "intra", "demo-en", "--scheme", "speaker-kfold",
                                     "--epochs", "5", "--seed", seed, "-w", ws, "--json"])
        assert result.exit_code == 0, result.output
        from emobox.features import FeatureStore
        from emobox.runs import ResultsDB

        splits = (tmp_path / name / "corpora" / "demo-en" / "splits" / "speaker-kfold.json"
                  ).read_text()
        store = FeatureStore.open(tmp_path / name / "features" / "egemaps" / "demo-en")
        features = {k: np.asarray(store.frames(k)).tobytes() for k in store}
        with ResultsDB(tmp_path / name / "results.sqlite") as db:
            runs = sorted(db.runs(protocol="intra"), key=lambda r: r.key.fold)
            predictions = [db.predictions(r.id) for r in runs]
            metrics = [r.metrics for r in runs]
        outputs.append((splits, features, predictions, metrics))
    a, b, c = outputs
    assert a == b  # splits, features, predictions and metrics identical
    assert a[1] == c[1]  # another seed leaves the features alone
    assert a[0] != c[0]  # … and changes the splits (and so what is trained and tested)
