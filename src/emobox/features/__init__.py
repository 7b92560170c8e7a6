"""Frozen features: the model registry, extractors (transformers models, handcrafted), batched
resumable extraction, the feature store, and a Ray executor."""

from emobox.features.base import Extractor, parse_layers
from emobox.features.batching import plan_batches
from emobox.features.ct2 import convert_whisper
from emobox.features.extract import ExtractResult, extract_corpus, get_extractor
from emobox.features.ray_executor import extract_corpus_ray, merge_stores
from emobox.features.registry import MODELS, ModelInfo, list_models, store_name
from emobox.features.registry import info as model_info
from emobox.features.store import FeatureStore, StoreWriter, remove_keys

__all__ = [
    "MODELS",
    "ExtractResult",
    "Extractor",
    "FeatureStore",
    "ModelInfo",
    "StoreWriter",
    "convert_whisper",
    "extract_corpus",
    "extract_corpus_ray",
    "get_extractor",
    "list_models",
    "merge_stores",
    "model_info",
    "parse_layers",
    "plan_batches",
    "remove_keys",
    "store_name",
]
