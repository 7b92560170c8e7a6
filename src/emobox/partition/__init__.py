"""Data partitions: schemes that turn a manifest into folds of train / valid / test keys.

`core` holds the fold records, the scheme registry, the validation split, the leakage guard
and the generic schemes (``loso``, ``speaker-kfold``, ``stratified``); `released` the schemes
built on EmoBox's released partitions and rules (``emobox``, ``paper``, ``official``,
``file``); `balanced` the balanced cross-corpus test sets; `summary` the per-fold statistics
of `emobox splits show`.
"""

import sys
import types

from emobox.partition.core import (
    MIN_VALID_SPEAKERS,
    SCHEMES,
    VALID_FRACTION,
    Fold,
    Folds,
    Splits,
    check_leakage,
    even_speaker_groups,
    leave_one_speaker_out,
    partition,
    scheme,
    scheme_parameters,
    speaker_kfold,
    stratified,
    validation_split,
)
from emobox.partition.released import (
    default_scheme,
    emobox_facts,
    emobox_partitions,
    emobox_scheme,
    file_scheme,
    is_balanced,
    official_scheme,
    official_validation,
    paper_scheme,
    read_key_lists,
)
from emobox.partition.summary import describe_splits

__all__ = [
    "MIN_VALID_SPEAKERS",
    "SCHEMES",
    "VALID_FRACTION",
    "Fold",
    "Folds",
    "Splits",
    "check_leakage",
    "default_scheme",
    "describe_splits",
    "emobox_facts",
    "emobox_partitions",
    "emobox_scheme",
    "even_speaker_groups",
    "file_scheme",
    "is_balanced",
    "leave_one_speaker_out",
    "official_scheme",
    "official_validation",
    "paper_scheme",
    "partition",
    "read_key_lists",
    "scheme",
    "scheme_parameters",
    "speaker_kfold",
    "stratified",
    "validation_split",
]


class _CallableModule(types.ModuleType):
    """``emobox.partition`` is this package once it is imported, and also the function the
    top-level API names: calling the package calls `partition`, so ``emobox.partition(...)``
    works whichever Python resolved."""

    def __call__(self, *args, **kwargs):
        return partition(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
