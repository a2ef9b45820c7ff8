"""Sufficient statistics in DuckDB: one scan returns, per arm (and per arm x day, arm x segment), the
counts and shifted sums, sums of squares and cross products every test needs.

Query plan
----------
1. ``DESCRIBE`` the table: columns exist and metrics are numeric/boolean (clear SpecError otherwise).
2. One footer query: row count, rows with a unit id, min/max of the unit id and of every value column —
   answered from Parquet footer statistics, no scan. The value ranges give the shifts subtracted before
   squaring (see moments.py).
3. Unit check: distinct units (a bitmap over the id range for compact integer ids, else count(DISTINCT)).
   When units repeat, rows are rolled up per unit (each metric with its own sum/max/any/...) and units
   seen in several arms (min(arm) <> max(arm) within the unit's GROUP BY) are set aside and counted.
4. Optional: winsorisation caps (pooled percentile; the pooled median becomes the capped metric's shift),
   top-N segment values.
5. The statistics query, one GROUPING SETS scan over (arm), (arm, day), (arm, segment).
6. Optional: quantiles and their order-statistic bounds per arm.

Nothing at unit level ever reaches Python.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, cast

from workbench import sql
from workbench.backend import ColumnKind, column_kind
from workbench.engine import run_query
from workbench.errors import SpecError
from workbench.experiments.finite import check_finite_sums
from workbench.experiments.frequentist import quantile_ranks
from workbench.experiments.spec import ExperimentSpec, MetricSpec

OTHER_SEGMENT = "Other"
MISSING_SEGMENT = "(missing)"


@dataclass
class SufficientStats:
    """What DuckDB returned, keyed by arm (overall), (arm, day) and (arm, segment)."""

    arms: list[str]
    overall: dict[str, dict]
    by_day: dict[tuple[str, str | None], dict] = field(default_factory=dict)
    by_segment: dict[tuple[str, str], dict] = field(default_factory=dict)
    shifts: dict[str, float] = field(default_factory=dict)
    caps: dict[str, float | None] = field(default_factory=dict)
    quantiles: dict[tuple[str, str], dict] = field(default_factory=dict)
    quantiles_by_segment: dict[tuple[str, str, str], dict] = field(default_factory=dict)  # (metric, arm, segment)
    quantiles_by_day: dict[tuple[str, str, str], dict] = field(default_factory=dict)  # (metric, arm, day): cumulative
    segments: list[str] = field(default_factory=list)
    health: dict = field(default_factory=dict)
    sql: list[str] = field(default_factory=list)


def describe(cur, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of ``table``."""
    rows = run_query(cur, f"DESCRIBE SELECT * FROM {sql.ident(table)}").to_pylist()
    return {r["column_name"]: str(r["column_type"]) for r in rows}


def _check_columns(spec: ExperimentSpec, types: dict[str, str]) -> None:
    available = ", ".join(types) if len(types) <= 30 else ", ".join(list(types)[:30]) + ", ..."

    def need(col: str | None, role: str) -> None:
        if col is not None and col not in types:
            raise SpecError(f"{spec.table} has no column {col!r} (used as {role}); columns are: {available}")

    need(spec.unit, "unit id")
    need(spec.arm, "arm")
    need(spec.segment, "segment")
    need(spec.time_column, "assignment time")
    if spec.unit == spec.arm:
        raise SpecError("The unit id and the arm must be different columns")
    if spec.time_column and column_kind(types[spec.time_column]) is not ColumnKind.TEMPORAL:
        raise SpecError(
            f"Assignment time column {spec.time_column!r} is {types[spec.time_column]}, not a date or timestamp"
        )
    for m in spec.metrics:
        for col in m.columns():
            role = (
                "covariate"
                if col in m.covariate_columns and col not in (m.value_column, m.numerator, m.denominator)
                else f"metric {m.name!r}"
            )
            need(col, role)
            if column_kind(types[col]) not in (ColumnKind.NUMERIC, ColumnKind.BOOLEAN):  # a flag is a 0/1 metric
                raise SpecError(
                    f"Metric {m.name!r}: column {col!r} is {types[col]}, not numeric — "
                    "pick a number or true/false column (or count it into one first)"
                )


def _val(col: str, fill_null: float | None = None) -> str:
    expr = f"CAST({sql.ident(col)} AS DOUBLE)"
    return f"COALESCE({expr}, {sql.literal(float(fill_null))})" if fill_null is not None else expr


def _unit_agg(fn: str, expr: str) -> str:
    if fn == "any":
        return f"CAST(bool_or({expr} <> 0) AS DOUBLE)"
    if fn == "count":
        return f"CAST(count({expr}) AS DOUBLE)"
    return f"{fn}({expr})"


def _day_expr(col_sql: str, col_type: str) -> str:
    if col_type.startswith("TIMESTAMP WITH TIME ZONE") or col_type == "TIMESTAMPTZ":
        return f"CAST(timezone('UTC', {col_sql}) AS DATE)"  # UTC days, whatever the session time zone
    return f"CAST({col_sql} AS DATE)"


def metric_value_columns(i: int, m: MetricSpec) -> list[tuple[str, str, str]]:
    """(alias, source column, unit aggregation) of the values metric ``i`` reads."""
    # A validated spec has every column its metric type needs, so the optional fields are set here.
    if m.type == "ratio":
        out = [(f"__n{i}", cast(str, m.numerator), m.unit_agg), (f"__d{i}", cast(str, m.denominator), m.unit_agg)]
        if m.covariate:
            pre_num, pre_den = m.covariate_columns
            out += [(f"__pn{i}", pre_num, m.covariate_agg), (f"__pd{i}", pre_den, m.covariate_agg)]
        return out
    out = [(f"__y{i}", cast(str, m.value_column), m.unit_agg)]
    if m.covariate:
        out.append((f"__x{i}", m.covariate, m.covariate_agg))
    return out


def base_sql(
    spec: ExperimentSpec,
    types: dict[str, str],
    aggregated: bool,
    caps: dict[str, float | None] | None = None,
    segment_values: list[str] | None = None,
    ids_all_present: bool = False,
) -> str:
    """The unit-level relation (one row per unit) the statistics are computed over, as SQL text.

    ``ids_all_present``: the footer counts showed no NULL unit id, so the one-row-per-unit relation needs no
    ``WHERE unit IS NOT NULL`` (and the statistics scan does not read the id column at all).
    """
    unit, arm = sql.ident(spec.unit), sql.ident(spec.arm)
    tbl = sql.ident(spec.table)
    arm_txt = f"CAST({arm} AS VARCHAR)"
    seg_col = sql.ident(spec.segment) if spec.segment else None
    time_col = sql.ident(spec.time_column) if spec.time_column else None
    caps = caps or {}
    values = []  # (alias, row-level expr, unit agg)
    for i, m in enumerate(spec.metrics):
        for alias, col, fn in metric_value_columns(i, m):
            values.append((alias, _val(col, m.fill_null), fn))
    if aggregated:
        # min <> max flags a unit seen in several arms inside the GROUP BY that rolls rows up anyway: cheaper
        # than count(DISTINCT arm) per unit (no per-unit hash set); NULL arms are ignored by both.
        inner = [f"{unit} AS __unit", f"min({arm_txt}) AS __arm0", f"max({arm_txt}) AS __arm1"]
        if time_col:
            inner.append(f"min({time_col}) AS __t")
        if seg_col:
            inner.append(f"min(CAST({seg_col} AS VARCHAR)) AS __seg0")
        inner += [f"{_unit_agg(fn, expr)} AS {alias}" for alias, expr, fn in values]
        units = f"SELECT {', '.join(inner)} FROM {tbl} WHERE {unit} IS NOT NULL GROUP BY {unit}"
        arm_expr, multi = "CASE WHEN __arm0 <> __arm1 THEN NULL ELSE __arm0 END", "COALESCE(__arm0 <> __arm1, false)"
        time_expr: str | None = "__t"
        seg_raw: str | None = "__seg0"
        cols = {alias: alias for alias, _, _ in values}
        source = f"({units}) AS __units"
    else:
        arm_expr, multi = arm_txt, "false"
        time_expr = time_col
        seg_raw = f"CAST({seg_col} AS VARCHAR)" if seg_col else None
        cols = {alias: expr for alias, expr, _ in values}
        source = tbl if ids_all_present else f"{tbl} WHERE {unit} IS NOT NULL"
    select = [f"{arm_expr} AS __arm"] + ([f"{multi} AS __multi"] if aggregated else [])
    if time_col:
        # time_col is set only when spec.time_column is, and then time_expr is too.
        select.append(f"{_day_expr(cast(str, time_expr), types[cast(str, spec.time_column)])} AS __day")
    if seg_col:
        seg = f"COALESCE({seg_raw}, {sql.literal(MISSING_SEGMENT)})"
        if segment_values is not None:
            seg = f"CASE WHEN {seg} IN ({', '.join(sql.literal(v) for v in segment_values)}) THEN {seg} ELSE {sql.literal(OTHER_SEGMENT)} END"
        select.append(f"{seg} AS __seg")
    for alias, expr in cols.items():
        cap = caps.get(alias)
        select.append(
            f"LEAST({expr}, {sql.literal(float(cap))}) AS {alias}" if cap is not None else f"{expr} AS {alias}"
        )
    return f"SELECT {', '.join(select)} FROM {source}"


def _shifted(alias: str, shift: float) -> str:
    return f"({alias} - {sql.literal(float(shift))})" if shift else alias


def _cov_representatives(spec: ExperimentSpec) -> dict[int, int]:
    """metric index -> index of the first metric sharing its covariate column and aggregation (the lean
    query sums a shared covariate once)."""
    first: dict[tuple, int] = {}
    out = {}
    for i, m in enumerate(spec.metrics):
        if m.covariate and m.type != "ratio":
            out[i] = first.setdefault((m.covariate, m.covariate_agg, m.fill_null), i)
    return out


def stats_aggregates(
    spec: ExperimentSpec, shifts: dict[str, float], lean: bool = True, only: set[int] | None = None
) -> list[str]:
    """Per-metric aggregate expressions with internal aliases m<i>_<stat>.

    ``lean``: no FILTER clauses and a shared covariate summed once — exact when the value columns have no
    NULLs (checked from the counts afterwards). Otherwise ``lean=False`` gives the complete-case sums for
    the metrics in ``only``.
    """
    aggs = []
    reps = _cov_representatives(spec)
    for i, m in enumerate(spec.metrics):
        if only is not None and i not in only:
            continue
        p = f"m{i}"
        if m.type == "ratio":
            n, d = f"__n{i}", f"__d{i}"
            sn, sd = _shifted(n, shifts.get(n, 0.0)), _shifted(d, shifts.get(d, 0.0))
            if m.covariate:
                aggs += ratio_adjusted_aggregates(i, shifts, lean)
            if lean:
                aggs += [
                    f"count({n}) AS {p}_nn",
                    f"count({d}) AS {p}_dn",
                    f"sum({sn}) AS {p}_sn",
                    f"sum({sn} * {sn}) AS {p}_snn",
                    f"sum({sd}) AS {p}_sd",
                    f"sum({sd} * {sd}) AS {p}_sdd",
                    f"sum({sn} * {sd}) AS {p}_snd",
                ]
                continue
            cond = f"{n} IS NOT NULL AND {d} IS NOT NULL"
            aggs += [
                f"count(*) FILTER (WHERE {cond}) AS {p}_n",
                f"sum({sn}) FILTER (WHERE {cond}) AS {p}_sn",
                f"sum({sn} * {sn}) FILTER (WHERE {cond}) AS {p}_snn",
                f"sum({sd}) FILTER (WHERE {cond}) AS {p}_sd",
                f"sum({sd} * {sd}) FILTER (WHERE {cond}) AS {p}_sdd",
                f"sum({sn} * {sd}) FILTER (WHERE {cond}) AS {p}_snd",
            ]
            continue
        y = f"__y{i}"
        sy = _shifted(y, shifts.get(y, 0.0))
        if lean or only is None:
            aggs += [f"count({y}) AS {p}_n", f"sum({sy}) AS {p}_s1", f"sum({sy} * {sy}) AS {p}_s2"]
            if m.type == "proportion":
                aggs += [f"min({y}) AS {p}__min", f"max({y}) AS {p}__max"]
        if m.covariate:
            x = f"__x{i}"
            sx = _shifted(x, shifts.get(x, 0.0))
            if lean:
                aggs.append(f"sum({sx} * {sy}) AS {p}_sxy")
                if reps[i] == i:
                    aggs += [f"count({x}) AS cov{i}_n", f"sum({sx}) AS cov{i}_s1", f"sum({sx} * {sx}) AS cov{i}_s2"]
                continue
            cond = f"{y} IS NOT NULL AND {x} IS NOT NULL"
            aggs += [
                f"count({x}) AS {p}_xn",
                f"count(*) FILTER (WHERE {cond}) AS {p}_cn",
                f"sum({sy}) FILTER (WHERE {cond}) AS {p}_cy",
                f"sum({sy} * {sy}) FILTER (WHERE {cond}) AS {p}_cyy",
                f"sum({sx}) FILTER (WHERE {cond}) AS {p}_cx",
                f"sum({sx} * {sx}) FILTER (WHERE {cond}) AS {p}_cxx",
                f"sum({sx} * {sy}) FILTER (WHERE {cond}) AS {p}_cxy",
            ]
    return aggs


RA_VARS = ("n", "d", "pn", "pd")  # post numerator, post denominator, pre numerator, pre denominator


def ratio_adjusted_aggregates(i: int, shifts: dict[str, float], lean: bool) -> list[str]:
    """Complete-case count, shifted sums and all 10 sums of products of (num, den, pre num, pre den) of
    ratio metric ``i``: the 4x4 covariance matrix per arm that the regression-adjusted ratio needs
    (keys m<i>r_c, m<i>r_s<v>, m<i>r_p<v>_<w>)."""
    p = f"m{i}r"
    cols = {v: _shifted(f"__{v}{i}", shifts.get(f"__{v}{i}", 0.0)) for v in RA_VARS}
    cond = " AND ".join(f"__{v}{i} IS NOT NULL" for v in RA_VARS)
    filt = "" if lean else f" FILTER (WHERE {cond})"
    aggs = [f"count({'__pn' + str(i) if lean else '*'}){filt} AS {p}_c"]
    if lean:
        aggs.append(f"count(__pd{i}) AS {p}_cd")
    aggs += [f"sum({cols[v]}){filt} AS {p}_s{v}" for v in RA_VARS]
    aggs += [f"sum({cols[v]} * {cols[w]}){filt} AS {p}_p{v}_{w}" for a, v in enumerate(RA_VARS) for w in RA_VARS[a:]]
    return aggs


def _lean_fixups(spec: ExperimentSpec, rows: list[dict]) -> set[int]:
    """Fill the complete-case keys from the lean sums; return the metrics whose lean sums are not exact
    (NULLs in a ratio's columns or in a CUPED metric/covariate) and need the complete-case query."""
    reps = _cov_representatives(spec)
    redo = set()
    for r in rows:
        if r.get("arm") is None:
            continue
        units = r["units"]
        for i, m in enumerate(spec.metrics):
            p = f"m{i}"
            if m.type == "ratio":
                if r[f"{p}_nn"] != units or r[f"{p}_dn"] != units:
                    redo.add(i)
                if m.covariate and (r[f"{p}r_c"] != units or r[f"{p}r_cd"] != units):
                    redo.add(i)
            elif m.covariate and (r[f"{p}_n"] != units or r[f"cov{reps[i]}_n"] != units):
                redo.add(i)
    for r in rows:
        for i, m in enumerate(spec.metrics):
            p = f"m{i}"
            if m.type == "ratio":
                r[f"{p}_n"] = r[f"{p}_nn"] if r[f"{p}_nn"] == r[f"{p}_dn"] else None
            elif m.covariate:
                c = f"cov{reps[i]}"
                r.update(
                    {
                        f"{p}_xn": r[f"{c}_n"],
                        f"{p}_cn": r[f"{p}_n"],
                        f"{p}_cy": r[f"{p}_s1"],
                        f"{p}_cyy": r[f"{p}_s2"],
                        f"{p}_cx": r[f"{c}_s1"],
                        f"{p}_cxx": r[f"{c}_s2"],
                        f"{p}_cxy": r[f"{p}_sxy"],
                    }
                )
    return redo


INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
BITMAP_MAX_RANGE = 1 << 31


def _footer(cur, spec: ExperimentSpec, unit_type: str, queries: list[str]) -> dict:
    """rows, rows with a unit id, the id range (integer ids) and min/max of every value column, in one
    query that DuckDB answers from the Parquet footer statistics (no data pages are read)."""
    tbl, col = sql.ident(spec.table), sql.ident(spec.unit)
    exprs = ["count(*) AS rows", f"count({col}) AS with_id"]
    if unit_type in INTEGER_TYPES:
        exprs += [f"min({col}) AS lo", f"max({col}) AS hi"]
    ranged = sorted({c for i, m in enumerate(spec.metrics) for _, c, _ in metric_value_columns(i, m)})
    for j, c in enumerate(ranged):
        exprs += [f"min({_val(c)}) AS __min{j}", f"max({_val(c)}) AS __max{j}"]
    q = f"SELECT {', '.join(exprs)} FROM {tbl}"
    queries.append(q)
    r = run_query(cur, q).to_pylist()[0]
    r["ranges"] = {c: (r.pop(f"__min{j}"), r.pop(f"__max{j}")) for j, c in enumerate(ranged)}
    return r


def _distinct_units(cur, table: str, unit: str, footer: dict, queries: list[str]) -> int:
    """Distinct unit ids. Integer ids over a compact range are counted with a bitmap (``bitstring_agg``:
    ~3x faster than a hash-based count(DISTINCT), and the range comes from the footer); more ids than the
    range can hold means repeats without a scan; anything else uses count(DISTINCT)."""
    tbl, col = sql.ident(table), sql.ident(unit)
    if not footer["with_id"]:
        return 0
    if footer.get("lo") is not None:
        lo, hi = int(footer["lo"]), int(footer["hi"])
        span = hi - lo + 1
        if span < int(footer["with_id"]):
            return span  # pigeonhole: some id repeats; the roll-up counts the real units (an upper bound here)
        if span <= min(BITMAP_MAX_RANGE, max(64 * int(footer["with_id"]), 1 << 20)):
            q = f"SELECT bit_count(bitstring_agg({col}, {lo}, {hi})) AS units FROM {tbl}"
            queries.append(q)
            return int(run_query(cur, q).to_pylist()[0]["units"])
    q = f"SELECT count(DISTINCT {col}) AS units FROM {tbl}"
    queries.append(q)
    return int(run_query(cur, q).to_pylist()[0]["units"])


def _round_shift(value, spread: float = 0.0) -> float | None:
    """``value`` rounded to a power-of-two grid ~1/256 of ``spread``: a short literal in "View SQL", and a
    dyadic number, so (y - shift) and its sums stay exact for integer or constant data (an all-zero arm
    keeps a mean of exactly 0, not 1e-15), while staying within spread/512 of ``value``."""
    if value is None or not math.isfinite(value) or value == 0:
        return None
    if not spread or not math.isfinite(spread):
        return float(value)
    grid = math.ldexp(1.0, math.frexp(spread)[1] - 9)
    return round(value / grid) * grid or None


def _shifts(spec: ExperimentSpec, aggregated: bool, ranges: dict[str, tuple]) -> dict[str, float]:
    """Shift per value alias: the midpoint of the column's range (from the footer, so free).

    Why the midpoint is enough: the round-off of ``S2 - S1^2/n`` relative to the variance grows with
    (mean - shift)^2 / variance. With the midpoint, |mean - shift| <= range/2, and a sample with range R
    has variance >= R^2/(2n), so the ratio is <= n/2 whatever the data (<= 5e6 at 10M units: ~1e-9
    relative error in the worst case, far inside the 1e-6 we promise), and ~1 for ordinary data. A
    sample mean of the first rows gives no such bound (a file sorted by the metric) and cost a read.
    """
    shifts = {}
    for i, m in enumerate(spec.metrics):
        for alias, col, fn in metric_value_columns(i, m):
            if (m.type == "proportion" and alias.startswith("__y")) or (aggregated and fn in ("sum", "count", "any")):
                continue  # 0/1 values and unit totals: 0 is a safe shift (and keeps success counts exact)
            lo, hi = ranges.get(col, (None, None))
            if lo is None or hi is None:
                continue
            if m.fill_null is not None:
                lo, hi = min(lo, m.fill_null), max(hi, m.fill_null)
            shift = _round_shift((lo + hi) / 2, hi - lo)
            if shift:
                shifts[alias] = shift
    return shifts


def compute(cur, spec: ExperimentSpec) -> SufficientStats:
    """Run the query plan above on a cursor; return the per-group sufficient statistics.

    Raises
    ------
    SpecError for missing/non-numeric columns, a missing control arm, or fewer than two arms.
    """
    spec.validate()
    queries: list[str] = []
    types = describe(cur, spec.table)
    _check_columns(spec, types)
    health: dict = {}
    footer = _footer(cur, spec, types[spec.unit], queries)
    ids_all_present = footer["with_id"] == footer["rows"]
    if spec.assume_unique_units:
        aggregated = False
        health["unit_check"] = "skipped (assume_unique_units)"
    else:
        units = _distinct_units(cur, spec.table, spec.unit, footer, queries)
        aggregated = units < footer["with_id"]
        health.update(
            rows=int(footer["rows"]),
            rows_without_unit_id=int(footer["rows"] - footer["with_id"]),
            units=int(units),
            rows_aggregated_per_unit=bool(aggregated),
            unit_check="exact",
        )
    shifts = _shifts(spec, aggregated, footer["ranges"])

    caps: dict[str, float | None] = {}
    capped = [(f"__y{i}", m) for i, m in enumerate(spec.metrics) if m.cap is not None]
    if capped:
        base0 = base_sql(spec, types, aggregated, ids_all_present=ids_all_present)
        exprs = ", ".join(
            f"quantile_cont({alias}, {sql.literal(float(cast(float, m.cap)))}) AS {alias}, "
            f"quantile_cont({alias}, 0.5) AS {alias}__median"
            for alias, m in capped
        )
        q = f"SELECT {exprs} FROM ({base0}) WHERE __arm IS NOT NULL"
        queries.append(q)
        row = run_query(cur, q).to_pylist()[0]
        caps = {alias: row[alias] for alias, _ in capped}
        for alias, _ in capped:
            # Capping shrinks the spread, so the raw range's midpoint may sit far from the capped values.
            median, cap = row[f"{alias}__median"], caps[alias]
            shift = _round_shift(median, abs(cap - median) if median is not None and cap is not None else 0.0)
            if shift:
                shifts[alias] = shift
            else:
                shifts.pop(alias, None)

    segment_values = None
    if spec.segment:
        base0 = base_sql(spec, types, aggregated, caps, ids_all_present=ids_all_present)
        q = (
            f"SELECT __seg AS seg, count(*) AS n FROM ({base0}) WHERE __arm IS NOT NULL GROUP BY __seg "
            f"ORDER BY n DESC, seg LIMIT {int(spec.segment_top_n) + 1}"
        )
        queries.append(q)
        rows = run_query(cur, q).to_pylist()
        segment_values = [r["seg"] for r in rows[: spec.segment_top_n]]
        if len(rows) <= spec.segment_top_n:
            segment_values = [r["seg"] for r in rows]

    base = base_sql(spec, types, aggregated, caps, segment_values, ids_all_present=ids_all_present)
    keys, sets = ["__arm AS arm"], ["(__arm)"]
    if spec.time_column:
        keys += ["__day AS day", "GROUPING(__day) AS g_day"]
        sets.append("(__arm, __day)")
    if spec.segment:
        keys += ["__seg AS seg", "GROUPING(__seg) AS g_seg"]
        sets.append("(__arm, __seg)")
    group = "GROUP BY __arm" if len(sets) == 1 else f"GROUP BY GROUPING SETS ({', '.join(sets)})"
    head = keys + ["count(*) AS units", "count(*) FILTER (WHERE __multi) AS multi" if aggregated else "0 AS multi"]
    q = f"WITH base AS ({base})\nSELECT {', '.join(head + stats_aggregates(spec, shifts))}\nFROM base\n{group}"
    queries.append(q)
    rows = run_query(cur, q).to_pylist()
    redo = _lean_fixups(spec, rows)
    if redo:
        # NULLs in a ratio or CUPED metric: a second scan for complete-case sums of those metrics only.
        q = (
            f"WITH base AS ({base})\nSELECT {', '.join(head + stats_aggregates(spec, shifts, lean=False, only=redo))}"
            f"\nFROM base\n{group}"
        )
        queries.append(q)

        def key(r):
            return tuple(r.get(k) for k in ("arm", "g_day", "day", "g_seg", "seg"))

        exact = {key(r): r for r in run_query(cur, q).to_pylist()}
        for r in rows:
            r.update(exact.get(key(r), {}))

    overall, by_day, by_seg = {}, {}, {}
    for r in rows:
        arm = r.pop("arm")
        g_day = r.pop("g_day", 1)
        g_seg = r.pop("g_seg", 1)
        day = r.pop("day", None)
        seg = r.pop("seg", None)
        if spec.time_column and g_day == 0:
            by_day[(arm, day.isoformat() if day is not None else None)] = r
        elif spec.segment and g_seg == 0:
            by_seg[(arm, seg)] = r
        else:
            overall[arm] = r
    multi = int(overall.get(None, {}).get("multi", 0) or 0)
    null_arm = int((overall.get(None, {}).get("units", 0) or 0) - multi)
    overall.pop(None, None)
    health.update(units_in_multiple_arms=multi, units_with_null_arm=null_arm)
    arms = sorted(overall, key=lambda a: (a != spec.control, a))
    if not arms:
        raise SpecError(f"{spec.table} has no rows with both a unit id and an arm")
    if spec.control not in overall:
        listed = ", ".join(repr(a) for a in arms[:20])
        raise SpecError(f"Control arm {spec.control!r} not found in column {spec.arm!r}; arms are: {listed}")
    if len(arms) < 2:
        raise SpecError(
            f"Column {spec.arm!r} has only one arm ({arms[0]!r}); an experiment needs a control and at least one treatment"
        )
    check_finite_sums(cur, spec, overall)

    stats = SufficientStats(
        arms=arms,
        overall=overall,
        by_day={k: v for k, v in by_day.items() if k[0] is not None},
        by_segment={k: v for k, v in by_seg.items() if k[0] is not None},
        shifts=shifts,
        caps={m.name: caps.get(f"__y{i}") for i, m in enumerate(spec.metrics) if m.cap is not None},
        segments=sorted({k[1] for k in by_seg if k[0] is not None}, key=lambda s: (s == OTHER_SEGMENT, s)),
        health=health,
        sql=queries,
    )
    _quantiles(cur, spec, base, stats)
    return stats


QUANTILE_CUMULATIVE_CHECKPOINTS = 8
QUANTILE_VALUE_BUDGET = 20_000_000  # values DuckDB holds at once for the per-day quantiles (~160 MB)


def _quantile_day_checkpoints(days: list[str], n_units: int) -> list[str]:
    """Days at which cumulative quantiles are computed: evenly spaced, always the last, at most
    QUANTILE_CUMULATIVE_CHECKPOINTS, fewer when units x checkpoints would exceed the value budget (each
    cumulative filter holds its own copy of the values up to that day)."""
    if not days:
        return []
    k = min(len(days), QUANTILE_CUMULATIVE_CHECKPOINTS, max(1, QUANTILE_VALUE_BUDGET // max(n_units, 1)))
    if k >= len(days):
        return list(days)
    idx = sorted({round(j * (len(days) - 1) / (k - 1)) for j in range(k)}) if k > 1 else [len(days) - 1]
    return [days[j] for j in idx]


def _quantiles(cur, spec: ExperimentSpec, base: str, stats: SufficientStats) -> None:
    """Per arm (and per arm x segment, per arm x cumulative day checkpoint): the q-quantile and the order
    statistics bounding it (normal approximation to the binomial), in one query of FILTERed quantiles.

    Quantiles do not add up like sums, so every group is its own exact quantile over its units; per-day
    cumulative results are computed at a few checkpoint days only (see _quantile_day_checkpoints)."""
    qmetrics = [(i, m) for i, m in enumerate(spec.metrics) if m.type == "quantile"]
    if not qmetrics:
        return
    # (target dict, key suffix, SQL condition, source of n, arm)
    groups: list[tuple[dict[Any, dict], tuple[str, ...], str, dict, str]] = []
    for a in stats.arms:
        groups.append((stats.quantiles, (), f"__arm = {sql.literal(a)}", stats.overall[a], a))
        for seg in stats.segments:
            if (a, seg) in stats.by_segment:
                groups.append(
                    (
                        stats.quantiles_by_segment,
                        (seg,),
                        f"__arm = {sql.literal(a)} AND __seg = {sql.literal(seg)}",
                        stats.by_segment[(a, seg)],
                        a,
                    )
                )
    if stats.by_day:
        days = sorted({d for (_, d) in stats.by_day if d is not None})
        checkpoints = set(_quantile_day_checkpoints(days, sum(int(stats.overall[a]["units"]) for a in stats.arms)))
        for a in stats.arms:
            running: dict = {}
            for day in days:
                g = stats.by_day.get((a, day), {})
                for key, v in g.items():
                    if key.endswith("_n") and v is not None:
                        running[key] = running.get(key, 0) + v
                if day in checkpoints:
                    groups.append(
                        (
                            stats.quantiles_by_day,
                            (day,),
                            f"__arm = {sql.literal(a)} AND __day <= CAST({sql.literal(day)} AS DATE)",
                            dict(running),
                            a,
                        )
                    )
    exprs, plan = [], []
    for gi, (target, suffix, cond, counts, arm) in enumerate(groups):
        for i, m in qmetrics:
            n = int(counts.get(f"m{i}_n") or 0)
            if n == 0:
                continue
            level = cast(float, m.quantile)  # set on every validated quantile metric
            ranks = quantile_ranks(n, level, spec.alpha)
            alias = f"q{i}_{gi}"
            exprs.append(f"quantile_cont(__y{i}, {sql.literal(float(level))}) FILTER (WHERE {cond}) AS {alias}_est")
            if ranks:
                exprs.append(
                    f"quantile_disc(__y{i}, [{sql.literal(ranks[0])}, {sql.literal(ranks[1])}]) FILTER (WHERE {cond}) AS {alias}_ci"
                )
            plan.append((target, (m.name, arm) + suffix, alias, ranks is not None))
    if not exprs:
        return
    q = f"WITH base AS ({base})\nSELECT {', '.join(exprs)} FROM base"
    stats.sql.append(q)
    row = run_query(cur, q).to_pylist()[0]
    for target, key, alias, has_ci in plan:
        ci = row.get(f"{alias}_ci") if has_ci else None
        target[key] = {"estimate": row.get(f"{alias}_est"), "ci": list(ci) if ci else None}


def arm_values(cur, table: str, arm: str, limit: int = 50) -> list[str]:
    """Distinct arm values (as text, most units first) for a control-arm picker."""
    col = f"CAST({sql.ident(arm)} AS VARCHAR)"
    q = (
        f"SELECT {col} AS arm, count(*) AS n FROM {sql.ident(table)} WHERE {sql.ident(arm)} IS NOT NULL "
        f"GROUP BY 1 ORDER BY n DESC, arm LIMIT {int(limit)}"
    )
    return [r["arm"] for r in run_query(cur, q).to_pylist()]
