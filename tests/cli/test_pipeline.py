"""End to end: the reduced demo through the CLI, bad input, a tiny transformers model."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from emobox.cli import app
from emobox.manifest import read_manifest
from emobox.partition import Splits
from emobox.runs import ResultsDB
from emobox.workspace import Workspace

runner = CliRunner()
REDUCED = ["--languages", "en,de", "--speakers", "4", "--sentences", "3", "--epochs", "20",
           "--versus-epochs", "5"]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from emobox.cli import main; main()", *args],
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    ws = tmp_path_factory.mktemp("demo")
    result = runner.invoke(app, ["demo", "-w", str(ws), *REDUCED])
    assert result.exit_code == 0, result.output
    return ws, result.output


def test_demo_prints_both_tables(demo_ws):
    ws, output = demo_ws
    assert "Intra-corpus" in output and "Cross-corpus accuracy" in output
    assert "demo-en" in output and "demo-de" in output and "Eq. 1" in output
    assert "synthetic" in output


def test_demo_writes_every_stage(demo_ws):
    ws = Workspace(demo_ws[0])
    for corpus in ("demo-en", "demo-de"):
        utts = read_manifest(ws.manifest(corpus))
        assert len(utts) == 4 * 5 * 3
        assert json.loads(ws.prepare_report(corpus).read_text())["skipped"] == 0
        splits = Splits.load(ws.splits(corpus, "paper"))  # the default outside EmoBox's 32
        assert splits.speaker_independent and len(splits.folds) == 4  # §2.2: 4 speakers, LOSO
        assert sorted({u.gender for u in utts}) == ["F", "M"]
        speaker = {u.key: u.speaker for u in utts}
        for fold in splits.folds.values():  # speaker-independent: no speaker in both sides
            assert not {speaker[k] for k in fold.test} & {speaker[k] for k in
                                                          fold.train + fold.valid}
            assert sorted(fold.train + fold.valid + fold.test) == sorted(speaker)
    with ResultsDB(ws.results) as db:
        runs = [r for r in db.runs() if r.key.protocol in ("intra", "cross")]
        assert sorted({(r.key.protocol, r.key.train_corpus, r.key.test_corpus)
                       for r in runs}) == [
            ("cross", "demo-de", "demo-en"), ("cross", "demo-en", "demo-de"),
            ("intra", "demo-de", "demo-de"), ("intra", "demo-en", "demo-en")]
        assert all(0.0 <= r.metrics["ua"] <= 1.0 for r in runs)
        assert len(db.predictions(runs[0].id)) == runs[0].metrics["n"]
        assert len(runs) == 2 * 2 * 4 + 2  # intra: 20 epochs and --versus-epochs 5; cross
        assert {dict(r.key.hparams)["epochs"] for r in runs
                if r.key.protocol == "intra"} == {20, 5}
    report = (ws.reports / "report.md").read_text()  # two settings ranked, intervals in cells
    table4 = report[report.index("EmoBox Table 4 layout"):].split("\n\n")[1]
    assert "¹" in table4 and "[" in table4 and "ranks with ties" in report
    html = ws.reports / "html"  # the demo's site: a page per corpus, linked from the index
    index = (html / "index.html").read_text()
    for corpus in ("demo-en", "demo-de"):
        assert f"corpora/{corpus}.html" in index and (html / "corpora" / f"{corpus}.html"
                                                      ).is_file()
    assert "Cost per model and machine" in (ws.reports / "report.md").read_text()


def test_report_and_json_from_results(demo_ws):
    ws, _ = demo_ws
    result = runner.invoke(app, ["report", "-w", str(ws), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {r["corpus"] for r in data["intra"]} == {"demo-en", "demo-de"}
    assert all(r["scheme"] == "paper" and "std" in r["ua"] for r in data["intra"])
    assert len(data["cross"]) == 1 and len(data["cross"][0]["pairs"]) == 2


def test_demo_is_deterministic(demo_ws, tmp_path):
    again = runner.invoke(app, ["demo", "-w", str(tmp_path), *REDUCED, "--json"])
    first = runner.invoke(app, ["report", "-w", str(demo_ws[0]), "--json"])
    second = runner.invoke(app, ["report", "-w", str(tmp_path), "--json"])
    assert again.exit_code == 0
    first, second = json.loads(first.stdout), json.loads(second.stdout)
    for data in (first, second):  # wall-clock cost differs between any two runs
        assert {r["model"] for r in data.pop("cost")} == {r["model"] for r in data["intra"]}
        data["tables"] = [t for t in data["tables"] if not t["title"].startswith("Cost ")]
    assert first == second


def test_intra_and_cross_verbs(demo_ws):
    ws, _ = demo_ws
    result = runner.invoke(app, ["run", "intra", "demo-en", "-w", str(ws), "--epochs", "3",
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["folds"] == 4
    result = runner.invoke(app, ["run", "cross", "demo-en", "demo-de", "-w", str(ws),
                                 "--epochs", "3", "--labels", "Angry,Sad"])
    assert result.exit_code == 0, result.output
    assert "Cross-corpus" in result.output


def test_cross_on_balanced_test_sets_in_shared4(demo_ws):
    ws, _ = demo_ws
    for corpus in ("demo-en", "demo-de"):
        result = runner.invoke(app, ["balance", corpus, "-w", str(ws), "--space", "shared4",
                                     "-n", "2", "--name", "bal4", "--json"])
        assert result.exit_code == 0, result.output
        assert len(json.loads(result.stdout)["keys"]) == 4 * 4 * 2
    result = runner.invoke(app, ["run", "cross", "demo-en", "demo-de", "-w", str(ws),
                                 "--space", "shared4", "--test-split", "bal4", "--epochs", "3",
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)[0]["pairs"]) == 2
    with ResultsDB(Workspace(ws).results) as db:
        cross = [r for r in db.runs(protocol="cross")
                 if r.key.scheme_params["test_split"] == "bal4"]
    assert {r.metrics["n"] for r in cross} == {32}
    assert all(list(r.key.labels) == ["Angry", "Happy", "Neutral", "Sad"]
               and r.key.label_space == "shared4" for r in cross)


@pytest.mark.parametrize("args, message", [
    (["prepare", "no-such-corpus", "--raw", "."], "unknown corpus 'no-such-corpus'"),
    (["prepare", "demo-en", "--raw", "/does/not/exist"], "raw folder does not exist"),
    (["extract", "demo-en", "-w", "/does/not/exist"], "manifest not found"),
    (["corpora", "--protocol", "bogus"], "unknown protocol 'bogus'"),
    (["prepare", "demo-en", "--raw", "/etc/hostname"], "is a file"),
    (["partition", "demo-en", "-w", "/etc/hostname"], "is a file, not a folder"),
    (["extract", "demo-en", "-m", "./no-such-model-dir"], "model folder not found"),
    (["run", "intra", "demo-en", "-w", "/does/not/exist"], "manifest not found"),
    (["report", "-w", "/does/not/exist"], "no results"),
])
def test_bad_input_is_one_line_without_traceback(args, message):
    proc = cli(*args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_manifest_line_with_missing_field(tmp_path):
    ws = Workspace(tmp_path)
    ws.manifest("demo-en").parent.mkdir(parents=True)
    ws.manifest("demo-en").write_text('{"key": "demo-en-x", "wav": "x.wav"}\n')
    proc = cli("partition", "demo-en", "-w", str(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "manifest.jsonl:1: missing field 'emo'" in proc.stderr


def test_every_verb_has_help():
    for verb in (["corpora"], ["demo"], ["prepare"], ["partition"], ["extract"],
                 ["run", "intra"], ["run", "cross"], ["report"], ["features", "check"],
                 ["features", "repair"], ["splits", "export"], ["models"]):
        result = runner.invoke(app, [*verb, "--help"], terminal_width=100)
        assert result.exit_code == 0 and "Usage" in result.output
        assert "<bool>" not in result.output and "{" not in result.output.splitlines()[0]


def test_corpora_lists_demo_corpora_as_json():
    result = runner.invoke(app, ["corpora", "--json", "--protocol", "demo"])
    names = [c["name"] for c in json.loads(result.stdout)]
    assert names == ["demo-de", "demo-en", "demo-fr"]


def test_demo_with_a_tiny_transformers_model(tmp_path):
    from transformers import WavLMConfig, WavLMModel

    from emobox.features import store_name

    # real total stride (320 samples = 20 ms frames) so sequence lengths are realistic
    config = WavLMConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, conv_dim=(32, 32, 32), conv_kernel=(10, 8, 4),
                         conv_stride=(5, 8, 8), num_conv_pos_embeddings=16,
                         num_conv_pos_embedding_groups=2, num_buckets=16, max_bucket_distance=50)
    model_dir = tmp_path / "tiny-wavlm"
    WavLMModel(config).save_pretrained(model_dir)
    ws = tmp_path / "ws"
    result = runner.invoke(app, ["demo", "-w", str(ws), "--model", str(model_dir),
                                 "--languages", "en,fr", "--speakers", "2", "--sentences", "2",
                                 "--epochs", "2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {r["corpus"] for r in data["intra"]} == {"demo-en", "demo-fr"}
    # a local model's stores are named by its folder and a fingerprint of its files
    name = store_name(str(model_dir))
    assert len(data["cross"][0]["pairs"]) == 2 and data["model"] == name
    assert name.startswith("tiny-wavlm-")
    genders = {u.gender for u in read_manifest(Workspace(ws).manifest("demo-en"))}
    assert genders == {"F", "M"}  # --speakers 2: one of each
    # the other two protocols on the same extraction
    layers = runner.invoke(app, ["run", "layers", "demo-en", "-m", str(model_dir), "--epochs",
                                 "2", "-w", str(ws), "--json"])
    assert layers.exit_code == 0, layers.output
    curve, probe = sorted(json.loads(layers.stdout), key=lambda c: "linear-probe" in c["setting"])
    assert "linear-probe" in probe["setting"] and sorted(int(k) for k in probe["ua"]) == [0, 1, 2]
    assert sorted(int(k) for k in curve["ua"]) == [0, 1, 2] and curve["model"] == name
    ood = runner.invoke(app, ["run", "ood", "demo-en", "demo-fr", "-m", str(model_dir),
                              "--epochs", "2", "-w", str(ws), "--json"])
    assert ood.exit_code == 0, ood.output
    cells = json.loads(ood.stdout)[0]["cells"]
    assert {(c["train"], c["test"]) for c in cells} == {("demo-en", "demo-en"),
                                                      ("demo-fr", "demo-fr")}
    # the same folder under another spelling is the same store
    info = runner.invoke(app, ["features", "info", "demo-en", "-m", f"{tmp_path}/../"
                               f"{tmp_path.name}/tiny-wavlm", "-w", str(ws), "--json"])
    assert info.exit_code == 0, info.output
    assert json.loads(info.stdout)["layers"] == [0, 1, 2]  # `demo` stores every layer


def test_partition_refuses_parameters_it_cannot_honour(demo_ws):
    ws, _ = demo_ws
    proc = cli("partition", "demo-en", "--scheme", "speaker-kfold", "--k", "5", "-w", str(ws))
    assert proc.returncode == 2 and "k=5 needs at least 5 speakers; the corpus has 4" in \
        proc.stderr
    proc = cli("partition", "demo-en", "--k", "3", "-w", str(ws))  # default scheme: paper
    assert proc.returncode == 2 and "scheme 'paper' has no parameter 'k'" in proc.stderr


def test_export_uses_the_same_default_scheme_as_partition(demo_ws, tmp_path):
    ws, _ = demo_ws
    result = runner.invoke(app, ["splits", "export", "demo-en", "-o", str(tmp_path / "out"),
                                 "-w", str(ws)])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out").glob("fold_*"))) == 4


def test_demo_rerun_adds_no_rows(demo_ws):
    ws, _ = demo_ws
    with ResultsDB(Workspace(ws).results) as db:
        before = len(db.runs())
    again = runner.invoke(app, ["demo", "-w", str(ws), *REDUCED, "--json"])
    assert again.exit_code == 0, again.output
    with ResultsDB(Workspace(ws).results) as db:
        assert len(db.runs()) == before


@pytest.mark.parametrize("args", [["--sentences", "0"], ["--speakers", "1"],
                                  ["--speakers", "7"]])
def test_demo_refuses_impossible_sizes(args, tmp_path):
    proc = cli("demo", "-w", str(tmp_path), *args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert not (tmp_path / "raw").exists()


def test_models_lists_handcrafted_feature_sets():
    data = json.loads(runner.invoke(app, ["models", "--json"]).stdout)
    names = [m["name"] for m in data]
    assert names[:3] == ["egemaps", "egemaps-lld", "logmel"]
    assert "microsoft/wavlm-large" in [m.get("hub_id") for m in data]


def test_predict_a_demo_file_with_a_run(demo_ws):
    ws, _ = demo_ws
    runs = json.loads(runner.invoke(app, ["runs", "list", "-w", str(ws), "--json"]).stdout)
    run = next(r["run"] for r in runs if r["protocol"] == "intra" and r["train"] == "demo-en")
    wav = next((Workspace(ws).root / "raw" / "demo-en").rglob("*_ang_00.wav"))
    result = runner.invoke(app, ["predict", str(wav), "--run", run, "-w", str(ws), "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["file"] == str(wav) and row["start"] == 0.0
    assert set(row["probabilities"]) == {"Angry", "Fear", "Happy", "Neutral", "Sad"}
    assert abs(sum(row["probabilities"].values()) - 1) < 1e-5
    assert row["emotion"] == max(row["probabilities"], key=row["probabilities"].get)
    bad = cli("predict", str(wav), "-w", str(ws))
    assert bad.returncode == 2 and "exactly one of --run" in bad.stderr


def test_readme_api_example_runs(demo_ws, monkeypatch):
    import re
    from pathlib import Path

    ws, _ = demo_ws
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    code = re.search(r"<!-- api-example -->\n```python\n(.*?)```", readme, re.S).group(1)
    monkeypatch.setenv("EMOBOX_WORKSPACE", str(ws))
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert 0.0 <= namespace["metrics"]["ua"] <= 1.0
    report = json.loads(runner.invoke(app, ["report", "-w", str(ws), "--json"]).stdout)
    assert any(r["model"] == "my-model" for r in report["intra"])


def test_balance_with_a_run_as_pseudo_labeler(demo_ws):
    ws, _ = demo_ws
    runs = json.loads(runner.invoke(app, ["runs", "list", "-w", str(ws), "--json"]).stdout)
    run = next(r["run"] for r in runs if r["protocol"] == "intra" and r["train"] == "demo-en")
    result = runner.invoke(app, ["balance", "demo-en", "-w", str(ws), "--space", "native",
                                 "-n", "1", "--labeler", f"run:{run}", "--name", "agree",
                                 "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["agreement"]["checked"] == 60 and 0 < data["agreement"]["agreed"] <= 60
    bad = cli("balance", "demo-en", "-w", str(ws), "--labeler", "nonsense")
    assert bad.returncode == 2 and "--labeler takes run:RUN_ID" in bad.stderr
