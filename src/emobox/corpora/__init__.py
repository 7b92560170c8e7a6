"""Corpus registry and preparation. One short module per corpus declares its spec."""

from emobox.corpora.base import (
    Candidate,
    Corpus,
    CorpusInfo,
    PatternCorpus,
    Skip,
    SkipItem,
    lookup,
    render,
)
from emobox.corpora.prepare import PrepareResult, prepare, raw_root_of
from emobox.corpora.registry import get_corpus, list_corpora

__all__ = [
    "Candidate",
    "Corpus",
    "CorpusInfo",
    "PatternCorpus",
    "PrepareResult",
    "Skip",
    "SkipItem",
    "get_corpus",
    "list_corpora",
    "lookup",
    "prepare",
    "raw_root_of",
    "render",
]
