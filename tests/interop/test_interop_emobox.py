"""EmoBox data/ import → export round trip (byte for byte) and the release's defects."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from emobox.cli import app
from emobox.errors import EmoboxError
from emobox.interop.emobox import read_emobox, write_emobox


def fabricate(folder: Path, corpus: str, speakers: dict[str, str], *, map_name="label_map.json",
              label_map=None, emos=("ang", "neu")) -> list[str]:
    """Files as EmoBox's preparer writes them (json.dumps rows, indent-4 json, stm)."""
    label_map = label_map or {"ang": "Angry", "neu": "Neutral"}
    rows, stm = [], []
    for spk_id, raw_spk in speakers.items():
        for emo in emos:
            for i in range(2):
                key = f"{corpus}-{spk_id} {emo}_{i}"  # a key with a space
                length = 1.25 + i / 3
                rows.append({"key": key, "dataset": corpus,
                             "wav": f"downloads/{corpus}/{spk_id}/{emo} {i}.wav", "type": "raw",
                             "sample_rate": 16000, "num_frame": length * 16000,
                             "task": "category", "length": length, "emo": emo, "channel": 1})
                stm.append(f"{key} 1 {raw_spk} 0 {length} "
                           f"<id={key},lang=en,spk={raw_spk},emotion={emo}> {emo}\n")
    folder.mkdir(parents=True)
    (folder / f"{corpus}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (folder / map_name).write_text(json.dumps(label_map, indent=4) + "\n")
    (folder / "data.seg.wrd.stm").write_text("".join(stm))
    files = [f"{corpus}.jsonl", "data.seg.wrd.stm"]
    spk_list = list(speakers)
    for n, test_spk in enumerate(spk_list, 1):
        test = [r for r in rows if f"-{test_spk} " in r["key"]]
        train = [r for r in rows if r not in test]
        for part, part_rows in (("train", train), ("test", test)):
            path = folder / f"fold_{n}" / f"{corpus}_{part}_fold_{n}.jsonl"
            path.parent.mkdir(exist_ok=True)
            path.write_text("".join(json.dumps(r) + "\n" for r in part_rows))
            files.append(str(path.relative_to(folder)))
    return files


def test_import_export_roundtrips_byte_for_byte(tmp_path):
    src = tmp_path / "data" / "jlcorpus"
    speakers = {s: f"downloads/jlcorpus/Raw JL corpus (unchecked)/JL(wav+txt)/{s}"
                for s in ("male2", "female1", "male1", "female2")}
    files = fabricate(src, "jlcorpus", speakers)
    data = read_emobox(src)
    assert len(data.utterances) == 16 and len(data.splits.folds) == 4
    assert {u.speaker for u in data.utterances} == set(speakers)  # spk= path cut
    assert data.utterances[0].wav == "male2/ang 0.wav" and data.utterances[0].label == "Angry"
    assert data.splits.speaker_independent
    out = tmp_path / "out"
    write_emobox(out, "jlcorpus", data.utterances, data.splits, label_map=data.label_map)
    for name in [*files, "label_map.json"]:
        assert (out / name).read_bytes() == (src / name).read_bytes(), name
    assert not (out / "fold_1" / "jlcorpus_valid_fold_1.jsonl").exists()


def test_release_defects_tolerated(tmp_path):
    emodb = tmp_path / "emodb"
    fabricate(emodb, "emodb", {"male_03": "male_03", "female_08": "female_08"},
              label_map={"ang": "Angry", "Neutral": "Neutral"}, emos=("ang", "neutral"))
    (emodb / "fold_1" / "emodb_train_fold1.jsonl").write_text("legacy\n")
    data = read_emobox(emodb)
    assert {u.label for u in data.utterances} == {"Angry", "Neutral"}
    assert any("ignored" in n for n in data.notes)
    emovo = tmp_path / "emovo"
    fabricate(emovo, "emovo", {"f1": "f1", "m1": "m1"}, map_name="label_dict.json")
    assert {u.label for u in read_emobox(emovo).utterances} == {"Angry", "Neutral"}
    bad = tmp_path / "bad"
    fabricate(bad, "bad", {"a": "a"}, label_map={"ang": "Angry"})
    with pytest.raises(EmoboxError, match="'neu'.*not in the label map"):
        read_emobox(bad)


def test_cli_import_show_export(tmp_path):
    src = tmp_path / "data" / "savee"
    fabricate(src, "savee", {s: s for s in ("JE", "KL", "DC", "JK")})
    ws = tmp_path / "ws"
    runner = CliRunner()
    result = runner.invoke(app, ["splits", "import", str(src), "-w", str(ws), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["utterances"] == 16
    shown = runner.invoke(app, ["splits", "show", "savee", "--scheme", "emobox-import", "-w",
                                str(ws), "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["folds"]["1"]["speakers"]["test"] == {"JE": 4}
    done = runner.invoke(app, ["partition", "savee", "--scheme", "emobox", "-w", str(ws),
                               "--name", "ours", "--json"])
    assert done.exit_code == 0, done.output
    again = runner.invoke(app, ["splits", "import", str(src), "-w", str(ws)])
    assert again.exit_code != 0 and "--force" in str(again.exception)  # never replaced silently
    exported = runner.invoke(app, ["splits", "export", "savee", "--scheme", "emobox-import", "-o",
                                   str(tmp_path / "out"), "-w", str(ws)])
    assert exported.exit_code == 0, exported.output
    assert (tmp_path / "out" / "savee.jsonl").read_bytes() == (src / "savee.jsonl").read_bytes()


def test_speaker_independence_is_read_from_the_data():
    from emobox.interop.emobox import speaker_disjoint
    from emobox.partition import Fold

    speakers = {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}
    loso = {"1": Fold(train=["b1", "b2"], valid=[], test=["a1", "a2"])}
    mixed = {"1": Fold(train=["a1", "b1"], valid=[], test=["a2", "b2"])}
    assert speaker_disjoint(loso, speakers) and not speaker_disjoint(mixed, speakers)
    assert not speaker_disjoint(loso, {**speakers, "a1": None})
