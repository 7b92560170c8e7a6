"""Acted corpora (AESDD … SAVEE): miniature raw trees in the real layouts, prepared end to end.

Every expectation is a literal (key, emo, label, speaker, gender) written out by hand from the
fact sheet's examples, never recomputed with the module's own rules.
"""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from fabricate import prepare_corpus as run
from fabricate import skip_reasons as skips
from fabricate import write_audio, write_corrupt
from typer.testing import CliRunner

from emobox.cli import app
from emobox.corpora import get_corpus
from emobox.errors import LayoutError

SECONDS = 0.05


def make(raw: Path, rate: int, *paths: str) -> None:
    for i, rel in enumerate(paths):
        write_audio(raw / rel, seconds=SECONDS, sample_rate=rate, freq=200 + 10 * i)




def rows(result) -> dict[str, tuple]:
    return {u.key: (u.emo, u.label, u.speaker, u.gender) for u in result.utterances}




def test_aesdd(tmp_path):
    raw = tmp_path / "aesdd"
    make(raw, 44100, "anger/a03 (3).wav", "anger/a06 (5)b.wav", "fear/f10 (01).wav",
         "sadness/s01 (5)a.wav", "happiness/h02 (6).wav", "disgust/d04 (2).wav",
         "anger/x01 (2).wav", "anger/take two.wav")
    write_corrupt(raw / "disgust/d05 (4).wav")
    result = run("aesdd", raw, tmp_path)
    assert rows(result) == {
        "aesdd-a03-3": ("a", "Angry", "3", None),
        "aesdd-a06-5b": ("a", "Angry", "5", None),
        "aesdd-f10-01": ("f", "Fear", "1", None),
        "aesdd-s01-5a": ("s", "Sad", "5", None),
        "aesdd-h02-6": ("h", "Happy", "6", None),
        "aesdd-d04-2": ("d", "Disgust", "2", None),
    }
    skipped = skips(result)
    assert skipped["anger/x01 (2).wav"] == "unknown label 'x'"
    assert skipped["anger/take two.wav"].startswith("file name does not follow")
    assert skipped["disgust/d05 (4).wav"].startswith("unreadable")
    assert result.report["skipped_reasons"]["unknown label"] == 1
    assert {u.lang for u in result.utterances} == {"el"}
    assert {u.sample_rate for u in result.utterances} == {44100}


def test_ased(tmp_path):
    raw = tmp_path / "ased"
    make(raw, 16000, "05Angry/a5-02-01-01-33.wav", "04Sad/S4-04-02-01-29.wav",
         "01Neutral/n1-01-01-02-07.wav", "02Fearful/f2-03-02-02-12.wav",
         "03Happy/h3-05-01-01-40.wav", "03Happy/q3-05-01-01-40.wav")
    result = run("ased", raw, tmp_path)
    assert rows(result) == {
        "ased-a5-02-01-01-33": ("a", "Angry", "33", "F"),
        "ased-S4-04-02-01-29": ("S", "Sad", "29", "F"),
        "ased-n1-01-01-02-07": ("n", "Neutral", "07", "M"),
        "ased-f2-03-02-02-12": ("f", "Fear", "12", "M"),
        "ased-h3-05-01-01-40": ("h", "Happy", "40", "F"),
    }
    assert skips(result) == {"03Happy/q3-05-01-01-40.wav": "unknown label 'q'"}
    assert {u.lang for u in result.utterances} == {"am"}


def test_asvpesd(tmp_path):
    raw = tmp_path / "asvpesd"
    make(raw, 16000,
         "Audio/actor_36/03-01-09-01-06-36-02-02-01-39.wav",
         "Audio/actor_101/03-02-11-02-58-101-02-01-00-11.wav",
         "Audio/actor_36/03-01-04-01-10-37-03-03-01.wav",
         "Bonus/actor_150/03-02-04-01-52-150-04-01-00-14 -03.wav",
         "Audio/actor_/03-01-17-01-01-55-02-01-00.wav",
         "Audio/actor_36/03-01-14-01-06-36-02-02-01-39.wav")
    write_corrupt(raw / "Audio/actor_101/03-01-02-01-01-101-02-01-00.wav")
    result = run("asvpesd", raw, tmp_path)
    assert rows(result) == {
        "asvpesd-03-01-09-01-06-36-02-02-01-39": ("09", "Excited", "36", "M"),
        "asvpesd-03-02-11-02-58-101-02-01-00-11": ("11", "pain, groan", "101", "F"),
        # the actor field (37) is the speaker, not the folder (actor_36)
        "asvpesd-03-01-04-01-10-37-03-03-01": ("04", "Sad", "37", "F"),
        "asvpesd-03-02-04-01-52-150-04-01-00-14 -03": ("04", "Sad", "150", "M"),
        "asvpesd-03-01-17-01-01-55-02-01-00": ("17", "UnKnown", "55", "F"),
    }
    skipped = skips(result)
    assert skipped["Audio/actor_36/03-01-14-01-06-36-02-02-01-39.wav"] == "unknown label '14'"
    assert skipped["Audio/actor_101/03-01-02-01-01-101-02-01-00.wav"].startswith("unreadable")


def test_asvpesd_real_typo_three_digit_intensity_is_parsed(tmp_path):
    """The release's actor_39/03-02-03-021-10-39-03-01-00-13.wav (an extra digit in the 4th
    field): EmoBox keeps it (asvpesd.jsonl, 13964 utterances), so must we."""
    raw = tmp_path / "asvpesd"
    make(raw, 16000, "Audio/actor_39/03-02-03-021-10-39-03-01-00-13.wav",
         "Audio/actor_39/03-02-03-02-10-39-03-01-00-12.wav")
    result = run("asvpesd", raw, tmp_path)
    assert rows(result) == {
        "asvpesd-03-02-03-021-10-39-03-01-00-13": ("03", "Happy", "39", "F"),
        "asvpesd-03-02-03-02-10-39-03-01-00-12": ("03", "Happy", "39", "F"),
    }
    assert not skips(result)


def test_cafe(tmp_path):
    raw = tmp_path / "cafe"
    degout = unicodedata.normalize("NFD", "Dégoût")  # as a macOS unzip writes it
    make(raw, 48000, "CaFE_48k/Peur/Fort/12-P-2-5.wav", "CaFE_48k/Neutre/08-N-1-1.wav",
         "CaFE_48k/Colère/Faible/01-C-1-3.wav", "CaFE_48k/Joie/Fort/03-J-2-6.wav",
         f"CaFE_48k/{degout}/Faible/10-D-1-4.wav", "CaFE_48k/Surprise/Fort/07-X-2-1.wav",
         "CaFE_192k/Peur/Fort/12-P-2-5.wav")
    result = run("cafe", raw, tmp_path)
    assert rows(result) == {
        "cafe-12-P-2-5": ("p", "Fear", "12", "F"),
        "cafe-08-N-1-1": ("n", "Neutral", "08", "F"),
        "cafe-01-C-1-3": ("c", "Angry", "01", "M"),
        "cafe-03-J-2-6": ("j", "Happy", "03", "M"),
        "cafe-10-D-1-4": ("d", "Disgust", "10", "F"),
    }
    skipped = skips(result)
    assert skipped["CaFE_48k/Surprise/Fort/07-X-2-1.wav"] == "unknown label 'x'"
    assert skipped["CaFE_192k/Peur/Fort/12-P-2-5.wav"].startswith("CaFE_192k edition")
    assert {u.sample_rate for u in result.utterances} == {48000}


def test_casia(tmp_path):
    raw = tmp_path / "casia"
    make(raw, 16000, "wangzhe/neutral/239.wav", "liuchanhg/angry/201.wav",
         "zhaoquanyin/happy/1.wav", "zhaozuoxiang/surprise/55.wav", "wangzhe/fear/230.wav",
         "wangzhe/bored/12.wav")
    write_corrupt(raw / "zhaoquanyin/sad/300.wav")
    result = run("casia", raw, tmp_path)
    assert rows(result) == {
        "casia-239-wangzhe-neutral": ("neutral", "Neutral", "wangzhe", None),
        "casia-201-liuchanhg-angry": ("angry", "Angry", "liuchanhg", None),
        "casia-1-zhaoquanyin-happy": ("happy", "Happy", "zhaoquanyin", None),
        "casia-55-zhaozuoxiang-surprise": ("surprise", "Surprise", "zhaozuoxiang", None),
        "casia-230-wangzhe-fear": ("fear", "Fear", "wangzhe", None),
    }
    skipped = skips(result)
    assert skipped["wangzhe/bored/12.wav"] == "unknown label 'bored'"
    assert skipped["zhaoquanyin/sad/300.wav"].startswith("unreadable")


CREMAD_CSV = """ActorID,Age,Sex,Race,Ethnicity
1001,51,Male,Caucasian,Not Hispanic
1002,21,Female,Caucasian,Not Hispanic
1087,62,Male,African American,Not Hispanic
1091,29,Female,Asian,Not Hispanic
"""


def test_cremad(tmp_path):
    raw = tmp_path / "cremad"
    make(raw, 16000, "AudioWAV/1087_IWL_ANG_XX.wav", "AudioWAV/1001_DFA_NEU_XX.wav",
         "AudioWAV/1091_TIE_HAP_HI.wav", "AudioWAV/1002_IEO_SAD_LO.wav",
         "AudioWAV/1050_ITS_FEA_MD.wav", "AudioWAV/1002_IEO_CON_LO.wav")
    (raw / "VideoDemographics.csv").write_text(CREMAD_CSV)
    result = run("cremad", raw, tmp_path)
    assert rows(result) == {
        "cremad-1087-IWL-ANG-XX": ("ANG", "Angry", "1087", "M"),
        "cremad-1001-DFA-NEU-XX": ("NEU", "Neutral", "1001", "M"),
        "cremad-1091-TIE-HAP-HI": ("HAP", "Happy", "1091", "F"),
        "cremad-1002-IEO-SAD-LO": ("SAD", "Sad", "1002", "F"),
        "cremad-1050-ITS-FEA-MD": ("FEA", "Fear", "1050", None),  # not in the CSV
    }
    assert skips(result) == {"AudioWAV/1002_IEO_CON_LO.wav": "unknown label 'CON'"}


def test_cremad_without_demographics_is_a_layout_error(tmp_path):
    raw = tmp_path / "cremad"
    make(raw, 16000, "AudioWAV/1087_IWL_ANG_XX.wav")
    with pytest.raises(LayoutError, match="no VideoDemographics.csv under"):
        run("cremad", raw, tmp_path)


def test_emodb(tmp_path):
    raw = tmp_path / "emodb"
    make(raw, 16000, "wav/03a01Wa.wav", "wav/08b02Lb.wav", "wav/16a05Nc.wav",
         "wav/11b09Ta.wav", "wav/13a04Fd.wav", "wav/10a07Aa.wav", "wav/14b03Ea.wav",
         "wav/09a07Xa.wav")
    (raw / "lablaut").mkdir()
    (raw / "lablaut/03a01Wa.lab").write_text("not audio")
    result = run("emodb", raw, tmp_path)
    assert rows(result) == {
        "emodb-03a01Wa": ("anger", "Angry", "03", "M"),
        "emodb-08b02Lb": ("boredem", "Boredom", "08", "F"),
        "emodb-16a05Nc": ("neutral", "Neutral", "16", "F"),
        "emodb-11b09Ta": ("sad", "Sad", "11", "M"),
        "emodb-13a04Fd": ("happy", "Happy", "13", "F"),
        "emodb-10a07Aa": ("fear", "Fear", "10", "M"),
        "emodb-14b03Ea": ("disgust", "Disgust", "14", "F"),
    }
    assert skips(result) == {"wav/09a07Xa.wav": "unknown emotion letter 'X'"}
    assert result.report["skipped_reasons"] == {"unknown emotion letter": 1}


def test_emovdb(tmp_path):
    raw = tmp_path / "emovdb"
    make(raw, 16000, "jenie_Amused/amused_57-84_0057.wav", "bea_Disgusted/disgust_1-28_0003.wav",
         "sam_Angry/anger_1-28_0020.wav", "sam_Bored/bored_1-28_0001.wav")
    make(raw, 44100, "josh_Sleepy/sleepiness_1-28_0012.wav", "bea_Neutral/neutral_29-56_0031.wav")
    result = run("emovdb", raw, tmp_path)
    assert rows(result) == {
        "emovdb-jenie-Amused-0057": ("Amused", "Amused", "jenie", "F"),
        "emovdb-bea-Disgust-0003": ("Disgust", "Disgust", "bea", "F"),
        "emovdb-sam-Angry-0020": ("Angry", "Angry", "sam", "M"),
        "emovdb-josh-Sleepy-0012": ("Sleepy", "Sleepy", "josh", "M"),
        "emovdb-bea-Neutral-0031": ("Neutral", "Neutral", "bea", "F"),
    }
    assert skips(result) == {"sam_Bored/bored_1-28_0001.wav": "unknown label 'Bored'"}
    assert result.report["sample_rates"] == {"16000": 3, "44100": 2}


def test_emovo(tmp_path):
    raw = tmp_path / "emovo"
    make(raw, 48000, "f2/gio-f2-b2.wav", "f2/dis-f2-n2.wav", "m3/rab-m3-l1.wav",
         "m1/neu-m1-d1.wav", "f3/sor-f3-l4.wav", "f1/xyz-f1-b1.wav")
    write_corrupt(raw / "m2/tri-m2-b3.wav")
    result = run("emovo", raw, tmp_path)
    assert rows(result) == {
        "emovo-gio-f2-b2": ("gio", "Happy", "f2", "F"),
        "emovo-dis-f2-n2": ("dis", "Disgust", "f2", "F"),
        "emovo-rab-m3-l1": ("rab", "Angry", "m3", "M"),
        "emovo-neu-m1-d1": ("neu", "Neutral", "m1", "M"),
        "emovo-sor-f3-l4": ("sor", "Surprise", "f3", "F"),
    }
    skipped = skips(result)
    assert skipped["f1/xyz-f1-b1.wav"] == "unknown label 'xyz'"
    assert skipped["m2/tri-m2-b3.wav"].startswith("unreadable")


JL = "Raw JL corpus (unchecked and unannotated)/JL(wav+txt)"


def test_jlcorpus(tmp_path):
    raw = tmp_path / "jlcorpus"
    make(raw, 44100, f"{JL}/male2_concerned_6b_1.wav", f"{JL}/female1_apologetic_15b_2.wav",
         f"{JL}/female2_angry_1a_1.wav", f"{JL}/male1_excited_3a_2.wav",
         f"{JL}/male1_bored_3a_2.wav")
    (raw / JL / "male1_excited_3a_2.txt").write_text("transcript")
    result = run("jlcorpus", raw, tmp_path)
    assert rows(result) == {
        "jlcorpus-male2-concerned-6b-1": ("concerned", "Concerned", "male2", "M"),
        "jlcorpus-female1-apologetic-15b-2": ("apologetic", "Apologetic", "female1", "F"),
        "jlcorpus-female2-angry-1a-1": ("angry", "Angry", "female2", "F"),
        "jlcorpus-male1-excited-3a-2": ("excited", "Excited", "male1", "M"),
    }
    assert skips(result) == {f"{JL}/male1_bored_3a_2.wav": "unknown label 'bored'"}


MESD = "Mexican Emotional Speech Database (MESD)"


def test_mesd(tmp_path):
    raw = tmp_path / "mesd"
    make(raw, 48000, f"{MESD}/Anger_F_A_tarde.wav", f"{MESD}/Sadness_M_B_amenazado.wav",
         f"{MESD}/Happiness_C_A_abajo.wav", f"{MESD}/Neutral_C_B_corazón.wav",
         f"{MESD}/Joy_F_A_casa.wav", f"{MESD}/Fear_X_A_casa.wav")
    result = run("mesd", raw, tmp_path)
    assert rows(result) == {
        "mesd-Anger_F_A_tarde": ("Anger", "Angry", None, "F"),
        "mesd-Sadness_M_B_amenazado": ("Sadness", "Sad", None, "M"),
        "mesd-Happiness_C_A_abajo": ("Happiness", "Happy", None, None),
        "mesd-Neutral_C_B_corazón": ("Neutral", "Neutral", None, None),
    }
    voices = {u.key: u.extra["voice_type"] for u in result.utterances}
    assert voices == {"mesd-Anger_F_A_tarde": "Female", "mesd-Sadness_M_B_amenazado": "Male",
                      "mesd-Happiness_C_A_abajo": "Child", "mesd-Neutral_C_B_corazón": "Child"}
    assert skips(result) == {f"{MESD}/Joy_F_A_casa.wav": "unknown label 'Joy'",
                             f"{MESD}/Fear_X_A_casa.wav": "unknown voice type 'X'"}
    line = (tmp_path / "ws/corpora/mesd/manifest.jsonl").read_text().splitlines()[0]
    assert json.loads(line)["voice_type"] in {"Female", "Male", "Child"}


def test_oreau(tmp_path):
    raw = tmp_path / "oreau"
    top = unicodedata.normalize("NFD", "OréauFR_02")  # as EmoBox's own paths have it
    make(raw, 44100, f"{top}/f/sessj/10a02Ja.wav", f"{top}/m/sessc/07a04Ca.wav",
         f"{top}/m/sesss/07z03Sa.wav", f"{top}/f/sesst/37a02Ta.wav",
         f"{top}/m/sessx/20a01Xa.wav")
    result = run("oreau", raw, tmp_path)
    assert rows(result) == {
        "oreau-10a02Ja": ("J", "Happy", "10", "F"),
        "oreau-07a04Ca": ("C", "Angry", "07", "M"),
        "oreau-07z03Sa": ("S", "Surprise", "07", "M"),
        "oreau-37a02Ta": ("T", "Sad", "37", "F"),
    }
    assert skips(result) == {f"{top}/m/sessx/20a01Xa.wav": "unknown label 'X'"}


RAV = "audio/Audio_Speech_Actors_01-24"


def test_ravdess(tmp_path):
    raw = tmp_path / "ravdess"
    make(raw, 48000, f"{RAV}/Actor_18/03-01-05-01-02-01-18.wav",
         f"{RAV}/Actor_18/03-01-08-01-02-01-18.wav", f"{RAV}/Actor_01/03-01-06-02-01-02-01.wav",
         f"{RAV}/Actor_01/03-01-02-01-01-01-01.wav", f"{RAV}/Actor_07/03-01-01-01-01-01-07.wav",
         f"{RAV}/Actor_04/03-01-04-02-02-02-04.wav", f"{RAV}/Actor_04/03-01-07-01-01-01-04.wav",
         f"{RAV}/Actor_04/03-01-03-01-01-02-04.wav", f"{RAV}/Actor_07/03-01-09-01-01-01-07.wav",
         "audio/Audio_Song_Actors_01-24/Actor_01/03-02-03-01-01-01-01.wav")
    write_corrupt(raw / RAV / "Actor_07/03-01-03-01-01-01-07.wav")
    result = run("ravdess", raw, tmp_path)
    assert rows(result) == {
        "ravdess-03-01-05-01-02-01-18": ("Angry", "Angry", "18", "F"),
        "ravdess-03-01-08-01-02-01-18": ("Surprised", "Surprise", "18", "F"),
        "ravdess-03-01-06-02-01-02-01": ("Fearful", "Fear", "01", "M"),
        "ravdess-03-01-02-01-01-01-01": ("Calm", "Calm", "01", "M"),
        "ravdess-03-01-01-01-01-01-07": ("Neutral", "Neutral", "07", "M"),
        "ravdess-03-01-04-02-02-02-04": ("Sad", "Sad", "04", "F"),
        "ravdess-03-01-07-01-01-01-04": ("Disgust", "Disgust", "04", "F"),
        "ravdess-03-01-03-01-01-02-04": ("Happy", "Happy", "04", "F"),
    }
    skipped = skips(result)
    assert skipped[f"{RAV}/Actor_07/03-01-09-01-01-01-07.wav"] == "unknown emotion code '09'"
    assert skipped["audio/Audio_Song_Actors_01-24/Actor_01/03-02-03-01-01-01-01.wav"] == (
        "song recording (vocal channel 02); EmoBox uses RAVDESS speech only")
    assert skipped[f"{RAV}/Actor_07/03-01-03-01-01-01-07.wav"].startswith("unreadable")
    report = json.loads((tmp_path / "ws/corpora/ravdess/prepare_report.json").read_text())
    assert report["utterances"] == 8 and report["skipped"] == 3


def test_ravdess_official_zip_layout(tmp_path):
    raw = tmp_path / "Audio_Speech_Actors_01-24"
    make(raw, 48000, "Actor_18/03-01-05-01-02-01-18.wav", "Actor_01/03-01-02-01-01-01-01.wav")
    result = run("ravdess", raw, tmp_path)
    assert rows(result) == {
        "ravdess-03-01-05-01-02-01-18": ("Angry", "Angry", "18", "F"),
        "ravdess-03-01-02-01-01-01-01": ("Calm", "Calm", "01", "M"),
    }


def test_savee(tmp_path):
    raw = tmp_path / "savee"
    make(raw, 44100, "JE_n23.wav", "JE_f12.wav", "DC_sa01.wav", "KL_su15.wav", "JK_a05.wav",
         "KL_h02.wav", "DC_d11.wav", "DC_x01.wav")
    result = run("savee", raw, tmp_path)
    assert rows(result) == {
        "savee-JE-n23": ("n", "Neutral", "JE", "M"),
        "savee-JE-f12": ("f", "Fear", "JE", "M"),
        "savee-DC-sa01": ("sa", "Sad", "DC", "M"),
        "savee-KL-su15": ("su", "Surprise", "KL", "M"),
        "savee-JK-a05": ("a", "Angry", "JK", "M"),
        "savee-KL-h02": ("h", "Happy", "KL", "M"),
        "savee-DC-d11": ("d", "Disgust", "DC", "M"),
    }
    assert skips(result) == {"DC_x01.wav": "unknown label 'x'"}


def test_savee_official_audiodata_layout(tmp_path):
    raw = tmp_path / "savee"
    make(raw, 44100, "AudioData/JK/sa09.wav", "AudioData/DC/n01.wav")
    (raw / "AudioData/Info.txt").write_text("SAVEE")
    result = run("savee", raw, tmp_path)
    assert rows(result) == {
        "savee-JK-sa09": ("sa", "Sad", "JK", "M"),
        "savee-DC-n01": ("n", "Neutral", "DC", "M"),
    }


NAMES = ("aesdd", "ased", "asvpesd", "cafe", "casia", "cremad", "emodb", "emovdb", "emovo",
         "jlcorpus", "mesd", "oreau", "ravdess", "savee")


@pytest.mark.parametrize("name", NAMES)
def test_wrong_folder_is_a_one_line_layout_error(tmp_path, name):
    raw = tmp_path / "not-a-corpus"
    make(raw, 16000, "misc/take1.wav")
    (raw / "readme.txt").write_text("hello")
    corpus = get_corpus(name)
    with pytest.raises(LayoutError) as info:
        run(name, raw, tmp_path)
    message = str(info.value)
    assert "\n" not in message
    assert f"is this the {corpus.info.display_name} download?" in message
    assert corpus.expect in message


def test_ravdess_wrong_folder_names_the_actor_folders(tmp_path):
    raw = tmp_path / "savee"
    make(raw, 44100, "JE_n23.wav")
    with pytest.raises(LayoutError, match=r"^no Actor_NN/ folders of \.wav files under .* — "
                                          r"is this the RAVDESS download\?$"):
        run("ravdess", raw, tmp_path)


def test_registry_facts():
    expected = {  # name: (display, languages, n_emotions, n_speakers, n_utterances, hours)
        "aesdd": ("AESDD", ("el",), 5, 5, 604, 0.7),
        "ased": ("ASED", ("am",), 5, 65, 2474, 2.1),
        "asvpesd": ("ASVP-ESD", ("mul",), 12, 131, 13964, 18.0),
        "cafe": ("CaFE", ("fr",), 7, 12, 936, 1.2),
        "casia": ("CASIA", ("zh",), 6, 4, 1200, 0.6),
        "cremad": ("CREMA-D", ("en",), 6, 91, 7442, 5.3),
        "emodb": ("EmoDB", ("de",), 7, 10, 535, 0.4),
        "emovdb": ("EmoV-DB", ("en",), 5, 4, 6887, 9.5),
        "emovo": ("EMOVO", ("it",), 7, 6, 588, 0.5),
        "jlcorpus": ("JL-Corpus", ("en",), 5, 4, 2400, 1.4),
        "mesd": ("MESD", ("es",), 6, 11, 862, 0.2),
        "oreau": ("Oréau", ("fr",), 7, 32, 434, 0.3),
        "ravdess": ("RAVDESS", ("en",), 8, 24, 1440, 1.5),
        "savee": ("SAVEE", ("en",), 7, 4, 480, 0.5),
    }
    serval = {"aesdd", "cafe", "casia", "emodb", "emovo", "mesd"}
    for name, (display, langs, n_emo, n_spk, n_utt, hours) in expected.items():
        info = get_corpus(name).info
        assert (info.display_name, info.languages, info.n_emotions, info.n_speakers,
                info.n_utterances, info.hours) == (display, langs, n_emo, n_spk, n_utt, hours)
        assert info.protocols == (("emobox", "serval") if name in serval else ("emobox",))
        assert info.url and info.license and "\n" not in info.license
    assert get_corpus("Oréau").name == "oreau"
    assert get_corpus("CREMA-D").name == "cremad"
    assert len(get_corpus("asvpesd").info.emotions) == 14
    assert get_corpus("jlcorpus").info.emotions == [
        "Angry", "Anxious", "Apologetic", "Assertive", "Concerned", "Encouraging", "Excited",
        "Happy", "Neutral", "Sad"]


def test_cli_prepare(tmp_path):
    raw = tmp_path / "emovo"
    make(raw, 48000, "f2/gio-f2-b2.wav", "m3/rab-m3-l1.wav", "f1/xyz-f1-b1.wav")
    ws = tmp_path / "ws"
    result = CliRunner().invoke(app, ["prepare", "emovo", "--raw", str(raw), "-w", str(ws)])
    assert result.exit_code == 0, result.output
    assert "emovo: 2 utterances, 2 speakers" in result.output
    assert "skipped 1 files" in result.output and "unknown label ×1" in result.output
    assert (ws / "corpora/emovo/manifest.jsonl").is_file()

    wrong = CliRunner().invoke(app, ["prepare", "emovo", "--raw", str(tmp_path), "-w", str(ws)])
    assert wrong.exit_code != 0
    assert isinstance(wrong.exception, LayoutError)
    assert "is this the EMOVO download?" in str(wrong.exception)


def test_cli_wrong_folder_exits_2_with_one_line(tmp_path):
    raw = tmp_path / "empty"
    raw.mkdir()
    code = ("import sys; from emobox.cli import main; "
            "sys.argv = ['emobox', 'prepare', 'savee', '--raw', sys.argv[1], '-w', sys.argv[2]]; "
            "main()")
    proc = subprocess.run([sys.executable, "-c", code, str(raw), str(tmp_path / "ws")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("emobox: error: no <SPK>_<code><NN>.wav files")
    assert lines[0].endswith("is this the SAVEE download?")
