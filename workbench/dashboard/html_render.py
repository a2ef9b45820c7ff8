"""A computed board as a stamped HTML page (and the same HTML printed to PDF by the Qt side).

Evidence rules as for reports: the page carries the data fingerprints, the app version, who made it and
when; leaderboard, table and pivot cells computed from fewer than ``k`` rows are withheld; dimension values
of columns that look like personal data are masked. Sparklines are inline SVG (no images, no scripts).
"""

from __future__ import annotations

import html
import math
import secrets
from typing import Iterable, cast

from workbench.dashboard.formatting import format_change, format_value
from workbench.dashboard.suppress import suppress_tile
from workbench.privacy import mask_value, pii_kind_from_name, primary_marker

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;color:#1d2330;margin:24px;background:#fff}
h1{font-size:20px;margin:0 0 4px}
.meta{color:#5a6475;font-size:12px;margin:2px 0}
.grid{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.tile{border:1px solid #d8dde6;border-radius:6px;padding:10px 12px;min-width:260px;flex:1 1 300px}
.tile h2{font-size:13px;font-weight:600;margin:0 0 6px;color:#3a4252}
.big{font-size:28px;font-weight:600}
.good{color:#1a7f37}.bad{color:#c0392b}.neutral{color:#5a6475}
.badge{display:inline-block;background:#c0392b;color:#fff;border-radius:9px;padding:1px 8px;font-size:11px}
table{border-collapse:collapse;font-size:12px;width:100%}
th,td{border-bottom:1px solid #eceff4;padding:2px 6px;text-align:right}
th.t,td.t{text-align:left} td.hidden{color:#a0412d;font-style:italic}
.note{color:#5a6475;font-size:11px}
"""


def render_board_html(board: dict, *, stamp: dict, k: int | None = 10, title: str | None = None) -> str:
    """HTML for ``BoardResult.to_dict()``.

    Parameters
    ----------
    stamp : {"sources": [{"name", "sha256", "row_count"}], "app_version", "user", "generated_at",
        "audit_checkpoint"?}: the provenance printed in the header.
    k : minimum rows behind a leaderboard/table/pivot cell (None: no suppression).
    """
    name = title or board["dashboard"]
    rng = board["range"]
    parts = [
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_e(name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{_e(name)}</h1>",
        f"<p class='meta'>Range {_e(rng['start'])} → {_e(rng['end'])} (end excluded)",
    ]
    if board.get("compare"):
        parts.append(f"; compared with {_e(board['compare']['start'])} → {_e(board['compare']['end'])}")
    parts.append("</p>")
    for src in stamp.get("sources", []):
        rows = src.get("row_count")
        parts.append(
            f"<p class='meta'>Source {_e(src.get('name'))}: sha256 {_e(src.get('sha256'))}"
            f"{'' if rows is None else f', {rows:,} rows'}</p>"
        )
    parts.append(
        f"<p class='meta'>Generated {_e(stamp.get('generated_at', ''))} by {_e(stamp.get('user', ''))} "
        f"with Workbench {_e(stamp.get('app_version', ''))}</p>"
    )
    checkpoint = stamp.get("audit_checkpoint")
    if checkpoint:
        parts.append(
            f"<p class='meta'>Audit checkpoint: entry {_e(checkpoint.get('seq', ''))}, "
            f"hash {_e(str(checkpoint.get('hash', ''))[:16])}…</p>"
        )
    if k:
        parts.append(
            f"<p class='meta'>Cells computed from fewer than {k} rows are withheld ({_e(primary_marker(k))}).</p>"
        )
    for note in board.get("notes") or []:
        parts.append(f"<p class='note'>{_e(note)}</p>")
    parts.append("<div class='grid'>")
    for tile in board["tiles"]:
        if tile["type"] == "table":  # leaderboards and pivots mark their withheld cells as they draw them
            tile = suppress_tile(tile, k)[0]
        parts.append(_tile_html(tile, k))
    parts.append("</div></body></html>")
    return "".join(parts)


def _e(text) -> str:
    return html.escape("" if text is None else str(text))


def _tile_html(tile: dict, k: int | None) -> str:
    kind = tile["type"]
    head = tile.get("label") or tile.get("metric") or ""
    if isinstance(head, list):
        head = ", ".join(head)
    out = [f"<div class='tile'><h2>{_e(kind.upper())} · {_e(head)}</h2>"]
    if tile.get("error"):
        out.append(f"<p class='bad'>{_e(tile['error'])}</p></div>")
        return "".join(out)
    fmt = tile.get("format")
    if kind == "text":
        out.append(f"<p>{_e(tile.get('text'))}</p>")
    elif kind == "kpi":
        out.append(f"<div class='big'>{_e(format_value(tile.get('value'), fmt))}</div>")
        out.append(
            f"<div class='{_e(tile.get('tone', 'neutral'))}'>"
            f"{_e(format_change(tile.get('change'), tile.get('change_pct'), fmt))}</div>"
        )
        if tile.get("alert"):
            a = tile["alert"]
            out.append(f"<span class='badge'>alert: {_e(a.get('source'))} {_e(a.get('bucket', ''))}</span>")
        out.append(sparkline_svg([p.get("value") for p in tile.get("series") or []]))
    elif kind == "chart":
        out.append(_chart_table(tile))
    elif kind in ("leaderboard", "table"):
        out.append(_rows_table(tile, k))
    elif kind == "pivot":
        out.append(_pivot_table(tile, k))
    for note in tile.get("notes") or []:
        out.append(f"<p class='note'>{_e(note)}</p>")
    out.append("</div>")
    return "".join(out)


def sparkline_svg(values: Iterable, width: int = 240, height: int = 40) -> str:
    points = [(i, float(v)) for i, v in enumerate(values) if v is not None and math.isfinite(float(v))]
    if len(points) < 2:
        return ""
    n = max(i for i, _ in points) or 1
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    span = (hi - lo) or 1.0
    coords = " ".join(f"{i / n * width:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}" for i, v in points)
    return (
        f"<svg width='{width}' height='{height}' viewBox='0 0 {width} {height}'>"
        f"<polyline fill='none' stroke='#3366cc' stroke-width='1.5' points='{coords}'/></svg>"
    )


def _chart_table(tile: dict) -> str:
    series = tile.get("series") or []
    by_name: dict[str, list] = {}
    for p in series:
        by_name.setdefault(p.get("series", "all"), []).append(p.get("value"))
    rows = []
    for name, values in by_name.items():
        last = next((v for v in reversed(values) if v is not None), None)
        rows.append(
            f"<tr><td class='t'>{_e(name)}</td><td>{sparkline_svg(values, 160, 24)}</td>"
            f"<td>{_e(format_value(last, tile.get('format')))}</td></tr>"
        )
    incidents = tile.get("incidents") or []
    extra = f"<p class='note'>{len(incidents)} incident(s) in the range</p>" if incidents else ""
    return f"<table><tr><th class='t'>series</th><th>trend</th><th>last</th></tr>{''.join(rows)}</table>{extra}"


_SALT = secrets.token_hex(8)  # per process: masked tokens cannot be matched across exports


def _masked(column: str | None, value):
    kind = pii_kind_from_name(column) if column else None
    return mask_value(value, kind, _SALT) if kind else value


def _rows_table(tile: dict, k: int | None) -> str:
    rows = tile.get("rows") or []
    if not rows:
        return "<p class='note'>no rows</p>"
    fmt = tile.get("format")
    if tile["type"] == "leaderboard":
        head = "<tr><th class='t'>value</th><th>metric</th><th>change</th><th>share</th><th>rows</th></tr>"
        body = []
        for r in rows:
            hidden = k is not None and r.get("rows") is not None and r["rows"] < k
            cells = (
                [primary_marker(cast(int, k))] * 3  # hidden only when k is set
                if hidden
                else [
                    format_value(r.get("value"), fmt),
                    format_change(r.get("change"), r.get("change_pct"), fmt),
                    "—" if r.get("share") is None else f"{r['share'] * 100:.1f}%",
                ]
            )
            cls = " class='hidden'" if hidden else ""
            body.append(
                f"<tr><td class='t'>{_e(_masked(tile.get('by'), r.get('dimension_value')))}</td>"
                + "".join(f"<td{cls}>{_e(c)}</td>" for c in cells)
                + f"<td{cls}>{_e(primary_marker(cast(int, k)) if hidden else r.get('rows'))}</td></tr>"
            )
        return f"<table>{head}{''.join(body)}</table>"
    columns = list(rows[0])
    head = "".join(f"<th class='t'>{_e(c)}</th>" if i == 0 else f"<th>{_e(c)}</th>" for i, c in enumerate(columns))
    table_body = "".join(
        "<tr>"
        + "".join(
            f"<td class='t'>{_e(_masked(c, r.get(c)))}</td>" if i == 0 else f"<td>{_e(format_value(r.get(c)))}</td>"
            for i, c in enumerate(columns)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{table_body}</table>"


def _pivot_table(tile: dict, k: int | None) -> str:
    rows = tile.get("rows") or []
    if not rows:
        return "<p class='note'>no rows</p>"
    counts = tile.get("cell_rows") or {}
    key = next(iter(rows[0]))
    cols = [c for c in rows[0] if c != key]
    head = f"<tr><th class='t'>{_e(key)}</th>" + "".join(f"<th>{_e(c)}</th>" for c in cols) + "</tr>"
    body = []
    for r in rows:
        cells = []
        for c in cols:
            n = counts.get(f"{r[key]}\u241f{c}")
            hidden = k is not None and n is not None and n < k
            cells.append(
                f"<td class='hidden'>{_e(primary_marker(cast(int, k)))}</td>"
                if hidden
                else f"<td>{_e(format_value(r.get(c), tile.get('format')))}</td>"
            )
        body.append(f"<tr><td class='t'>{_e(_masked(key, r[key]))}</td>{''.join(cells)}</tr>")
    return f"<table>{head}{''.join(body)}</table>"
