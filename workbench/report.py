"""Evidence reports: a self-contained HTML file and a replay script that recomputes its numbers.

The caller (the UI or a script) assembles an :class:`EvidenceReport` from sections. A section may carry a
chart (PNG bytes the UI rendered), the data behind it (a DataFrame, shown as a table or not), method notes,
the SQL that produced it, and a *recipe* — how to recompute the data from the extracts. A recipe is an
analysis of :mod:`workbench.analysis` as JSON (``Analysis.to_dict()``), run by the same ``run`` as the screen:

* ``{"kind": "metric", "spec": MetricSpec.to_dict()}`` — :class:`~workbench.analysis.MetricView`;
  the data is ``MetricResult.frame`` (bucket, series, value, comparison_value);
* ``{"kind": "sql", "sql": "SELECT ..."}`` — a query over the sources' views (the SQL console);
* ``{"kind": "anomaly", ...}`` / ``{"kind": "experiment", ...}`` — an anomaly detection with root cause, an
  experiment readout; these return several tables, one per :class:`ReportTable` ``part`` of the section
  (sections built by :mod:`workbench.report_analyses`), compared at ``ANALYSIS_RTOL``.

:func:`write_report` writes the HTML (images embedded as base64, CSS inline, no scripts or external links:
it opens offline in any browser) and, next to it, ``<name>.replay.py``: a Python script that verifies the
extracts' SHA-256 fingerprints, recomputes every section's data through the ``workbench`` package and
compares each number shown in the report (rtol 1e-9). Cells hidden by small-cell suppression are neither
shown nor embedded in the script.

PDF: the engine stays Qt-free, so it writes no PDF itself; ``widgets/report_pdf.py`` prints the same HTML
through Qt's QTextDocument/QPdfWriter, and any browser's "Print to PDF" gives a faithful copy.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence, cast

import pandas as pd

from workbench import source_identity
from workbench.analysis.base import Analysis, decimals_to_float  # noqa: F401  (re-exported)
from workbench.audit_keys import short_fingerprint
from workbench.errors import WorkbenchError
from workbench.export import Provenance, prepare
from workbench.fingerprint import sha256_file
from workbench.workspace import atomic_write

RTOL = 1e-9
# Detectors and tests run float code (scipy, numpy, DuckDB's parallel sums) whose last bits may move
# between runs or machines; 1e-6 relative still catches any changed digit a reader can see (6 shown).
ANALYSIS_RTOL = 1e-6
ANALYSIS_ATOL = 1e-12
MAX_TABLE_ROWS = 500  # longer tables are cut in the HTML (the replay still checks every row)


class ReportError(WorkbenchError):
    """A report cannot be built or written."""


@dataclass
class ReportTable:
    """A further table of a section (an incident list, a root-cause ranking, per-arm counts...).

    ``part`` names the table in the section's recipe result (a dict of frames), so the replay script checks
    it; ``count_column``/``dims``/``value_columns`` drive small-cell suppression as for a section's data.
    ``keys`` identify a row when comparing (default: the non-numeric columns).
    ``hide_rows`` instead of a count column: rows that concern a group below k (decided by the caller, e.g. a
    comparison whose smaller arm has fewer than k units); every non-key cell shows "<k". For tables whose
    rows do not add up (comparisons, statistics), where complementary suppression has nothing to protect.
    """

    caption: str
    data: pd.DataFrame
    part: str | None = None
    note: str = ""
    keys: Sequence[str] | None = None
    count_column: str | None = None
    dims: Sequence[str] | None = None
    value_columns: Sequence[str] | None = None
    show: bool = True
    hide_rows: Sequence[bool] | None = None  # rows of a group below k (comparisons: no counts to add up)


@dataclass
class ReportSection:
    """One view in the report.

    Parameters
    ----------
    title : heading.
    text : the readout / narrative (plain text; blank lines separate paragraphs).
    image_png : chart as PNG bytes (embedded as base64).
    data : the numbers behind the chart or table; replayed when ``recipe`` is given.
    show_table : show ``data`` as a table (else it only feeds the replay).
    method_notes : {"Test": "Welch t-test, two-sided", "Correction": "Benjamini-Hochberg", "CUPED": "on"}.
    sql : the SQL that produced ``data`` (goes to the appendix).
    recipe : how to recompute ``data`` (see module docstring).
    keys : columns identifying a row when comparing (default: bucket/series for metrics, else the
        non-numeric columns).
    count_column, dims : for small-cell suppression of ``data`` when the report has a ``k``.
    tables : further tables (:class:`ReportTable`), shown after ``data``; replayed by ``part``.
    """

    title: str
    text: str = ""
    image_png: bytes | None = None
    data: pd.DataFrame | None = None
    show_table: bool = True
    method_notes: Mapping[str, str] = field(default_factory=dict)
    sql: str | None = None
    recipe: dict | None = None
    keys: Sequence[str] | None = None
    count_column: str | None = None
    dims: Sequence[str] | None = None
    tables: list[ReportTable] = field(default_factory=list)
    # Set when ``data`` was already protected by the engine (workbench/protection/apply.py, e.g. cell-key):
    # the statement to show, and the bound D of the perturbation the replay allows (shown counts are n + p).
    protection: str | None = None
    perturbation_bound: int | None = None


@dataclass
class EvidenceReport:
    """Everything in one report. ``k`` None means no suppression (the report says so)."""

    title: str
    provenance: Provenance
    sections: list[ReportSection] = field(default_factory=list)
    analyst_notes: str = ""
    k: int | None = 10
    source_files: list[dict] = field(default_factory=list)  # [{"source", "path", "sha256", "size"}] for replay

    @classmethod
    def for_workspace(cls, ws, title: str | None = None, description: Mapping | None = None) -> "EvidenceReport":
        """A report stamped with ``ws``'s fingerprints, k and notes."""
        return cls(
            title=title or f"Evidence report — {ws.name}",
            provenance=Provenance.from_workspace(ws, description=description),
            analyst_notes=ws.notes,
            k=_effective_k(ws),
            source_files=[
                {"source": s.name, "kind": s.kind, "path": f.path, "sha256": f.sha256, "size": f.size}
                for s in ws.sources
                for f in s.files
            ],
        )


def _effective_k(ws) -> int | None:
    """The k the workspace's protection policy applies, raised to the installation's minimum."""
    from workbench.protection.policy import workspace_policy

    policy = workspace_policy(ws)
    return policy.k if policy.active else None


@dataclass(frozen=True)
class ReportResult:
    html_path: Path
    html_sha256: str
    replay_path: Path | None
    replay_sha256: str | None
    suppressed_cells: int


# --- preparing section data ------------------------------------------------------------------------------


@dataclass
class _Prepared:
    section: ReportSection
    shown: pd.DataFrame | None  # what the reader sees (suppressed)
    hidden: list[bool]  # per row of data: hidden by suppression
    statement: str | None
    tables: list["_PreparedTable"] = field(default_factory=list)

    @property
    def hidden_count(self) -> int:
        return sum(self.hidden) + sum(sum(t.hidden) for t in self.tables)

    @property
    def statements(self) -> list[str]:
        return [x for x in [self.statement] + [t.statement for t in self.tables] if x]


@dataclass
class _PreparedTable:
    table: ReportTable
    shown: pd.DataFrame
    hidden: list[bool]
    statement: str | None


def _suppressed(
    df: pd.DataFrame, k: int | None, count_column, dims, value_columns=None
) -> tuple[pd.DataFrame, list[bool], str | None]:
    """(shown frame, hidden per row, statement) of ``df`` under small-cell suppression with ``k``."""
    result = None
    if k is not None:
        count = count_column or _guess_count(df)
        if count is not None:
            result = prepare(df, k=k, count_column=count, dims=dims, value_columns=value_columns)
    if result is None:
        return df, [False] * len(df), None
    return result.frame, result.suppressed.tolist(), result.statement()


def _hidden_rows(df: pd.DataFrame, k: int | None, hide: Sequence[bool], keys: Sequence[str]):
    """(shown, hidden, statement): the flagged rows' non-key cells replaced by "<k" (nothing when k is None)."""
    hide = [bool(h) for h in hide]
    if k is None or not any(hide):
        return df, [False] * len(df), None
    shown = df.astype(object).copy()
    cols = [c for c in df.columns if c not in keys]
    for i, h in enumerate(hide):
        if h:
            shown.iloc[i, [df.columns.get_loc(c) for c in cols]] = f"<{k}"
    n = sum(hide)
    return (
        shown,
        hide,
        (
            f"Small-cell suppression with k = {k}: {n} row{'s' if n != 1 else ''} concerning a group "
            f'with fewer than {k} units withheld (shown as "<{k}").'
        ),
    )


def _prepare(report: EvidenceReport) -> list[_Prepared]:
    out = []
    for s in report.sections:
        tables = []
        for t in s.tables:
            t.data = decimals_to_float(t.data)
            if t.hide_rows is not None:
                tables.append(_PreparedTable(t, *_hidden_rows(t.data, report.k, t.hide_rows, t.keys or [])))
            else:
                tables.append(
                    _PreparedTable(t, *_suppressed(t.data, report.k, t.count_column, t.dims, t.value_columns))
                )
        if s.data is None:
            out.append(_Prepared(s, None, [], None, tables))
            continue
        s.data = decimals_to_float(s.data)
        if s.protection is not None:  # protected by the policy's engine function: not suppressed again
            hidden = [any(isinstance(v, str) and _is_marker(v) for v in row) for row in s.data.itertuples(index=False)]
            out.append(_Prepared(s, s.data, hidden, s.protection, tables))
            continue
        out.append(_Prepared(s, *_suppressed(s.data, report.k, s.count_column, s.dims), tables))
    return out


def _guess_count(df: pd.DataFrame) -> str | None:
    from workbench.export import _COUNT_NAMES

    return next((c for c in _COUNT_NAMES if c in df.columns), None)


# --- HTML ------------------------------------------------------------------------------------------------

_CSS = """
body{font-family:-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;max-width:1000px;margin:2em auto;
color:#1d2330;line-height:1.45;padding:0 1em}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid #d8dde6;padding-bottom:.2em;margin-top:2em}
.meta{color:#5a6475;font-size:.92em}table{border-collapse:collapse;margin:.8em 0;font-size:.88em}
th,td{border:1px solid #d8dde6;padding:3px 8px;text-align:right}th{background:#eef1f6}
td.t,th.t{text-align:left}.hidden{color:#a0412d;font-style:italic}
pre{background:#f5f7fa;border:1px solid #d8dde6;padding:.7em;overflow-x:auto;font-size:.85em;white-space:pre-wrap}
dl.notes{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dl.notes dt{font-weight:600}
dl.notes dd{margin:0}img{max-width:100%;border:1px solid #d8dde6}.box{background:#fff8e5;border:1px solid #f0d68a;
padding:.6em .9em;margin:1em 0}code{font-size:.9em}
@media print{h2{page-break-after:avoid}img,table{page-break-inside:avoid}}
"""


def _esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _paragraphs(text: str) -> str:
    parts = [p.strip() for p in str(text or "").split("\n\n") if p.strip()]
    return "".join(f"<p>{_esc(p).replace(chr(10), '<br>')}</p>" for p in parts)


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return f"{v:,.6g}" if abs(v) < 1e15 else repr(v)
    if isinstance(v, pd.Timestamp):
        return v.isoformat(sep=" ") if (v.hour or v.minute or v.second) else v.date().isoformat()
    return str(v)


def _table_cells(df: pd.DataFrame):
    """(head [(name, class)], rows [[(class, text)]], note on rows cut) of a table as the report shows it."""
    numeric = {c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])}
    head = [(str(c), "" if c in numeric else "t") for c in df.columns]
    rows = []
    for row in df.head(MAX_TABLE_ROWS).itertuples(index=False, name=None):
        rows.append(
            [
                ("hidden" if isinstance(v, str) and _is_marker(v) else ("" if c in numeric else "t"), _fmt(v))
                for c, v in zip(df.columns, row)
            ]
        )
    more = (
        (
            f'<p class="meta">{len(df) - MAX_TABLE_ROWS:,} more rows not shown (the replay script checks all '
            f"{len(df):,}).</p>"
        )
        if len(df) > MAX_TABLE_ROWS
        else ""
    )
    return head, rows, more


def _table_html(df: pd.DataFrame, keys: Sequence[str] = (), layout=None) -> str:
    head, rows, more = _table_cells(df)
    if layout is not None:
        from workbench.report_print import table_html

        return table_html(head, rows, keys, layout) + more
    th = "".join(f'<th class="{cls}">{_esc(name)}</th>' for name, cls in head)
    body = "".join("<tr>" + "".join(f'<td class="{cls}">{_esc(text)}</td>' for cls, text in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>{more}"


def _is_marker(v: str) -> bool:
    from workbench.privacy import COMPLEMENTARY_MARKER

    return v == COMPLEMENTARY_MARKER or (v.startswith("<") and v[1:].isdigit())


def render_html(
    report: EvidenceReport, *, replay_name: str | None = None, generated_at: str | None = None, layout=None
) -> str:
    """The report as one self-contained HTML document (no scripts, no external resources).

    ``layout`` (a :class:`workbench.report_print.PrintLayout`) gives the print version the PDF is made
    from: the same text and cells, with wide tables split into stacked parts, long narrow ones flowed into
    side-by-side blocks, and each section on a new page.
    """
    prepared = _prepare(report)
    if layout is not None:
        from workbench.report_print import PRINT_CSS
    css = _CSS if layout is None else PRINT_CSS
    h2_page = "" if layout is None else ' class="page"'
    prov = report.provenance
    when = generated_at or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="generator" content="Workbench ' + _esc(prov.app_version) + '">',
        f"<title>{_esc(report.title)}</title><style>{css}</style></head><body>",
        f"<h1>{_esc(report.title)}</h1>",
        f'<p class="meta">Workspace <b>{_esc(prov.workspace)}</b> · generated {_esc(when)} by '
        f"{_esc(prov.user)} with Workbench {_esc(prov.app_version)}"
        + (f" · audit key <code>{_esc(short_fingerprint(prov.audit_key))}</code>" if prov.audit_key else "")
        + "</p>",
    ]
    # Suppression statement up front: a reader must know before reading any number.
    statements = [x for p in prepared for x in p.statements]
    if report.k is None:
        supp = "Small-cell suppression was <b>not</b> applied to this report."
    else:
        hidden = sum(p.hidden_count for p in prepared)
        supp = (
            f"Small-cell suppression was applied with k = {report.k}: values of groups with fewer than "
            f'{report.k} units are shown as "&lt;{report.k}", and further cells are shown as "suppressed" '
            f"where totals or differences could reveal them ({hidden} cell{'s' if hidden != 1 else ''} "
            "hidden in this report). This covers every table: views, anomaly incidents and root-cause "
            "segments, experiment arms and segments."
        )
        bounds = sorted({p.section.perturbation_bound for p in prepared if p.section.perturbation_bound})
        if bounds:
            supp += (
                f" Count tables follow the workspace's cell-key policy instead: each count is perturbed by at "
                f"most {bounds[-1]} (the same cell always by the same amount), perturbed counts below "
                f'{report.k} are shown as "&lt;{report.k}", and the replay checks them within that bound.'
            )
    # QTextDocument (the PDF) draws no background or border around a div: a one-cell table instead.
    parts.append(
        f'<div class="box">{supp}</div>'
        if layout is None
        else f'<table class="box" width="100%" cellspacing="0"><tr><td>{supp}</td></tr></table>'
    )
    parts.append(
        "<h2>Contents</h2><ol>"
        + "".join(f'<li><a href="#s{i}">{_esc(p.section.title)}</a></li>' for i, p in enumerate(prepared, 1))
        + '<li><a href="#fingerprints">Data fingerprints</a></li><li><a href="#audit">Audit checkpoint</a></li>'
        '<li><a href="#sql">SQL appendix</a></li>'
        '<li><a href="#notes">Analyst\'s notes</a></li></ol>'
    )
    for i, p in enumerate(prepared, 1):
        s = p.section
        parts.append(f'<h2 id="s{i}"{h2_page}>{i}. {_esc(s.title)}</h2>')
        parts.append(_paragraphs(s.text))
        if s.image_png:
            data = base64.b64encode(s.image_png).decode("ascii")
            parts.append(f'<p><img alt="{_esc(s.title)}" src="data:image/png;base64,{data}"></p>')
        if p.shown is not None and s.show_table:
            parts.append(_table_html(p.shown, _default_keys(s, s.data), layout))
        if p.statement:
            parts.append(f'<p class="meta">{_esc(p.statement)}</p>')
        for t in p.tables:
            if not t.table.show:
                continue
            parts.append(f"<h3>{_esc(t.table.caption)}</h3>")
            if t.table.note:
                parts.append(f'<p class="meta">{_esc(t.table.note)}</p>')
            parts.append(
                _table_html(
                    t.shown,
                    list(t.table.keys) if t.table.keys else _default_keys(ReportSection(""), t.table.data),
                    layout,
                )
            )
            if t.statement:
                parts.append(f'<p class="meta">{_esc(t.statement)}</p>')
        if s.method_notes:
            parts.append(
                '<h3>Method</h3><dl class="notes">'
                + "".join(f"<dt>{_esc(k)}</dt><dd>{_esc(v)}</dd>" for k, v in s.method_notes.items())
                + "</dl>"
            )
        if s.sql:
            parts.append(f'<p class="meta">SQL: see <a href="#sql{i}">appendix {i}</a>.</p>')
        if s.recipe:
            parts.append('<p class="meta">Reproducible: the replay script recomputes these numbers.</p>')
    parts.append(f'<h2 id="fingerprints"{h2_page}>Data fingerprints</h2>')
    parts.append(
        "<p>The numbers above were computed from these extracts. Check a copy with "
        "<code>sha256sum FILE</code> or <code>workbench fingerprint FILE</code>.</p>"
    )
    rows = []
    for src in prov.sources:
        for f in src.get("files", []) or [{"file": "", "size": None, "sha256": src.get("sha256")}]:
            rows.append(
                f'<tr><td class="t">{_esc(src["name"])}</td><td class="t">{_esc(f.get("file"))}</td>'
                f"<td>{_esc(_fmt(src.get('row_count')))}</td><td>{_esc(_fmt(f.get('size')))}</td>"
                f'<td class="t"><code>{_esc(f.get("sha256"))}</code></td></tr>'
            )
    if layout is None:
        parts.append(
            '<table><thead><tr><th class="t">source</th><th class="t">file</th><th>rows</th>'
            '<th>bytes</th><th class="t">SHA-256</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table>"
        )
    else:
        from workbench.report_print import table_html

        cells = [
            [
                ("t", str(src["name"])),
                ("t", str(f.get("file") or "")),
                ("", _fmt(src.get("row_count"))),
                ("", _fmt(f.get("size"))),
                ("t", str(f.get("sha256") or "")),
            ]
            for src in prov.sources
            for f in src.get("files", []) or [{"sha256": src.get("sha256")}]
        ]
        parts.append(
            table_html(
                [("source", "t"), ("file", "t"), ("rows", ""), ("bytes", ""), ("SHA-256", "t")],
                cells,
                ["source", "file"],
                layout,
            )
        )
    if replay_name:
        parts.append(
            f"<p>To recompute every number: <code>python {_esc(replay_name)} --data-dir FOLDER</code> "
            "(needs the <code>workbench</code> package; it verifies the fingerprints first).</p>"
        )
    from workbench.audit_embed import checkpoint_html

    parts.append(checkpoint_html(prov.audit_checkpoint))
    parts.append('<h2 id="sql">SQL appendix</h2>')
    any_sql = False
    for i, p in enumerate(prepared, 1):
        if p.section.sql:
            any_sql = True
            parts.append(f'<h3 id="sql{i}">{i}. {_esc(p.section.title)}</h3><pre>{_esc(p.section.sql)}</pre>')
    if not any_sql:
        parts.append('<p class="meta">No SQL recorded.</p>')
    parts.append('<h2 id="notes">Analyst\'s notes</h2>')
    parts.append(_paragraphs(report.analyst_notes) or '<p class="meta">None.</p>')
    if prov.description:
        parts.append("<h3>Context</h3><pre>" + _esc(json.dumps(prov.description, indent=2, default=str)) + "</pre>")
    parts.append(
        f'<hr><p class="meta">Workbench {_esc(prov.app_version)} · {_esc(when)} · '
        f"{'; '.join(_esc(s) for s in statements) or 'no cells suppressed'}</p></body></html>"
    )
    return "\n".join(parts)


# --- replay ----------------------------------------------------------------------------------------------


def compute_recipe(con, recipe: Mapping) -> pd.DataFrame | dict[str, pd.DataFrame]:
    """Recompute a section's data from its recipe on a connection whose catalog has the sources open.

    The recipe is an analysis of :mod:`workbench.analysis` (the same ``run`` the screen used): "metric" and
    "sql" give one frame; "anomaly" and "experiment" give {part: frame} for the section's tables.

    Raises
    ------
    SpecError for an unknown recipe kind.
    """
    analysis = Analysis.from_dict(recipe)
    result = analysis.run(con.cursor())
    return dict(result.tables) if analysis.multi_table else result.table()


def _default_keys(section: ReportSection, df: pd.DataFrame) -> list[str]:
    if section.keys:
        return list(section.keys)
    if section.recipe and section.recipe.get("kind") == "metric":
        return [c for c in ("bucket", "series") if c in df.columns]
    return [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])]


def _plain(v: Any) -> Any:
    """A JSON value that compares the same after recomputation (timestamps as ISO text)."""
    if v is None:
        return None
    if isinstance(v, (pd.Timestamp, dt.datetime, dt.date)):
        return pd.Timestamp(v).isoformat()
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if type(v).__name__ == "Decimal":
        v = float(v)
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None if math.isnan(v) else str(v)
    return v


def _payload_item(
    index: int,
    title: str,
    recipe: dict,
    part: str | None,
    data: pd.DataFrame,
    keys: list[str],
    hidden: list[bool],
    analysis: bool,
) -> dict:
    values = [c for c in data.columns if c not in keys]
    rows = []
    for is_hidden, (_, row) in zip(hidden, data.iterrows()):
        entry: dict[str, Any] = {"key": [_plain(row[k]) for k in keys]}
        # A hidden row keeps its key (so the count of rows is checked) but not its numbers.
        entry["values"] = None if is_hidden else [_plain(row[c]) for c in values]
        rows.append(entry)
    item = {
        "section": index,
        "title": title,
        "recipe": recipe,
        "part": part,
        "keys": keys,
        "columns": values,
        "rows": rows,
    }
    if analysis:
        item.update(rtol=ANALYSIS_RTOL, atol=ANALYSIS_ATOL)
    return item


def replay_payload(report: EvidenceReport) -> dict:
    """The data the replay script embeds: file fingerprints and, per section table, the numbers shown."""
    items = []
    for i, p in enumerate(_prepare(report), 1):
        s = p.section
        if not s.recipe:
            continue
        analysis = s.recipe.get("kind") in ("anomaly", "experiment", "impact")
        if s.data is not None:
            items.append(
                _payload_item(i, s.title, s.recipe, None, s.data, _default_keys(s, s.data), p.hidden, analysis)
            )
            if s.perturbation_bound:  # the replay recomputes true counts: shown = true + p, |p| <= D
                items[-1].update(rtol=0.0, atol=float(s.perturbation_bound))
        for t in p.tables:
            if t.table.part is None:
                continue
            keys = list(t.table.keys) if t.table.keys else _default_keys(ReportSection(""), t.table.data)
            items.append(
                _payload_item(
                    i, f"{s.title} — {t.table.caption}", s.recipe, t.table.part, t.table.data, keys, t.hidden, analysis
                )
            )
    return {
        "title": report.title,
        "workspace": report.provenance.workspace,
        "app_version": report.provenance.app_version,
        "files": report.source_files,
        "items": items,
        "rtol": RTOL,
        "audit_checkpoint": report.provenance.audit_checkpoint,
    }


_REPLAY_TEMPLATE = '''#!/usr/bin/env python3
"""Replay of the Workbench evidence report {title!r}.

Verifies the SHA-256 fingerprint of every extract, then recomputes each section's numbers with the
`workbench` package and compares them with the numbers shown in the report. Exit code 0: every number
reproduced; 1: a fingerprint or a number differs; 2: the extracts or the workbench package are missing.

Usage:  python {script_name} [--data-dir FOLDER]
        (FOLDER holds the extract files; by default the paths recorded at generation time, then this
        script's folder, are tried.)
"""
import argparse
import json
import math
import sys
from pathlib import Path

PAYLOAD = json.loads({payload!r})


def locate(entry, data_dir):
    name = Path(entry["path"]).name
    candidates = ([Path(data_dir) / name] if data_dir else []) + [Path(entry["path"]), Path(__file__).resolve().parent / name]
    for c in candidates:
        if c.is_file():
            return c
    return None


def same(expected, actual, rtol, atol=None):
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        try:
            actual = float(actual)
        except (TypeError, ValueError):
            return False
        return math.isclose(float(expected), actual, rel_tol=rtol, abs_tol=rtol if atol is None else atol)
    return str(expected) == str(actual)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="folder holding the extract files")
    args = parser.parse_args(argv)
    try:
        from workbench.catalog import Catalog
        from workbench.engine import connect
        from workbench.fingerprint import sha256_file
        from workbench.report import compute_recipe, replay_value
    except ImportError as exc:
        print(f"replay: the workbench package is needed ({{exc}})", file=sys.stderr)
        return 2

    print(f"Replaying: {{PAYLOAD['title']}} (workspace {{PAYLOAD['workspace']}}, Workbench {{PAYLOAD['app_version']}})")
    failures, sources = 0, {{}}
    for entry in PAYLOAD["files"]:
        path = locate(entry, args.data_dir)
        if path is None:
            print(f"MISSING   {{Path(entry['path']).name}}: not found (use --data-dir)")
            return 2
        digest = sha256_file(path)
        status = "OK" if digest == entry["sha256"] else "MISMATCH"
        print(f"{{status:9}} {{path.name}}  sha256 {{digest}}")
        if status != "OK":
            failures += 1
        sources.setdefault(entry["source"], []).append(str(path))
    if failures:
        print(f"FAILED: {{failures}} extract(s) differ from the ones the report was computed on")
        return 1

    con = connect()
    catalog = Catalog(con)
    for name, paths in sources.items():
        catalog.open(paths if len(paths) > 1 else paths[0], name=name)

    checked, results = 0, {{}}
    for item in PAYLOAD["items"]:
        if item["section"] not in results:  # one computation per section, however many tables it shows
            results[item["section"]] = compute_recipe(con, item["recipe"])
        frame = results[item["section"]]
        if item.get("part"):
            frame = frame[item["part"]]
        rtol, atol = item.get("rtol", PAYLOAD["rtol"]), item.get("atol")
        actual = {{}}
        for _, row in frame.iterrows():
            key = json.dumps([replay_value(row[k]) for k in item["keys"]])
            actual[key] = [replay_value(row[c]) if c in frame.columns else None for c in item["columns"]]
        bad = 0
        if len(actual) != len(item["rows"]):
            print(f"  section {{item['section']}}: {{len(actual)}} rows recomputed, {{len(item['rows'])}} in the report")
            bad += 1
        for row in item["rows"]:
            key = json.dumps(row["key"])
            if key not in actual:
                print(f"  section {{item['section']}}: row {{row['key']}} not recomputed")
                bad += 1
                continue
            if row["values"] is None:
                continue  # hidden by small-cell suppression in the report: nothing shown to check
            for col, exp, act in zip(item["columns"], row["values"], actual[key]):
                checked += 1
                if not same(exp, act, rtol, atol):
                    print(f"  section {{item['section']}} {{row['key']}} {{col}}: report {{exp!r}}, recomputed {{act!r}}")
                    bad += 1
        print(f"{{'OK' if not bad else 'DIFFERS':9}} section {{item['section']}}: {{item['title']}}"
              + (f" (relative tolerance {{rtol:g}})" if rtol != PAYLOAD["rtol"] else ""))
        failures += bad
    if failures:
        print(f"FAILED: {{failures}} difference(s)")
        return 1
    print(f"All {{checked}} numbers in {{len({{i['section'] for i in PAYLOAD['items']}})}} section(s) reproduced "
          "from verified extracts.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
'''


def replay_value(v: Any) -> Any:
    """How the replay script normalises a recomputed value before comparing (same as the report side)."""
    return _plain(v)


def replay_script(report: EvidenceReport, script_name: str = "replay.py") -> str:
    """The Python source of the replay script for ``report``."""
    payload = json.dumps(replay_payload(report), ensure_ascii=False, default=str, allow_nan=False)
    return _REPLAY_TEMPLATE.format(title=report.title, script_name=script_name, payload=payload)


def write_report(report: EvidenceReport, path: str | os.PathLike, *, replay: bool = True, audit=None) -> ReportResult:
    """Write the HTML report (and ``<stem>.replay.py`` beside it) atomically; log ``report_written``.

    Raises
    ------
    ReportError when the folder does not exist or the file cannot be written.
    """
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        target = target.with_name(target.name + ".html")
    if not target.parent.is_dir():
        raise ReportError(f"Cannot write {target}: the folder does not exist")
    replay_path = target.with_name(target.stem + ".replay.py") if replay else None
    # The report is evidence: its data must be the bytes the workspace fingerprinted, not a file swapped since.
    source_identity.check_fingerprints(
        [(cast(str, f.get("path")), f.get("sha256")) for f in report.source_files], target.name
    )
    if audit is not None:
        # The HTML, the replay script and a PDF made from this report all carry this signed checkpoint.
        report.provenance = report.provenance.with_checkpoint(audit)
    prepared = _prepare(report)
    hidden = sum(p.hidden_count for p in prepared)
    try:
        page = render_html(report, replay_name=replay_path.name if replay_path else None).encode("utf-8")
        atomic_write(target, lambda tmp: tmp.write_bytes(page))
        replay_sha = None
        if replay_path is not None:
            script = replay_script(report, replay_path.name).encode("utf-8")
            atomic_write(replay_path, lambda tmp: tmp.write_bytes(script))
            replay_sha = sha256_file(replay_path)
    except OSError as exc:
        raise ReportError(f"Could not write {target.name}: {exc.strerror or exc}") from exc
    digest = sha256_file(target)
    if audit is not None:
        audit.append(
            "report_written",
            path=str(target),
            sha256=digest,
            replay_path=str(replay_path) if replay_path else None,
            replay_sha256=replay_sha,
            sections=[s.title for s in report.sections],
            suppression_k=report.k,
            suppressed_cells=hidden,
            sources={s["name"]: s["sha256"] for s in report.provenance.sources},
        )
    return ReportResult(target, digest, replay_path, replay_sha, hidden)
