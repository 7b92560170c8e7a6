"""emobox: speech emotion recognition toolkit and benchmark.

The stages of the data flow, each importable on its own (the layout and the reasons for it
are in ARCHITECTURE.md)::

    prepare (emobox.corpora) → partition (emobox.partition) → extract (emobox.features)
    → run (emobox.runs, emobox.train) → report (emobox.report)

The public names below are imported on first use, so ``import emobox`` (and the command
line's ``--help``) does not pay for torch or transformers.
"""

from __future__ import annotations

import importlib
from typing import Any

from emobox._version import __version__ as __version__

#: public name → the module that defines it
_EXPORTS = {
    "AudioError": "emobox.errors",
    "EmoboxError": "emobox.errors",
    "Interrupted": "emobox.errors",
    "LayoutError": "emobox.errors",
    "ManifestError": "emobox.errors",
    "AudioInfo": "emobox.audio",
    "load": "emobox.audio",
    "probe": "emobox.audio",
    "CorpusInfo": "emobox.corpora",
    "PatternCorpus": "emobox.corpora",
    "TableCorpus": "emobox.corpora",
    "UserTableCorpus": "emobox.corpora",
    "get_corpus": "emobox.corpora",
    "list_corpora": "emobox.corpora",
    "prepare": "emobox.corpora",
    "balanced_test_set": "emobox.partition.balanced",
    "preset_test_set": "emobox.partition.balanced",
    "read_track2": "emobox.partition.balanced",
    "read_emobox": "emobox.interop",
    "write_emobox": "emobox.interop",
    "FeatureStore": "emobox.features",
    "extract_corpus": "emobox.features",
    "get_extractor": "emobox.features",
    "list_models": "emobox.features",
    "model_info": "emobox.features",
    "store_name": "emobox.features",
    "LabelSpace": "emobox.labels",
    "apply_label_space": "emobox.labels",
    "get_label_space": "emobox.labels",
    "Utterance": "emobox.manifest",
    "read_manifest": "emobox.manifest",
    "validate_manifest": "emobox.manifest",
    "write_manifest": "emobox.manifest",
    "evaluate": "emobox.metrics",
    "Fold": "emobox.partition",
    "Folds": "emobox.partition",
    "Splits": "emobox.partition",
    "default_scheme": "emobox.partition",
    "describe_splits": "emobox.partition",
    "partition": "emobox.partition",
    "ProtocolRun": "emobox.runs.spec",
    "PROTOCOLS": "emobox.runs.spec",
    "execute": "emobox.runs.executors",
    "ResultsDB": "emobox.runs",
    "RunKey": "emobox.runs",
    "run_cross": "emobox.runs",
    "run_intra": "emobox.runs",
    "Recipe": "emobox.train",
    "get_recipe": "emobox.train",
    "Workspace": "emobox.workspace",
    "Dataset": "emobox.api",
    "score": "emobox.api",
    "predict_files": "emobox.predict",
}
_SUBMODULES = ("metrics",)

__all__ = sorted([*_EXPORTS, *_SUBMODULES, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"emobox.{name}")
    else:
        raise AttributeError(f"module 'emobox' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
