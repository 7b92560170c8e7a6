"""CaFE — Canadian French Emotional speech dataset (48 kHz edition).

Raw layout: ``CaFE_48k/<Émotion>/<Faible|Fort>/<AA>-<E>-<I>-<S>.wav`` (actor, emotion letter,
intensity 1 = Faible / 2 = Fort, sentence), except neutral, which sits directly in
``CaFE_48k/Neutre/``. Odd actors are male, even female. The 192 kHz edition, if unpacked beside
it, is the same recordings and is skipped. Example: ``CaFE_48k/Peur/Fort/12-P-2-5.wav`` →
``cafe-12-P-2-5``.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus, parity

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="cafe",
        display_name="CaFE",
        languages=("fr",),
        label_map={"c": "Angry", "d": "Disgust", "j": "Happy", "n": "Neutral", "p": "Fear",
                   "s": "Surprise", "t": "Sad"},
        source="acted",
        n_emotions=7,
        n_speakers=12,
        n_utterances=936,
        hours=1.2,
        url="https://zenodo.org/records/1478765",
        license="CC BY-NC-SA 4.0",
        protocols=("emobox", "serval"),
        serval_cluster="cluster2",
    ),
    glob="CaFE_*/**/*.wav",
    pattern=r"(?P<edition>CaFE_\w+)/(?P<folder>[^/]+)/(?:(?P<level>Faible|Fort)/)?"
            r"(?P<speaker>\d\d)-(?P<code>[A-Za-z])-(?P<intensity>\d)-(?P<sentence>\d)\.wav",
    key="{stem}",
    emo=lambda f: f["code"].lower(),
    gender=parity("speaker", odd="M", even="F"),
    exclude=lambda f: None if f["edition"] == "CaFE_48k" else
    f"{f['edition']} edition (same recordings as CaFE_48k, which EmoBox uses)",
    expect="CaFE_48k/<Émotion>/ folders of .wav files",
)
