"""Frozen features: extractors (transformers models, eGeMAPS) and the feature store."""

from emobox.features.base import Extractor, parse_layers
from emobox.features.extract import ExtractResult, extract_corpus, get_extractor
from emobox.features.store import FeatureStore, StoreWriter

__all__ = [
    "ExtractResult",
    "Extractor",
    "FeatureStore",
    "StoreWriter",
    "extract_corpus",
    "get_extractor",
    "parse_layers",
]
