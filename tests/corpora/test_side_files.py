"""Side-file corpora (and the path-only ESD, MEAD, eNTERFACE) on miniature raw trees.

Every tree follows the real download layout: real folder and file names, side files in their
real formats, tiny real audio (wav, flac, webm, m4a) and real tiny video containers (mp4, avi).
Expected keys, raw and canonical labels, speakers and genders are literal values.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import av
import numpy as np
import pytest
from fabricate import tone, write_audio, write_corrupt, write_video
from typer.testing import CliRunner

from emobox.corpora import get_corpus, prepare
from emobox.errors import EmoboxError, LayoutError
from emobox.manifest import read_manifest
from emobox.workspace import Workspace

HEX_A = "3f2a" * 16
HEX_B = "9c01" * 16


# --- helpers -----------------------------------------------------------------------------------


def run(name: str, raw: Path, tmp_path: Path):
    return prepare(get_corpus(name), raw, Workspace(tmp_path / "ws"), show_progress=False,
                   workers=2)


def table(result) -> dict[str, tuple]:
    """key → (emo, label, speaker, gender) of every prepared utterance."""
    return {u.key: (u.emo, u.label, u.speaker, u.gender) for u in result.utterances}


def skipped(result) -> dict[str, str]:
    return {s.wav: s.reason for s in result.skipped}


def write_encoded(path: Path, codec: str, seconds: float = 0.2, rate: int = 48000) -> Path:
    """An audio-only container (webm/opus, m4a/aac) written with PyAV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    samples = tone(seconds, rate)[:, 0]
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        size = stream.codec_context.frame_size or 1024
        for start in range(0, len(samples), size):
            chunk = np.zeros((1, size), dtype=np.float32)
            part = samples[start:start + size]
            chunk[0, :len(part)] = part
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def write_table(path: Path, header: list[str], rows: list[list], delimiter: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


# --- miniature raw trees -------------------------------------------------------------------------


def make_iemocap(root: Path) -> Path:
    raw = root / "iemocap"
    s1 = raw / "Session1"
    evaluation = s1 / "dialog" / "EmoEvaluation"
    evaluation.mkdir(parents=True)
    (evaluation / "Ses01F_impro01.txt").write_text(
        "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"
        "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]\n"
        "C-E2:\tNeutral;\t()\nC-E3:\tNeutral;\t()\nA-E3:\tval 3; act 2; dom  2;\t()\n\n"
        "[10.0100 - 11.3925]\tSes01F_impro01_M000\texc\t[3.5000, 3.5000, 3.0000]\n"
        "C-E1:\tExcited;\t()\n\n"
        "[14.8872 - 18.0175]\tSes01F_impro01_F001\tfru\t[2.0000, 3.5000, 3.5000]\n\n"
        "[19.2900 - 20.8300]\tSes01F_impro01_F002\tsad\t[2.0000, 2.0000, 2.0000]\n",
        encoding="utf-8")
    (evaluation / "Categorical").mkdir()  # real sub-folders are ignored
    wav = s1 / "sentences" / "wav" / "Ses01F_impro01"
    for utt in ("Ses01F_impro01_F000", "Ses01F_impro01_M000", "Ses01F_impro01_F001"):
        write_audio(wav / f"{utt}.wav", 0.2)
    s2 = raw / "Session2"
    (s2 / "dialog" / "EmoEvaluation").mkdir(parents=True)
    (s2 / "dialog" / "EmoEvaluation" / "Ses02M_script01_1.txt").write_text(
        "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"
        "[1.0000 - 3.5000]\tSes02M_script01_1_F003\tang\t[1.5000, 4.0000, 4.0000]\n\n"
        "[4.0000 - 5.0000]\tSes02M_script01_1_M004\thap\t[4.0000, 3.0000, 3.0000]\n",
        encoding="utf-8")
    write_audio(s2 / "sentences/wav/Ses02M_script01_1/Ses02M_script01_1_F003.wav", 0.2)
    write_corrupt(s2 / "sentences/wav/Ses02M_script01_1/Ses02M_script01_1_M004.wav")
    return raw


MELD_HEADER = ["Sr No.", "Utterance", "Speaker", "Emotion", "Sentiment", "Dialogue_ID",
               "Utterance_ID", "Season", "Episode", "StartTime", "EndTime"]


def make_meld(root: Path) -> Path:
    raw = root / "meld"
    write_table(raw / "train" / "train_sent_emo.csv", MELD_HEADER, [
        [1, "also I was the point person on my company's transition from the KL-5 to GR-6 "
         "system.", "Chandler", "neutral", "neutral", 0, 0, 8, 21, "00:16:16,059",
         "00:16:21,731"],
        [2, "You must've had your hands full.", "The Interviewer", "neutral", "neutral", 0, 1,
         8, 21, "00:16:21,940", "00:16:23,442"],
        [3, "That I did. That I did.", "Chandler", "neutral", "neutral", 0, 2, 8, 21,
         "00:16:23,442", "00:16:26,389"],
    ])
    write_table(raw / "dev_sent_emo.csv", MELD_HEADER, [
        [1, "Oh my God, he's lost it. He's totally lost it.", "Phoebe", "sadness",
         "negative", 0, 0, 4, 7, "00:20:57,256", "00:21:00,049"],
    ])
    write_table(raw / "test_sent_emo.csv", MELD_HEADER, [
        [1, "Why do all you're coffee mugs have numbers on the bottom?", "Mark", "surprise",
         "positive", 0, 0, 3, 19, "00:14:38,127", "00:14:40,378"],
        [2, "Oh. That's so Monica can keep track.", "Rachel", "confused", "negative", 0, 1, 3,
         19, "00:14:40,629", "00:14:47,385"],
    ])
    clip = write_video(raw / "train" / "train_splits" / "dia0_utt0.mp4", 0.3)
    shutil.copy(clip, raw / "train" / "train_splits" / "dia0_utt1.mp4")
    (raw / "dev_splits_complete").mkdir()
    shutil.copy(clip, raw / "dev_splits_complete" / "dia0_utt0.mp4")
    (raw / "output_repeated_splits_test").mkdir()
    for name in ("dia0_utt0.mp4", "dia0_utt1.mp4", "final_videos_testdia0_utt0.mp4"):
        shutil.copy(clip, raw / "output_repeated_splits_test" / name)
    return raw


def make_shemo(root: Path) -> Path:
    raw = root / "shemo"
    write_json(raw / "shemo.json", {
        "M36S02": {"speaker_id": "M36", "gender": "male", "emotion": "sad",
                   "transcript": "عشق هر دوی ما رو", "ipa": "ʔeʃq hær doye mɑ ro"},
        "F21N23": {"speaker_id": "F21", "gender": "female", "emotion": "neutral",
                   "transcript": "جلوی پیرهن", "ipa": "dʒoloye pirehӕn"},
        "M21F01": {"speaker_id": "M21", "gender": "male", "emotion": "fearful",
                   "transcript": "اون مال", "ipa": "ʔun mɑle"},
        "F21W09": {"speaker_id": "F21", "gender": "female", "emotion": "surprised",
                   "transcript": "فرانسه؟", "ipa": "færɑnse"},
    })
    write_audio(raw / "male" / "M36S02.wav", 0.2, 44100)
    write_audio(raw / "male" / "M21F01.wav", 0.2, 22050)
    write_audio(raw / "female" / "F21N23.wav", 0.2, 44100)
    return raw


EMNS_HEADER = ["id", "utterance", "description", "emotion", "date_created", "status", "gender",
               "age", "level", "audio_recording", "user_id"]


def make_emns(root: Path) -> Path:
    raw = root / "emns"
    write_table(raw / "metadata.csv", EMNS_HEADER, [
        [283, "Three people in a boat float on the water at sunset.",
         "Placing emphasis on {Three people}, {user_id} said {transcription}.", "Surprised",
         "2022-07-11 10:30:33.669631", "Complete", "Female", "20s", 5,
         "wavs/recorded_audio_RF6OuQ4.webm", 3],
        [685, "Experimental burns were also recommended.",
         "With a {emotion} voice, {user_id} said {transcription}.", "Sarcastic",
         "2022-07-27 12:59:59.643750", "Complete", "Female", "20s", 2,
         "wavs/recorded_audio_KkeDrQa.webm", 3],
    ], delimiter="|")
    write_encoded(raw / "cleaned_webm" / "recorded_audio_RF6OuQ4.webm", "libopus")
    write_encoded(raw / "cleaned_webm" / "recorded_audio_KkeDrQa.webm", "libopus")
    write_encoded(raw / "cleaned_webm" / "recorded_audio_zzUnlst.webm", "libopus")
    return raw


def make_resd(root: Path) -> Path:
    raw = root / "resd"
    write_table(raw / "train.csv", ["name", "path", "emotion"], [
        ["32_happiness_enthusiasm_h_120",
         "happiness_enthusiasm_32/32_happiness_enthusiasm_h_120.wav", "happiness"],
        ["32_happiness_enthusiasm_e_121",
         "happiness_enthusiasm_32/32_happiness_enthusiasm_e_121.wav", "enthusiasm"],
    ])
    write_table(raw / "test.csv", ["name", "path", "emotion"], [
        ["04_fear_enthusiasm f_140", "04_fear_enthusiasm/04_fear_enthusiasm f_140.wav", "fear"],
        ["04_fear_enthusiasm f_141", "04_fear_enthusiasm/04_fear_enthusiasm f_141.wav", "fear"],
    ])
    folder = raw / "train" / "happiness_enthusiasm_32"
    write_audio(folder / "32_happiness_enthusiasm_h_120.wav", 0.2, 44100)
    write_audio(folder / "32_happiness_enthusiasm_e_121.wav", 0.2, 16000)
    write_audio(raw / "test" / "04_fear_enthusiasm" / "04_fear_enthusiasm f_140.wav", 0.2)
    return raw


def make_emozionalmente(root: Path) -> Path:
    raw = root / "emozionalmente"
    write_table(raw / "metadata" / "samples.csv",
                ["file_name", "actor", "sentence", "emotion_expressed", "emotion_recognized"], [
                    ["1613655062436.wav", HEX_A, "Il cane è sul divano.", "joy", "joy"],
                    ["1619253465089.wav", HEX_B, "Domani piove.", "neutrality", "neutrality"],
                    ["1620000000000_2.wav", HEX_B, "Non ci credo!", "surprise", "fear"],
                ])
    write_table(raw / "metadata" / "users.csv", ["username", "gender", "age", "mother_tongue"],
                [[HEX_A, "female", 27, "italian"], [HEX_B, "male", 41, "italian"]])
    for name in ("1613655062436.wav", "1619253465089.wav", "1620000000000_2.wav",
                 "1699999999999.wav"):
        write_audio(raw / "audio" / name, 0.2)
    return raw


def make_mer2023(root: Path) -> Path:
    raw = root / "mer2023"
    write_table(raw / "mer2023train" / "train-label.csv", ["name", "discrete", "valence"],
                [["sample_00002721", "happy", 2.5]])
    write_table(raw / "test-labels" / "test1-label.csv", ["name", "discrete", "valence"],
                [["sample_00002721", "happy", 2.5], ["sample_00003000", "angry", -3.0]])
    write_table(raw / "test-labels" / "test2-label.csv", ["name", "discrete", "valence"],
                [["sample_00005474", "surprise", 1.0]])
    write_table(raw / "test-labels" / "test3-label.csv", ["name", "discrete"],
                [["sample_00004000", "neutral"]])
    avi = write_video(raw / "mer2023train" / "train" / "sample_00002721.avi", 0.3)
    (raw / "mer2023train" / "test3").mkdir()
    shutil.copy(avi, raw / "mer2023train" / "test3" / "sample_00004000.avi")
    write_video(raw / "test2" / "sample_00005474.mp4", 0.3)
    (raw / "test1").mkdir()
    return raw


def make_msppodcast(root: Path) -> Path:
    raw = root / "msppodcast"
    write_json(raw / "label" / "labels_concensus.json", {
        "MSP-PODCAST_0001_0008.wav": {"EmoClass": "N", "EmoAct": 4.2, "EmoVal": 4.0,
                                      "EmoDom": 4.4, "SpkrID": "127", "Gender": "Male",
                                      "Split_Set": "Train"},
        "MSP-PODCAST_0002_0033.wav": {"EmoClass": "X", "EmoAct": 3.0, "EmoVal": 3.2,
                                      "EmoDom": 3.0, "SpkrID": "Unknown", "Gender": "Unknown",
                                      "Split_Set": "Test1"},
        "MSP-PODCAST_0003_0001.wav": {"EmoClass": "Q", "EmoAct": 3.0, "EmoVal": 3.0,
                                      "EmoDom": 3.0, "SpkrID": "55", "Gender": "Female",
                                      "Split_Set": "Validation"},
    })
    for name in ("MSP-PODCAST_0001_0008", "MSP-PODCAST_0002_0033", "MSP-PODCAST_0003_0001"):
        write_audio(raw / "Audio" / f"{name}.wav", 0.2)
    return raw


def _turn(speaker: str, emo: str) -> dict:
    return {"StartTime": "00:00:00:01", "EndTime": "00:00:01:03", "Text": "钟点工阿姨",
            "Speaker": speaker,
            "EmoAnnotation": {"EmoAnnotator1": emo, "EmoAnnotator2": emo,
                              "EmoAnnotator3": emo, "final_mul_emo": emo,
                              "final_main_emo": emo}}


def make_m3ed(root: Path) -> Path:
    raw = root / "m3ed"
    write_json(raw / "annotation.json", {
        "rucikeaidewomen": {"rucikeaidewomen_1": {
            "SpeakerInfo": {"A": {"Name": "林大为", "Age": "mid", "Gender": "male",
                                  "OtherName": []},
                            "B": {"Name": "Mary Jane", "Age": "young", "Gender": "female",
                                  "OtherName": []}},
            "Dialog": {"rucikeaidewomen_1_1": _turn("A", "Anger"),
                       "rucikeaidewomen_1_2": _turn("B", "Happy"),
                       "rucikeaidewomen_1_3": _turn("C", "Sad"),
                       "rucikeaidewomen_1_4": _turn("A", "Neutral")}}},
        "shaonianpai": {"shaonianpai_1": {
            "SpeakerInfo": {"A": {"Name": "林大为", "Age": "mid", "Gender": "male",
                                  "OtherName": []},
                            "B": {"Name": "王胜男", "Age": "mid", "Gender": "female",
                                  "OtherName": []}},
            "Dialog": {"shaonianpai_1_2": _turn("B", "Neutral")}}},
    })
    (raw / "splitInfo").mkdir()
    (raw / "splitInfo" / "movie_list_test.txt").write_text("rucikeaidewomen\nwoju\n")
    (raw / "splitInfo" / "movie_list_train.txt").write_text("shaonianpai\n")
    (raw / "splitInfo" / "movie_list_val.txt").write_text("humamaoba\n")
    for name in ("A_rucikeaidewomen_1_1", "B_rucikeaidewomen_1_2", "B_shaonianpai_1_2"):
        write_audio(raw / "modality_speech" / f"{name}.wav", 0.2)
    return raw


def make_esd(root: Path) -> Path:
    raw = root / "esd"
    (raw / "0005").mkdir(parents=True)
    (raw / "0005" / "0005.txt").write_text("0005_000001\t打远一看，它们的确很是美丽，\t中立\n",
                                           encoding="utf-8")
    write_audio(raw / "0005" / "Neutral" / "0005_000001.wav", 0.2)
    write_audio(raw / "0018" / "Surprise" / "0018_001750.wav", 0.2)
    write_audio(raw / "0011" / "Angry" / "0011_000351.wav", 0.2)
    write_corrupt(raw / "0001" / "Sad" / "0001_001051.wav")
    return raw


def make_mead(root: Path) -> Path:
    raw = root / "mead"
    write_encoded(raw / "W019" / "audio" / "neutral" / "level_1" / "020.m4a", "aac")
    write_encoded(raw / "M013" / "audio" / "sad" / "level_2" / "004.m4a", "aac")
    write_encoded(raw / "M013" / "audio" / "contempt" / "level_3" / "001.m4a", "aac")
    write_encoded(raw / "M013" / "audio" / "bored" / "level_1" / "001.m4a", "aac")
    return raw


def make_enterface(root: Path) -> Path:
    raw = root / "enterface"
    clip = write_video(raw / "subject 19" / "anger" / "sentence 4" / "s19_an_4.avi", 0.3)
    for rel in ("subject 6/happiness/s6_ha.avi", "subject 3/fear/sentence 2/s_3_fe_2.avi",
                "subject 16/surprise/sentence 3/s16_su_3avi.avi",
                "subject 11/disgust/sentence 1/s12_di_1.avi"):
        (raw / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(clip, raw / rel)
    write_corrupt(raw / "subject 19" / "sadness" / "sentence 1" / "s19_sa_1.avi")
    return raw


def _pavoque_yaml(entries: list[tuple]) -> str:
    lines = []
    for prompt, text, style, start, end in entries:
        lines += [f"- prompt: {prompt}", f"  text: {text}", f"  style: {style}",
                  f"  start: {start}", f"  end: {end}", "  segments:",
                  "  - {lab: H#, end: 0.05}", "  - {lab: '?', end: 0.1}"]
    return "\n".join(lines) + "\n"


def make_pavoque(root: Path) -> Path:
    raw = root / "pavoque"
    raw.mkdir()
    (raw / "pavoque-poker.yaml").write_text(_pavoque_yaml([
        ("poker_n0010", "Sind die Karten auch ordentlich gemischt?", "poker", 0.0, 0.2),
        ("poker_n0011", "Beim Austeilen sind Sie nicht gerade der Schnellste.", "poker", 0.2,
         0.45),
    ]), encoding="utf-8")
    (raw / "pavoque-outtakes.yaml").write_text(_pavoque_yaml([
        ("a0014a", "Die Frau hat ja ganz schön flinke Hände.", "neutral", 0.1, 0.3),
        ("spike_n0003", "Zu zweit macht Poker einfach keinen Spaß.", "Angry", 0.3, 0.5),
    ]), encoding="utf-8")
    (raw / "pavoque-sad.yaml").write_text(_pavoque_yaml([
        ("obadiah_n0001", "Hallo.", "sad", 0.0, 1.5)]), encoding="utf-8")
    write_audio(raw / "pavoque-poker.flac", 0.5, 44100)
    write_audio(raw / "pavoque-outtakes.flac", 0.6, 44100)
    return raw


MAKERS = {
    "iemocap": make_iemocap, "meld": make_meld, "shemo": make_shemo, "emns": make_emns,
    "resd": make_resd, "emozionalmente": make_emozionalmente, "mer2023": make_mer2023,
    "msppodcast": make_msppodcast, "m3ed": make_m3ed, "esd": make_esd, "mead": make_mead,
    "enterface": make_enterface, "pavoque": make_pavoque,
}


# --- the 13 corpora ------------------------------------------------------------------------------


def test_iemocap(tmp_path):
    result = run("iemocap", make_iemocap(tmp_path), tmp_path)
    assert table(result) == {
        "iemocap-Ses01F_impro01_F000": ("neu", "Neutral", "Ses01F", "F"),
        "iemocap-Ses01F_impro01_M000": ("exc", "Happy", "Ses01M", "M"),
        "iemocap-Ses02M_script01_1_F003": ("ang", "Angry", "Ses02F", "F"),
    }
    skips = skipped(result)
    assert skips.pop("Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F001.wav") \
        == "excluded by EmoBox: fru"
    assert skips.pop("Session1/sentences/wav/Ses01F_impro01/Ses01F_impro01_F002.wav") \
        == "missing file"
    reason = skips.pop("Session2/sentences/wav/Ses02M_script01_1/Ses02M_script01_1_M004.wav")
    assert reason.startswith("unreadable")
    assert skips == {}
    wavs = {u.key: u.wav for u in result.utterances}
    assert wavs["iemocap-Ses02M_script01_1_F003"] == \
        "Session2/sentences/wav/Ses02M_script01_1/Ses02M_script01_1_F003.wav"
    assert result.report["skipped_reasons"] == {"excluded by EmoBox": 1, "missing file": 1,
                                                "unreadable": 1}


def test_meld_reads_mp4_clips(tmp_path):
    result = run("meld", make_meld(tmp_path), tmp_path)
    assert table(result) == {
        "meld-dia0_utt0-train": ("neutral", "Neutral", "Chandler", None),
        "meld-dia0_utt1-train": ("neutral", "Neutral", "The Interviewer", None),
        "meld-dia0_utt0-dev": ("sadness", "Sad", "Phoebe", None),
        "meld-dia0_utt0-test": ("surprise", "Surprise", "Mark", None),
    }
    utt = {u.key: u for u in result.utterances}["meld-dia0_utt0-dev"]
    assert utt.wav == "dev_splits_complete/dia0_utt0.mp4"
    assert utt.extra == {"split": "dev"} and utt.sample_rate == 16000 and utt.length > 0.25
    assert skipped(result) == {
        "train/train_splits/dia0_utt2.mp4": "missing file",
        "output_repeated_splits_test/dia0_utt1.mp4": "unknown label 'confused'",
    }
    assert result.report["skipped_reasons"] == {"missing file": 1, "unknown label": 1}
    rows = read_manifest(Workspace(tmp_path / "ws").manifest("meld"))
    assert {r.key: r.extra["split"] for r in rows}["meld-dia0_utt1-train"] == "train"


def test_shemo(tmp_path):
    result = run("shemo", make_shemo(tmp_path), tmp_path)
    assert table(result) == {
        "shemo-M36S02": ("sad", "Sad", "M36", "M"),
        "shemo-F21N23": ("neutral", "Neutral", "F21", "F"),
        "shemo-M21F01": ("fearful", "Fear", "M21", "M"),
    }
    assert skipped(result) == {"female/F21W09.wav": "missing file"}
    rates = {u.key: u.sample_rate for u in result.utterances}
    assert rates["shemo-M21F01"] == 22050 and rates["shemo-M36S02"] == 44100


def test_emns_reads_webm_and_reports_unlisted_files(tmp_path):
    result = run("emns", make_emns(tmp_path), tmp_path)
    assert table(result) == {
        "emns-recorded_audio_RF6OuQ4": ("Surprise", "Surprise", "3", "F"),
        "emns-recorded_audio_KkeDrQa": ("Sarcastic", "Sarcastic", "3", "F"),
    }
    assert {u.sample_rate for u in result.utterances} == {48000}
    assert skipped(result) == {
        "cleaned_webm/recorded_audio_zzUnlst.webm": "not listed in metadata.csv"}


def test_resd(tmp_path):
    result = run("resd", make_resd(tmp_path), tmp_path)
    assert table(result) == {
        "resd-32_happiness_enthusiasm_h_120.wav": ("happiness", "Happy", None, None),
        "resd-32_happiness_enthusiasm_e_121.wav": ("enthusiasm", "Enthusiastic", None, None),
        "resd-04_fear_enthusiasm f_140.wav": ("fear", "Fear", None, None),
    }
    splits = {u.key: u.extra["split"] for u in result.utterances}
    assert splits["resd-04_fear_enthusiasm f_140.wav"] == "test"
    assert skipped(result) == {
        "test/04_fear_enthusiasm/04_fear_enthusiasm f_141.wav": "missing file"}


def test_emozionalmente(tmp_path):
    result = run("emozionalmente", make_emozionalmente(tmp_path), tmp_path)
    assert table(result) == {
        "emozionalmente-1613655062436": ("joy", "Happy", HEX_A, "F"),
        "emozionalmente-1619253465089": ("neutrality", "Neutral", HEX_B, "M"),
        "emozionalmente-1620000000000-2": ("surprise", "Surprise", HEX_B, "M"),
    }
    assert skipped(result) == {"audio/1699999999999.wav": "not listed in metadata/samples.csv"}


def test_mer2023_reads_avi_and_mp4(tmp_path):
    result = run("mer2023", make_mer2023(tmp_path), tmp_path)
    assert table(result) == {
        "mer2023-sample_00002721": ("happy", "Happy", None, None),
        "mer2023-sample_00005474.mp4": ("surprise", "Surprise", None, None),
        "mer2023-sample_00004000": ("neutral", "Neutral", None, None),
    }
    by_key = {u.key: u for u in result.utterances}
    assert by_key["mer2023-sample_00005474.mp4"].wav == "test2/sample_00005474.mp4"
    assert {k: u.extra["split"] for k, u in by_key.items()} == {
        "mer2023-sample_00002721": "train", "mer2023-sample_00005474.mp4": "test2",
        "mer2023-sample_00004000": "test3"}
    assert skipped(result) == {
        "test1/sample_00002721.avi": "duplicate: sample_00002721 already listed in "
                                     "mer2023train/train-label.csv",
        "test1/sample_00003000.avi": "missing file",
    }


def test_msppodcast(tmp_path):
    result = run("msppodcast", make_msppodcast(tmp_path), tmp_path)
    assert table(result) == {
        "msppodcast-MSP-PODCAST_0001_0008": ("N", "Neutral", "127", "M"),
        "msppodcast-MSP-PODCAST_0002_0033": ("X", "No-agreement", None, None),
    }
    assert {u.extra["split"] for u in result.utterances} == {"Train", "Test1"}
    assert skipped(result) == {"Audio/MSP-PODCAST_0003_0001.wav": "unknown label 'Q'"}
    assert result.report["skipped_reasons"] == {"unknown label": 1}


def test_m3ed(tmp_path):
    result = run("m3ed", make_m3ed(tmp_path), tmp_path)
    assert table(result) == {
        "m3ed-rucikeaidewomen_1_1": ("Anger", "Angry", "rucikeaidewomen_林大为", "M"),
        "m3ed-rucikeaidewomen_1_2": ("Happy", "Happy", "rucikeaidewomen_Mary Jane", "F"),
        "m3ed-shaonianpai_1_2": ("Neutral", "Neutral", "shaonianpai_王胜男", "F"),
    }
    assert {u.key: u.extra["split"] for u in result.utterances} == {
        "m3ed-rucikeaidewomen_1_1": "test", "m3ed-rucikeaidewomen_1_2": "test",
        "m3ed-shaonianpai_1_2": "train"}
    assert skipped(result) == {
        "modality_speech/C_rucikeaidewomen_1_3.wav": "speaker 'C' not in the clip's "
                                                     "SpeakerInfo",
        "modality_speech/A_rucikeaidewomen_1_4.wav": "missing file",
    }


def test_esd(tmp_path):
    result = run("esd", make_esd(tmp_path), tmp_path)
    assert table(result) == {
        "esd-0005-000001": ("Neutral", "Neutral", "0005", "M"),
        "esd-0018-001750": ("Surprise", "Surprise", "0018", "F"),
        "esd-0011-000351": ("Angry", "Angry", "0011", "M"),
    }
    assert {u.key: u.lang for u in result.utterances} == {
        "esd-0005-000001": "zh", "esd-0018-001750": "en", "esd-0011-000351": "en"}
    assert list(skipped(result)) == ["0001/Sad/0001_001051.wav"]
    assert skipped(result)["0001/Sad/0001_001051.wav"].startswith("unreadable")


def test_mead_reads_m4a(tmp_path):
    result = run("mead", make_mead(tmp_path), tmp_path)
    assert table(result) == {
        "mead-W019-neutral-level-1-020": ("neutral", "Neutral", "W019", "F"),
        "mead-M013-sad-level-2-004": ("sad", "Sad", "M013", "M"),
        "mead-M013-contempt-level-3-001": ("contempt", "Contempt", "M013", "M"),
    }
    assert {u.sample_rate for u in result.utterances} == {48000}
    assert skipped(result) == {"M013/audio/bored/level_1/001.m4a": "unknown label 'bored'"}


def test_enterface_reads_avi(tmp_path):
    result = run("enterface", make_enterface(tmp_path), tmp_path)
    assert table(result) == {
        "enterface-s19_an_4.avi": ("an", "Angry", "s19", None),
        "enterface-s6_ha.avi": ("ha", "Happy", "s6", None),
        "enterface-s_3_fe_2.avi": ("fe", "Fear", "s3", None),
        "enterface-s16_su_3avi.avi": ("su", "Surprise", "s16", None),
        "enterface-s12_di_1.avi": ("di", "Disgust", "s11", None),
    }
    assert {u.key: u.wav for u in result.utterances}["enterface-s19_an_4.avi"] == \
        "subject 19/anger/sentence 4/s19_an_4.avi"
    assert list(skipped(result)) == ["subject 19/sadness/sentence 1/s19_sa_1.avi"]
    assert skipped(result)["subject 19/sadness/sentence 1/s19_sa_1.avi"].startswith(
        "unreadable")


def test_pavoque_segments(tmp_path):
    result = run("pavoque", make_pavoque(tmp_path), tmp_path)
    assert table(result) == {
        "pavoque-poker_n0010-poker": ("poker", "Poker", "STEFAN-RÖTTIG", "M"),
        "pavoque-poker_n0011-poker": ("poker", "Poker", "STEFAN-RÖTTIG", "M"),
        "pavoque-a0014a-neutral": ("neutral", "Neutral", "STEFAN-RÖTTIG", "M"),
        "pavoque-spike_n0003-Angry": ("angry", "Angry", "STEFAN-RÖTTIG", "M"),
    }
    segments = {u.key: (u.wav, u.start_time, u.end_time, u.length) for u in result.utterances}
    assert segments["pavoque-poker_n0010-poker"] == ("pavoque-poker.flac", 0.0, 0.2, 0.2)
    assert segments["pavoque-poker_n0011-poker"] == ("pavoque-poker.flac", 0.2, 0.45, 0.25)
    assert segments["pavoque-a0014a-neutral"] == ("pavoque-outtakes.flac", 0.1, 0.3, 0.2)
    assert {u.sample_rate for u in result.utterances} == {44100}
    assert skipped(result) == {"pavoque-sad.flac": "missing file"}
    row = json.loads(Workspace(tmp_path / "ws").manifest("pavoque").read_text().splitlines()[0])
    assert (row["start_time"], row["end_time"], row["length"]) == (0.1, 0.3, 0.2)


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name, hint", [
    ("iemocap", "Session1..5/"), ("meld", "train_sent_emo.csv"), ("shemo", "shemo.json"),
    ("emns", "metadata.csv"), ("resd", "train.csv"), ("emozionalmente", "samples.csv"),
    ("mer2023", "train-label.csv"), ("msppodcast", "labels_concensus.json"),
    ("m3ed", "annotation.json"), ("esd", "<Emotion>"), ("mead", "level_<n>"),
    ("enterface", "subject <n>"), ("pavoque", "pavoque-"),
])
def test_wrong_folder_is_a_one_line_layout_error(tmp_path, name, hint):
    wrong = tmp_path / "not-the-corpus"
    write_audio(wrong / "Actor_01" / "03-01-01-01-01-01-01.wav", 0.1)
    with pytest.raises(LayoutError) as info:
        run(name, wrong, tmp_path)
    message = str(info.value)
    assert "\n" not in message and hint in message
    assert get_corpus(name).info.display_name in message


def _break_side_file(name: str, raw: Path) -> Path:
    """Damage the corpus's main side file the way real damage looks; return it."""
    if name == "iemocap":
        path = raw / "Session1/dialog/EmoEvaluation/Ses01F_impro01.txt"
        path.write_text(path.read_text().replace("[6.2901 - 8.2357]", "[6.2901 - 8.23"))
    elif name == "meld":
        path = raw / "dev_sent_emo.csv"
        path.write_text("Sr No.,Utterance,Speaker,Sentiment,Dialogue_ID,Utterance_ID\n"
                        "1,Oh my God,Phoebe,negative,0,0\n")
    elif name == "shemo":
        path = raw / "shemo.json"
        path.write_text(path.read_text()[:-20])
    elif name == "emns":
        path = raw / "metadata.csv"
        path.write_text(path.read_text().replace("|", ","))
    elif name == "resd":
        path = raw / "test.csv"
        path.write_bytes(b"name,path,emotion\n\xff\xfe broken,x.wav,fear\n")
    elif name == "emozionalmente":
        path = raw / "metadata" / "users.csv"
        path.write_text("username;gender;age\nabc;female;20\n")
    elif name == "mer2023":
        path = raw / "test-labels" / "test2-label.csv"
        path.write_text('name,discrete\n"sample_00005474,surprise\n')
    elif name == "msppodcast":
        path = raw / "label" / "labels_concensus.json"
        path.write_text('{"MSP-PODCAST_0001_0008.wav": {"SpkrID": "127"}}')
    elif name == "m3ed":
        path = raw / "annotation.json"
        data = json.loads(path.read_text())
        del data["shaonianpai"]["shaonianpai_1"]["Dialog"]
        path.write_text(json.dumps(data))
    else:  # pavoque
        path = raw / "pavoque-poker.yaml"
        path.write_text(path.read_text().replace("  start: 0.2\n", "", 1))
    return path


@pytest.mark.parametrize("name", ["iemocap", "meld", "shemo", "emns", "resd", "emozionalmente",
                                  "mer2023", "msppodcast", "m3ed", "pavoque"])
def test_malformed_side_file_is_a_one_line_error_naming_it(tmp_path, name):
    raw = MAKERS[name](tmp_path)
    broken = _break_side_file(name, raw)
    with pytest.raises(EmoboxError) as info:
        run(name, raw, tmp_path)
    message = str(info.value)
    assert "\n" not in message and str(broken) in message
    assert not isinstance(info.value, LayoutError)


def test_cli_prepare(tmp_path):
    from emobox.cli import app  # imported here: the CLI pulls in every pipeline stage

    raw = make_shemo(tmp_path)
    ws = tmp_path / "cli-ws"
    result = CliRunner().invoke(app, ["prepare", "shemo", "--raw", str(raw), "-w", str(ws)])
    assert result.exit_code == 0, result.output
    assert "shemo" in result.output and "3 utterances" in result.output
    keys = [u.key for u in read_manifest(Workspace(ws).manifest("shemo"))]
    assert sorted(keys) == ["shemo-F21N23", "shemo-M21F01", "shemo-M36S02"]
