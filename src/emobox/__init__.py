"""emobox: speech emotion recognition toolkit and benchmark."""

from emobox.audio import AudioInfo, load, probe
from emobox.corpora import CorpusInfo, PatternCorpus, get_corpus, list_corpora, prepare
from emobox.errors import AudioError, EmoboxError, LayoutError, ManifestError
from emobox.manifest import Utterance, read_manifest, validate_manifest, write_manifest
from emobox.workspace import Workspace

__version__ = "0.1.0"

__all__ = [
    "AudioError",
    "AudioInfo",
    "CorpusInfo",
    "EmoboxError",
    "LayoutError",
    "ManifestError",
    "PatternCorpus",
    "Utterance",
    "Workspace",
    "get_corpus",
    "list_corpora",
    "load",
    "prepare",
    "probe",
    "read_manifest",
    "validate_manifest",
    "write_manifest",
]
