"""Readers: files into frames. CSV of any encoding and delimiter, Parquet, Excel, SPSS.

The lowest data layer: it knows files, encodings and formats, not roles or analyses. The engine
reads through it, and the dataset layer above both applies the roles.
"""

from __future__ import annotations

import codecs
import tempfile
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pandas as pd
import pyreadstat

from helpers.config import Source
from helpers.errors import DataError

TYPE_CANDIDATES = ["BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "VARCHAR"]
WHITESPACE = "whitespace"  # columns separated by runs of spaces or tabs (fixed-width exports)
DUCKDB_ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-16": "utf-16",
                    "latin-1": "latin-1", "latin1": "latin-1", "iso-8859-1": "latin-1"}


def detect_encoding(path: Path, sample_bytes: int = 1 << 20) -> str:
    """Guess a text file's encoding: a byte-order mark, else UTF-8 if it decodes, else cp1252."""
    head = path.open("rb").read(sample_bytes)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "cp1252"
    return "utf-8"


def _utf8_copy(path: Path, encoding: str) -> Path:
    """A UTF-8 copy of a file in another encoding, for DuckDB (it reads UTF-8/16 and Latin-1)."""
    tmp = Path(tempfile.mkdtemp(prefix="workbook-csv-")) / path.name
    with path.open("r", encoding=encoding, newline="") as src, tmp.open("w", encoding="utf-8") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
    return tmp


def csv_options(source: Source) -> dict[str, Any]:
    """DuckDB read_csv options for a source: detected or given encoding, given delimiter."""
    encoding = (source.encoding or detect_encoding(Path(source.path))).lower()
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
            raise DataError(f"{source.path}: unknown encoding '{encoding}'; give a valid "
                            "`encoding:` (e.g. utf-8, cp1252, latin-1)") from None
    else:
        opts["encoding"] = DUCKDB_ENCODINGS[encoding]
    return opts


def read_frame(source: Source, as_text: list[str] | None = None) -> pd.DataFrame:
    """Read a CSV, Parquet, Excel or SPSS file into pandas (SPSS value labels applied)."""
    path = Path(source.path)
    as_text = as_text or []
    try:
        if source.kind == "csv" and source.delimiter == WHITESPACE:
            encoding = source.encoding or detect_encoding(path)
            frame = pd.read_csv(path, sep=r"\s+", encoding=encoding, header=0 if source.header
                                else None, names=source.names, dtype={c: str for c in as_text})
        elif source.kind == "csv":
            opts = csv_options(source)
            if "encoding" not in opts:  # an encoding DuckDB lacks: transcode once
                path = _utf8_copy(path, (source.encoding or detect_encoding(path)))
            con = ibis.duckdb.connect()  # the engine's own CSV reader (type and dialect sniffing)
            frame = con.read_csv(str(path), types={c: "VARCHAR" for c in as_text} or None,
                                 **opts).execute()
        elif source.kind == "parquet":
            frame = pd.read_parquet(path)
        elif source.kind == "excel":
            frame = pd.read_excel(path, sheet_name=source.sheet if source.sheet is not None else 0,
                                  dtype={c: str for c in as_text})
        elif source.kind == "spss":
            frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=True)
            frame.attrs["labels"] = dict(meta.column_names_to_labels)
        else:
            raise DataError(f"{path}: unknown format '{source.kind}'")
    except DataError:
        raise
    except (duckdb.Error, OSError, ValueError, ImportError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot read the file as {source.kind}: {first}") from None
    for col in as_text:
        if col in frame.columns:
            frame[col] = frame[col].astype("string")
    return frame
