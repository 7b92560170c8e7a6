"""The synthetic demo corpora (espeak-ng "acted" speech made by `emobox.demo`).

Raw layout, one folder per corpus::

    <raw>/<SPEAKER>/<SPEAKER>_<emo>_<NN>.wav

``SPEAKER`` is ``F`` or ``M`` (the voice's gender) plus two digits, ``emo`` one of ``neu hap
sad ang fea``, ``NN`` the sentence number. Key: ``demo-<lang>-<SPEAKER>_<emo>_<NN>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from emobox.corpora.core import CorpusInfo, PatternCorpus

EMOTION_CODES = {"neu": "Neutral", "hap": "Happy", "sad": "Sad", "ang": "Angry", "fea": "Fear"}


@dataclass(frozen=True)
class DemoLanguage:
    """One demo corpus: its language, espeak-ng voice, speaker variants and sentences."""

    lang: str
    display: str
    voice: str
    #: (speaker id, espeak variant), alternating female and male so that any prefix is
    #: gender-balanced
    speakers: tuple[tuple[str, str], ...]
    sentences: tuple[str, ...]


DEMO_LANGUAGES: tuple[DemoLanguage, ...] = (
    DemoLanguage("en", "English", "en-us", (
        ("F01", "f2"), ("M01", "m3"), ("F02", "f4"),
        ("M02", "m6"), ("F03", "f1"), ("M03", "m1")), (
        "The train leaves at seven tomorrow morning.",
        "I left the keys on the kitchen table.",
        "We have to talk about what happened last night.",
        "She bought a new coat for the winter.",
        "Nobody told me the meeting was cancelled.",
        "The letter arrived three days too late.",
        "He painted the whole house by himself.",
        "Please close the window before you leave.",
        "They moved to a small town near the sea.",
        "My brother called while you were out.",
        "The shop on the corner sells fresh bread.",
        "It will rain again this afternoon.",
    )),
    DemoLanguage("de", "German", "de", (
        ("F01", "f3"), ("M01", "m2"), ("F02", "f5"),
        ("M02", "m4"), ("F03", "f1"), ("M03", "m7")), (
        "Der Zug fährt morgen früh um sieben ab.",
        "Ich habe die Schlüssel auf dem Küchentisch gelassen.",
        "Wir müssen über gestern Abend reden.",
        "Sie hat einen neuen Mantel für den Winter gekauft.",
        "Niemand hat mir gesagt, dass das Treffen ausfällt.",
        "Der Brief kam drei Tage zu spät an.",
        "Er hat das ganze Haus allein gestrichen.",
        "Bitte schließ das Fenster, bevor du gehst.",
        "Sie sind in eine kleine Stadt am Meer gezogen.",
        "Mein Bruder hat angerufen, als du weg warst.",
        "Der Laden an der Ecke verkauft frisches Brot.",
        "Heute Nachmittag wird es wieder regnen.",
    )),
    DemoLanguage("fr", "French", "fr", (
        ("F01", "f1"), ("M01", "m1"), ("F02", "f4"),
        ("M02", "m5"), ("F03", "f2"), ("M03", "m3")), (
        "Le train part demain matin à sept heures.",
        "J'ai laissé les clés sur la table de la cuisine.",
        "Nous devons parler de ce qui s'est passé hier soir.",
        "Elle a acheté un nouveau manteau pour l'hiver.",
        "Personne ne m'a dit que la réunion était annulée.",
        "La lettre est arrivée trois jours trop tard.",
        "Il a repeint toute la maison tout seul.",
        "Ferme la fenêtre avant de partir, s'il te plaît.",
        "Ils ont déménagé dans une petite ville près de la mer.",
        "Mon frère a appelé pendant que tu étais sorti.",
        "La boutique du coin vend du pain frais.",
        "Il va encore pleuvoir cet après-midi.",
    )),
)


def _demo_corpus(lang: DemoLanguage) -> PatternCorpus:
    return PatternCorpus(
        info=CorpusInfo(
            name=f"demo-{lang.lang}",
            display_name=f"emobox demo ({lang.display}, synthetic)",
            languages=(lang.lang,),
            label_map=EMOTION_CODES,
            source="synthetic (espeak-ng)",
            n_emotions=len(EMOTION_CODES),
            url="built in: `emobox demo`",
            license="generated locally; no restrictions",
            protocols=("demo",),
            notes="espeak-ng voices acting emotions through pitch, range, rate and amplitude",
        ),
        glob="*/*.wav",
        pattern=r"(?P<speaker>[FM]\d\d)/(?P=speaker)_(?P<emo>[a-z]{3})_(?P<sentence>\d\d)\.wav",
        key="{speaker}_{emo}_{sentence}",
        gender=lambda f: f["speaker"][0],
        expect="<F|M>NN/ speaker folders of *_<emo>_NN.wav files",
    )


CORPORA = [_demo_corpus(lang) for lang in DEMO_LANGUAGES]
