"""Safe loading and handling: pickle weights only on request, our heads through safetensors,
SQL with bound parameters (hostile names round-trip), no shell, no pickle in our own code."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from transformers import WavLMModel

from emobox.errors import EmoboxError
from emobox.features import get_extractor
from emobox.runs import ResultsDB, RunKey

SRC = Path(__file__).parents[2] / "src" / "emobox"


def test_pickle_weights_need_an_explicit_flag(tiny, tmp_path):
    import torch

    model = WavLMModel.from_pretrained(tiny("wavlm"))
    folder = tmp_path / "pickled"
    model.config.save_pretrained(folder)
    torch.save(model.state_dict(), folder / "pytorch_model.bin")  # weights as pickle only
    with pytest.raises(EmoboxError, match=r"only pickle weights .*--allow-pickle"):
        get_extractor(str(folder), precision="fp32")
    ours = get_extractor(str(folder), precision="fp32", allow_pickle=True)
    assert ours.extract(np.zeros(16000, np.float32)).shape[0] == len(ours.layers)


def test_hostile_names_round_trip_through_the_database(tmp_path):
    evil = "x'); DROP TABLE runs; --"
    with ResultsDB(tmp_path / "r.sqlite") as db:
        key = RunKey(protocol="intra", train_corpus=evil, test_corpus=evil, model=evil)
        db.add(key, {"ua": 0.5}, predictions=[(evil, evil, evil)])
        (record,) = db.runs(model=evil, corpus=evil)
        assert record.key == key and db.predictions(record.id) == [(evil, evil, evil)]


def test_no_shell_and_no_pickle_loading_in_our_code():
    """The one unpickling call is the data2vec 2.0 checkpoint reader's, behind its
    ``allow_pickle`` check (tested in tests/features/test_data2vec2.py)."""
    files = {p.relative_to(SRC).as_posix(): p.read_text() for p in SRC.rglob("*.py")}
    code = "\n".join(files.values())
    assert "shell=True" not in code
    pickling = r"torch\.load\(|pickle\.load|np\.load\([^)]*allow_pickle=True"
    assert [f for f, text in files.items() if re.search(pickling, text)] == [
        "features/checkpoints.py"]
    reader = files["features/checkpoints.py"]
    guard = reader.index("if not allow_pickle:\n        raise EmoboxError")
    assert len(re.findall(pickling, reader)) == 1 and guard < reader.index("torch.load(")
