"""SUBESCO — SUST Bangla Emotional Speech Corpus (EmoBox ``subesco``).

Raw layout (EmoBox's ``downloads/subesco/``; flat, searched recursively as EmoBox does)::

    <F|M>_<NN>_<NAME>_S_<k>_<EMOTION>_<take>.wav      e.g. F_10_FAHMEE_S_6_FEAR_5.wav

Label: the 6th field lower-cased (angry, disgust, fear, happy, neutral, sad, surprise).
Speaker (as EmoBox): ``Female-NN`` / ``Male-NN``; gender from the first field. Key (as
EmoBox): ``subesco-<stem>``. 44.1 or 48 kHz. The take may be followed by a stray ``]``: the
release holds ``F_02_MONIKA_S_2_SURPRISE_3].wav``, which EmoBox keeps (key
``subesco-F_02_MONIKA_S_2_SURPRISE_3]``; 7000 utterances).
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="subesco",
        display_name="SUBESCO",
        languages=("bn",),
        label_map={"angry": "Angry", "disgust": "Disgust", "fear": "Fear", "happy": "Happy",
                   "neutral": "Neutral", "sad": "Sad", "surprise": "Surprise"},
        source="acted",
        n_emotions=7,
        n_speakers=20,
        n_utterances=7000,
        hours=7.8,
        url="https://zenodo.org/records/4526477",
        license="CC BY 4.0 (Zenodo record)",
        protocols=("emobox", "serval"),
        serval_cluster="cluster2",
    ),
    glob="**/*.[wW][aA][vV]",
    pattern=r"(?:.*/)?(?P<g>[FM])_(?P<num>\d+)_(?P<name>[^_/]+)_(?P<s>[A-Za-z]+)_(?P<k>\d+)"
            r"_(?P<emotion>[A-Za-z]+)_(?P<take>\d+)\]?\.(?i:wav)",
    key="{stem}",
    emo=lambda f: f["emotion"].lower(),
    speaker=lambda f: f"{'Female' if f['g'] == 'F' else 'Male'}-{f['num']}",
    gender="{g}",
    expect="<F|M>_<NN>_<NAME>_S_<k>_<EMOTION>_<take>.wav files",
)
