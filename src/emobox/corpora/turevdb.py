"""TurEV-DB — Turkish Emotional Voice Database (EmoBox ``turevdb``).

Raw layout (EmoBox's ``downloads/turevdb/``)::

    Sound Source/<Emotion>/<spk>_<code>_<word>.wav   e.g. Sound Source/Calm/1984_sk_eger.wav

Label: the folder (Angry, Calm, Happy, Sad; file codes kz, sk, mt, hl). Speaker: the 4-digit
first field; no gender in the corpus. Key (as EmoBox): ``turevdb-`` + the full file name
*with* ``.wav``, e.g. ``turevdb-1984_sk_eger.wav``. 44.1 kHz.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="turevdb",
        display_name="TurEV-DB",
        languages=("tr",),
        label_map={"Angry": "Angry", "Calm": "Calm", "Happy": "Happy", "Sad": "Sad"},
        source="acted",
        n_emotions=4,
        n_speakers=6,
        n_utterances=1735,
        hours=0.5,
        url="https://github.com/Xeonen/TurEV-DB",
        license="terms in the GitHub repository",
        protocols=("emobox",),
    ),
    glob="Sound Source/*/*.[wW][aA][vV]",
    pattern=r"Sound Source/(?P<emo>[^/]+)/(?P<speaker>[^_/]+)_[^/]+\.(?i:wav)",
    key="{name}",
    expect="'Sound Source/<Emotion>/' folders of <spk>_<code>_<word>.wav files",
)
