"""The published EmoBox numbers (Table 4: intra-corpus UA/WA/F1 of 10 models × 32 corpora,
306 cells of 320 — the source text is cut before the last 14; Table 5: cross-corpus accuracy
of 10 models × 12 pairs), shipped as data (``emobox/data/emobox_table{4,5}.tsv``), keyed by
our registry names so they sit beside a user's results (`emobox report --compare-paper`)."""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from importlib import resources

from emobox.corpora import get_corpus

#: The paper's model names → our registry names.
PAPER_MODELS = {
    "wav2vec 2.0 base": "wav2vec2-base", "HuBERT base": "hubert-base",
    "HuBERT large": "hubert-large", "WavLM base": "wavlm-base", "WavLM large": "wavlm-large",
    "data2vec base": "data2vec-base", "data2vec large": "data2vec-large",
    "data2vec 2.0 base": "data2vec2-base", "data2vec 2.0 large": "data2vec2-large",
    "Whisper large v3": "whisper-large-v3",
}
#: Table 5's corpus letters.
TABLE5_CORPORA = {"I": "iemocap", "M": "meld", "R": "ravdess", "S": "savee"}


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("emobox").joinpath(f"data/{name}").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter="\t"))


@lru_cache(maxsize=1)
def table4() -> dict[tuple[str, str], dict[str, float]]:
    """{(model, corpus): {"ua", "wa", "macro_f1"} as fractions}."""
    return {(PAPER_MODELS[r["model"]], get_corpus(r["dataset"]).name):
            {"ua": float(r["UA"]) / 100, "wa": float(r["WA"]) / 100,
             "macro_f1": float(r["F1"]) / 100} for r in _rows("emobox_table4.tsv")}


@lru_cache(maxsize=1)
def table5() -> dict[tuple[str, str, str], float]:
    """{(model, train corpus, test corpus): accuracy as a fraction}."""
    return {(PAPER_MODELS[r["model"]], TABLE5_CORPORA[r["train"]], TABLE5_CORPORA[r["test"]]):
            float(r["accuracy"]) / 100 for r in _rows("emobox_table5.tsv")}
