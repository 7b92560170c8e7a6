"""PAVOQUE (German, one male actor): utterances are segments of six long FLAC recordings.

Layout (EmoBox ``downloads/pavoque/``)::

    pavoque-<name>.yaml    - {prompt: poker_n0010, text: ..., style: poker, start: 0.0,
                              end: 4.46, segments: [...]}
    pavoque-<name>.flac    e.g. pavoque-poker.flac; name ∈ angry happy neutral poker sad outtakes

Key ``pavoque-<prompt>-<style>``; raw label the style lower-cased; start/end become the
segment bounds (no per-utterance files).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from emobox.corpora.core import CorpusInfo, Row, TableCorpus, expect_type, field_of, read_yaml

STYLES = ("angry", "happy", "neutral", "poker", "sad")
SPEAKER = "STEFAN-RÖTTIG"


def _rows(raw: Path) -> Iterator[Row]:
    for path in sorted(raw.glob("pavoque-*.yaml")):
        entries = expect_type(read_yaml(path), list, path, "the top level")
        for i, entry in enumerate(entries):
            what = f"entry {i + 1}"
            prompt, style = (field_of(entry, k, path, what) for k in ("prompt", "style"))
            yield {"prompt": prompt, "style": style, "emo": str(style).lower(),
                   "wav": path.with_suffix(".flac").name,
                   "start": field_of(entry, "start", path, what),
                   "end": field_of(entry, "end", path, what)}


CORPUS = TableCorpus(
    info=CorpusInfo(
        name="pavoque", display_name="PAVOQUE", languages=("de",),
        label_map={s: s.capitalize() for s in STYLES}, source="acted",
        n_emotions=5, n_speakers=1, n_utterances=7334, hours=12.2,
        url="https://github.com/marytts/pavoque-data",
        license="CC BY-NC-SA 3.0",
        protocols=("emobox",),
        notes="one speaker (Stefan Röttig); 'poker' is a cool, laid-back style",
    ),
    rows=_rows,
    key="{prompt}-{style}",
    speaker=SPEAKER,
    gender="M",
    start_time=lambda row: row["start"],
    end_time=lambda row: row["end"],
    required=("pavoque-*.yaml",),
    expect="pavoque-<style>.yaml + .flac pairs",
)
