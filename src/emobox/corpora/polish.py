"""Emotions in Polish speech recordings (EmoBox ``polish``).

Raw layout (EmoBox's ``downloads/polish/``; flat, searched recursively as EmoBox does)::

    <spk>.<emo>_<word>_<rep>.wav          e.g. m3.s_trzymaj_5.wav

``spk`` m1–m5; ``emo`` a (angry), n (neutral), s (strach: fear); 44.1 kHz. Key (as EmoBox):
``polish-<stem>``, e.g. ``polish-m3.s_trzymaj_5``. The corpus does not state the speakers'
gender (the ``m`` prefix may mean male but is not documented), so gender is left unknown.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="polish",
        display_name="Polish (Emotions in Polish speech recordings)",
        languages=("pl",),
        label_map={"a": "Angry", "n": "Neutral", "s": "Fear"},
        source="acted",
        n_emotions=3,
        n_speakers=5,
        n_utterances=450,
        hours=0.1,
        url="https://mostwiedzy.pl/en/open-research-data/"
            "emotions-in-polish-speech-recordings,11190523461146169-0",
        license="open research data (Most Wiedzy, Gdańsk University of Technology); "
                "terms on the record page",
        protocols=("emobox",),
    ),
    glob="**/*.[wW][aA][vV]",
    pattern=r"(?:.*/)?(?P<speaker>[a-z]+\d+)\.(?P<emo>[^_/.]+)_(?P<word>[^_/]+)_(?P<rep>\d+)"
            r"\.(?i:wav)",
    key="{stem}",
    expect="<spk>.<emo>_<word>_<rep>.wav files (e.g. m3.s_trzymaj_5.wav)",
)
