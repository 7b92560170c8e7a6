"""CREMA-D — Crowd-sourced Emotional Multimodal Actors Dataset (audio).

Raw layout: ``AudioWAV/<actor>_<sentence>_<EMO>_<level>.wav`` plus ``VideoDemographics.csv``
(ActorID, Age, Sex, Race, Ethnicity), which gives each actor's gender. Example:
``AudioWAV/1087_IWL_ANG_XX.wav`` → ``cremad-1087-IWL-ANG-XX``, speaker ``1087``.
"""

from __future__ import annotations

from emobox.corpora.core import ActedCorpus, CorpusInfo, SpeakerTable, rewrite

CORPUS = ActedCorpus(
    info=CorpusInfo(
        name="cremad",
        display_name="CREMA-D",
        languages=("en",),
        label_map={"ANG": "Angry", "DIS": "Disgust", "FEA": "Fear", "HAP": "Happy",
                   "NEU": "Neutral", "SAD": "Sad"},
        source="acted",
        n_emotions=6,
        n_speakers=91,
        n_utterances=7442,
        hours=5.3,
        url="https://github.com/CheyneyComputerScience/CREMA-D",
        license="Open Database License (ODbL) 1.0; contents under the Database Contents License",
    ),
    glob="AudioWAV/*.wav",
    pattern=r"AudioWAV/(?P<speaker>\d+)_(?P<sentence>[A-Z]{3})_(?P<emo>[A-Z]{3})"
            r"_(?P<level>[A-Z]{2})\.wav",
    key=rewrite("{stem}", {"_": "-"}),
    speaker_table=SpeakerTable("VideoDemographics.csv", id_column="ActorID",
                               gender_column="Sex"),
    expect="AudioWAV/*.wav files",
)
