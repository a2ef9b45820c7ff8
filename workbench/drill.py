"""Drill to rows: the query that returns the rows behind one point of a metric view.

A chart point, a leaderboard row or a grid cell stands for the rows of one bucket and/or one segment under
the view's filters. The query selects exactly those rows (``SELECT *``, ordered by time), so it runs where
any read-only query runs (the SQL console, with its masking, row cap and audit entry).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workbench import sql
from workbench.metrics import MetricSpec, bucket_end, resolve

OTHER = "Other"  # the series that groups every value outside the top-N


@dataclass(frozen=True)
class DrillTarget:
    """Which rows: a bucket (its start) and/or a segment (``column`` = ``value``, as the series label shows
    it). ``others`` lists the series shown beside an "Other" series, which stands for every other value."""

    bucket: dt.datetime | None = None
    column: str | None = None
    value: str | None = None
    others: tuple[str, ...] = ()

    def describe(self, grain: str) -> str:
        parts = []
        if self.column is not None:
            parts.append(f"{self.column} = {self.value}" if self.value != OTHER else f"{self.column}: other values")
        if self.bucket is not None:
            parts.append(f"{grain} of {self.bucket:%Y-%m-%d %H:%M}")
        return ", ".join(parts) or "the whole range"


def rows_query(cur, spec: MetricSpec, target: DrillTarget, start: dt.datetime | None, end: dt.datetime | None) -> str:
    """``SELECT *`` of the rows behind ``target`` under ``spec``'s filters, within [start, end).

    ``start``/``end`` are the result's range (a relative range already resolved); a bucket narrows it.
    """
    r = resolve(cur, spec)
    conditions = list(r.where)
    lo, hi = start, end
    if target.bucket is not None:
        lo = max(target.bucket, start) if start else target.bucket
        b_end = bucket_end(target.bucket, spec.grain)
        hi = min(b_end, end) if end else b_end
    if lo is not None:
        conditions.append(f"{r.t_expr} >= {sql.literal(lo)}")
    if hi is not None:
        conditions.append(f"{r.t_expr} < {sql.literal(hi)}")
    if target.column is not None:
        label = sql.series_label(target.column)
        if target.value == OTHER and target.others:
            conditions.append(f"{label} NOT IN ({', '.join(sql.literal(v) for v in target.others)})")
        else:
            conditions.append(f"{label} = {sql.literal(target.value)}")
    where = "\nWHERE " + "\n  AND ".join(f"({c})" for c in conditions) if conditions else ""
    comment = f"-- rows behind {target.describe(spec.grain)}"
    return f"{comment}\nSELECT *\nFROM {sql.ident(spec.table)}{where}\nORDER BY {r.t_expr}"
