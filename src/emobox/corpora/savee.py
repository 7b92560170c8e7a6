"""SAVEE — Surrey Audio-Visual Expressed Emotion (audio), 4 male British English speakers.

Raw layout as EmoBox has it: flat ``<SPK>_<code><NN>.wav``; the official AudioData download's
``AudioData/<SPK>/<code><NN>.wav`` (and ``<SPK>/<code><NN>.wav``) is read too, with the same keys.
Speakers DC, JE, JK, KL; codes a, d, f, h, n, sa, su. Example: ``JE_n23.wav`` (or
``AudioData/JE/n23.wav``) → ``savee-JE-n23``.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus


def _speaker(fields: dict[str, str]) -> str:
    return fields.get("folder_speaker") or fields["file_speaker"]


CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="savee",
        display_name="SAVEE",
        languages=("en",),
        label_map={"a": "Angry", "d": "Disgust", "f": "Fear", "h": "Happy", "n": "Neutral",
                   "sa": "Sad", "su": "Surprise"},
        source="acted",
        n_emotions=7,
        n_speakers=4,
        n_utterances=480,
        hours=0.5,
        url="http://kahlan.eps.surrey.ac.uk/savee/",
        license="free for research; registration required, no redistribution",
    ),
    glob=("*.wav", "[A-Z][A-Z]/*.wav", "AudioData/[A-Z][A-Z]/*.wav"),
    pattern=r"(?:(?:AudioData/)?(?P<folder_speaker>[A-Z]{2})/|(?P<file_speaker>[A-Z]{2})_)"
            r"(?P<emo>[a-z]+)(?P<n>\d\d)\.wav",
    key=lambda f: f"{_speaker(f)}-{f['emo']}{f['n']}",
    speaker=_speaker,
    gender="M",
    expect="<SPK>_<code><NN>.wav files (or AudioData/<SPK>/ folders)",
)
