"""The shared mechanism every corpus module uses: candidates, skips and the corpus specs.

A corpus module declares one `Corpus` (usually a `PatternCorpus`: a path pattern with named
fields plus code tables) and nothing else; `emobox.corpora.core.prepare` does the rest.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from emobox.corpora.core.rules import FieldRule, SkipItem, path_fields, render, str_or_none
from emobox.corpora.info import CorpusInfo
from emobox.errors import LayoutError


@dataclass
class Candidate:
    """An utterance found by discovery, before its audio is probed."""

    wav: str
    key: str
    emo: str
    speaker: str | None = None
    gender: str | None = None
    lang: str | None = None
    start_time: float | None = None
    end_time: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Skip:
    """A file discovery rejected, with the reason shown in the prepare report."""

    wav: str
    reason: str


Discovered = Candidate | Skip


class Corpus(ABC):
    """A corpus: its facts and how to list its utterances from the raw download."""

    info: CorpusInfo
    #: One line shown when the raw folder does not look like this corpus.
    expect: str = "the corpus's files"

    @property
    def name(self) -> str:
        return self.info.name

    @abstractmethod
    def discover(self, raw: Path) -> Iterator[Discovered]:
        """Yield a `Candidate` per utterance (or a `Skip`), `wav` relative to `raw`."""

    def check_layout(self, raw: Path) -> None:
        """Raise `LayoutError` when `raw` does not look like this corpus (cheap checks)."""


@dataclass
class PatternCorpus(Corpus):
    """A corpus whose files are found by glob and described by a regex with named fields.

    `pattern` is matched (``fullmatch``) against the path relative to the raw root; its named
    groups plus `path_fields` feed the rules for key, emo, speaker, gender and lang. A file the
    glob finds but the pattern does not match is skipped and reported.
    """

    info: CorpusInfo
    glob: str | tuple[str, ...]
    pattern: str
    key: FieldRule
    emo: FieldRule = "{emo}"
    speaker: FieldRule = "{speaker}"
    gender: FieldRule = None
    lang: FieldRule = None
    #: Further manifest fields: {name: rule}, stored in the row's `extra`.
    extra: Mapping[str, FieldRule] = field(default_factory=dict)
    expect: str = "the corpus's files"
    #: Returns a reason to skip the file (str) or None to keep it.
    exclude: Callable[[dict[str, str]], str | None] | None = None
    _regex: re.Pattern = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._regex = re.compile(self.pattern)

    def files(self, raw: Path) -> list[PurePosixPath]:
        """Relative paths matched by the glob(s), sorted, each once."""
        globs = (self.glob,) if isinstance(self.glob, str) else self.glob
        found: set[PurePosixPath] = set()
        for pattern in globs:
            for p in raw.glob(pattern):
                if p.is_file():
                    found.add(PurePosixPath(p.relative_to(raw).as_posix()))
        return sorted(found)

    def discover(self, raw: Path) -> Iterator[Discovered]:
        for rel in self.files(raw):
            yield self.describe(rel)

    def describe(self, rel: PurePosixPath) -> Discovered:
        """Turn one relative path into a `Candidate`, or a `Skip` with the reason."""
        match = self._regex.fullmatch(rel.as_posix())
        if match is None:
            return Skip(rel.as_posix(), "file name does not follow the corpus's naming convention")
        groups = {k: v for k, v in match.groupdict().items() if v is not None}
        fields = {**path_fields(rel), **groups}
        try:
            if self.exclude is not None and (reason := self.exclude(fields)):
                return Skip(rel.as_posix(), reason)
            return Candidate(
                wav=rel.as_posix(),
                key=f"{self.info.name}-{render(self.key, fields)}",
                emo=str(render(self.emo, fields)),
                speaker=str_or_none(render(self.speaker, fields)),
                gender=render(self.gender, fields),
                lang=render(self.lang, fields),
                extra={name: value for name, rule in self.extra.items()
                       if (value := render(rule, fields)) is not None},
            )
        except SkipItem as exc:
            return Skip(rel.as_posix(), str(exc))

    def check_layout(self, raw: Path) -> None:
        if not self.files(raw):
            raise LayoutError(f"no {self.expect} under {raw} — is this the "
                              f"{self.info.display_name} download?")
