"""Print layout of an evidence report's tables (the PDF), where a page is narrower than a browser window.

The printed report shows exactly the cells of the HTML report, arranged to fit a page:

* a table wider than the page is split into stacked parts, each repeating the identifying columns (the
  table's keys: metric and arm, segment, incident...), so every row of every part can be read on its own;
* a long, narrow table (a daily series: bucket, series, value) is flowed into side-by-side column blocks
  instead of running down one edge of many pages.

Widths are estimated in characters of the table font (``PrintLayout.line_chars`` is how many digits fit
across the printable width; the Qt side measures it); no Qt here, the engine stays Qt-free.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Sequence

# Cell = (css class, formatted text); Head = (column name, css class): as rendered for the screen HTML.
Cell = tuple[str, str]

PRINT_CSS = """
body{font-size:9pt;color:#1d2330}
h1{font-size:17pt;font-weight:600;margin-top:0;margin-bottom:4pt}
h2{font-size:13pt;font-weight:600;color:#1d2330;margin-top:14pt;margin-bottom:6pt}
h2.page{page-break-before:always;margin-top:0}
h3{font-size:10.5pt;font-weight:600;margin-top:14pt;margin-bottom:3pt}
p{margin-top:3pt;margin-bottom:3pt}
.meta{color:#5a6475;font-size:8pt}
.part{color:#5a6475;font-size:7pt;font-style:italic;margin-top:6pt;margin-bottom:0}
table.data{border-collapse:collapse;font-size:7pt;margin-top:3pt;margin-bottom:6pt;border-color:#c9d0db}
table.data th{background-color:#eef1f6;font-weight:600;border:1px solid #c9d0db;padding:2px 3px;text-align:right}
table.data td{border:1px solid #d8dde6;padding:1px 3px;text-align:right}
table.data th.t, table.data td.t{text-align:left}
td.n{white-space:nowrap}
td.hidden{color:#a0412d;font-style:italic}
table.flow{border-collapse:collapse}
table.flow td.flow{border:none;padding:0 10px 0 0;vertical-align:top}
table.box{border-collapse:collapse;margin-top:6pt;margin-bottom:6pt}
table.box td{background-color:#fff8e5;border:1px solid #f0d68a;padding:6px 8px;font-size:8.5pt}
dt{font-weight:600;margin-top:3pt}
dd{margin-left:14pt;margin-bottom:2pt}
pre{background-color:#f5f7fa;font-size:7pt;white-space:pre-wrap;margin-top:2pt;margin-bottom:6pt}
code{font-size:7.5pt}
"""


@dataclass(frozen=True)
class PrintLayout:
    """How tables are laid out on a printed page.

    Parameters
    ----------
    line_chars : digits of the table font that fit across the printable width.
    flow_min_rows : a narrow table with more rows than this is flowed into side-by-side blocks.
    rows_per_block : at most this many rows per block (about a page of rows).
    max_blocks : at most this many blocks side by side.
    split_band_rows : a table split into parts is printed in bands of about this many rows.
    """

    line_chars: float = 120.0
    flow_min_rows: int = 24
    rows_per_block: int = 50
    max_blocks: int = 3
    split_band_rows: int = 30

    @property
    def budget(self) -> float:
        return self.line_chars * 0.97  # borders and rounding: never fill the line to the last pixel


_PAD = 1.3  # cell padding and borders, in digits
_HEAD = 1.25  # header text is bold, and letters are wider than digits
_WRAP = 24  # a text column with spaces wraps at about this width


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def column_widths(head: Sequence[tuple[str, str]], rows: Sequence[Sequence[Cell]]) -> list[tuple[float, bool]]:
    """(width in digits including padding, nowrap) per column.

    Numbers never wrap; a text column wraps at spaces only when it is long (segments, windows); headers
    wrap at spaces, so only their longest word counts.
    """
    out = []
    for i, (name, _cls) in enumerate(head):
        texts = [r[i][1] for r in rows]
        longest = max((len(t) for t in texts), default=0)
        head_w = max((len(w) for w in name.split()), default=0) * _HEAD
        wraps = longest > _WRAP and any(" " in t for t in texts)
        if wraps:
            word = max((len(w) for t in texts for w in t.split()), default=0)
            w = max(word, min(longest, _WRAP))
        else:
            w = longest
        out.append((max(w, head_w, 1) + _PAD, not wraps))
    return out


def _groups(widths: Sequence[float], limit: float) -> list[list[int]]:
    """Contiguous groups of column indexes, each at most ``limit`` wide (a single wider column stands alone)."""
    groups: list[list[int]] = [[]]
    used = 0.0
    for i, w in enumerate(widths):
        if groups[-1] and used + w > limit:
            groups.append([])
            used = 0.0
        groups[-1].append(i)
        used += w
    return groups


def split_columns(widths: Sequence[float], keys: Sequence[int], budget: float) -> list[list[int]]:
    """Column indexes of each stacked part: the key columns, then a contiguous run of the others, balanced so
    the parts are about equally wide. One part when everything fits."""
    if sum(widths) <= budget:
        return [list(range(len(widths)))]
    keys = [k for k in keys if 0 <= k < len(widths)]
    key_w = sum(widths[k] for k in keys)
    if key_w > budget * 0.45:  # identifiers as wide as the page: repeating them would leave no room
        keys, key_w = [], 0.0
    others = [i for i in range(len(widths)) if i not in keys]
    ow = [widths[i] for i in others]
    avail = max(budget - key_w, max(ow, default=0))
    n = len(_groups(ow, avail))
    # Smallest width limit that still needs only n parts: parts of even width read better than 9 + 1.
    lo, hi = max(ow, default=0), avail
    for _ in range(30):
        mid = (lo + hi) / 2
        if len(_groups(ow, mid)) <= n:
            hi = mid
        else:
            lo = mid
    return [keys + [others[j] for j in g] for g in _groups(ow, hi)]


def _table(
    head, rows, cols: Sequence[int], nowrap: Sequence[bool], widths: Sequence[float] | None = None, budget: float = 0.0
) -> str:
    """One <table>; with ``widths``, the columns get their estimated share of the page (left to itself,
    QTextDocument squeezes a table too wide for the page by breaking short headers mid-word)."""

    def cls(base: str, i: int) -> str:
        c = " ".join(x for x in (base, "n" if nowrap[i] else "") if x)
        return f' class="{c}"' if c else ""

    size, pct = "", {}
    if widths is not None and budget > 0:
        total = sum(widths[i] for i in cols)
        size = f' width="{min(100.0, 100.0 * total / budget):.1f}%"'
        pct = {i: f' width="{100.0 * widths[i] / total:.1f}%"' for i in cols}
    # Headers wrap at spaces (column_widths counts their longest word only).
    h = "".join(
        f"<th{' class=' + chr(34) + head[i][1] + chr(34) if head[i][1] else ''}{pct.get(i, '')}>{_esc(head[i][0])}</th>"
        for i in cols
    )
    body = "".join("<tr>" + "".join(f"<td{cls(r[i][0], i)}>{_esc(r[i][1])}</td>" for i in cols) + "</tr>" for r in rows)
    return f'<table class="data" cellspacing="0"{size}><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>'


def table_html(
    head: Sequence[tuple[str, str]], rows: Sequence[Sequence[Cell]], keys: Sequence[str], layout: PrintLayout
) -> str:
    """A table's print markup: as is, split into stacked parts, or flowed into side-by-side blocks.

    Parameters
    ----------
    head : (column name, css class) per column.
    rows : per row, (css class, formatted text) per column: the cells the screen HTML shows.
    keys : identifying columns, repeated in every part of a split table.
    layout : :class:`PrintLayout`.
    """
    widths = column_widths(head, rows)
    w = [x for x, _ in widths]
    nowrap = [n for _, n in widths]
    total = sum(w)
    budget = layout.budget
    all_cols = list(range(len(head)))
    gap = 1.5
    blocks = min(layout.max_blocks, int((budget + gap) // (total + gap))) if total else 1
    if blocks >= 2 and len(rows) > layout.flow_min_rows:
        per = min(layout.rows_per_block, math.ceil(len(rows) / blocks))
        chunks = [rows[i : i + per] for i in range(0, len(rows), per)]
        bands = []
        for b in range(0, len(chunks), blocks):
            cells = "".join(
                f'<td class="flow">{_table(head, c, all_cols, nowrap)}</td>' for c in chunks[b : b + blocks]
            )
            bands.append(f'<table class="flow" cellspacing="0"><tr>{cells}</tr></table>')
        return "".join(bands)
    key_idx = [i for i, (name, _) in enumerate(head) if name in set(keys)]
    parts = split_columns(w, key_idx, budget)
    if len(parts) == 1:
        return _table(head, rows, all_cols, nowrap, w, budget)
    repeated = [head[i][0] for i in parts[0] if i in key_idx]
    # A long split table goes in bands of rows, each band's parts together: a reader matches a row's parts
    # on the same page rather than many pages apart.
    n_bands = max(1, math.ceil(len(rows) / layout.split_band_rows)) if len(rows) > 1.3 * layout.split_band_rows else 1
    per = math.ceil(len(rows) / n_bands) if rows else 0
    out = []
    for b in range(n_bands):
        band = rows[b * per : (b + 1) * per] if n_bands > 1 else rows
        for n, cols in enumerate(parts, 1):
            text = f"Rows {b * per + 1}–{b * per + len(band)}, part" if n_bands > 1 else "Part"
            text += f" {n} of {len(parts)}"
            if b == 0 and n == 1:
                text += " (the table is wider than the page: its columns are split"
                text += f"; each part repeats {', '.join(repeated)})" if repeated else ")"
            out.append(f'<p class="part">{_esc(text)}</p>')
            out.append(_table(head, band, cols, nowrap, w, budget))
    return "".join(out)
