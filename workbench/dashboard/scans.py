"""Shared scans: the tiles of a board grouped by (table, time column, filters), one query per group."""

from __future__ import annotations

from dataclasses import dataclass, field

from workbench.dashboard import scan_sql
from workbench.dashboard.scan_sql import BUCKET, MeasureSql
from workbench.dashboard.window import BoardWindow
from workbench.engine import run_query
from workbench.metrics import ResolvedMetric


@dataclass
class ScanPlan:
    """What one scan computes: measures, dimensions and grouping sets, over one table and filter set."""

    table: str
    t_expr: str
    where: tuple[str, ...]
    filter_labels: tuple[str, ...] = ()
    measures: list[MeasureSql] = field(default_factory=list)
    dims: list[str] = field(default_factory=list)
    sets: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def key(self) -> tuple:
        return (self.table, self.t_expr, self.where)

    def measure(self, resolved: ResolvedMetric) -> int:
        m = MeasureSql(resolved.spec.measure.agg, resolved.operand, resolved.denominator)
        if m not in self.measures:
            self.measures.append(m)
        return self.measures.index(m)

    def dim(self, column: str) -> str:
        if column not in self.dims:
            self.dims.append(column)
        return scan_sql.dim_column(self.dims.index(column))

    def dim_key(self, column: str) -> str:
        """The result column of a dimension this scan groups by (never adds one: the SQL is fixed)."""
        return scan_sql.dim_column(self.dims.index(column))

    def group(self, *keys: str) -> tuple[str, ...]:
        """Ask for a grouping set (BUCKET and/or dimension columns, by source name) and return its key."""
        gs = tuple(BUCKET if k == BUCKET else self.dim(k) for k in keys)
        if gs not in self.sets:
            self.sets.append(gs)
        return gs

    def sql(self, window: BoardWindow) -> str:
        return scan_sql.scan_query(
            table=self.table,
            t_expr=self.t_expr,
            where=self.where,
            grain=window.grain,
            window_start=window.window_start or window.start,
            start=window.start,
            end=window.end,
            cmp_start=window.cmp_start,
            cmp_end=window.cmp_end,
            measures=self.measures,
            dims=self.dims,
            grouping_sets=self.sets,
        )


@dataclass
class ScanResult:
    """The rows of one scan, by grouping set."""

    plan: ScanPlan
    sql: str
    rows: list[dict]
    seconds: float = 0.0

    def group_rows(self, grouped: tuple[str, ...]) -> list[dict]:
        keys = [BUCKET] + [scan_sql.dim_column(i) for i in range(len(self.plan.dims))]
        gid = scan_sql.grouping_id(keys, grouped)
        return [r for r in self.rows if r["__gid"] == gid]

    def total(self) -> dict:
        rows = self.group_rows(())
        return rows[0] if rows else {}


def run_scan(cur, plan: ScanPlan, window: BoardWindow) -> ScanResult:
    """Execute one scan on a cursor (interruptible by the caller)."""
    import time

    query = plan.sql(window)
    started = time.perf_counter()
    rows = run_query(cur, query).to_pylist()
    return ScanResult(plan, query, rows, time.perf_counter() - started)


def partials(row: dict, measure_index: int, agg: str, period: str) -> dict[str, float | None]:
    return {part: row.get(scan_sql.column_name(measure_index, period, part)) for part in scan_sql.partial_names(agg)}


def combine(agg: str, parts_list: list[dict]) -> float | None:
    """The measure from partials of one or more groups (several: the "Other" series); None when undefined."""

    def total(name):
        values = [p[name] for p in parts_list if p.get(name) is not None]
        return sum(values) if values else None

    if agg == "count":
        return float(total("n") or 0)
    if agg == "sum":
        s = total("s")
        return None if s is None else float(s)
    if agg == "mean":
        s, c = total("s"), total("c")
        return None if s is None or not c else s / c
    if agg == "ratio":
        num, den = total("num"), total("den")
        return None if num is None or not den else num / den
    if agg in ("min", "max"):
        values = [p["v"] for p in parts_list if p.get("v") is not None]
        return (min if agg == "min" else max)(values) if values else None
    if len(parts_list) != 1:
        return None  # distinct counts and quantiles do not add up across groups
    v = parts_list[0].get("v")
    return None if v is None else float(v)
