"""Thorsten emotional — Thorsten-Voice "Thorsten-21.06-emotional" (German; SER Evals).

Raw layout (``thorsten-emotional_v02/`` from OpenSLR 110; its parent also works)::

    <style>/<32-hex hash>.wav     e.g. neutral/f64b86e0c3ff6561d5c5968bd8135a34.wav

One male speaker (Thorsten Müller); the same 300 hashes (sentences) recur in every style
folder (whisper has 299), so the key is ``thorsten-<style>_<hash>``. 22.05 kHz mono.

Label map: amused → Happy, angry → Angry, disgusted → Disgust, neutral → Neutral, surprised
→ Surprise; drunk, sleepy and whisper are speaking styles, not emotions, and keep their own
names (Drunk, Sleepy, Whisper; SER Evals puts them in ``other``).
"""

from __future__ import annotations

from emobox.corpora.core import CorpusInfo, PatternCorpus

WAV = "*.[wW][aA][vV]"

CORPUS = PatternCorpus(
    info=CorpusInfo(
        name="thorsten",
        display_name="Thorsten emotional (Thorsten-21.06-emotional)",
        languages=("de",),
        label_map={"amused": "Happy", "angry": "Angry", "disgusted": "Disgust",
                   "drunk": "Drunk", "neutral": "Neutral", "sleepy": "Sleepy",
                   "surprised": "Surprise", "whisper": "Whisper"},
        source="acted",
        n_emotions=6,
        n_speakers=1,
        n_utterances=2399,
        url="https://www.openslr.org/110/",
        license="CC0 1.0",
        protocols=("serval",),
        notes="SER Evals Table 1: 6 classes (3 styles as 'other'), 4.4 s per utterance.",
    ),
    glob=(f"*/{WAV}", f"thorsten-emotional_v02/*/{WAV}"),
    pattern=r"(?:thorsten-emotional_v02/)?(?P<emo>[^/]+)/(?P<hash>[0-9a-fA-F]{32})\.(?i:wav)",
    key="{emo}_{hash}",
    speaker="thorsten",
    gender="M",
    expect="<style>/<hash>.wav folders (amused, angry, … whisper)",
)
