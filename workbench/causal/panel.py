"""The impact spec and the unit x period panel it aggregates to (in DuckDB).

Conventions: the unit is compared as a string; the period is ``date_trunc(grain, time)`` as a DATE; a
cell is the measure over that unit's rows in that bucket (a ratio is a ratio of sums); cells with no rows
or a NULL value do not exist (no zero filling). Steps between periods are calendar steps of the grain.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench import sql
from workbench.causal import GRAINS, METHODS, panel_sql
from workbench.backend import ENGINE_ERRORS, ColumnKind, column_kind, translate_error
from workbench.errors import SpecError
from workbench.metrics import Filter, Measure, MetricSpec, resolve, table_columns

_EPOCH_MONDAY = pd.Timestamp("1970-01-05")  # ISO weeks are counted from a Monday


@dataclass(frozen=True)
class ImpactSpec:
    """What ``workbench impact`` estimates: the effect of a change on ``measure`` per ``unit``.

    Either ``treated`` + ``start`` (one launch date) or ``cohort`` (a column giving each unit its own
    start; NULL for never-treated units). ``controls`` default to every other unit; ``end`` is an
    exclusive upper bound on the time column.
    """

    table: str
    time_column: str
    measure: Measure
    grain: str
    unit: str
    treated: tuple[str, ...] = ()
    start: dt.date | None = None
    cohort: str | None = None
    method: str = "all"
    controls: tuple[str, ...] | None = None
    end: dt.datetime | None = None
    filters: tuple[Filter, ...] = ()
    time_format: str = "auto"

    def __post_init__(self):
        if self.grain not in GRAINS:
            raise SpecError(f"Unknown grain {self.grain!r}; choose one of {', '.join(GRAINS)}")
        if self.method not in METHODS:
            raise SpecError(f"Unknown method {self.method!r}; choose one of {', '.join(METHODS)}")
        object.__setattr__(self, "treated", tuple(str(v) for v in self.treated))
        if self.controls is not None:
            object.__setattr__(self, "controls", tuple(str(v) for v in self.controls))
        object.__setattr__(self, "filters", tuple(self.filters))
        if self.cohort:
            if self.treated or self.start is not None:
                raise SpecError("Give either --cohort (each unit its own start) or --treated with --start, not both")
            if self.controls:
                raise SpecError("With --cohort the controls are the units whose cohort is empty; drop --controls")
        else:
            if not self.treated:
                raise SpecError("Say which units were treated (--treated V[,V...]) or give --cohort COL")
            if self.start is None:
                raise SpecError("Say when the change started (--start DATE)")
            object.__setattr__(self, "start", _to_date(self.start, "--start"))
            overlap = sorted(set(self.treated) & set(self.controls or ()))
            if overlap:
                raise SpecError(f"{', '.join(overlap)} cannot be both treated and a control")
        if self.end is not None and not isinstance(self.end, dt.datetime):
            object.__setattr__(self, "end", pd.Timestamp(_to_date(self.end, "--end")).to_pydatetime())

    def replace(self, **changes) -> ImpactSpec:
        return dataclasses.replace(self, **changes)


def _to_date(value, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return pd.Timestamp(str(value)).date()
    except (ValueError, TypeError):
        raise SpecError(f"{what}: cannot read {value!r} as a date (write YYYY-MM-DD)") from None


def bucket(day: dt.date | pd.Timestamp, grain: str) -> pd.Timestamp:
    """The start of the grain's bucket holding ``day`` (the same rule as DuckDB's date_trunc)."""
    d = pd.Timestamp(day).normalize()
    if grain == "week":
        return d - pd.Timedelta(days=d.weekday())
    if grain == "month":
        return d.replace(day=1)
    if grain == "quarter":
        return d.replace(day=1, month=3 * ((d.month - 1) // 3) + 1)
    if grain == "year":
        return d.replace(day=1, month=1)
    return d


def step_index(periods, grain: str) -> np.ndarray:
    """Integer position of bucket starts on the grain's calendar, so differences are steps of the grain."""
    p = pd.DatetimeIndex(pd.to_datetime(periods))
    if grain == "day":
        return np.asarray((p - pd.Timestamp("1970-01-01")).days, dtype=np.int64)
    if grain == "week":
        return np.asarray((p - _EPOCH_MONDAY).days // 7, dtype=np.int64)
    if grain == "month":
        return np.asarray(p.year * 12 + p.month - 1, dtype=np.int64)
    if grain == "quarter":
        return np.asarray(p.year * 4 + (p.month - 1) // 3, dtype=np.int64)
    return np.asarray(p.year, dtype=np.int64)


def period_start(step: int, grain: str) -> pd.Timestamp:
    """The bucket start at a step position (the inverse of :func:`step_index`)."""
    if grain == "day":
        return pd.Timestamp("1970-01-01") + pd.Timedelta(days=step)
    if grain == "week":
        return _EPOCH_MONDAY + pd.Timedelta(days=7 * step)
    if grain == "month":
        return pd.Timestamp(year=step // 12, month=step % 12 + 1, day=1)
    if grain == "quarter":
        return pd.Timestamp(year=step // 4, month=3 * (step % 4) + 1, day=1)
    return pd.Timestamp(year=step, month=1, day=1)


@dataclass(frozen=True)
class Panel:
    """The balanced-or-not panel (unit, period, y, n_rows, step) and who is treated when.

    ``cohorts`` maps every unit to its first treated period (None: never treated); with one launch date
    it is ``start`` for treated units. ``sql`` is the aggregation that produced ``frame``.
    """

    frame: pd.DataFrame
    grain: str
    treated: list[str]
    controls: list[str]
    start: pd.Timestamp | None
    cohorts: dict[str, pd.Timestamp | None]
    sql: str
    notes: list[str] = field(default_factory=list)

    @property
    def units(self) -> list[str]:
        return self.treated + self.controls

    @property
    def periods(self) -> list[pd.Timestamp]:
        return sorted(self.frame["period"].unique())

    def treated_mask(self) -> np.ndarray:
        """D_ut: the unit is treated and the period is at or after its start."""
        cohort = self.frame["unit"].map(self.cohorts)
        start = pd.to_datetime(cohort)
        return (start.notna() & (self.frame["period"] >= start)).to_numpy()

    def relative_period(self) -> np.ndarray:
        """t - g_u in steps of the grain for treated units' rows, NaN for never-treated rows."""
        cohort = pd.to_datetime(self.frame["unit"].map(self.cohorts))
        rel = np.full(len(self.frame), np.nan)
        has = cohort.notna().to_numpy()
        if has.any():
            rel[has] = self.frame["step"].to_numpy()[has] - step_index(cohort[has], self.grain)
        return rel

    def wide(self) -> pd.DataFrame:
        """period x unit values (NaN where a cell does not exist)."""
        return self.frame.pivot(index="period", columns="unit", values="y").sort_index()


def _execute_df(cur, query: str) -> pd.DataFrame:
    try:
        return cur.sql(query).df()
    except ENGINE_ERRORS as exc:
        raise translate_error(exc) from exc


def _metric_spec(spec: ImpactSpec) -> MetricSpec:
    # The metric spec only lends its column checks, time expression, filters and operands; the grain
    # is applied here (impact grains include quarter and year), so any valid metric grain will do.
    return MetricSpec(
        table=spec.table,
        measure=spec.measure,
        time_column=spec.time_column,
        time_format=spec.time_format,
        grain="day",
        filters=spec.filters,
    )


def _cohort_expr(cur, spec: ImpactSpec, columns: dict[str, str]) -> str:
    if spec.cohort not in columns:
        raise SpecError(f"{spec.table} has no column {spec.cohort!r} for --cohort")
    typ = columns[spec.cohort]
    c = sql.ident(spec.cohort)
    if column_kind(typ) is ColumnKind.TEMPORAL:
        return f"CAST({c} AS TIMESTAMP)"
    if column_kind(typ) is ColumnKind.NUMERIC:
        # A year number (2006) means the first day of that year. 0 and NaN mean never treated, as in R's
        # `did` package (first.treat = 0); anything else is not a year we can read.
        year = f"CAST({c} AS DOUBLE)"
        valid = f"({c} IS NOT NULL AND NOT isnan({year}) AND {year} <> 0)"
        ((lo, hi),) = cur.execute(
            f"SELECT min({year}), max({year}) FROM {sql.ident(spec.table)} WHERE {valid}"
        ).fetchall()
        if lo is not None and not (1000 <= lo and hi <= 9999):
            raise SpecError(f"--cohort {spec.cohort} holds numbers that are not years; give a DATE column")
        return f"CASE WHEN {valid} THEN CAST(make_date(CAST({c} AS INTEGER), 1, 1) AS TIMESTAMP) END"
    raise SpecError(f"--cohort {spec.cohort} ({typ}) must be a DATE/TIMESTAMP column or a year number")


def build_panel(cur, spec: ImpactSpec) -> Panel:
    """Aggregate ``spec``'s measure to one value per unit and period, and check the design against it.

    Raises
    ------
    SpecError for unknown columns or unit values, a start outside the data, too few periods or no
    control units.
    """
    r = resolve(cur, _metric_spec(spec))
    columns = table_columns(cur, spec.table)
    if spec.unit not in columns:
        raise SpecError(f"{spec.table} has no column {spec.unit!r} for --unit")
    m = spec.measure
    value = sql.direct_aggregate(m.agg, r.operand, r.denominator)
    query = panel_sql.panel_query(
        table_name=spec.table,
        unit_column=spec.unit,
        t_expr=r.t_expr,
        grain=spec.grain,
        value_expr=value,
        where=r.where,
        end=spec.end,
    )
    frame = _execute_df(cur, query)
    if frame.empty:
        raise SpecError(f"No rows with a {m.label} value per {spec.unit} and {spec.grain} to analyse")
    frame["unit"] = frame["unit"].astype(str)
    frame["period"] = pd.to_datetime(frame["period"]).astype("datetime64[ns]")
    frame["y"] = frame["y"].astype(float)
    frame["step"] = step_index(frame["period"], spec.grain)
    units = sorted(frame["unit"].unique())
    queries = [query]
    if spec.cohort:
        cq = panel_sql.cohort_query(
            table_name=spec.table, unit_column=spec.unit, cohort_expr=_cohort_expr(cur, spec, columns), grain=spec.grain
        )
        queries.append(cq)
        raw = _execute_df(cur, cq)
        cohorts = {str(u): (None if pd.isna(c) else pd.Timestamp(c)) for u, c in zip(raw["unit"], raw["cohort"])}
        cohorts = {u: cohorts.get(u) for u in units}
        treated = [u for u in units if cohorts[u] is not None]
        controls = [u for u in units if cohorts[u] is None]
        if not treated:
            raise SpecError(f"--cohort {spec.cohort} is empty for every {spec.unit}: no unit was treated")
        if not controls:
            raise SpecError(
                f"Every {spec.unit} has a {spec.cohort}: staggered estimates need never-treated units "
                "(an empty cohort) as controls"
            )
        start = None
    else:
        treated = list(spec.treated)
        _check_known(treated, units, spec.unit, "--treated")
        if spec.controls is not None:
            _check_known(list(spec.controls), units, spec.unit, "--controls")
            controls = sorted(set(spec.controls))
        else:
            controls = [u for u in units if u not in set(treated)]
        start = bucket(spec.start, spec.grain)
        frame = frame[frame["unit"].isin(treated + controls)].reset_index(drop=True)
        _check_start(frame, treated, start, spec)
        cohorts = {u: (start if u in set(treated) else None) for u in treated + controls}
    return Panel(
        frame=frame,
        grain=spec.grain,
        treated=treated,
        controls=controls,
        start=start,
        cohorts=cohorts,
        sql=";\n\n".join(queries),
    )


def _check_known(values: list[str], units: list[str], unit: str, flag: str) -> None:
    unknown = [v for v in values if v not in set(units)]
    if unknown:
        shown = ", ".join(units[:12]) + (", ..." if len(units) > 12 else "")
        raise SpecError(
            f"{flag}: {', '.join(map(repr, unknown))} {'is' if len(unknown) == 1 else 'are'} not a "
            f"value of {unit} with data (values: {shown})"
        )


def _check_start(frame: pd.DataFrame, treated: list[str], start: pd.Timestamp, spec: ImpactSpec) -> None:
    periods = frame.loc[frame["unit"].isin(treated), "period"]
    first, last = periods.min(), periods.max()
    span = f"the treated units' data run from {first:%Y-%m-%d} to {last:%Y-%m-%d} ({spec.grain}s)"
    if start <= first:
        raise SpecError(
            f"--start {spec.start} falls in the first {spec.grain} or before: no period before the "
            f"change to compare with; {span}"
        )
    if start > last:
        raise SpecError(f"--start {spec.start} is after the data end: no period after the change; {span}")


def unit_sizes(cur, table: str, unit_column: str, limit: int = 500) -> pd.DataFrame:
    """Units and their row counts, largest first (for a treated-unit pick list)."""
    if unit_column not in table_columns(cur, table):
        raise SpecError(f"{table} has no column {unit_column!r}")
    return _execute_df(cur, panel_sql.unit_sizes_query(table_name=table, unit_column=unit_column, limit=limit))
