"""The guards every agent tool call passes: the row cap, the protection policy, and the audit entry.

* Row cap: a result of more than ``session.row_cap`` rows is refused with a message that says which
  aggregate to ask for instead; free SQL is fetched with ``LIMIT cap + 1`` so a huge result is never read.
* Protection: the same functions the command line applies (``workbench.protection``): suppression or
  cell-key perturbation of every released cell, personal data masked in the views themselves.
* Audit: one ``agent_tool_call`` entry per call (also for refused and failed calls) with the tool, its
  arguments, the rows returned and the protection applied. A result is released only after its entry is
  written: if the log cannot be written, the call fails.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import pandas as pd

from workbench.errors import QueryError, WorkbenchError

AUDIT_ACTION = "agent_tool_call"
AUDIT_ORIGIN = "agent"


class RowCapExceeded(WorkbenchError):
    """A result larger than the agent's row cap."""


class ToolRefused(WorkbenchError):
    """A tool or argument this server does not allow (e.g. outside ``--read-only-metrics``)."""


@dataclass
class Released:
    """What one tool call hands back: the document for the agent and what the audit entry says about it."""

    doc: dict
    rows: int = 0
    hidden_cells: int = 0
    perturbed_cells: int = 0
    protection: str = ""
    sql: list[str] = field(default_factory=list)
    # The cells released, for the release log's differencing check: {"source", "description", "cells", "dims"}
    release: dict | None = None


def release_of(source, description: dict, protected) -> dict | None:
    """What the release log records for a protected table (None when no cell was released)."""
    if protected is None or not protected.cells:
        return None
    return {
        "source": "|".join(source.files),
        "description": description,
        "cells": protected.cells,
        "dims": protected.dims,
    }


def record_release(session, released: Released) -> list[str]:
    """Log the call's released cells and return the differencing warnings (also audited), as the CLI does."""
    if released.release is None or session.releases is None or not session.policy.active:
        return []
    r = released.release
    warnings = session.releases.record(
        source=r["source"],
        description=r["description"],
        cells=r["cells"],
        dims=r["dims"],
        k=session.policy.k,
        mode=session.policy.mode,
    )
    for warning in warnings:
        session.audit.append(
            "differencing_warning", command=r["description"].get("command"), message=warning, origin=AUDIT_ORIGIN
        )
    return warnings


def check_row_cap(session, n: int, suggestion: str) -> None:
    """Refuse ``n`` rows over the session's cap, saying what to ask for instead."""
    if n > session.row_cap:
        shown = f"more than {session.row_cap:,}" if n == session.row_cap + 1 else f"{n:,}"
        raise RowCapExceeded(
            f"The result has {shown} rows; an agent may receive at most {session.row_cap:,} rows "
            f"per call. Ask for an aggregate instead: {suggestion}"
        )


def json_value(v):
    """A cell as JSON: timestamps as ISO text, NaN as null, ±inf as "Infinity"/"-Infinity", numpy as Python."""
    if v is None:
        return None
    if isinstance(v, (pd.Timestamp, dt.datetime, dt.date)):
        return None if pd.isna(v) else v.isoformat()
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float):
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): json_value(x) for k, x in v.items()}
    if v is pd.NaT:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(v, (int, float, str, bool)):
        return v
    return str(v)


def records(frame: pd.DataFrame) -> list[dict]:
    """A frame as a list of JSON-safe row objects."""
    names = [str(c) for c in frame.columns]
    return [{n: json_value(v) for n, v in zip(names, row)} for row in frame.itertuples(index=False, name=None)]


def protected_series(session, cur, spec, grain: str):
    """The anomaly tools' input series with the policy applied (hidden cells become gaps), exactly as
    ``workbench anomalies`` computes it. Returns (frame, grain used, sql, ProtectedTable or None)."""
    from workbench.anomaly.series import choose_grain, fetch_series
    from workbench.errors import SpecError
    from workbench.metrics import metric_series
    from workbench.protection.apply import protect_metric

    if not session.policy.active:
        frame, grain, query = fetch_series(cur, spec, grain)
        return frame, grain, query, None
    if grain == "raw":
        raise SpecError(
            "grain 'raw' releases one value per timestamp, which the protection policy cannot "
            "protect; choose a grain (minute, hour, day, ...) or auto"
        )
    if grain in (None, "auto"):
        grain = choose_grain(cur, spec.replace(breakdown=None), allow_raw=False)
    result = metric_series(cur, spec.replace(grain=grain))
    protected = protect_metric(cur, result, session.policy, pii_columns=session.personal(spec.table))
    frame = protected.frame[["bucket", "series", "value"]].copy()
    frame["value"] = [float("nan") if isinstance(v, str) else v for v in frame["value"]]
    frame["value"] = frame["value"].astype(float)
    return frame, grain, result.sql, protected


def protected_sql(session, query: str) -> Released:
    """One read-only query through the same guards as ``workbench sql`` under a policy: writes refused,
    files unreachable while personal data is masked, an aggregate's cells protected, rows masked and capped.
    """
    from workbench.analysis.base import decimals_to_float
    from workbench.console_db import console_db_for
    from workbench.engine import run_query
    from workbench.protection.masked_views import check_reads_only_views, masked_anywhere
    from workbench.protection.policy import CELL_KEY
    from workbench.protection.query_cells import plan, protect_frame
    from workbench.readonly import check_read_only

    text = query.strip().rstrip(";").strip()
    check_read_only(text)
    catalog = session.catalog
    if masked_anywhere(catalog):
        check_reads_only_views(text, [s.name for s in catalog.sources])
    policy = session.policy
    statement = policy.statement()
    if policy.active:
        tables = {
            s.name: [c.name for c in s.columns if c.name not in session.personal(s.name)] for s in catalog.sources
        }
        planned = plan(text, tables, policy.cell_key.seed, cell_key=policy.mode == CELL_KEY)
        if planned.aggregate:
            console = console_db_for(session.con, catalog.sources)
            try:
                frame = run_query(session.track(console.cursor()), planned.sql).to_pandas()
            finally:
                console.close()
            check_row_cap(session, len(frame), "group by fewer or coarser columns, or filter with WHERE")
            protected = protect_frame(frame, planned, policy)
            return Released(
                {
                    "columns": [str(c) for c in protected.frame.columns],
                    "rows": records(protected.frame),
                    "row_count": len(protected.frame),
                    "protection": protected.statement,
                },
                len(protected.frame),
                protected.hidden,
                protected.perturbed,
                protected.statement,
                [text],
                _sql_release(catalog, text, protected),
            )
    # Rows, not cells: personal data is already masked in the views; fetch one row past the cap to know. As
    # SqlQuery runs it (the console's restricted database), with the cursor where the deadline can reach it.
    capped = f"SELECT * FROM (\n{text}\n) AS agent_rows LIMIT {session.row_cap + 1}"
    check_read_only(capped)
    console = console_db_for(session.con, catalog.sources)
    try:
        frame = decimals_to_float(run_query(session.track(console.cursor()), capped).to_pandas())
    except QueryError as exc:
        raise QueryError(str(exc).replace("agent_rows", "the query")) from exc
    finally:
        console.close()
    check_row_cap(session, len(frame), "GROUP BY a few columns with count(*) / sum(...) instead of listing rows")
    doc = {
        "columns": [str(c) for c in frame.columns],
        "rows": records(frame),
        "row_count": len(frame),
        "protection": statement
        + (" Row-level result: personal-data columns are masked; no cells to suppress." if policy.active else ""),
    }
    return Released(doc, len(frame), 0, 0, doc["protection"], [text])


def _sql_release(catalog, text: str, protected) -> dict | None:
    """The release of an aggregate query over one table (a protected aggregate reads exactly one)."""
    import sqlglot
    from sqlglot import exp

    try:
        read = {t.name.lower() for t in sqlglot.parse_one(text, read="duckdb").find_all(exp.Table)}
    except sqlglot.errors.ParseError:
        return None
    sources = [s for s in catalog.sources if s.name.lower() in read]
    if len(sources) != 1:
        return None
    return release_of(sources[0], {"command": "sql", "query": text}, protected)


def record_call(session, tool: str, arguments: dict, released: Released | None, error: str | None = None) -> None:
    """Append the call's audit entry (raises AuditError when the log cannot be written)."""
    details = {
        "origin": AUDIT_ORIGIN,
        "made_by": "agent",
        "tool": tool,
        "arguments": arguments,
        "policy": session.policy.statement(),
    }
    if released is not None:
        details.update(
            rows_returned=released.rows,
            hidden_cells=released.hidden_cells,
            perturbed_cells=released.perturbed_cells,
            protection=released.protection,
            suppression_applied=bool(released.hidden_cells or released.perturbed_cells),
        )
        if released.sql:
            details["sql"] = ";\n".join(released.sql)
    if error is not None:
        details.update(outcome="refused", error=error, rows_returned=0)
    else:
        details["outcome"] = "released"
    session.audit.append(AUDIT_ACTION, **details)
