"""The release log: which cells every output released, and a warning when two releases differ by a group
smaller than k.

Small-cell suppression protects each table on its own; it cannot stop differencing across tables: "US or
IS" = 2,007 and "US" = 2,000 are both safe, and their difference is the 7 Icelanders. The log keeps, for
each release, the source, what was asked (measure, filters, grouping) and each released cell's group keys
with its true and shown count. A new release is compared with earlier ones of the same source, measure and
grouping but different filters: where a cell present in both differs by 1..k-1 units, the user is warned
(and the warning is audited). With cell-key perturbation the difference is noisy — the warning says so.

The log is JSON lines beside the workspace (``W.wbk.releases.jsonl``, created 0600): it holds true counts,
which are as sensitive as the extract the analyst already has, and never leaves the machine.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any, Iterable

from workbench.errors import WorkbenchError

# Keys of a description that identify *what* is counted; everything else (filters, range) is the "where".
_WHAT = ("command", "measure", "grain")


def release_log_path_for(workspace_path: str | os.PathLike) -> Path:
    p = Path(workspace_path)
    return p.with_name(p.name + ".releases.jsonl")


class ReleaseLog:
    """An append-only JSON-lines file of releases."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    def entries(self) -> list[dict]:
        if not self.path.exists():
            return []
        out = []
        with open(self.path, "rb") as fh:
            for line in fh:
                try:
                    entry = json.loads(line)
                except (ValueError, RecursionError):
                    continue  # a damaged line (cut off by a crash) is skipped, not fatal
                if isinstance(entry, dict) and isinstance(entry.get("cells"), list):
                    out.append(entry)
        return out

    def record(
        self, *, source: str, description: dict, cells: list[dict], dims: list[str], k: int, mode: str
    ) -> list[str]:
        """Append a release and return the differencing warnings it raises against earlier ones."""
        entry = {
            "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "source": source,
            "description": _plain(description),
            "dims": list(dims),
            "k": int(k),
            "mode": mode,
            "cells": [_plain(c) for c in cells],
        }
        warnings = differencing_warnings(entry, self.entries())
        self._append(entry)
        return warnings

    def _append(self, entry: dict) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "ab") as fh:
                fh.write(json.dumps(entry, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8") + b"\n")
        except OSError as exc:
            raise WorkbenchError(f"Cannot write the release log {self.path}: {exc.strerror or exc}") from exc


def differencing_warnings(new: dict, earlier: Iterable[dict], limit: int = 5) -> list[str]:
    """Warnings for cells of ``new`` that differ from the same cell of an earlier, differently filtered
    release of the same thing by fewer than k units (but at least one)."""
    k = int(new["k"])
    what = _what(new)
    new_cells = {_cell_id(c): c for c in new["cells"]}
    found = []
    for old in reversed(list(earlier)):
        if old.get("source") != new["source"] or _what(old) != what or old.get("dims") != new["dims"]:
            continue
        if _where(old) == _where(new):
            continue  # the same question again: same rows, nothing new
        for cid, cell in new_cells.items():
            before = next((c for c in old["cells"] if _cell_id(c) == cid), None)
            if before is None or isinstance(cell.get("shown"), str) or isinstance(before.get("shown"), str):
                continue  # a hidden cell on either side: subtracting reveals nothing
            diff = abs(int(cell.get("n", 0)) - int(before.get("n", 0)))
            if 0 < diff < k:
                noisy = (
                    " Counts are perturbed (cell-key), so the difference of the shown values is noisy."
                    if new.get("mode") == "cell-key"
                    else ""
                )
                found.append(
                    f"this output and the one of {old.get('time')} ({_describe(old)}) differ by {diff} unit"
                    f"{'s' if diff != 1 else ''} in cell {_describe_key(cell)} — a group smaller than k = {k} "
                    f"can be worked out by subtracting them ({_describe(new)}).{noisy}"
                )
                if len(found) >= limit:
                    return found
                break  # one warning per earlier release is enough to make the point
    return found


def _what(entry: dict) -> tuple:
    d = entry.get("description") or {}
    return tuple(json.dumps(d.get(key), sort_keys=True) for key in _WHAT) + (json.dumps(d.get("breakdown")),)


def _where(entry: dict) -> str:
    d = entry.get("description") or {}
    return json.dumps({k: v for k, v in d.items() if k not in _WHAT + ("breakdown",)}, sort_keys=True)


def _cell_id(cell: dict) -> str:
    return json.dumps(cell.get("key"), sort_keys=True)


def _describe(entry: dict) -> str:
    d = entry.get("description") or {}
    filters = d.get("filters") or []
    return "filters " + (", ".join(map(str, filters)) if filters else "none")


def _describe_key(cell: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in (cell.get("key") or {}).items())


def _plain(obj):
    return json.loads(json.dumps(obj, default=str))


def metric_release(result, shown: Any = None) -> tuple[dict, list[dict]]:
    """(description, cells) of a metric table as released: each (bucket, series) cell with its true count
    (count measures) and the value shown (``shown``: the exported frame, markers included)."""
    spec = result.spec
    description = {
        "command": "metric",
        "measure": spec.measure.label,
        "grain": spec.grain,
        "breakdown": spec.breakdown,
        "filters": [f.label for f in spec.filters],
        "start": str(result.start),
        "end": str(result.end),
    }
    values = list(shown[spec.measure.label]) if shown is not None and spec.measure.label in shown else None
    cells = []
    for i, (bucket, series, value) in enumerate(
        zip(result.frame["bucket"], result.frame["series"], result.frame["value"])
    ):
        n = int(value) if value == value else 0
        cells.append(
            {"key": {"bucket": str(bucket), "series": series}, "n": n, "shown": values[i] if values is not None else n}
        )
    return description, cells
