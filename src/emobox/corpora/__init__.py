"""Corpus registry and preparation. One short module per corpus declares its spec."""

from emobox.corpora._tables import SideFileError, TableCorpus
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
    "SideFileError",
    "SkipItem",
    "TableCorpus",
    "get_corpus",
    "list_corpora",
    "lookup",
    "prepare",
    "raw_root_of",
    "render",
]
