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
    column_types: dict = field(default_factory=dict, compare=False)  # the table's columns: name -> type
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

    @property
    def two_level(self) -> bool:
        return all(m.agg in scan_sql.DECOMPOSABLE for m in self.measures)

    @property
    def text_dims(self) -> frozenset[str]:
        return frozenset(d for d in self.dims if str(self.column_types.get(d, "")).startswith("VARCHAR"))

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
        # Measures that add up are aggregated in two levels (much faster); distinct counts and quantiles
        # need every grouping set computed from the rows.
        if self.two_level:
            return scan_sql.two_level_query(**self._query_args(window), text_dims=self.text_dims)
        return scan_sql.scan_query(**self._query_args(window))

    def _query_args(self, window: BoardWindow) -> dict:
        return dict(
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
    # Work shared by the tiles built from this scan (one detector run for all its KPIs), by key.
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    def group_rows(self, grouped: tuple[str, ...]) -> list[dict]:
        keys = scan_sql.group_keys(len(self.plan.dims), self.plan.sets)
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
    if plan.two_level:
        rows = roll_up(plan, rows)
    return ScanResult(plan, query, rows, time.perf_counter() - started)


def roll_up(plan: ScanPlan, level_one: list[dict]) -> list[dict]:
    """Every requested grouping set from the largest ones' rows (partials that add up), in the shape
    :func:`scan_sql.scan_query` returns: ``__gid``, keys, ``__max_t``, ``__rows_<period>`` and measure
    partials per period (None where no row contributed, as SQL's sum over nothing)."""
    top = scan_sql.maximal_sets(plan.sets)
    l1_keys = scan_sql.group_keys(len(plan.dims), top)
    keys = scan_sql.group_keys(len(plan.dims), plan.sets)
    by_g1: dict[int, list[dict]] = {}
    for r in level_one:
        by_g1.setdefault(r["__g1"], []).append(r)
    parts = [
        (i, part, "sum" if part in ("n", "s", "c", "num", "den") else m.agg)
        for i, m in enumerate(plan.measures)
        for part in scan_sql.partial_names(m.agg)
    ]
    out = []
    for gs in plan.sets:
        source = min((m for m in top if set(gs) <= set(m)), key=len)
        rows = by_g1.get(scan_sql.grouping_id(l1_keys, source) if l1_keys else 0, [])
        groups: dict[tuple, list[dict]] = {}
        text_keys = {scan_sql.dim_column(plan.dims.index(d)) for d in plan.text_dims}
        for r in rows:
            key = tuple(("(null)" if r[k] is None else r[k]) if k in text_keys else r[k] for k in gs)
            groups.setdefault(key, []).append(r)
        if not gs and not groups:
            groups[()] = []
        gid = scan_sql.grouping_id(keys, gs)
        for values, members in groups.items():
            row = {"__gid": gid, **{k: None for k in keys}, **dict(zip(gs, values))}
            row["__max_t"] = max((m["__max_t"] for m in members if m["__max_t"] is not None), default=None)
            periods = {
                "cur": [m for m in members if m["__in_cur"]],
                "cmp": [m for m in members if m["__in_cmp"]],
                "all": members,
            }
            for period, chosen in periods.items():
                row[f"__rows_{period}"] = sum(m["__n"] for m in chosen) if chosen else None
                for i, part, how in parts:
                    name = scan_sql.level_one_name(i, part)
                    values_ = [m[name] for m in chosen if m[name] is not None]
                    row[scan_sql.column_name(i, period, part)] = (
                        None
                        if not values_
                        else sum(values_)
                        if how == "sum"
                        else (min if how == "min" else max)(values_)
                    )
            out.append(row)
    return out


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
