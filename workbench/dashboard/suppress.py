"""Small-cell suppression of a computed tile: cells computed from fewer than ``k`` rows become the
``"<k"`` marker (for the screen when the workspace asks for it; exports apply the same rule)."""

from __future__ import annotations

import copy

from workbench.privacy import primary_marker

_SEP = "\u241f"  # joins a pivot cell's row and column value in ``cell_rows``


def suppress_tile(tile: dict, k: int | None) -> tuple[dict, int]:
    """A copy of ``tile`` with small cells withheld, and how many were. KPIs and charts are totals over many
    rows and are left as they are; leaderboard, table and pivot cells carry their row counts."""
    if not k or tile.get("type") not in ("leaderboard", "table", "pivot") or not tile.get("rows"):
        return tile, 0
    out = copy.deepcopy(tile)
    marker, hidden = primary_marker(k), 0
    if tile["type"] == "leaderboard":
        for row in out["rows"]:
            if row.get("rows") is not None and row["rows"] < k:
                for key in ("value", "share", "comparison_value", "change", "change_pct", "rows"):
                    row[key] = marker
                hidden += 1
    elif tile["type"] == "table":
        counts = tile.get("row_counts") or {}
        key = next(iter(out["rows"][0]))
        for row in out["rows"]:
            n = counts.get(str(row[key]))
            if n is not None and n < k:
                for name in row:
                    if name != key:
                        row[name] = marker
                hidden += 1
    else:
        counts = tile.get("cell_rows") or {}
        key = next(iter(out["rows"][0]))
        for row in out["rows"]:
            for name in list(row):
                if name == key:
                    continue
                n = counts.get(f"{row[key]}{_SEP}{name}")
                if n is not None and n < k:
                    row[name] = marker
                    hidden += 1
    out["notes"] = (
        [*out.get("notes", []), f"{hidden} cell(s) from fewer than {k} rows withheld"]
        if hidden
        else out.get("notes", [])
    )
    return out, hidden
