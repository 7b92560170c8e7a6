"""eNTERFACE'05: audio-visual clips; the audio track is read straight from the AVI files.

Layout (EmoBox ``downloads/enterface/``)::

    subject <n>/<emotion word>/sentence <k>/<file>.avi
        e.g. subject 19/anger/sentence 4/s19_an_4.avi  (subject 6: subject 6/anger/s6_an.avi)

Raw label: the 2nd "_" field of the file name (the 3rd for the ``s_3_<emo>_<k>`` names).
Key ``enterface-<file name with .avi>`` as EmoBox. The speaker is the subject folder
(``s<n>``): EmoBox's file-name prefix splits subject 3 and names subject 11's files s12.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus, SkipItem

LABELS = {"an": "Angry", "di": "Disgust", "fe": "Fear", "ha": "Happy", "sa": "Sad",
          "su": "Surprise"}


def _code(fields: dict[str, str]) -> str:
    parts = fields["name"].split("_")
    if len(parts) < 2:
        raise SkipItem("file name has no _<emotion> field")
    return parts[2] if parts[1] == "3" and len(parts) > 2 else parts[1]


CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="enterface", display_name="eNTERFACE'05", languages=("en",), label_map=LABELS,
        source="acted", n_emotions=6, n_speakers=44, n_utterances=1263, hours=1.1,
        url="https://enterface.net/enterface05/emotion.html",
        license="free for research use (eNTERFACE'05 EMOTION database terms)",
        protocols=("emobox", "serval"),
        notes="EmoBox's 44 speaker ids come from file-name artefacts; 43 subject folders",
    ),
    glob="**/*.avi",
    pattern=r"(?:.*/)?subject (?P<subject>\d+)/[^/]+/(?:[^/]+/)?(?P<name>[^/]+)\.avi",
    key="{name}.avi",
    emo=_code,
    speaker="s{subject}",
    expect="'subject <n>/<emotion>/sentence <k>/*.avi' files",
)
