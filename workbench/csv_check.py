"""CSV files that DuckDB's sniffer would misread: the text encoding, and ragged rows.

* Encoding: DuckDB reads UTF-8, UTF-16 and Latin-1. ``auto`` picks UTF-16 from a byte-order mark, UTF-8 when
  the first megabyte decodes as UTF-8, and Latin-1 otherwise (every byte is a Latin-1 character, so the
  file always opens; a note says so, since Windows-1252 punctuation then shows as control characters).
* Ragged rows: when rows have different numbers of fields, the sniffer finds no consistent dialect and
  falls back to one text column holding whole lines ("a,b,c"), or takes a later line's layout and drops
  the rows before it. That silent misread becomes an error that names the first row whose field count
  differs from the header's.
"""

from __future__ import annotations

import codecs
import csv
from pathlib import Path

from workbench.errors import SourceError

CSV_ENCODINGS = ("auto", "utf-8", "utf-16", "latin-1")
_SAMPLE_BYTES = 1 << 20
_DELIMITERS = (",", ";", "\t", "|")
SNIFF_ROWS = 20480  # rows DuckDB's sniffer samples (sql.read_files sets sample_size to the same)
_CHECKED_FILES = 20  # a folder of thousands of CSVs: the first files show a systematic problem


def detect_encoding(path: str) -> tuple[str, str | None]:
    """(DuckDB encoding name, note or None) for a CSV file, from its first megabyte."""
    with open(path, "rb") as fh:
        head = fh.read(_SAMPLE_BYTES)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None
    try:
        # final=False: a multi-byte character cut at the sample's end is not an error
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8", None
    except UnicodeDecodeError as exc:
        return "latin-1", (
            f"{Path(path).name} is not UTF-8 (byte 0x{head[exc.start]:02x} at offset {exc.start}); "
            "read as Latin-1 — pass --encoding utf-8|utf-16|latin-1 to choose"
        )


def resolve_encoding(encoding: str, files: list[str]) -> tuple[str, tuple[str, ...]]:
    """The encoding to read ``files`` with, and notes about an automatic choice."""
    if encoding not in CSV_ENCODINGS:
        raise SourceError(f"Unknown CSV encoding {encoding!r}; choose one of {', '.join(CSV_ENCODINGS)}")
    if encoding != "auto":
        return encoding, ()
    chosen, note = detect_encoding(files[0])
    return chosen, (note,) if note else ()


def _python_encoding(encoding: str) -> str:
    return {"utf-8": "utf-8-sig", "utf-16": "utf-16", "latin-1": "latin-1"}[encoding]


def _header_delimiter(path: str, encoding: str) -> str | None:
    """The candidate delimiter that splits the first line into the most fields (None: one field)."""
    with open(path, newline="", encoding=_python_encoding(encoding), errors="replace") as fh:
        first = fh.readline()
    counts = {d: len(next(csv.reader([first], delimiter=d), [])) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 1 else None


def find_ragged_row(
    path: str, encoding: str, delimiter: str, max_rows: int = SNIFF_ROWS
) -> tuple[int, int, int] | None:
    """(line number, fields on it, fields in the header) of the first of ``max_rows`` rows whose field count
    differs from the header's, or None when they all match."""
    with open(path, newline="", encoding=_python_encoding(encoding), errors="replace") as fh:
        reader = csv.reader(fh, delimiter=delimiter)
        header = next(reader, None)
        if header is None:
            return None
        for i, row in enumerate(reader):
            if i >= max_rows:
                break
            if row and len(row) != len(header):
                return reader.line_num, len(row), len(header)
    return None


def check_not_ragged(n_columns: int, files: list[str], encoding: str) -> None:
    """Raise SourceError when ragged rows made DuckDB's sniffer misread the files.

    With rows of different lengths in its sample the sniffer either falls back to one text column of whole
    lines or picks a later line as the layout and skips the rows before it. Both show as a column count
    (``n_columns``, as DuckDB described the view) that differs from the header's. Ragged rows past the
    sample make DuckDB itself fail the scan with the line number, so only the sample is checked here.
    """
    for path in files[:_CHECKED_FILES]:
        delimiter = _header_delimiter(path, encoding)
        if delimiter is None:
            continue
        found = find_ragged_row(path, encoding, delimiter)
        if found and found[2] != n_columns:
            line, n, expected = found
            shown = "tab" if delimiter == "\t" else repr(delimiter)
            raise SourceError(
                f"{Path(path).name}: rows have different numbers of fields (line {line} has {n}, the header has "
                f"{expected}, separated by {shown}), so the columns cannot be told apart; fix the file or "
                "export it again"
            )
