"""Expresso (English, Meta; SER Evals ``expresso``).

Raw layout (``expresso/`` from expresso.tar; ``audio_48khz/``, serval's root, also works)::

    audio_48khz/read/<spk>/<style>/<base|longform>/<spk>_<substyle>_<id>.wav
        e.g. read/ex03/default/base/ex03_default_emphasis_00010.wav        (mono)
    audio_48khz/conversational/<spkL>-<spkR>/<styleL>-<styleR>|<style>/<pair>_<styles>_<id>.wav
        e.g. conversational/ex04-ex01/animal-animaldir/ex04-ex01_animal-animaldir_005.wav

Read files: emo = the substyle from the file name, speaker = ``exNN``; where singing sits is
unverified, so any style folder and an optional sub-folder are accepted. Dialogues (stereo,
one speaker per channel) stay whole files, as SER Evals uses them: emo = the style folder,
speaker = the pair ``exL-exR``, and ``channel_speakers`` / ``channel_styles`` are recorded.
Key: ``expresso-<stem>``. Gender from the speakers' public voice names (ex01, ex03 male; ex02,
ex04 female) — unofficial, the README only says 2 male and 2 female.

Label map: default (and its emphasis/essentials/longform read variants) → Neutral, happy →
Happy, sad → Sad, angry → Angry, disgusted → Disgust, fearful → Fear, calm → Calm, bored →
Boredom; the other styles keep their own names (Awe, Laughing, Whisper, Confused, …; SER
Evals folds awe into surprise, laughing into happiness and bored/calm into neutral). A
two-style dialogue gets the label of the style SER Evals' fixed key order finds first
(sad-sympathetic → Sad, animal-animaldir → Animal).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from emobox.corpora.core import Candidate, CorpusInfo, Discovered, PatternCorpus

STYLES = {
    "angry": "Angry", "animal": "Animal", "animaldir": "Animal-directed", "awe": "Awe",
    "bored": "Boredom", "calm": "Calm", "child": "Child", "childdir": "Child-directed",
    "confused": "Confused", "default": "Neutral", "desire": "Desire", "disgusted": "Disgust",
    "enunciated": "Enunciated", "fast": "Fast", "fearful": "Fear", "happy": "Happy",
    "laughing": "Laughing", "narration": "Narration", "nonverbal": "Nonverbal",
    "projected": "Projected", "sad": "Sad", "sarcastic": "Sarcastic", "singing": "Singing",
    "sleepy": "Sleepy", "sympathetic": "Sympathetic", "whisper": "Whisper",
}
READ_VARIANTS = {"default_emphasis": "Neutral", "default_essentials": "Neutral",
                 "default_longform": "Neutral", "narration_longform": "Narration"}
#: The two-style dialogues of the release (official split lists) and the style that labels them.
PAIRS = {"animal-animaldir": "animal", "animaldir-animal": "animal", "child-childdir": "child",
         "childdir-child": "child", "sad-sympathetic": "sad", "sympathetic-sad": "sad"}
GENDERS = {"ex01": "M", "ex02": "F", "ex03": "M", "ex04": "F"}

PREFIXES = ("", "audio_48khz/", "expresso/audio_48khz/")
WAV = "*.[wW][aA][vV]"


@dataclass
class ExpressoCorpus(PatternCorpus):
    """Adds the per-channel speakers and styles of a dialogue as extra manifest fields."""

    def describe(self, rel: PurePosixPath) -> Discovered:
        found = super().describe(rel)
        if isinstance(found, Candidate) and "-" in (found.speaker or ""):
            styles = found.emo.split("-")
            found.extra = {"channel_speakers": found.speaker.split("-"),
                           "channel_styles": styles * 2 if len(styles) == 1 else styles}
        return found


CORPUS = ExpressoCorpus(
    info=CorpusInfo(
        name="expresso",
        display_name="Expresso",
        languages=("en",),
        label_map={**STYLES, **READ_VARIANTS, **{p: STYLES[s] for p, s in PAIRS.items()}},
        source="acted (read and improvised dialogues)",
        n_emotions=8,
        n_speakers=4,
        n_utterances=11954,
        url="https://speechbot.github.io/expresso/ (expresso.tar on dl.fbaipublicfiles.com)",
        license="CC BY-NC 4.0",
        protocols=("serval",),
        serval_map={"Awe": "surprise", "Boredom": "neutral", "Calm": "neutral",
                    "Laughing": "happiness"},
        serval_cluster="cluster2",
        notes="SER Evals Table 1: 8 classes, 4.2 s per utterance (first 30 s of each file).",
    ),
    glob=tuple(f"{p}{part}" for p in PREFIXES
               for part in (f"read/*/*/{WAV}", f"read/*/*/*/{WAV}", f"conversational/*/*/{WAV}")),
    pattern=r"(?:(?:expresso/)?audio_48khz/)?(?:"
            r"read/(?P<spk>ex\d\d)/[^/]+/(?:[^/]+/)?(?P=spk)_(?P<substyle>[a-z_]+?)_\d+"
            r"|conversational/(?P<pair>ex\d\d-ex\d\d)/(?P<style>[^/]+)/(?P=pair)_(?P=style)_\d+"
            r")\.(?i:wav)",
    key="{stem}",
    emo=lambda f: f.get("substyle") or f["style"],
    speaker=lambda f: f.get("spk") or f["pair"],
    gender=lambda f: GENDERS.get(f.get("spk", "")),
    expect="read/<spk>/<style>/ and conversational/<pair>/<style>/ folders "
           "(under audio_48khz/)",
)
