"""MASC, DEMoS, BAUM-1, EEKK, Thorsten emotional and Expresso: miniature raw trees."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from fabricate import prepare_corpus as run
from fabricate import skip_reasons as skips
from fabricate import write_corrupt, write_video
from fabricate import write_tree as make

from emobox.corpora import get_corpus
from emobox.corpora.core import read_table, read_textgrid
from emobox.errors import LayoutError


def rows(result) -> list[tuple]:
    return sorted((u.key, u.emo, u.label, u.speaker, u.gender) for u in result.utterances)






# --- MASC ---------------------------------------------------------------------------------

MASC_FILES = ["data/001/anger/utterance/2113.wav", "data/001/neutral/paragraph/3011.wav",
              "data/017/elation/phrase/1011.wav", "data/068/panic/utterance/2203.wav",
              "data/068/sadness/utterance/2203.wav", "data/002/joy/utterance/2113.wav"]
MASC_ROWS = [
    ("masc-001_anger_utterance_2113", "anger", "Angry", "001", None),
    ("masc-001_neutral_paragraph_3011", "neutral", "Neutral", "001", None),
    ("masc-017_elation_phrase_1011", "elation", "Happy", "017", None),
    ("masc-068_panic_utterance_2203", "panic", "Fear", "068", None),
    ("masc-068_sadness_utterance_2203", "sadness", "Sad", "068", None),
]


def test_masc(tmp_path):
    raw = tmp_path / "MASC"
    make(raw, MASC_FILES, 22050)
    write_corrupt(raw / "data/002/anger/utterance/2114.wav")
    result = run("masc", raw, tmp_path)
    assert rows(result) == MASC_ROWS
    assert {u.wav for u in result.utterances} >= {"data/001/anger/utterance/2113.wav"}
    assert {u.sample_rate for u in result.utterances} == {22050}
    reasons = skips(result)
    assert reasons["data/002/joy/utterance/2113.wav"] == "unknown label 'joy'"
    assert reasons["data/002/anger/utterance/2114.wav"].startswith("unreadable")
    # serval's root, MASC/data, gives the same keys
    assert rows(run("masc", raw / "data", tmp_path, "ws2")) == MASC_ROWS


# --- DEMoS --------------------------------------------------------------------------------

def test_demos(tmp_path):
    raw = tmp_path / "wav_DEMoS"
    # the native rate is not documented; 44.1 kHz stands in
    make(raw, ["DEMOS/PR_m_23_tri00a.wav", "DEMOS/NP_f_61_gio02c.wav",
               "DEMOS/NP_f_61_col05b.wav", "NEU/m_11_neu00a.wav",
               "DEMOS/NP_m_23_xyz01a.wav"], 44100)
    write_corrupt(raw / "DEMOS/PR_f_02_rab03a.wav")
    result = run("demos", raw, tmp_path)
    assert rows(result) == [
        ("demos-NP_f_61_col05b", "col", "Guilt", "61", "F"),
        ("demos-NP_f_61_gio02c", "gio", "Happy", "61", "F"),
        ("demos-PR_m_23_tri00a", "tri", "Sad", "23", "M"),
        ("demos-m_11_neu00a", "neu", "Neutral", "11", "M"),
    ]
    reasons = skips(result)
    assert reasons["DEMOS/NP_m_23_xyz01a.wav"] == "unknown label 'xyz'"
    assert reasons["DEMOS/PR_f_02_rab03a.wav"].startswith("unreadable")


# --- BAUM-1 -------------------------------------------------------------------------------

def write_xlsx(path: Path, table: list[list[object]]) -> Path:
    """A minimal Excel workbook as Excel writes it: shared strings, numeric cells."""
    strings: list[str] = []
    body = []
    for r, values in enumerate(table, 1):
        cells = []
        for c, value in enumerate(values):
            ref = f"{chr(65 + c)}{r}"
            if isinstance(value, str):
                strings.append(value)
                cells.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        body.append(f'<row r="{r}">{"".join(cells)}</row>')
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                               'content-types"/>',
        "_rels/.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId1" '
                       f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rel}"><sheets><sheet '
                           f'name="Sheet1" sheetId="1" r:id="rId7"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{pkg}"><Relationship Id="rId7" '
                                      f'Type="{rel}/worksheet" Target="worksheets/sheet3.xml"/>'
                                      f'</Relationships>',
        "xl/worksheets/sheet3.xml": f'<worksheet xmlns="{main}"><sheetData>{"".join(body)}'
                                    f'</sheetData></worksheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{main}">' + "".join(
            f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as book:
        for name, xml in parts.items():
            book.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + xml)
    return path


def baum_tree(raw: Path) -> None:
    write_xlsx(raw / "Annotations_BAUM1s.xlsx", [
        ["No", "Subject", "Clip No", "Clip Name", "Emotion", "Emotion Code", "Gender"],
        [1, 15, 7, "S015_007", "Neutral", 8, "Female"],
        [2, 15, 8, "S015_008", "Happiness", 8, "Female"],
        [3, 1, 1, "S001_001", "Concentrating", 4, "Male"],
        [4, 1, 2, "S001_002", "Contempt", 5, "Male"],
        [5, 2, 3, "S002_003", "Sadness", 14, "Male"],
        [6, 3, 1, "S003_001", "Anger", 1, "Female"],
    ])
    spont = raw / "BAUM1s_MP4 - All"
    clip = write_video(spont / "s015/S015_008.mp4", seconds=0.3)
    for name in ("s015/S015_007.mp4", "s001/S001_001.mp4", "s002/S002_003.mp4",
                 "s002/S002_009.mp4"):
        (spont / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(clip, spont / name)
    (spont / "s015/S015_008.srt").write_text("1\n00:00:00,000 --> 00:00:01,000\nmerhaba\n")
    write_corrupt(spont / "s001/S001_002.mp4")
    # BAUM-1a: a tab-separated export with the columns clip, emotion, code, gender
    (raw / "Annotations_BAUM1a.csv").write_text(
        "S001_001\tInterest\t6\tMale\nS015_001\tSurprise\t8\tFemale\n", encoding="utf-8")
    acted = raw / "BAUM1a_MP4_all"
    for name in ("s001/S001_001.mp4", "s015/S015_001.mp4"):
        (acted / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(clip, acted / name)


def test_baum1(tmp_path):
    raw = tmp_path / "BAUM1"
    baum_tree(raw)
    result = run("baum1", raw, tmp_path)
    assert rows(result) == [
        ("baum1-1a_S001_001", "interest", "Interest", "S001", "M"),
        ("baum1-1a_S015_001", "surprise", "Surprise", "S015", "F"),
        ("baum1-1s_S001_001", "concentrating", "Concentrating", "S001", "M"),
        ("baum1-1s_S015_008", "happiness", "Happy", "S015", "F"),
    ]
    by_key = {u.key: u for u in result.utterances}
    assert by_key["baum1-1s_S015_008"].wav == "BAUM1s_MP4 - All/s015/S015_008.mp4"
    assert by_key["baum1-1s_S015_008"].extra == {"subset": "spontaneous"}
    assert by_key["baum1-1a_S001_001"].extra == {"subset": "acted"}
    assert all(u.length > 0.2 and u.sample_rate == 16000 for u in result.utterances)
    assert skips(result) == {
        "BAUM1s_MP4 - All/s015/S015_007.mp4":
            "emotion name 'Neutral' disagrees with code 8 (happiness)",
        "BAUM1s_MP4 - All/s002/S002_003.mp4": "unknown emotion code '14'",
        "BAUM1s_MP4 - All/s003/S003_001.mp4":
            "in Annotations_BAUM1s.xlsx but no S003_001.mp4 found",
        "BAUM1s_MP4 - All/s002/S002_009.mp4": "not in Annotations_BAUM1s.xlsx",
        "BAUM1s_MP4 - All/s001/S001_002.mp4": skips(result)["BAUM1s_MP4 - All/s001/S001_002.mp4"],
    }
    assert skips(result)["BAUM1s_MP4 - All/s001/S001_002.mp4"].startswith("unreadable")
    report = json.loads((tmp_path / "ws/corpora/baum1/prepare_report.json").read_text())
    assert report["skipped_reasons"]["unknown emotion code"] == 1


def test_xlsx_reader_reads_shared_strings_and_numbers(tmp_path):
    path = write_xlsx(tmp_path / "a.xlsx", [["Clip", "Code"], ["S001_001", 4], ["", 2.0]])
    assert read_table(path) == [["Clip", "Code"], ["S001_001", "4"], ["", "2"]]


# --- EEKK ---------------------------------------------------------------------------------

def textgrid_long(tiers: dict[str, list[tuple[float, float, str]]]) -> str:
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0 ",
             "xmax = 0.2 ", "tiers? <exists> ", f"size = {len(tiers)} ", "item []: "]
    for n, (name, items) in enumerate(tiers.items(), 1):
        lines += [f"    item [{n}]:", '        class = "IntervalTier" ',
                  f'        name = "{name}" ', "        xmin = 0 ", "        xmax = 0.2 ",
                  f"        intervals: size = {len(items)} "]
        for i, (start, end, text) in enumerate(items, 1):
            lines += [f"        intervals [{i}]:", f"            xmin = {start} ",
                      f"            xmax = {end} ", f'            text = "{text}" ']
    return "\n".join(lines) + "\n"


def textgrid_short(tiers: dict[str, list[tuple[float, float, str]]]) -> str:
    lines = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "0", "0.2", "<exists>",
             str(len(tiers))]
    for name, items in tiers.items():
        lines += ['"IntervalTier"', f'"{name}"', "0", "0.2", str(len(items))]
        for start, end, text in items:
            lines += [str(start), str(end), f'"{text}"']
    return "\n".join(lines) + "\n"


def test_eekk(tmp_path):
    raw = tmp_path / "ekorpus"
    folder = raw / "EKORPUS"
    make(folder, ["37.wav", "13721.wav", "120289.wav", "500.wav", "600.wav"], 44100)
    write_corrupt(folder / "700.wav")
    (folder / "37.TextGrid").write_text(textgrid_long({
        "sentence": [(0, 0.2, 'Ta ütles: ""tere õhtust""')],
        "emotion": [(0, 0.05, ""), (0.05, 0.2, "anger")],
        "words": [(0, 0.1, "ta"), (0.1, 0.2, "ütles")],
    }), encoding="utf-8")
    (folder / "13721.TextGrid").write_bytes(
        textgrid_short({"emotion": [(0, 0.2, "Joy")], "sentence": [(0, 0.2, "Õun")]})
        .encode("utf-16"))
    (folder / "120289.TextGrid").write_text(textgrid_long({"emotion": [(0, 0.2, "surprise")]}))
    (folder / "600.TextGrid").write_text(textgrid_long({"sentence": [(0, 0.2, "ilma")]}))
    (folder / "700.TextGrid").write_text(textgrid_long({"emotion": [(0, 0.2, "neutral")]}))
    result = run("eekk", raw, tmp_path)
    assert rows(result) == [
        ("eekk-13721", "joy", "Happy", None, None),
        ("eekk-37", "anger", "Angry", None, None),
    ]
    by_key = {u.key: u for u in result.utterances}
    assert by_key["eekk-37"].wav == "EKORPUS/37.wav"
    assert by_key["eekk-37"].extra == {"text": 'Ta ütles: "tere õhtust"'}
    assert by_key["eekk-13721"].extra == {"text": "Õun"} and by_key["eekk-37"].lang == "et"
    reasons = skips(result)
    assert reasons["EKORPUS/120289.wav"] == "unknown label 'surprise'"
    assert reasons["EKORPUS/500.wav"] == "no 500.TextGrid beside the wav (the label is there)"
    assert reasons["EKORPUS/600.wav"] == "no 'emotion' tier text in 600.TextGrid"
    assert reasons["EKORPUS/700.wav"].startswith("unreadable")
    # EKORPUS/ itself as the root: same keys, paths relative to it
    again = run("eekk", folder, tmp_path, "ws2")
    assert [u.wav for u in sorted(again.utterances, key=lambda u: u.key)] == [
        "13721.wav", "37.wav"]


def test_textgrid_reader_rejects_binary(tmp_path):
    path = tmp_path / "x.TextGrid"
    path.write_bytes(b"ooBinaryFile\x08TextGrid\x00\x01")
    with pytest.raises(Exception, match="cannot read x.TextGrid"):
        read_textgrid(path)


# --- Thorsten emotional -------------------------------------------------------------------

H1, H2 = "f64b86e0c3ff6561d5c5968bd8135a34", "0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def test_thorsten(tmp_path):
    raw = tmp_path / "thorsten-emotional_v02"
    make(raw, [f"neutral/{H1}.wav", f"amused/{H1}.wav", f"whisper/{H2}.wav", f"drunk/{H1}.wav",
               f"happy/{H1}.wav"], 22050)
    write_corrupt(raw / f"angry/{H2}.wav")
    (raw / "thorsten-emotional-metadata.csv").write_text(f"{H1}|Hallo Welt.\n")
    (raw / "README.md").write_text("# Thorsten emotional\n")
    result = run("thorsten", raw, tmp_path)
    assert rows(result) == [
        (f"thorsten-amused_{H1}", "amused", "Happy", "thorsten", "M"),
        (f"thorsten-drunk_{H1}", "drunk", "Drunk", "thorsten", "M"),
        (f"thorsten-neutral_{H1}", "neutral", "Neutral", "thorsten", "M"),
        (f"thorsten-whisper_{H2}", "whisper", "Whisper", "thorsten", "M"),
    ]
    assert {u.wav for u in result.utterances} >= {f"neutral/{H1}.wav"}
    reasons = skips(result)
    assert reasons[f"happy/{H1}.wav"] == "unknown label 'happy'"
    assert reasons[f"angry/{H2}.wav"].startswith("unreadable")


# --- Expresso -----------------------------------------------------------------------------

def test_expresso(tmp_path):
    raw = tmp_path / "expresso"
    audio = raw / "audio_48khz"
    make(audio, ["read/ex03/default/base/ex03_default_emphasis_00010.wav",
                 "read/ex04/happy/base/ex04_happy_00085.wav",
                 "read/ex01/default/longform/ex01_default_longform_00001.wav",
                 "read/ex02/singing/ex02_singing_00001.wav"], 48000)
    make(audio, ["conversational/ex04-ex01/sad-sympathetic/ex04-ex01_sad-sympathetic_002.wav",
                 "conversational/ex04-ex01/laughing/ex04-ex01_laughing_001.wav",
                 "conversational/ex04-ex02/angry-happy/ex04-ex02_angry-happy_001.wav"],
         48000, channels=2)
    write_corrupt(audio / "read/ex02/sad/base/ex02_sad_00363.wav")
    (raw / "splits").mkdir()
    (raw / "splits/test.txt").write_text("ex04-ex01_laughing_001\t(,60.0s)\n")
    (raw / "read_transcriptions.txt").write_text("ex04_happy_00085\tHello.\n")
    result = run("expresso", raw, tmp_path)
    assert rows(result) == [
        ("expresso-ex01_default_longform_00001", "default_longform", "Neutral", "ex01", "M"),
        ("expresso-ex02_singing_00001", "singing", "Singing", "ex02", "F"),
        ("expresso-ex03_default_emphasis_00010", "default_emphasis", "Neutral", "ex03", "M"),
        ("expresso-ex04-ex01_laughing_001", "laughing", "Laughing", "ex04-ex01", None),
        ("expresso-ex04-ex01_sad-sympathetic_002", "sad-sympathetic", "Sad", "ex04-ex01", None),
        ("expresso-ex04_happy_00085", "happy", "Happy", "ex04", "F"),
    ]
    by_key = {u.key: u for u in result.utterances}
    dialogue = by_key["expresso-ex04-ex01_sad-sympathetic_002"]
    assert dialogue.wav == ("audio_48khz/conversational/ex04-ex01/sad-sympathetic/"
                            "ex04-ex01_sad-sympathetic_002.wav")
    assert dialogue.channel == 2 and dialogue.sample_rate == 48000
    assert dialogue.extra == {"channel_speakers": ["ex04", "ex01"],
                              "channel_styles": ["sad", "sympathetic"]}
    assert by_key["expresso-ex04-ex01_laughing_001"].extra["channel_styles"] == [
        "laughing", "laughing"]
    assert by_key["expresso-ex04_happy_00085"].extra == {}
    reasons = skips(result)
    assert reasons["audio_48khz/conversational/ex04-ex02/angry-happy/"
                   "ex04-ex02_angry-happy_001.wav"] == "unknown label 'angry-happy'"
    assert reasons["audio_48khz/read/ex02/sad/base/ex02_sad_00363.wav"].startswith("unreadable")
    # serval's root, expresso/audio_48khz, gives the same keys
    assert [r[0] for r in rows(run("expresso", audio, tmp_path, "ws2"))] == [
        r[0] for r in rows(result)]


# --- wrong folders ------------------------------------------------------------------------

@pytest.mark.parametrize("name, hint", [
    ("masc", "data/<spk>/<emotion>/"), ("demos", "DEMOS/ and NEU/"),
    ("baum1", "Annotations_BAUM1s"), ("eekk", "<id>.TextGrid"),
    ("thorsten", "<style>/<hash>.wav"), ("expresso", "conversational/"),
])
def test_wrong_folder(tmp_path, name, hint):
    raw = tmp_path / "elsewhere"
    (raw / "docs").mkdir(parents=True)
    (raw / "docs/readme.txt").write_text("not a corpus")
    with pytest.raises(LayoutError, match="is this the") as info:
        run(name, raw, tmp_path)
    message = str(info.value)
    assert hint in message and "\n" not in message


def test_masc_hint_names_the_release(tmp_path):
    (tmp_path / "raw").mkdir()
    with pytest.raises(LayoutError, match=r"LDC2007S09"):
        run("masc", tmp_path / "raw", tmp_path)


def test_registry_facts():
    for name, protocols in [("masc", ("serval",)), ("demos", ("serval",)),
                            ("baum1", ("serval",)), ("eekk", ("serval",)),
                            ("thorsten", ("serval",)), ("expresso", ("serval",)),
                            ("subesco", ("emobox", "serval")), ("tess", ("emobox",))]:
        info = get_corpus(name).info
        assert info.protocols == protocols and info.url and info.license
