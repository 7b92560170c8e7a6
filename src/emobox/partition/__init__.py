"""Data partitions: schemes that turn a manifest into folds of train / valid / test keys.

`core` holds the fold records, the registry, the validation split and the leakage guard;
`released` the schemes built on EmoBox's released partitions (``emobox``, ``paper``,
``official``, ``file``); `summary` the per-fold statistics of `emobox splits show`.
"""

from emobox.partition.core import (
    MIN_VALID_SPEAKERS,
    SCHEMES,
    Fold,
    Folds,
    Splits,
    check_leakage,
    leave_one_speaker_out,
    partition,
    scheme,
    speaker_kfold,
    stratified,
    validation_split,
)
from emobox.partition.released import (
    emobox_facts,
    emobox_partitions,
    emobox_scheme,
    file_scheme,
    is_balanced,
    official_scheme,
    paper_scheme,
    read_key_lists,
)
from emobox.partition.summary import describe_splits

__all__ = [
    "MIN_VALID_SPEAKERS",
    "SCHEMES",
    "Fold",
    "Folds",
    "Splits",
    "check_leakage",
    "describe_splits",
    "emobox_facts",
    "emobox_partitions",
    "emobox_scheme",
    "file_scheme",
    "is_balanced",
    "leave_one_speaker_out",
    "official_scheme",
    "paper_scheme",
    "partition",
    "read_key_lists",
    "scheme",
    "speaker_kfold",
    "stratified",
    "validation_split",
]
