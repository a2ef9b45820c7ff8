"""Defined metrics and dashboards for an agent: the metrics file (``--metrics FILE.yml``, the metrics layer)
and the workspace's saved views, listed by name, computed by name, and boards rendered as the command line's
``dashboard render --format json`` does — with the board's own small-cell rule applied to the document.

``--read-only-metrics`` offers only these tools, so an agent can read the numbers a team agreed on and
nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.metrics import MetricSpec
from workbench.mcp.guards import Released, ToolRefused, check_row_cap, json_value, records, release_of


@dataclass(frozen=True)
class DefinedMetric:
    """One metric an agent may ask for by name: its Explorer spec (table resolved) and how it is shown."""

    name: str
    origin: str  # "metrics file" or "saved view"
    spec: MetricSpec  # the table resolved
    description: str = ""
    label: str = ""
    scale: float = 1.0
    format: str = "number"
    good: str = ""


def defined_metrics(session) -> dict[str, DefinedMetric]:
    """The metrics file's metrics (their sources opened as tables when needed), then the workspace's saved
    views (a view named like a file metric is listed as "NAME (saved view)")."""
    found: dict[str, DefinedMetric] = {}
    mf = session.metrics_file
    if mf is not None:
        from workbench.metrics_layer.sources import SourceTables, metric_spec

        tables = SourceTables(session.catalog, session.metrics_dir)
        for m in mf.metrics.values():
            spec = metric_spec(m, tables.table_for(m))
            found[m.name] = DefinedMetric(
                m.name, "metrics file", spec, m.description, m.label, m.scale, m.format, m.good
            )
    ws = session.workspace
    for view in ws.views if ws is not None else []:
        try:
            spec = MetricSpec.from_dict(view.spec)
        except Exception:  # a view this version cannot read is not offered (the app reports it on open)
            continue
        name = view.name if view.name not in found else f"{view.name} (saved view)"
        found[name] = DefinedMetric(name, "saved view", spec, view.description)
    return found


def list_metrics(session, args: dict) -> Released:
    items = []
    for d in defined_metrics(session).values():
        spec = d.spec
        items.append(
            {
                "metric": d.name,
                "origin": d.origin,
                "label": d.label or None,
                "description": d.description,
                "table": spec.table,
                "measure": spec.measure.label,
                "grain": spec.grain,
                "by": spec.breakdown,
                "filters": [f.label for f in spec.filters],
                "scale": d.scale,
                "format": d.format,
                "good": d.good or None,
            }
        )
    boards = []
    if session.metrics_file is not None:
        boards = [{"dashboard": b.name, "tiles": len(b.tiles)} for b in session.metrics_file.dashboards]
    doc = {"metrics": items, "dashboards": boards, "protection": session.policy.statement()}
    return Released(doc, len(items), protection=session.policy.statement())


def defined_metric_series(session, args: dict) -> Released:
    from workbench.analysis.metric import MetricView
    from workbench.protection.apply import protect_metric

    metrics = defined_metrics(session)
    name = args.get("metric")
    if name not in metrics:
        raise ToolRefused(
            f"No defined metric named {name!r} (defined: {', '.join(metrics) or 'none'}); call list_metrics"
        )
    d = metrics[name]
    changes = {k: args[k] for k in ("grain", "start", "end") if args.get(k)}
    spec = d.spec.replace(**changes) if changes else d.spec
    cur = session.cursor()
    try:
        result = MetricView(spec).run(cur).value  # as the Explorer and `workbench metric` compute it
        protected = protect_metric(cur, result, session.policy, pii_columns=session.personal(spec.table))
    finally:
        cur.close()
    frame = protected.frame.drop(columns=[c for c in ("comparison_value",) if c in protected.frame])
    if d.scale != 1:  # the metric's units, as its dashboards show it (hidden cells stay "<k")
        frame = frame.copy()
        frame["value"] = [v * d.scale if isinstance(v, (int, float)) else v for v in frame["value"]]
    check_row_cap(session, len(frame), "a coarser grain or a shorter start/end range")
    doc = {
        "metric": name,
        "origin": d.origin,
        "table": spec.table,
        "measure": spec.measure.label,
        "scale": d.scale,
        "grain": spec.grain,
        "by": spec.breakdown,
        "filters": [f.label for f in spec.filters],
        "start": json_value(result.start),
        "end": json_value(result.end),
        "rows": records(frame),
        "row_count": len(frame),
        "protection": protected.statement,
        "sql": result.sql,
    }
    description = {
        "command": "metric",
        "measure": spec.measure.label,
        "grain": spec.grain,
        "breakdown": spec.breakdown,
        "filters": [f.label for f in spec.filters],
        "start": str(result.start),
        "end": str(result.end),
    }
    release = release_of(session.source(spec.table), description, protected)
    return Released(doc, len(frame), protected.hidden, protected.perturbed, protected.statement, [result.sql], release)


def render_dashboard(session, args: dict) -> Released:
    from workbench.dashboard.board import compute_board
    from workbench.metrics import Filter

    mf = session.metrics_file
    if mf is None:
        raise ToolRefused("No metrics file is open (start the server with --metrics FILE.yml)")
    board = mf.dashboard(args["dashboard"])
    filters = tuple(Filter.parse(f) for f in args.get("filters") or ())
    cur = session.cursor()
    try:
        result = compute_board(cur, session.catalog, mf, board, data_dir=session.metrics_dir, cross_filters=filters)
    finally:
        cur.close()
    doc = json_value(result.to_dict())
    hidden = withhold_small_cells(doc, session.policy.k) if session.policy.active else 0
    rows = sum(len(t.get("rows") or []) + len(t.get("series") or []) for t in doc["tiles"])
    check_row_cap(session, rows, "a board with fewer or coarser tiles, or cross-filters")
    statement = session.policy.statement()
    if session.policy.active:
        statement += (
            f" Leaderboard and pivot cells of fewer than k = {session.policy.k} rows withheld "
            f"({hidden}), as in the board's HTML/PDF export."
        )
    doc["protection"] = statement
    return Released(doc, rows, hidden, 0, statement, [s.sql for s in result.scans])


def withhold_small_cells(doc: dict, k: int) -> int:
    """Hide, in a computed board's JSON, the leaderboard rows and pivot cells computed from fewer than ``k``
    rows (the rule the board's HTML/PDF export applies); returns how many were hidden."""
    from workbench.privacy import primary_marker

    marker, hidden = primary_marker(k), 0
    for tile in doc.get("tiles") or []:
        if tile.get("type") == "leaderboard":
            for row in tile.get("rows") or []:
                n = row.get("rows")
                if isinstance(n, (int, float)) and n < k:
                    for field in ("value", "comparison_value", "change", "change_pct", "share", "rows"):
                        if field in row:
                            row[field] = marker
                    hidden += 1
        elif tile.get("type") == "pivot":
            counts = tile.get("cell_rows") or {}
            rows = tile.get("rows") or []
            key = next(iter(rows[0]), None) if rows else None
            for row in rows:
                for column in [c for c in row if c != key]:
                    cell = f"{row[key]}\u241f{column}"
                    n = counts.get(cell)
                    if isinstance(n, (int, float)) and n < k:
                        row[column] = marker
                        counts[cell] = marker
                        hidden += 1
            for cell, n in counts.items():  # margins too: a count below k is not released
                if isinstance(n, (int, float)) and n < k:
                    counts[cell] = marker
    return hidden
