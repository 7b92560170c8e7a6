"""ASVP-ESD — speech and non-speech emotional sounds from films, TV and the web (mixed languages).

Raw layout: ``{Audio|Bonus}/actor_<n>/<fields>.wav`` with 8-12 dash-separated fields:
modality · vocal channel · emotion code · intensity · statement · actor · age · source · ….
The label is the emotion code, the speaker the actor field (not the folder: they disagree for
~1000 files); odd actors are female, even male. Example:
``Audio/actor_36/03-01-09-01-06-36-02-02-01-39.wav`` → ``asvpesd-03-01-09-01-06-36-02-02-01-39``.
The intensity field may have three digits: the release holds
``Audio/actor_39/03-02-03-021-10-39-03-01-00-13.wav``, which EmoBox keeps (13964 utterances).
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus, parity, rewrite

LABELS = {
    "01": "Boredom", "02": "Neutral", "03": "Happy", "04": "Sad", "05": "Angry", "06": "Fear",
    "07": "Disgust", "08": "Surprise", "09": "Excited", "10": "pleasure", "11": "pain, groan",
    "12": "disappointment, disapproval", "13": "breath", "17": "UnKnown",
}

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="asvpesd",
        display_name="ASVP-ESD",
        languages=("mul",),
        label_map=LABELS,
        source="media",
        n_emotions=12,
        n_speakers=131,
        n_utterances=13964,
        hours=18.0,
        url="https://zenodo.org/records/3782416",
        license="open access on Zenodo (terms on the record); cite Landry et al. (2020)",
        notes="Mixed, untagged languages (lang 'mul'); EmoBox keeps all 14 codes as classes.",
    ),
    glob=("Audio/*/*.wav", "Bonus/*/*.wav"),
    pattern=r"(?P<part>Audio|Bonus)/(?P<folder>actor_\d*)/(?P<modality>\d\d)-(?P<channel>\d\d)"
            r"-(?P<emo>\d\d)-(?P<intensity>\d\d\d?)-(?P<statement>\d+)-(?P<speaker>\d+)"
            r"(?P<rest>-[^/]*)?\.wav",
    key=rewrite("{stem}", {"_": "-"}),
    gender=parity("speaker", odd="F", even="M"),
    expect="Audio/actor_*/ (or Bonus/actor_*/) folders of .wav files",
)
