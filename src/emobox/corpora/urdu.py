"""URDU — Urdu talk-show emotional speech (EmoBox ``urdu``; also in SER Evals).

Raw layout (EmoBox's ``downloads/urdu/``, i.e. the ``URDU-Dataset-master`` folder; searched
recursively as EmoBox does)::

    <Emotion>/<SPK>_<F##>_<E###>.wav        e.g. Neutral/SM20_F8_N012.wav

Label (as EmoBox): the first letter of the 3rd field, A/H/N/S. Speaker: the 1st field (SF…,
SM…); its 2nd letter is the gender. Key (as EmoBox): ``urdu-<stem>``. 44.1 kHz.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="urdu",
        display_name="URDU",
        languages=("ur",),
        label_map={"A": "Angry", "H": "Happy", "N": "Neutral", "S": "Sad"},
        source="talk show",
        n_emotions=4,
        n_speakers=29,
        n_utterances=400,
        hours=0.3,
        url="https://github.com/siddiquelatif/urdu-dataset",
        license="free for research; terms in the GitHub repository",
        protocols=("emobox", "serval"),
        serval_cluster="cluster3",
    ),
    glob="**/*.[wW][aA][vV]",
    pattern=r"(?:.*/)?(?P<speaker>[^_/]+)_(?P<file>[^_/]+)_(?P<emo>[^_/])[^_/]*\.(?i:wav)",
    key="{stem}",
    gender=lambda f: {"F": "F", "M": "M"}.get(f["speaker"][1:2]),
    expect="<Emotion>/ folders of <SPK>_<F##>_<E###>.wav files",
)
