"""The one set of side-file readers every corpus uses.

* `read_text`, `read_lines`, `read_csv` (header + named columns), `read_json`, `read_yaml`;
* `read_table` — rows of strings from an ``.xlsx`` workbook (first sheet; stdlib only, no
  openpyxl) or a ``.csv`` / ``.tsv`` export of it;
* `read_textgrid` — the tiers of a Praat TextGrid (long or short text format; UTF-8, UTF-16
  or Latin-1) as ``{tier name: [(start, end, text), ...]}``;
* `find_files` — files under a folder whose suffix matches case-insensitively.

Every problem with a side file becomes a one-line `SideFileError` naming the file.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from emobox.errors import EmoboxError

Row = dict[str, Any]


class SideFileError(EmoboxError):
    """A side file (label table, annotation file) is unreadable or malformed."""


def first_existing(raw: Path, *candidates: str) -> Path:
    """The first of `candidates` (relative to `raw`) that exists, else the first one."""
    for rel in candidates:
        if (raw / rel).exists():
            return raw / rel
    return raw / candidates[0]


def read_text(path: Path) -> str:
    """A side file as text (UTF-8, BOM tolerated); a `SideFileError` if it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SideFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SideFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def read_lines(path: Path) -> list[str]:
    """The lines of a text side file, without line ends."""
    return read_text(path).splitlines()


def read_csv(path: Path, columns: Sequence[str] = (), *, delimiter: str = ",") -> list[Row]:
    """Rows of a delimited table with a header line; values stripped.

    Each row also gets ``_line`` (its line number). A missing column, a row shorter than the
    header for a needed column, or broken quoting raises `SideFileError`.
    """
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        missing = [c for c in columns if c not in header]
        if missing:
            shown = ", ".join(header[:8]) or "nothing"
            raise SideFileError(f"{path}: no column {missing[0]!r} (header has {shown}) — "
                                f"is this the right file?")
        reader.fieldnames = header
        rows: list[Row] = []
        for row in reader:
            line = reader.line_num
            if any(row.get(c) is None for c in columns):
                raise SideFileError(f"{path}:{line}: row has fewer fields than the header")
            cleaned = {str(k): v.strip() if isinstance(v, str) else v
                       for k, v in row.items() if k is not None}
            cleaned["_line"] = line
            rows.append(cleaned)
    except csv.Error as exc:
        raise SideFileError(f"{path}:{reader.line_num}: malformed table ({exc})") from None
    return rows


def read_json(path: Path) -> Any:
    """A JSON side file; syntax errors become a one-line `SideFileError`."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise SideFileError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None


def read_yaml(path: Path) -> Any:
    """A YAML side file (PyYAML, C loader when available)."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML ships with the test environment
        raise EmoboxError(f"reading {path} needs PyYAML (pip install pyyaml)") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(read_text(path), Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise SideFileError(f"{path}{where}: not valid YAML ({problem})") from None


def expect_type(value: Any, kind: type | tuple[type, ...], path: Path, what: str) -> Any:
    """`value` if it is an instance of `kind`, else a `SideFileError` naming `what`."""
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise SideFileError(f"{path}: {what} should be a {names}, not "
                            f"{type(value).__name__}")
    return value


def field_of(entry: Mapping[str, Any], name: str, path: Path, what: str) -> Any:
    """``entry[name]``, or a `SideFileError` saying which entry lacks it."""
    if not isinstance(entry, Mapping):
        raise SideFileError(f"{path}: {what} should be an object, not {type(entry).__name__}")
    if name not in entry or entry[name] is None:
        raise SideFileError(f"{path}: {what} has no {name!r} field")
    return entry[name]


def find_files(folder: Path, suffixes: tuple[str, ...], *, recursive: bool = True) -> list[Path]:
    """Files under `folder` whose suffix (lower-cased) is one of `suffixes`, sorted."""
    if not folder.is_dir():
        return []
    found = folder.rglob("*") if recursive else folder.iterdir()
    return sorted(p for p in found if p.suffix.lower() in suffixes and p.is_file())


# --- spreadsheets -------------------------------------------------------------------------

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def read_table(path: Path) -> list[list[str]]:
    """All rows of a spreadsheet as lists of stripped strings (numbers as ``"15"``)."""
    try:
        if path.suffix.lower() == ".xlsx":
            return _read_xlsx(path)
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
        first = text.split("\n", 1)[0]
        delimiter = "\t" if "\t" in first else ";" if first.count(";") > first.count(",") else ","
        return [[_clean(cell) for cell in row]
                for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except (OSError, zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError) as exc:
        raise SideFileError(f"cannot read {path.name}: {exc}") from None


def _read_xlsx(path: Path) -> list[list[str]]:
    with zipfile.ZipFile(path) as book:
        names = set(book.namelist())
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            for item in ElementTree.fromstring(book.read("xl/sharedStrings.xml")):
                # plain <t>, or rich-text runs <r><t>; phonetic runs (<rPh>) are left out
                runs = [item.find(f"{_MAIN}t")] + [r.find(f"{_MAIN}t")
                                                   for r in item.findall(f"{_MAIN}r")]
                shared.append("".join(t.text or "" for t in runs if t is not None))
        sheet = ElementTree.fromstring(book.read(_first_sheet(book, names)))
    rows: list[list[str]] = []
    for row in sheet.iter(f"{_MAIN}row"):
        cells: dict[int, str] = {}
        for cell in row.findall(f"{_MAIN}c"):
            ref = cell.get("r")
            column = _column_index(ref) if ref else len(cells)
            kind = cell.get("t")
            value = cell.find(f"{_MAIN}v")
            if kind == "s" and value is not None:
                text = shared[int(value.text or 0)]
            elif kind == "inlineStr":
                text = "".join(t.text or "" for t in cell.iter(f"{_MAIN}t"))
            else:
                text = value.text if value is not None and value.text else ""
            cells[column] = _clean(text)
        rows.append([cells.get(i, "") for i in range(max(cells) + 1)] if cells else [])
    return rows


def _first_sheet(book: zipfile.ZipFile, names: set[str]) -> str:
    """The part name of the workbook's first sheet (falls back to sheet1.xml)."""
    if "xl/workbook.xml" in names and "xl/_rels/workbook.xml.rels" in names:
        workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
        first = workbook.find(f"{_MAIN}sheets/{_MAIN}sheet")
        rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
        if first is not None:
            wanted = first.get(f"{_REL}id")
            for rel in rels.iter(f"{_PKG_REL}Relationship"):
                if rel.get("Id") == wanted:
                    target = rel.get("Target", "")
                    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    sheets = sorted(n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
    if not sheets:
        raise ValueError("no worksheet in the workbook")
    return sheets[0]


def _column_index(ref: str) -> int:
    index = 0
    for char in re.match(r"[A-Z]+", ref.upper()).group(0):
        index = index * 26 + ord(char) - 64
    return index - 1


def _clean(text: str) -> str:
    text = text.strip()
    return text[:-2] if re.fullmatch(r"-?\d+\.0", text) else text


# --- Praat TextGrids ----------------------------------------------------------------------

_TOKEN = re.compile(r'"((?:[^"]|"")*)"|(<exists>|<absent>)|\[\d*\]|'
                    r"(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)")

Tier = list[tuple[float, float, str]]


def read_textgrid(path: Path) -> dict[str, Tier]:
    """Tiers of a text TextGrid: interval tiers as (start, end, text), point tiers as
    (time, time, mark). Tier names are kept as written (first of duplicates wins)."""
    try:
        tokens = iter(_tokens(_decode(path.read_bytes())))
        if next(tokens) != "ooTextFile" or next(tokens) != "TextGrid":
            raise ValueError("not a text TextGrid")
        _number(tokens), _number(tokens)
        if next(tokens) != "<exists>":
            return {}
        tiers: dict[str, Tier] = {}
        for _ in range(int(_number(tokens))):
            kind, name = str(next(tokens)), str(next(tokens))
            _number(tokens), _number(tokens)
            items: Tier = []
            for _ in range(int(_number(tokens))):
                if kind == "IntervalTier":
                    start, end = _number(tokens), _number(tokens)
                    items.append((start, end, str(next(tokens))))
                else:
                    time = _number(tokens)
                    items.append((time, time, str(next(tokens))))
            tiers.setdefault(name, items)
        return tiers
    except (OSError, StopIteration, ValueError, TypeError) as exc:
        reason = "truncated" if isinstance(exc, StopIteration) else str(exc)
        raise SideFileError(f"cannot read {path.name}: {reason}") from None


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _tokens(text: str) -> list[str | float]:
    tokens: list[str | float] = []
    for match in _TOKEN.finditer(text):
        string, flag, number = match.groups()
        if string is not None:
            tokens.append(string.replace('""', '"'))
        elif flag is not None:
            tokens.append(flag)
        elif number is not None:
            tokens.append(float(number))
    return tokens


def _number(tokens) -> float:
    value = next(tokens)
    if not isinstance(value, float):
        raise ValueError(f"expected a number, found {value!r}")
    return value


def posix(path: Path, root: Path) -> str:
    """`path` relative to `root`, with forward slashes."""
    return path.relative_to(root).as_posix()
