"""Protection of root-cause output: each ranked segment (and the window's total) is a cell.

One DuckDB scan counts the rows of the window in every segment shown (``count(*) FILTER (WHERE ...)`` per
segment); segments with 1..k-1 rows have their values hidden, whatever the measure, so an explanation
cannot single out a small group ("country=IS & platform=web: 1 report").
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING

from workbench import sql
from workbench.protection.apply import hidden_marker

if TYPE_CHECKING:
    from workbench.backend import Cursor

_VALUE_FIELDS = (
    "actual",
    "expected",
    "impact",
    "impact_low",
    "impact_high",
    "change_pct",
    "rate_component",
    "mix_component",
    "affected",
)


def segment_counts_query(table: str, t_expr: str, where: list[str], window, segments: list[dict]) -> str:
    """Rows in the window overall (``n_all``) and in each segment (``n0``, ``n1``, ...)."""
    parts = ["count(*) AS n_all"]
    for i, element in enumerate(segments):
        conds = [f"{sql.series_label(d)} = {sql.literal(str(v))}" for d, v in element.items()] or ["TRUE"]
        parts.append(f"count(*) FILTER (WHERE {' AND '.join(conds)}) AS n{i}")
    conditions = list(where) + [f"{t_expr} >= {sql.literal(window[0])}", f"{t_expr} < {sql.literal(window[1])}"]
    return f"SELECT {', '.join(parts)} FROM {sql.ident(table)} WHERE " + " AND ".join(f"({c})" for c in conditions)


def protect_root_cause(con: Cursor, spec, rc, policy):
    """``rc`` with the values of small segments hidden; returns (root cause, hidden labels, statement)."""
    if not policy.active:
        return rc, set(), policy.statement()
    from workbench.metrics import resolve

    r = resolve(con, spec)
    segments = {s.label: s for s in list(rc.culprits) + list(rc.ranked)}
    elements = [s.element for s in segments.values()]
    row = con.execute(segment_counts_query(spec.table, r.t_expr, r.where, rc.window, elements)).fetchone()
    counts = dict(zip(segments, row[1:]))
    hidden = {label for label, n in counts.items() if 0 < n < policy.k}
    if 0 < row[0] < policy.k:
        hidden.add("(all)")

    def hide(seg):
        return (
            replace(seg, **{f: math.nan for f in _VALUE_FIELDS if getattr(seg, f) is not None})
            if seg.label in hidden
            else seg
        )

    out = replace(rc, culprits=[hide(s) for s in rc.culprits], ranked=[hide(s) for s in rc.ranked])
    if "(all)" in hidden:
        out = replace(
            out, actual=math.nan, expected=math.nan, impact=math.nan, impact_low=math.nan, impact_high=math.nan
        )
    if any(c.label in hidden for c in rc.culprits) or "(all)" in hidden:
        # The verdict quotes the culprit's numbers: say only what may be said.
        out = replace(
            out,
            verdict=f"the change is explained by segments of fewer than k = {policy.k} rows; their values are hidden",
        )
    n = len(hidden)
    statement = (
        f"{policy.statement()} {n} segment{'s' if n != 1 else ''} of fewer than k = {policy.k} rows "
        f'hidden ("{hidden_marker(policy.k)}").'
    )
    return out, hidden, statement
