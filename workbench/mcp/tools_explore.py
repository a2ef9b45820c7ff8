"""Agent tools over the exploration analyses: sources, column profiles, metric series, leaderboards, SQL.

Each handler takes the :class:`~workbench.mcp.session.AgentSession` and the validated arguments, runs the
analysis recipe the Explorer and ``workbench metric`` / ``profile`` run, applies the same protection, and
returns a :class:`~workbench.mcp.guards.Released`.
"""

from __future__ import annotations

from typing import Any, cast

from workbench.mcp.guards import Released, check_row_cap, json_value, protected_sql, records, release_of


def list_sources(session, args: dict) -> Released:
    tables = []
    cur = session.cursor()
    try:
        for source in session.catalog.sources:
            masked = session.masked(source.name)
            tables.append(
                {
                    "table": source.name,
                    "kind": source.kind,
                    "location": source.location,
                    "files": len(source.files),
                    "row_count": session.catalog.count_rows(source.name, cursor=cur),
                    "columns": [
                        {
                            "name": c.name,
                            "type": c.type,
                            "nullable": c.nullable,
                            **({"masked": masked[c.name]} if c.name in masked else {}),
                        }
                        for c in source.columns
                    ],
                }
            )
    finally:
        cur.close()
    doc = {
        "tables": tables,
        "protection": session.policy.statement(),
        "row_cap": session.row_cap,
        "read_only_metrics": session.read_only_metrics,
    }
    return Released(doc, len(tables), protection=session.policy.statement())


def metric_spec(session, args: dict, *, grain_default: str = "day"):
    """A MetricSpec from tool arguments (the same fields as ``workbench metric``)."""
    from workbench.metrics import Filter, Measure, MetricSpec

    source = session.source(args.get("table"))
    return MetricSpec(
        table=source.name,
        measure=Measure.parse(args.get("measure") or "count(*)"),
        time_column=args.get("time_column"),
        grain=args.get("grain") or grain_default,
        filters=tuple(Filter.parse(t) for t in args.get("filters") or ()),
        breakdown=args.get("by"),
        top_n=int(args.get("top") or 10),
        start=args.get("start"),
        end=args.get("end"),
        compare=bool(args.get("compare")),
    )


def metric_series(session, args: dict) -> Released:
    return _series(session, metric_spec(session, args))


def _series(session, spec) -> Released:
    from workbench.analysis.metric import MetricView
    from workbench.protection.apply import protect_metric

    cur = session.cursor()
    try:
        result = MetricView(spec).run(cur).value  # the Explorer's analysis, as `workbench metric` runs it
        protected = protect_metric(cur, result, session.policy, pii_columns=session.personal(spec.table))
    finally:
        cur.close()
    frame = protected.frame
    if not spec.compare and "comparison_value" in frame:
        frame = frame.drop(columns=["comparison_value"])
    check_row_cap(
        session,
        len(frame),
        "a coarser grain (e.g. day or week instead of hour), a shorter start/end "
        "range, or fewer series (a smaller 'top', or no 'by')",
    )
    doc = {
        "table": spec.table,
        "measure": spec.measure.label,
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


def leaderboard(session, args: dict) -> Released:
    from workbench.analysis.metric import LeaderboardView

    spec = metric_spec(session, {**args, "by": None})
    dimension = args["dimension"]
    session.source(spec.table).column(dimension)
    cur = session.cursor()
    try:
        board = LeaderboardView(spec, dimension, int(args.get("limit") or 20)).run(cur).value
    finally:
        cur.close()
    frame, hidden, statement = _protect_leaderboard(session, board.frame)
    check_row_cap(session, len(frame), "a smaller limit")
    doc = {
        "table": spec.table,
        "measure": spec.measure.label,
        "dimension": dimension,
        "filters": [f.label for f in spec.filters],
        "rows": records(frame),
        "row_count": len(frame),
        "protection": statement,
        "sql": board.sql,
    }
    return Released(doc, len(frame), hidden, 0, statement, [board.sql] if board.sql else [])


def _protect_leaderboard(session, frame):
    """Each value's row count is its cell: values with fewer than k rows (and the complementary cells that
    would give them away) are hidden with their measure, share and change."""
    from workbench.privacy import suppress

    policy = session.policy
    if not policy.active or frame.empty or "rows" not in frame:
        return frame, 0, policy.statement()
    values = [c for c in frame.columns if c not in ("dimension_value", "rows")]
    res = suppress(frame, "rows", policy.k, dims=["dimension_value"], value_columns=values)
    hidden = int(res.suppressed.sum())
    note = f"; {hidden} value(s) hidden" if hidden else ""
    return res.frame, hidden, f"{policy.statement().rstrip('.')} (rows per value compared with k){note}."


def profile_column(session, args: dict) -> Released:
    from workbench.analysis.profile import ColumnProfileView
    from workbench.protection.profile_cells import protect_profile

    source = session.source(args.get("table"))
    column = args["column"]
    source.column(column)
    cur = session.cursor()
    try:
        profile = (
            ColumnProfileView(source.name, column, top_k=int(args.get("top_k") or 10), bins=int(args.get("bins") or 20))
            .run(cur)
            .value
        )
        # the same ColumnProfile back, with hidden counts as "<k" (typed as object there)
        profile, protected = cast(
            Any, protect_profile(cur, profile, session.policy, pii_columns=session.personal(source.name))
        )
    finally:
        cur.close()
    doc = json_value(profile.to_dict())
    masked = session.masked(source.name)
    if column in masked:
        doc["masked"] = masked[column]
    statement = protected.statement if protected is not None else session.policy.statement()
    doc["protection"] = statement
    rows = len(profile.top_values) + len(profile.histogram) + 1
    return Released(
        doc,
        rows,
        protected.hidden if protected else 0,
        protected.perturbed if protected else 0,
        statement,
        list(profile.sql),
        release_of(source, {"command": "profile", "measure": f"top values of {column}"}, protected),
    )


def run_sql(session, args: dict) -> Released:
    return protected_sql(session, args["query"])
