"""A local emotion2vec checkpoint (FunASR folder) through extract, run intra, report and
predict, with the pickle flag where its weights need it."""

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from emobox.cli import app

runner = CliRunner()
FIXTURE = Path(__file__).parents[1] / "fixtures" / "data2vec2" / "large-funasr"


def test_emotion2vec_folder_end_to_end(tmp_path):
    ws, model = str(tmp_path / "ws"), str(tmp_path / "emotion2vec-tiny")
    shutil.copytree(FIXTURE, model)
    demo = runner.invoke(app, ["demo", "-w", ws, "--languages", "en,de", "--speakers", "4",
                               "--sentences", "1", "--epochs", "1", "--versus-epochs", "0"])
    assert demo.exit_code == 0, demo.output
    refused = runner.invoke(app, ["extract", "demo-en", "-m", model, "-w", ws])
    assert refused.exit_code != 0 and "--allow-pickle" in str(refused.exception or "") + \
        refused.output
    done = runner.invoke(app, ["extract", "demo-en", "-m", model, "--allow-pickle", "-w", ws])
    assert done.exit_code == 0, done.output
    run = runner.invoke(app, ["run", "intra", "demo-en", "-m", model, "--epochs", "1",
                              "-w", ws, "--json"])
    assert run.exit_code == 0, run.output
    report = runner.invoke(app, ["report", "-w", ws])
    assert report.exit_code == 0 and "emotion2vec-tiny" in report.output
    runs = json.loads(runner.invoke(app, ["runs", "list", "-w", ws, "--json"]).stdout)
    run_id = next(r["run"] for r in runs if r["model"].startswith("emotion2vec-tiny"))
    wav = str(next((Path(ws) / "raw" / "demo-en").rglob("*.wav")))
    assert runner.invoke(app, ["predict", wav, "--run", run_id, "-w", ws]).exit_code != 0
    predicted = runner.invoke(app, ["predict", wav, "--run", run_id, "--allow-pickle",
                                    "-w", ws, "--json"])
    assert predicted.exit_code == 0, predicted.output
    assert json.loads(predicted.stdout)[0]["file"] == wav
