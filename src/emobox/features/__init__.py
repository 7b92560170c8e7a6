"""Frozen features: the model registry, extractors (transformers models, handcrafted), batched
resumable extraction, the feature store, and a Ray executor."""

import os

# oneDNN keeps the primitives of the last 1024 input shapes, with their memory; every utterance
# length is a new shape, so memory grew with the corpus (peak RSS 1.14 GB for 44 s of audio in
# 9 clips, 1.70 GB for 184 s in 36; 1.08 → 1.20 GB with 16 entries, at the same speed). Read by
# oneDNN at its first primitive, so it is set here, before any model runs; a user's own value
# wins.
os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "16")

from emobox.features.base import Extractor, parse_layers
from emobox.features.batching import plan_batches
from emobox.features.ct2 import convert_whisper
from emobox.features.extract import ExtractResult, extract_corpus, get_extractor
from emobox.features.identity import ModelIdentity, model_identity, store_name
from emobox.features.ray_executor import extract_corpus_ray, merge_stores
from emobox.features.registry import MODELS, ModelInfo, list_models, paper_model
from emobox.features.registry import info as model_info
from emobox.features.settings import ExtractionSettings, Runtime, batch_policy_of
from emobox.features.sizing import extract_flop, extract_flop_per_second, store_bytes
from emobox.features.store import FeatureStore, StoreWriter, remove_keys

__all__ = [
    "MODELS",
    "ExtractResult",
    "ExtractionSettings",
    "Extractor",
    "FeatureStore",
    "ModelIdentity",
    "ModelInfo",
    "Runtime",
    "StoreWriter",
    "batch_policy_of",
    "convert_whisper",
    "extract_corpus",
    "extract_corpus_ray",
    "extract_flop",
    "extract_flop_per_second",
    "get_extractor",
    "list_models",
    "merge_stores",
    "model_identity",
    "model_info",
    "paper_model",
    "parse_layers",
    "plan_batches",
    "remove_keys",
    "store_bytes",
    "store_name",
]
