"""Readers: files into frames. CSV of any encoding and delimiter, Parquet, Excel, SPSS.

The lowest data layer: it knows files, encodings and formats, not roles or analyses. The engine
reads through it, and the dataset layer above both applies the roles.
"""

from __future__ import annotations

import atexit
import codecs
import gzip
import shutil
import tempfile
from pathlib import Path
from typing import Any

import charset_normalizer
import duckdb
import ibis
import pandas as pd
import pyreadstat

from helpers.core.errors import DataError
from helpers.params.inputs import ALL_SHEETS, Source

TYPE_CANDIDATES = ["BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "VARCHAR"]
WHITESPACE = "whitespace"  # columns separated by runs of spaces or tabs (fixed-width exports)
DUCKDB_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-16": "utf-16",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-1": "latin-1",
}


# what charset-normalizer names, as Python's codecs read it best: GB2312 and GBK text is read
# as GB18030 (their superset), Shift-JIS as cp932 (Windows' superset), Big5 with HKSCS
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "shift_jis": "cp932", "big5": "big5hkscs"}


def detect_encoding(path: Path, sample_bytes: int = 1 << 20) -> str:
    """A text file's encoding: a byte-order mark, else UTF-8 if it decodes, else what
    charset-normalizer finds (GB18030/GBK, Big5, Shift-JIS, cp1252, …); a file it cannot tell
    stops with a message asking for `encoding:`. (charset-normalizer is the library made for
    this: it scores decodings by how language-like the text is, which no rule of ours matches.)"""
    with open_binary(path) as handle:
        head = handle.read(sample_bytes)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4 and len(head) == sample_bytes:
            return "utf-8"  # only a character cut at the end of the sample
    if head[:2000].count(b"\x00") > len(head[:2000]) // 4:  # UTF-16 without a byte-order mark
        return "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
    results = list(charset_normalizer.from_bytes(head))
    best = results[0] if results else None
    # a tie between Western code pages goes to Windows-1252, the one spreadsheets export
    for other in results:
        if (
            best is not None
            and other.chaos <= best.chaos
            and other.coherence >= best.coherence
            and "cp1252" in other.could_be_from_charset
        ):
            best = other
            break
    if best is None:
        raise DataError(
            f"{path}: cannot tell the file's text encoding; add `encoding:` to its "
            "entry under `data` (e.g. gb18030, big5, shift_jis, cp1252, latin-1)"
        )
    encoding = "cp1252" if "cp1252" in best.could_be_from_charset else best.encoding
    return _SUPERSETS.get(encoding.lower(), encoding)


def open_binary(path: Path) -> Any:
    """A file opened for reading bytes, gzip-compressed (`.gz`) or not."""
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")


def input_files(source: Source) -> list[Path]:
    """The files an input reads (one, a folder's or a glob's), stopping when there are none."""
    files = source.files
    if not files:
        raise DataError(f"{source.path}: no {source.kind or 'data'} file found there; fix `path:`")
    return files


def readable_paths(source: Source) -> list[str]:
    """The CSV files as DuckDB and Spark can read them: the files themselves, or UTF-8 copies of
    files in an encoding DuckDB lacks (removed when the process ends: they may hold personal
    columns)."""
    files = input_files(source)
    if "encoding" in csv_options(source):
        return [str(f) for f in files]
    encoding = source.encoding or detect_encoding(files[0])
    folder = Path(tempfile.mkdtemp(prefix="workbook-csv-"))
    atexit.register(shutil.rmtree, folder, True)
    return [
        str(_utf8_copy(f, encoding, folder / f"{i:06d}-{f.name.removesuffix('.gz')}"))
        for i, f in enumerate(files)
    ]


def _utf8_copy(path: Path, encoding: str, tmp: Path) -> Path:
    """A UTF-8 copy of a file in another encoding, for DuckDB (it reads UTF-8/16 and Latin-1)."""
    with (
        codecs.getreader(encoding)(open_binary(path)) as src,
        tmp.open("w", encoding="utf-8", newline="") as dst,
    ):
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    return tmp


def csv_options(source: Source) -> dict[str, Any]:
    """DuckDB read_csv options for a source: detected or given encoding, given delimiter."""
    encoding = (source.encoding or detect_encoding(input_files(source)[0])).lower()
    # no BOOLEAN among the sniffed types: Yes/No, yes/no and true/false keep the file's own words
    opts: dict[str, Any] = {"header": source.header, "auto_type_candidates": TYPE_CANDIDATES}
    if source.names:
        opts["names"] = list(source.names)
    if source.delimiter and source.delimiter != WHITESPACE:
        opts["delim"] = source.delimiter
    if encoding not in DUCKDB_ENCODINGS:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise DataError(
                f"{source.path}: unknown encoding '{encoding}'; give a valid "
                "`encoding:` (e.g. utf-8, cp1252, latin-1)"
            ) from None
    else:
        opts["encoding"] = DUCKDB_ENCODINGS[encoding]
    return opts


def column_labels(source: Source) -> dict[str, str]:
    """The questions' own names that a file carries (SPSS variable labels); none for other formats."""
    if source.kind != "spss":
        return {}
    _, meta = pyreadstat.read_sav(str(input_files(source)[0]), metadataonly=True)
    return {str(k): str(v) for k, v in dict(meta.column_names_to_labels).items() if v}


def read_frame(source: Source, as_text: list[str] | None = None) -> pd.DataFrame:
    """Read an input's CSV, Parquet, Excel or SPSS files into one pandas frame (SPSS value labels
    applied; the files of a folder or glob, or the sheets of a workbook, one after another)."""
    as_text = as_text or []
    path = Path(source.path)
    try:
        if source.kind == "csv" and source.delimiter != WHITESPACE:
            opts = csv_options(source)
            paths = readable_paths(source)  # an encoding DuckDB lacks: transcoded once
            con = ibis.duckdb.connect()  # the engine's own CSV reader (type and dialect sniffing)
            types = {c: "VARCHAR" for c in as_text} or None
            frame = con.read_csv(paths, types=types, **opts, **multi_file_options(paths)).execute()
        elif source.kind in ("csv", "parquet", "excel", "spss"):
            parts = [_read_file(source, file, as_text) for file in _files_to_read(source)]
            frame = _stacked(parts, source)
        else:
            raise DataError(f"{path}: unknown format '{source.kind}'")
    except DataError:
        raise
    except (duckdb.Error, OSError, ValueError, ImportError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot read the file as {source.kind}: {first}") from None
    # names as text everywhere (an Excel header of years reads as numbers 2019, 2020)
    frame.columns = [str(c) for c in frame.columns]
    for col in as_text:
        if col in frame.columns:
            frame[col] = id_text(frame[col])
    return frame


def multi_file_options(paths: list[str]) -> dict[str, Any]:
    """DuckDB options for several CSV files: columns matched by name, types sniffed across the
    files (a column empty in the first day's file is not taken as a number for all of them)."""
    return {"union_by_name": True} if len(paths) > 1 else {}


def _files_to_read(source: Source) -> list[Path]:
    """The files to read one by one (a folder of Parquet is one dataset: the folder itself)."""
    if source.kind == "parquet" and not source.is_pattern and Path(source.path).is_dir():
        return [Path(source.path)]
    return input_files(source)


def _read_file(source: Source, path: Path, as_text: list[str]) -> pd.DataFrame:
    """One file of an input as a frame (an Excel workbook: one sheet, or all with `sheet: *`)."""
    if source.kind == "csv":  # columns separated by runs of spaces
        return pd.read_csv(
            path,
            sep=r"\s+",
            encoding=source.encoding or detect_encoding(path),
            header=0 if source.header else None,
            names=source.names,
            dtype={c: str for c in as_text},
        )
    if source.kind == "parquet":
        return pd.read_parquet(path)
    if source.kind == "excel":
        every = source.sheet == ALL_SHEETS
        sheets = pd.read_excel(
            path,
            sheet_name=None if every else source.sheet if source.sheet is not None else 0,
            dtype={c: str for c in as_text},
        )
        if not every:
            return sheets
        kept = {name: sheet for name, sheet in sheets.items() if not sheet.dropna(how="all").empty}
        return _stacked(list(kept.values()), source, [f"{path.name}, sheet '{name}'" for name in kept])
    frame, _ = pyreadstat.read_sav(str(path), apply_value_formats=True)
    return frame


def _stacked(parts: list[pd.DataFrame], source: Source, names: list[str] | None = None) -> pd.DataFrame:
    """Frames read from several files or sheets, one after another; all must have the same columns."""
    if not parts:
        raise DataError(f"{source.path}: no rows found in any file or sheet")
    names = names or [str(f.name) for f in _files_to_read(source)]
    first = [str(c) for c in parts[0].columns]
    for name, part in zip(names[1:], parts[1:], strict=False):
        columns = [str(c) for c in part.columns]
        if set(columns) != set(first):
            lacks = [c for c in first if c not in columns]
            extra = [c for c in columns if c not in first]
            differs = "; ".join(
                f"{word} {', '.join(map(repr, cols[:5]))}"
                for word, cols in (("lacks", lacks), ("adds", extra))
                if cols
            )
            raise DataError(
                f"{source.path}: {name} does not have the columns of {names[0]} (it {differs}); "
                "give files or sheets with the same columns, or name one in `path:` or `sheet:`"
            )
    return parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)


def id_text(ids: pd.Series) -> pd.Series:
    """Ids as text, the same in every file: whole numbers stored as floats (1.0, as SPSS and
    Excel keep them) become "1"; surrounding spaces go."""
    if pd.api.types.is_float_dtype(ids) and ids.dropna().mod(1).eq(0).all():
        ids = ids.astype("Int64")
    return ids.astype("string").str.strip()
