"""JSON from users (rules files, spec files, workspaces, audit lines, provenance) read safely.

``json.loads('[' * 100000)`` raises RecursionError, which is not a ValueError, so every caller's
``except ValueError`` misses it and the CLI dies with a traceback. :func:`loads` measures the nesting depth
first (vectorised, strings excluded) and refuses anything deeper than :data:`MAX_DEPTH` with a clear
message; :func:`load_file` adds the file's errors (missing, unreadable, not UTF-8, not JSON) in one place.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from workbench.errors import WorkbenchError

# Workspaces, specs and rules nest about ten levels; 128 leaves room for any real document while staying
# far below Python's recursion limit (1000) for the parser and the code that walks the result.
MAX_DEPTH = 128
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_OPENERS = b"[{"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_VECTORISE_FROM = 100_000  # brackets


class JSONInputError(WorkbenchError, ValueError):
    """A JSON document a user supplied cannot be read. Also a ValueError, like json's own errors, so code
    that already treats bad JSON as a ValueError keeps doing so."""


def nesting_depth(data: str | bytes) -> int:
    """Deepest nesting of arrays/objects in a JSON text (brackets inside strings do not count)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    openers = raw.count(b"[") + raw.count(b"{")
    if openers <= 1:
        return openers
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if len(brackets) < _VECTORISE_FROM:  # audit lines, specs: a loop is quicker than importing NumPy
        depth = deepest = 0
        for byte in brackets:
            depth += 1 if byte in _OPENERS else -1
            deepest = max(deepest, depth)
        return deepest
    import numpy as np

    step = np.zeros(256, dtype=np.int32)
    step[[0x5B, 0x7B]], step[[0x5D, 0x7D]] = 1, -1  # [ { open, ] } close
    return int(np.cumsum(step[np.frombuffer(brackets, dtype=np.uint8)]).max(initial=0))


def loads(data: str | bytes, what: str = "JSON input", max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that refuses documents nested deeper than ``max_depth``.

    Raises
    ------
    JSONInputError when the document is nested too deeply; json.JSONDecodeError (a ValueError) when it
    is not JSON, exactly like ``json.loads``.
    """
    raw_len = len(data)
    if raw_len > max_depth:  # a shorter text cannot nest deeper than its length
        depth = nesting_depth(data)
        if depth > max_depth:
            raise JSONInputError(
                f"{what} nests arrays/objects {depth:,} levels deep; Workbench reads at most "
                f"{max_depth} levels (the file is damaged or not one of ours)"
            )
    try:
        return json.loads(data)
    except RecursionError:  # defence in depth: a caller that raised max_depth too far
        raise JSONInputError(f"{what} is nested too deeply to read") from None


def load_file(path: str | Path, what: str | None = None, max_depth: int = MAX_DEPTH) -> Any:
    """Read a UTF-8 JSON file a user named, with one clear message for every way it can fail."""
    path = Path(path)
    label = what or str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise JSONInputError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise JSONInputError(f"{label}: is a folder, not a JSON file") from None
    except OSError as exc:
        raise JSONInputError(f"{label}: cannot be read ({exc.strerror or exc})") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JSONInputError(
            f"{label}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from None
    try:
        return loads(text, label, max_depth)
    except json.JSONDecodeError as exc:
        raise JSONInputError(f"{label}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
