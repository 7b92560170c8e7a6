"""emobox: speech emotion recognition toolkit and benchmark.

The stages of the data flow, each importable on its own::

    prepare (emobox.corpora) → partition (emobox.partition) → extract (emobox.features)
    → run (emobox.runs, emobox.train) → report (emobox.report)
"""

from emobox import metrics
from emobox.audio import AudioInfo, load, probe
from emobox.corpora import CorpusInfo, PatternCorpus, TableCorpus, get_corpus, list_corpora, prepare
from emobox.crosscorpus import balanced_test_set, preset_test_set, read_track2
from emobox.emobox_format import read_emobox, write_emobox
from emobox.errors import AudioError, EmoboxError, LayoutError, ManifestError
from emobox.features import FeatureStore, extract_corpus, get_extractor, list_models, model_info
from emobox.labels import LabelSpace, apply_label_space, get_label_space
from emobox.manifest import Utterance, read_manifest, validate_manifest, write_manifest
from emobox.metrics import evaluate
from emobox.partition import Fold, Folds, Splits, describe_splits, partition
from emobox.workspace import Workspace

__version__ = "0.1.0"

__all__ = [
    "AudioError",
    "AudioInfo",
    "CorpusInfo",
    "EmoboxError",
    "FeatureStore",
    "Fold",
    "Folds",
    "LabelSpace",
    "LayoutError",
    "ManifestError",
    "PatternCorpus",
    "Splits",
    "TableCorpus",
    "Utterance",
    "Workspace",
    "apply_label_space",
    "balanced_test_set",
    "describe_splits",
    "evaluate",
    "extract_corpus",
    "get_corpus",
    "get_extractor",
    "get_label_space",
    "list_corpora",
    "list_models",
    "load",
    "metrics",
    "model_info",
    "partition",
    "prepare",
    "preset_test_set",
    "probe",
    "read_emobox",
    "read_manifest",
    "read_track2",
    "validate_manifest",
    "write_emobox",
    "write_manifest",
]
