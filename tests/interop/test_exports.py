"""Meeting users where they work: a demo corpus fold exported to Hugging Face datasets, lhotse,
audformat and CSV and read back by those libraries; features to pandas, npy and Parquet;
nkululeko running on an export; corpus plugins; a benchmark as one config file; model cards."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from emobox.cli import app
from emobox.demo import DemoSpec, synthesise_demo
from emobox.features import FeatureStore
from emobox.manifest import read_manifest
from emobox.partition import Splits
from emobox.workspace import Workspace

runner = CliRunner()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """demo-en (4 speakers × 5 emotions × 3 sentences) prepared, partitioned, extracted."""
    root = tmp_path_factory.mktemp("exports")
    raw = synthesise_demo(root / "raw", DemoSpec(("en",), 4, 3), show_progress=False)["demo-en"]
    ws = str(root / "ws")
    for step in (["prepare", "demo-en", "--raw", str(raw)], ["partition", "demo-en"],
                 ["extract", "demo-en"]):
        result = runner.invoke(app, [*step, "-w", ws])
        assert result.exit_code == 0, result.output
    return Workspace(root / "ws"), root


def expected(ws: Workspace, fold: str = "1") -> dict[str, dict[str, tuple]]:
    utts = {u.key: u for u in read_manifest(ws.manifest("demo-en"))}
    parts = Splits.load(ws.splits("demo-en", "paper")).folds[fold].to_dict()
    names = {"train": "train", "valid": "validation", "test": "test"}
    return {names[p]: {k: (utts[k].label, utts[k].speaker, utts[k].length) for k in keys}
            for p, keys in parts.items()}


def export(ws: Workspace, fmt: str, out) -> None:
    result = runner.invoke(app, ["export", "corpus", "demo-en", "--to", fmt, "-o", str(out),
                                 "-w", str(ws.root)])
    assert result.exit_code == 0, result.output


def test_hf_round_trip(demo, tmp_path):
    import datasets

    ws, _ = demo
    export(ws, "hf", tmp_path / "hf")
    loaded = datasets.load_from_disk(str(tmp_path / "hf"))
    want = expected(ws)
    assert set(loaded) == set(want)
    for part, rows in want.items():
        data = loaded[part].cast_column("audio", datasets.Audio(decode=False))
        names = data.features["emotion"].names
        got = {r["key"]: (names[r["emotion"]], r["speaker"],
                          sf.info(io.BytesIO(r["audio"]["bytes"])).duration) for r in data}
        assert set(got) == set(rows)
        for key, (label, speaker, length) in rows.items():
            assert got[key][:2] == (label, speaker)
            assert got[key][2] == pytest.approx(length, abs=0.01)
    assert loaded["train"].features["audio"].sampling_rate == 16000


def test_lhotse_round_trip(demo, tmp_path):
    from lhotse import load_manifest

    ws, _ = demo
    export(ws, "lhotse", tmp_path / "lh")
    for part, rows in expected(ws).items():
        sups = load_manifest(tmp_path / "lh" / f"supervisions_{part}.jsonl.gz")
        recs = load_manifest(tmp_path / "lh" / f"recordings_{part}.jsonl.gz")
        got = {s.id: (s.custom["emotion"], s.speaker, s.duration) for s in sups}
        assert set(got) == set(rows)
        for key, (label, speaker, length) in rows.items():
            assert got[key][:2] == (label, speaker)
            assert got[key][2] == pytest.approx(length, abs=0.01)
        assert len(recs) == len(rows)


def test_audformat_round_trip(demo, tmp_path):
    import audformat

    ws, _ = demo
    export(ws, "audformat", tmp_path / "af")
    db = audformat.Database.load(str(tmp_path / "af"))
    for part, rows in expected(ws).items():
        df = db[f"emotion.{part}"].get()
        assert len(df) == len(rows)
        assert sorted(df["emotion"].astype(str)) == sorted(r[0] for r in rows.values())
        assert sorted(df["speaker"].astype(str)) == sorted(r[1] for r in rows.values())
        total = sum(sf.info(str(tmp_path / "af" / f)).duration for f in df.index)
        assert total == pytest.approx(sum(r[2] for r in rows.values()), abs=0.05)


def test_csv_round_trip(demo, tmp_path):
    ws, _ = demo
    export(ws, "csv", tmp_path / "c")
    with (tmp_path / "c" / "corpus.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    for part, want in expected(ws).items():
        got = {r["key"]: (r["emotion"], r["speaker"], sf.info(r["file"]).duration)
               for r in rows if r["part"] == part}
        assert {k: v[:2] for k, v in got.items()} == {k: v[:2] for k, v in want.items()}


def test_segments_keep_their_bounds(tmp_path):
    from emobox.interop.exports import export_corpus
    from emobox.manifest import Utterance

    sf.write(tmp_path / "long.wav", np.zeros(16000 * 3, np.float32), 16000)
    utts = [Utterance(key=f"p-{i}", dataset="p", wav="long.wav", emo="e", label="Angry",
                      speaker="s", start_time=float(i), end_time=i + 0.5) for i in range(2)]
    export_corpus("csv", {"train": utts[:1], "test": utts[1:]}, tmp_path, tmp_path / "o",
                  labels=["Angry"])
    rows = list(csv.DictReader((tmp_path / "o" / "corpus.csv").open()))
    assert [(r["start"], r["end"]) for r in rows] == [("0.0", "0.5"), ("1.0", "1.5")]
    export_corpus("lhotse", {"train": utts}, tmp_path, tmp_path / "l", labels=["Angry"])
    from lhotse import load_manifest

    sups = load_manifest(tmp_path / "l" / "supervisions_train.jsonl.gz")
    assert [(s.start, s.duration) for s in sups] == [(0.0, 0.5), (1.0, 0.5)]


def test_missing_extra_names_it(monkeypatch, tmp_path):
    import builtins

    from emobox.errors import EmoboxError
    from emobox.interop.exports import export_corpus

    real = builtins.__import__

    def no_lhotse(name, *args, **kwargs):
        if name == "lhotse":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_lhotse)
    with pytest.raises(EmoboxError, match=r"pip install 'emobox\[lhotse\]'"):
        export_corpus("lhotse", {"train": []}, tmp_path, tmp_path / "x", labels=[])


def test_features_to_pandas_npy_and_parquet(demo, tmp_path):
    import pandas as pd

    ws, _ = demo
    store = FeatureStore.open(ws.features("egemaps", "demo-en"))
    frame = store.to_pandas(manifest=read_manifest(ws.manifest("demo-en")))
    assert len(frame) == len(store) and {"label", "speaker", "mean_0", "std_87"} <= set(frame)
    frames = store.to_pandas(pooled=False)
    assert len(frames) == store.total_frames
    for fmt in ("npy", "parquet"):
        result = runner.invoke(app, ["export", "features", "demo-en", "-m", "egemaps", "--to",
                                     fmt, "-o", str(tmp_path / fmt), "-w", str(ws.root)])
        assert result.exit_code == 0, result.output
    key = store.keys()[0]
    np.testing.assert_array_equal(np.load(tmp_path / "npy" / f"{key}.npy"),
                                  np.asarray(store.frames(key), np.float32))
    table = pd.read_parquet(tmp_path / "parquet" / "demo-en.parquet")
    assert len(table) == len(store) and set(table["label"]) == {"Angry", "Fear", "Happy",
                                                                "Neutral", "Sad"}


def test_nkululeko_runs_on_an_export(demo, tmp_path):
    pytest.importorskip("nkululeko", reason="nkululeko is not installed here")
    ws, _ = demo
    export(ws, "audformat", tmp_path / "af")
    (tmp_path / "exp.ini").write_text(textwrap.dedent(f"""\
        [EXP]
        root = {tmp_path / "results"}
        name = emobox_export
        runs = 1
        epochs = 1
        [DATA]
        databases = ['demo']
        demo = {tmp_path / "af"}
        demo.split_strategy = specified
        demo.train_tables = ['emotion.train']
        demo.test_tables = ['emotion.test']
        target = emotion
        [FEATS]
        type = ['os']
        [MODEL]
        type = svm
        """))
    done = subprocess.run([sys.executable, "-m", "nkululeko.nkululeko", "--config", "exp.ini"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    want = expected(ws)
    assert f"{len(want['test'])} samples in test and {len(want['train'])} samples in train" in log
    assert "DONE" in log and "result=" in log


def test_corpus_plugin_adds_a_corpus_and_clashes_are_errors(tmp_path):
    for name, corpus_name in (("goodplug", "plugcorpus"), ("badplug", "ravdess")):
        pkg = tmp_path / name
        (pkg / name).mkdir(parents=True)
        (pkg / "pyproject.toml").write_text(textwrap.dedent(f"""\
            [build-system]
            requires = ["setuptools"]
            build-backend = "setuptools.build_meta"
            [project]
            name = "{name}"
            version = "0.1"
            [project.entry-points."emobox.corpora"]
            {name} = "{name}:CORPUS"
            """))
        (pkg / name / "__init__.py").write_text(textwrap.dedent(f"""\
            from emobox.corpora import CorpusInfo, PatternCorpus
            CORPUS = PatternCorpus(
                info=CorpusInfo(name="{corpus_name}", display_name="Plug", languages=("en",),
                                label_map={{"a": "Angry"}}, protocols=("user",)),
                glob="*.wav", pattern=r"(?P<speaker>\\w+)_(?P<emo>a)\\.wav", key="{{stem}}")
            """))
        target = tmp_path / f"site-{name}"
        built = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                                "--no-build-isolation", "--target", str(target), str(pkg)],
                               capture_output=True, text=True)
        assert built.returncode == 0, built.stderr
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site-goodplug")}
    code = "from emobox.cli import main; main()"
    listing = subprocess.run([sys.executable, "-c", code, "corpora", "--json"], env=env,
                             capture_output=True, text=True)
    assert "plugcorpus" in [c["name"] for c in json.loads(listing.stdout)]
    env["PYTHONPATH"] = str(tmp_path / "site-badplug")
    clash = subprocess.run([sys.executable, "-c", code, "corpora"], env=env,
                           capture_output=True, text=True)
    assert clash.returncode == 2 and "declares 'ravdess', which already exists" in clash.stderr


def test_config_round_trip_gives_the_same_run_identities(demo, tmp_path):
    ws, _ = demo
    args = ["run", "intra", "demo-en", "--epochs", "3", "--grid", "lr=1e-3 hidden=16",
            "-w", str(ws.root)]
    first = runner.invoke(app, [*args, "--json"])
    assert first.exit_code == 0, first.output
    ids = {run for row in json.loads(first.stdout) for run in row["runs"]}
    dumped = runner.invoke(app, [*args, "--dump-config", str(tmp_path / "bench.toml")])
    assert dumped.exit_code == 0 and (tmp_path / "bench.toml").is_file()
    from emobox.runs import ResultsDB

    with ResultsDB(ws.results) as db:
        db.delete(sorted(ids))
    again = runner.invoke(app, ["run", "--config", str(tmp_path / "bench.toml"), "-w",
                                str(ws.root), "--json"])
    assert again.exit_code == 0, again.output
    assert {run for row in json.loads(again.stdout) for run in row["runs"]} == ids
    shown = runner.invoke(app, ["runs", "show", sorted(ids)[0], "-w", str(ws.root), "--json"])
    assert json.loads(shown.stdout)["info"]["config"]["grid"] == "lr=1e-3 hidden=16"


def test_exported_head_has_a_model_card(demo, tmp_path):
    ws, _ = demo
    runner.invoke(app, ["run", "intra", "demo-en", "--epochs", "2", "--grid", "lr=1e-3",
                        "-w", str(ws.root)])
    runs = json.loads(runner.invoke(app, ["runs", "list", "-w", str(ws.root), "--json"]).stdout)
    result = runner.invoke(app, ["export", "head", runs[0]["run"], "-o", str(tmp_path / "h"),
                                 "-w", str(ws.root)])
    assert result.exit_code == 0, result.output
    card = (tmp_path / "h" / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: emobox") and "| ua |" in card
    assert json.loads((tmp_path / "h" / "config.json").read_text())["labels"]
