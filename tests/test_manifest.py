import json

import pytest

from emobox.errors import ManifestError
from emobox.manifest import (
    Utterance,
    read_manifest,
    validate_manifest,
    write_manifest,
)


def utt(key="c-1", wav="a/1.wav", label="Angry", **kw):
    return Utterance(key=key, dataset="c", wav=wav, emo="ang", label=label, speaker="s1",
                     gender="F", lang="en", sample_rate=16000, length=1.0, channel=1, **kw)


def test_round_trip_keeps_extra_fields_and_segments(tmp_path):
    rows = [utt(), utt("c-2", start_time=1.5, end_time=2.5, extra={"split": "train"})]
    path = write_manifest(tmp_path / "m.jsonl", rows)
    assert read_manifest(path) == rows
    line = json.loads(path.read_text().splitlines()[1])
    assert line["split"] == "train" and line["start_time"] == 1.5
    assert "start_time" not in json.loads(path.read_text().splitlines()[0])


def test_reads_emobox_rows(tmp_path):
    row = {"key": "ravdess-03-01-05-01-02-01-18", "dataset": "ravdess",
           "wav": "downloads/ravdess/Actor_18/03-01-05-01-02-01-18.wav", "type": "raw",
           "sample_rate": 48000, "num_frame": 177177, "task": "category", "length": 3.691,
           "emo": "angry", "channel": 1}
    path = tmp_path / "ravdess.jsonl"
    path.write_text(json.dumps(row) + "\n")
    (u,) = read_manifest(path)
    assert u.label == "angry" and u.speaker is None and u.length == 3.691
    assert u.extra == {"type": "raw", "num_frame": 177177}
    assert {k: v for k, v in u.to_dict().items() if k in row} == row


def test_missing_field_names_file_line_and_field(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps(utt().to_dict()) + "\n" + json.dumps({"key": "c-2", "wav": "x.wav"})
                    + "\n")
    with pytest.raises(ManifestError, match=r"m\.jsonl:2: missing field 'emo'"):
        read_manifest(path)


def test_bad_json_and_duplicate_key(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text("{not json\n")
    with pytest.raises(ManifestError, match=r"m\.jsonl:1: not valid JSON"):
        read_manifest(path)
    write_manifest(path, [utt(), utt()])
    with pytest.raises(ManifestError, match="duplicate key 'c-1'"):
        read_manifest(path)


def test_validation_errors(tmp_path):
    with pytest.raises(ManifestError, match="unknown label 'Joy'"):
        validate_manifest([utt(label="Joy")], labels=["Angry"])
    with pytest.raises(ManifestError, match="escapes the raw root"):
        validate_manifest([utt(wav="../other/x.wav")])
    with pytest.raises(ManifestError, match="escapes the raw root"):
        validate_manifest([utt(wav="/abs/x.wav")])
    with pytest.raises(ManifestError, match="missing file"):
        validate_manifest([utt()], raw_root=tmp_path)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1.wav").write_bytes(b"")
    assert validate_manifest([utt()], raw_root=tmp_path, labels=["Angry"])


def test_bad_gender_is_refused(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text(json.dumps({**utt().to_dict(), "gender": "female"}) + "\n")
    with pytest.raises(ManifestError, match="gender"):
        read_manifest(path)


def test_atomic_write_leaves_no_temp_file(tmp_path):
    write_manifest(tmp_path / "m.jsonl", [utt()])
    assert [p.name for p in tmp_path.iterdir()] == ["m.jsonl"]
