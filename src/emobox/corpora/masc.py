"""MASC — Mandarin Affective Speech Corpus (LDC2007S09; SER Evals ``masc``).

Raw layout (the corpus root holding ``data/``; ``data/`` itself, serval's root, also works)::

    data/<spk>/<emotion>/<item-type>/<file>.wav      e.g. data/001/anger/utterance/2113.wav

``spk`` 001–068; ``emotion`` neutral, anger, elation, panic, sadness; 22.05 kHz. The
item-type folders are only partly documented (``phrase``, ``utterance``; the name of the
neutral paragraph folder is unverified), so any item-type folder, or none, or several
levels, is accepted. File stems repeat across speakers and emotions, so the key is the whole
path: ``masc-<spk>_<emotion>_<item-type>_<stem>``. Gender is not in the paths (it is in the
LDC documentation only) and is left unknown.

Label map: elation → Happy and panic → Fear (as SER Evals); the other three keep their names.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="masc",
        display_name="MASC (LDC2007S09)",
        languages=("zh",),
        label_map={"anger": "Angry", "elation": "Happy", "neutral": "Neutral", "panic": "Fear",
                   "sadness": "Sad"},
        source="acted",
        n_emotions=5,
        n_speakers=68,
        n_utterances=25636,
        url="https://catalog.ldc.upenn.edu/LDC2007S09",
        license="LDC licence (LDC User Agreement; membership or purchase)",
        protocols=("serval",),
        notes="SER Evals Table 1: 1.9 s per utterance on average; 23 female, 45 male speakers.",
    ),
    glob=("data/**/*.[wW][aA][vV]", "[0-9][0-9][0-9]/**/*.[wW][aA][vV]"),
    pattern=r"(?:data/)?(?P<speaker>\d{3})/(?P<emo>[^/]+)/(?P<item>(?:[^/]+/)*)(?P<file>[^/]+)"
            r"\.(?i:wav)",
    key=lambda f: "_".join([f["speaker"], f["emo"], *f["item"].split("/")[:-1], f["file"]]),
    expect="data/<spk>/<emotion>/ folders (e.g. data/001/anger/utterance/2113.wav)",
)
