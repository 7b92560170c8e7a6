"""Polish, SUBESCO, TESS, TurEV-DB and URDU: miniature raw trees in the real layouts."""

from __future__ import annotations

import json

import pytest
from fabricate import prepare_corpus as run
from fabricate import skip_reasons as skips
from fabricate import write_audio, write_corrupt
from fabricate import write_tree as make
from typer.testing import CliRunner

from emobox.corpora import get_corpus
from emobox.errors import LayoutError


def rows(result) -> list[tuple]:
    return sorted((u.key, u.emo, u.label, u.speaker, u.gender) for u in result.utterances)






def test_polish(tmp_path):
    raw = tmp_path / "polish"
    make(raw, ["m3.s_trzymaj_5.wav", "m2.n_podaj_2.wav", "m1.a_nie_4.wav",
               "m5.x_tak_1.wav"], 44100)
    write_corrupt(raw / "m4.a_stop_1.wav")
    write_audio(raw / "notes.wav")
    result = run("polish", raw, tmp_path)
    assert rows(result) == [
        ("polish-m1.a_nie_4", "a", "Angry", "m1", None),
        ("polish-m2.n_podaj_2", "n", "Neutral", "m2", None),
        ("polish-m3.s_trzymaj_5", "s", "Fear", "m3", None),
    ]
    assert {u.wav for u in result.utterances} >= {"m3.s_trzymaj_5.wav"}
    assert all(u.sample_rate == 44100 and u.lang == "pl" for u in result.utterances)
    reasons = skips(result)
    assert reasons["m5.x_tak_1.wav"] == "unknown label 'x'"
    assert reasons["m4.a_stop_1.wav"].startswith("unreadable")
    assert "naming convention" in reasons["notes.wav"]
    report = json.loads((tmp_path / "ws/corpora/polish/prepare_report.json").read_text())
    assert report["skipped_reasons"] == {"unknown label": 1, "unreadable": 1,
                                         "file name does not follow the corpus's naming "
                                         "convention": 1}


def test_subesco(tmp_path):
    raw = tmp_path / "subesco"
    make(raw, ["F_10_FAHMEE_S_6_FEAR_5.wav", "M_10_EVAN_S_8_DISGUST_2.wav",
               "M_01_RAKIB_S_1_HAPPY_1.wav", "F_02_MOU_S_3_BORED_4.wav"], 48000)
    write_audio(raw / "F_03_NIPA_S_2_SURPRISE_3.wav", seconds=0.2, sample_rate=44100)
    write_corrupt(raw / "M_04_ALI_S_9_SAD_1.wav")
    result = run("subesco", raw, tmp_path)
    assert rows(result) == [
        ("subesco-F_03_NIPA_S_2_SURPRISE_3", "surprise", "Surprise", "Female-03", "F"),
        ("subesco-F_10_FAHMEE_S_6_FEAR_5", "fear", "Fear", "Female-10", "F"),
        ("subesco-M_01_RAKIB_S_1_HAPPY_1", "happy", "Happy", "Male-01", "M"),
        ("subesco-M_10_EVAN_S_8_DISGUST_2", "disgust", "Disgust", "Male-10", "M"),
    ]
    assert sorted(u.sample_rate for u in result.utterances) == [44100, 48000, 48000, 48000]
    reasons = skips(result)
    assert reasons["F_02_MOU_S_3_BORED_4.wav"] == "unknown label 'bored'"
    assert reasons["M_04_ALI_S_9_SAD_1.wav"].startswith("unreadable")


def test_subesco_real_typo_stray_bracket_is_parsed(tmp_path):
    """The release's F_02_MONIKA_S_2_SURPRISE_3].wav: EmoBox keeps it under the key
    subesco-F_02_MONIKA_S_2_SURPRISE_3] (subesco.jsonl, 7000 utterances)."""
    raw = tmp_path / "subesco"
    make(raw, ["F_02_MONIKA_S_2_SURPRISE_3].wav", "F_02_MONIKA_S_2_SURPRISE_2.wav"], 44100)
    result = run("subesco", raw, tmp_path)
    assert rows(result) == [
        ("subesco-F_02_MONIKA_S_2_SURPRISE_2", "surprise", "Surprise", "Female-02", "F"),
        ("subesco-F_02_MONIKA_S_2_SURPRISE_3]", "surprise", "Surprise", "Female-02", "F"),
    ]
    assert not skips(result)


def test_tess_flat_and_nested(tmp_path):
    raw = tmp_path / "tess"
    make(raw, ["OAF_lid_fear.wav", "YAF_pleasant_surprised/YAF_chair_ps.wav",
               "YAF_disgust/YAF_chair_disgust.wav", "OAF_back_bored.wav"], 24414)
    write_audio(raw / "OAF_Fear/OAF_food_fear.wav", seconds=0.2, sample_rate=96000)
    write_corrupt(raw / "OAF_neutral/OAF_bath_neutral.wav")
    result = run("tess", raw, tmp_path)
    assert rows(result) == [
        ("tess-OAF-food-fear", "fear", "Fear", "OAF", "F"),
        ("tess-OAF-lid-fear", "fear", "Fear", "OAF", "F"),
        ("tess-YAF-chair-disgust", "disgust", "Disgust", "YAF", "F"),
        ("tess-YAF-chair-ps", "ps", "Surprise", "YAF", "F"),
    ]
    wavs = {u.key: (u.wav, u.sample_rate) for u in result.utterances}
    assert wavs["tess-OAF-food-fear"] == ("OAF_Fear/OAF_food_fear.wav", 96000)
    assert wavs["tess-YAF-chair-ps"] == ("YAF_pleasant_surprised/YAF_chair_ps.wav", 24414)
    reasons = skips(result)
    assert reasons["OAF_back_bored.wav"] == "unknown label 'bored'"
    assert reasons["OAF_neutral/OAF_bath_neutral.wav"].startswith("unreadable")


def test_turevdb(tmp_path):
    raw = tmp_path / "turevdb"
    make(raw, ["Sound Source/Calm/1984_sk_eger.wav", "Sound Source/Angry/1157_kz_kulac.wav",
               "Sound Source/Happy/6783_mt_lokma.wav", "Sound Source/Sad/1358_hl_demet.wav",
               "Sound Source/Bored/1234_xx_dil.wav"], 44100)
    write_corrupt(raw / "Sound Source/Sad/7895_hl_beste.wav")
    result = run("turevdb", raw, tmp_path)
    assert rows(result) == [
        ("turevdb-1157_kz_kulac.wav", "Angry", "Angry", "1157", None),
        ("turevdb-1358_hl_demet.wav", "Sad", "Sad", "1358", None),
        ("turevdb-1984_sk_eger.wav", "Calm", "Calm", "1984", None),
        ("turevdb-6783_mt_lokma.wav", "Happy", "Happy", "6783", None),
    ]
    assert {u.wav for u in result.utterances} >= {"Sound Source/Calm/1984_sk_eger.wav"}
    reasons = skips(result)
    assert reasons["Sound Source/Bored/1234_xx_dil.wav"] == "unknown label 'Bored'"
    assert reasons["Sound Source/Sad/7895_hl_beste.wav"].startswith("unreadable")


def test_urdu(tmp_path):
    raw = tmp_path / "urdu"
    make(raw, ["Neutral/SM20_F8_N012.wav", "Neutral/SM5_F61_N089.wav", "Happy/SF3_F2_H010.wav",
               "Sad/SM17_F4_S033.wav", "Angry/SF1_F1_X001.wav"], 44100)
    write_corrupt(raw / "Angry/SF11_F7_A050.wav")
    result = run("urdu", raw, tmp_path)
    assert rows(result) == [
        ("urdu-SF3_F2_H010", "H", "Happy", "SF3", "F"),
        ("urdu-SM17_F4_S033", "S", "Sad", "SM17", "M"),
        ("urdu-SM20_F8_N012", "N", "Neutral", "SM20", "M"),
        ("urdu-SM5_F61_N089", "N", "Neutral", "SM5", "M"),
    ]
    reasons = skips(result)
    assert reasons["Angry/SF1_F1_X001.wav"] == "unknown label 'X'"
    assert reasons["Angry/SF11_F7_A050.wav"].startswith("unreadable")
    assert get_corpus("urdu").info.protocols == ("emobox", "serval")


@pytest.mark.parametrize("name, hint", [
    ("polish", "m3.s_trzymaj_5.wav"), ("subesco", "<F|M>_<NN>_<NAME>"),
    ("tess", "<OAF|YAF>"), ("turevdb", "Sound Source/<Emotion>/"), ("urdu", "<SPK>_<F##>"),
])
def test_wrong_folder(tmp_path, name, hint):
    raw = tmp_path / "elsewhere"
    (raw / "docs").mkdir(parents=True)
    (raw / "docs/readme.txt").write_text("not a corpus")
    with pytest.raises(LayoutError, match="is this the") as info:
        run(name, raw, tmp_path)
    message = str(info.value)
    assert hint in message and "\n" not in message


def test_wrong_files_named_differently(tmp_path):
    raw = tmp_path / "other"
    write_audio(raw / "speaker1/happy/take1.wav")
    with pytest.raises(LayoutError, match="no usable .*Polish"):
        run("polish", raw, tmp_path)


def test_cli_prepare(tmp_path):
    from emobox.cli import app

    raw = tmp_path / "turevdb"
    make(raw, ["Sound Source/Calm/1984_sk_eger.wav", "Sound Source/Angry/1157_kz_kulac.wav"],
         44100)
    result = CliRunner().invoke(app, ["prepare", "turevdb", "--raw", str(raw),
                                      "-w", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert "turevdb" in result.output and "2 utterances" in result.output
    manifest = (tmp_path / "ws/corpora/turevdb/manifest.jsonl").read_text().splitlines()
    assert [json.loads(line)["key"] for line in manifest] == [
        "turevdb-1157_kz_kulac.wav", "turevdb-1984_sk_eger.wav"]
