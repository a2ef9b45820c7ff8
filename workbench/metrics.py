"""Metric specs and their evaluation: MetricSpec -> SQL -> MetricResult (tidy frame + the SQL).

A metric is a measure (row count, distinct count, sum/mean/min/max/median/p90/p99 of a column, or a ratio
of two sums) over a time column at a grain, with AND-ed filters, an optional breakdown with top-N (the rest
grouped as "Other"), a time range and an optional comparison with an earlier period.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workbench import safe_json, sql
from workbench.backend import ENGINE_ERRORS, ColumnKind, Cursor, column_kind, translate_error
from workbench.errors import SpecError, UnknownTableError

from workbench.cli_constants import GRAINS  # noqa: E402  (one definition, light for the CLI's parsers)

AGGREGATIONS = ("count", "count_distinct", "sum", "mean", "min", "max", "median", "p90", "p99", "ratio")
OPERATORS = ("=", "!=", "in", "not in", "<", "<=", ">", ">=", "between", "is null", "is not null", "contains")
TIME_FORMATS = ("auto", "timestamp", "epoch_s", "epoch_ms", "iso")
COMPARE_OFFSETS = {"day": dt.timedelta(days=1), "week": dt.timedelta(days=7), "4 weeks": dt.timedelta(days=28)}
_NUMERIC_AGGS = ("sum", "mean", "min", "max", "median", "p90", "p99", "ratio")
_ALIASES = {
    "avg": "mean",
    "distinct": "count_distinct",
    "countd": "count_distinct",
    "p50": "median",
    "count distinct": "count_distinct",
    "approx_count_distinct": "count_distinct",
}
_GRAIN_STEP = {
    "minute": dt.timedelta(minutes=1),
    "5min": dt.timedelta(minutes=5),
    "15min": dt.timedelta(minutes=15),
    "30min": dt.timedelta(minutes=30),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
    "week": dt.timedelta(days=7),
    "month": dt.timedelta(days=31),
    "quarter": dt.timedelta(days=92),
    "year": dt.timedelta(days=366),
}
GRAIN_STEP = _GRAIN_STEP  # the nominal length of one bucket of each grain (months as 31 days...)
_CALENDAR_MONTHS = {"month": 1, "quarter": 3, "year": 12}


@dataclass(frozen=True)
class Measure:
    """What is aggregated: ``agg`` of ``column`` (``denominator`` for ratios)."""

    agg: str = "count"
    column: str | None = None
    denominator: str | None = None

    def __post_init__(self):
        agg = _ALIASES.get(self.agg, self.agg)
        object.__setattr__(self, "agg", agg)
        if agg not in AGGREGATIONS:
            raise SpecError(f"Unknown aggregation {self.agg!r}; choose one of {', '.join(AGGREGATIONS)}")
        if agg != "count" and not self.column:
            raise SpecError(f"{agg} needs a column")
        if agg == "ratio" and not self.denominator:
            raise SpecError("ratio needs a numerator and a denominator column: ratio(violations, views)")

    @classmethod
    def parse(cls, text: str) -> "Measure":
        """Parse ``count(*)``, ``sum(views)``, ``count_distinct(user_id)``, ``ratio(violations, views)``.

        Column names may be double-quoted to hold commas or parentheses: ``sum("a, b")``.
        """
        text = text.strip()
        if text.lower() in ("count", "count(*)", "rows"):
            return cls("count")
        parts = _split_division(text)
        if parts:  # sum(a)/sum(b) is how many people write ratio(a, b)
            num, den = (cls.parse(p) for p in parts)
            if num.agg != "sum" or den.agg != "sum":
                raise SpecError(f"Cannot read measure {text!r}: only sum(a) / sum(b) divides; write ratio(a, b)")
            return cls("ratio", num.column, den.column)
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_ ]*?)\s*\((.*)\)", text, flags=re.S)  # digits: p90, p99
        if not m:
            raise SpecError(
                f"Cannot read measure {text!r}; write e.g. sum(views), count(*) or ratio(violations, views)"
            )
        agg = m.group(1).strip().lower()
        args = _split_args(m.group(2))
        if agg == "count" and args == ["*"]:
            return cls("count")
        if agg == "count" and len(args) == 1:
            raise SpecError(f"count({args[0]}) is ambiguous: write count(*) for rows or count_distinct({args[0]})")
        if agg == "ratio":
            if len(args) != 2:
                raise SpecError("ratio takes two columns: ratio(numerator, denominator)")
            return cls("ratio", args[0], args[1])
        if len(args) != 1:
            raise SpecError(f"{agg} takes one column")
        return cls(agg, args[0])

    @property
    def label(self) -> str:
        if self.agg == "count":
            return "count(*)"
        if self.agg == "ratio":
            return f"ratio({self.column}, {self.denominator})"
        return f"{self.agg}({self.column})"

    @property
    def additive(self) -> bool:
        """Totals over buckets make sense, and an empty bucket is 0 rather than a gap."""
        return self.agg in ("count", "count_distinct", "sum")

    @property
    def columns(self) -> list[str]:
        return [c for c in (self.column, self.denominator) if c]


def _split_division(text: str) -> tuple[str, str] | None:
    """``sum(a) / sum(b)`` -> ("sum(a)", "sum(b)"): the one "/" outside parentheses and quotes, else None."""
    depth, quoted, at = 0, False, []
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "()":
            depth += 1 if ch == "(" else -1
        elif not quoted and depth == 0 and ch == "/":
            at.append(i)
    if len(at) > 1:
        raise SpecError(f"Cannot read measure {text!r}: one division at most, sum(a) / sum(b)")
    if not at:
        return None
    return text[: at[0]].strip(), text[at[0] + 1 :].strip()


def _split_args(text: str) -> list[str]:
    """Split ``a, "b, c"`` into ['a', 'b, c']. Quoted names are kept exactly ("" escapes a quote), so a
    column named `` leading`` survives; unquoted names are trimmed."""
    args: list[str] = []
    buf: list[str] = []
    quoted = was_quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == '"':
            if quoted and text[i + 1 : i + 2] == '"':
                buf.append('"')
                i += 1
            else:
                if not quoted and not was_quoted and not "".join(buf).strip():
                    buf = []  # blanks before an opening quote (`a, "b"`) are not part of the name
                quoted, was_quoted = not quoted, True
        elif ch == "," and not quoted:
            args.append("".join(buf) if was_quoted else "".join(buf).strip())
            buf, was_quoted = [], False
        elif quoted or not was_quoted:
            buf.append(ch)
        i += 1
    args.append("".join(buf) if was_quoted else "".join(buf).strip())
    return args


@dataclass(frozen=True)
class Filter:
    """``column op value``; ``value`` is a list for in/not in and a (low, high) pair for between."""

    column: str
    op: str = "="
    value: Any = None

    def __post_init__(self):
        op = {"==": "=", "<>": "!=", "≠": "!=", "≤": "<=", "≥": ">="}.get(self.op, self.op).lower()
        object.__setattr__(self, "op", op)
        if op not in OPERATORS:
            raise SpecError(f"Unknown filter operator {self.op!r}; choose one of {', '.join(OPERATORS)}")
        if op in ("in", "not in"):
            value = self.value if isinstance(self.value, (list, tuple)) else [self.value]
            object.__setattr__(self, "value", tuple(value))
        if op == "between":
            if not isinstance(self.value, (list, tuple)) or len(self.value) != 2:
                raise SpecError(f"between needs two values (low, high) for {self.column}")
            object.__setattr__(self, "value", tuple(self.value))

    _PATTERN = re.compile(
        r"^(?P<col>.+?)\s*(?P<op>!=|<>|>=|<=|=|<|>|\s+not\s+in\s+|\s+in\s+|\s+between\s+|\s+contains\s+|\s+is\s+not\s+null$|\s+is\s+null$)\s*(?P<val>.*)$",
        re.I | re.S,
    )

    @classmethod
    def parse(cls, text: str) -> "Filter":
        """Parse ``country=BR``, ``country!=BR``, ``country in BR,US``, ``views>=3``, ``a between 1,5``,
        ``country is null``, ``title contains spam``."""
        m = cls._PATTERN.match(text.strip())
        if not m:
            raise SpecError(f"Cannot read filter {text!r}; write e.g. country=BR, views>=3 or country in BR,US")
        col, op, val = m.group("col").strip(), " ".join(m.group("op").lower().split()), m.group("val").strip()
        if len(col) >= 2 and col[0] == col[-1] == '"':
            col = col[1:-1].replace('""', '"')
        if op in ("in", "not in"):
            return cls(col, op, tuple(v.strip() for v in val.split(",")))
        if op == "between":
            parts = [v.strip() for v in re.split(r",|\s+and\s+", val, flags=re.I)]
            return cls(col, op, tuple(parts))
        if op in ("is null", "is not null"):
            return cls(col, op)
        return cls(col, op, val)

    @property
    def label(self) -> str:
        if self.op in ("is null", "is not null"):
            return f"{self.column} {self.op}"
        if self.op in ("in", "not in"):
            return f"{self.column} {self.op} {', '.join(map(str, self.value))}"
        if self.op == "between":
            return f"{self.column} between {self.value[0]} and {self.value[1]}"
        return f"{self.column} {self.op} {self.value}"


@dataclass(frozen=True)
class MetricSpec:
    """Everything needed to compute a metric series; serialisable to JSON."""

    table: str
    measure: Measure = field(default_factory=Measure)
    time_column: str | None = None
    time_format: str = "auto"
    grain: str = "day"
    filters: tuple[Filter, ...] = ()
    breakdown: str | None = None
    top_n: int = 10
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    compare: bool = False
    compare_offset: str | None = None  # None: the previous period of the same length; or "day", "week", "4 weeks"

    def __post_init__(self):
        if self.grain not in GRAINS:
            raise SpecError(f"Unknown grain {self.grain!r}; choose one of {', '.join(GRAINS)}")
        if self.time_format not in TIME_FORMATS:
            raise SpecError(f"Unknown time format {self.time_format!r}; choose one of {', '.join(TIME_FORMATS)}")
        if self.compare_offset is not None and self.compare_offset not in COMPARE_OFFSETS:
            raise SpecError(f"Unknown comparison {self.compare_offset!r}; choose one of {', '.join(COMPARE_OFFSETS)}")
        if self.top_n < 1:
            raise SpecError("top-N must be at least 1")
        object.__setattr__(self, "filters", tuple(self.filters))
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, dt.datetime):
                object.__setattr__(self, name, _to_datetime(value))
        if self.start and self.end and self.end <= self.start:
            raise SpecError("The time range is empty: the end must be after the start")

    def replace(self, **changes) -> "MetricSpec":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["filters"] = [
            dataclasses.asdict(f) | {"value": list(f.value) if isinstance(f.value, tuple) else f.value}
            for f in self.filters
        ]
        d["start"] = self.start.isoformat() if self.start else None
        d["end"] = self.end.isoformat() if self.end else None
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "MetricSpec":
        """The spec ``to_dict`` wrote; a hand-edited or damaged one raises SpecError saying what is wrong."""
        if not isinstance(d, dict):
            raise SpecError(f"A metric spec is a JSON object, not {type(d).__name__}")
        try:
            d = dict(d)
            d["measure"] = Measure(**d.get("measure") or {})
            d["filters"] = tuple(Filter(**f) for f in d.get("filters") or ())
            known = {f.name for f in dataclasses.fields(cls)}
            return cls(**{k: v for k, v in d.items() if k in known})
        except (TypeError, ValueError, AttributeError) as exc:  # wrong shapes or types from a file
            raise SpecError(f"Not a valid metric spec ({exc})") from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "MetricSpec":
        return cls.from_dict(safe_json.loads(text, "metric spec"))


def _shifted(t: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """``t + delta``, held at the calendar's ends (data in year 1 or 9999 must not overflow)."""
    try:
        return t + delta
    except OverflowError:
        return dt.datetime.min if delta < dt.timedelta(0) else dt.datetime.max


def _to_datetime(value: Any) -> dt.datetime:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise SpecError(f"Cannot read {value!r} as a date or time") from exc
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()


@dataclass(frozen=True)
class MetricResult:
    """A tidy frame (bucket, series, value, comparison_value) and the SQL that produced it."""

    spec: MetricSpec
    frame: pd.DataFrame
    sql: str
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    # Rows whose value / comparison_value is a computed NaN (a sum over NaN), not an empty bucket: pandas
    # shows both as NaN, so the distinction travels beside the frame (aligned with its rows).
    value_nan: tuple[bool, ...] = field(default=(), compare=False)
    comparison_nan: tuple[bool, ...] = field(default=(), compare=False)
    # Buckets not fully covered by the range or the data (workbench.partial_periods), and [start, end) of the
    # complete ones (None when none is complete): comparisons use the complete ones by default.
    incomplete: tuple[dt.datetime, ...] = field(default=(), compare=False)
    complete_range: tuple[dt.datetime, dt.datetime] | None = field(default=None, compare=False)

    @property
    def series_names(self) -> list[str]:
        return list(dict.fromkeys(self.frame["series"]))


@dataclass(frozen=True)
class Leaderboard:
    """Top values of a dimension: dimension_value, value, rows, share, comparison_value, change, change_pct."""

    dimension: str
    frame: pd.DataFrame
    sql: str


@dataclass(frozen=True)
class ResolvedMetric:
    """A spec checked against the table: SQL pieces for its time expression, filters and operands."""

    spec: MetricSpec
    t_expr: str
    where: list[str]
    operand: str | None
    denominator: str | None


def table_columns(cur: Cursor, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of an open table."""
    try:
        return {row[0]: str(row[1]) for row in cur.execute(sql.describe(table)).fetchall()}
    except ENGINE_ERRORS as exc:
        error = translate_error(exc)
        if isinstance(error, UnknownTableError):
            raise SpecError(f"No open table named {table!r}") from None
        raise error from exc


def _is_numeric(col_type: str) -> bool:
    """Numbers, and booleans (a sum or mean of a flag is a count or a share)."""
    return column_kind(col_type) in (ColumnKind.NUMERIC, ColumnKind.BOOLEAN)


def _is_temporal(col_type: str) -> bool:
    return column_kind(col_type) is ColumnKind.TEMPORAL


def detect_time_column(columns: dict[str, str]) -> str | None:
    """The time column when the table has exactly one TIMESTAMP/DATE column."""
    temporal = [name for name, typ in columns.items() if _is_temporal(typ)]
    return temporal[0] if len(temporal) == 1 else None


def _resolve_time(cur: Cursor, spec: MetricSpec, columns: dict[str, str]) -> tuple[str, str]:
    time_col = spec.time_column or detect_time_column(columns)
    if time_col is None:
        temporal = [n for n, t in columns.items() if _is_temporal(t)]
        if temporal:
            raise SpecError(f"{spec.table} has several time columns ({', '.join(temporal)}); choose one")
        raise SpecError(
            f"{spec.table} has no TIMESTAMP or DATE column; choose a time column "
            "(epoch seconds/milliseconds or ISO date strings also work)"
        )
    if time_col not in columns:
        raise SpecError(f"{spec.table} has no column {time_col!r}")
    col_type = columns[time_col]
    fmt = spec.time_format
    if fmt in ("auto", "timestamp"):
        if _is_temporal(col_type):
            fmt = "timestamp"
        elif column_kind(col_type) is ColumnKind.NUMERIC:
            # Epoch seconds reach 1e11 only in the year 5138; anything larger is milliseconds.
            (biggest,) = cur.execute(sql.max_abs(spec.table, time_col)).fetchall()[0]
            fmt = "epoch_ms" if biggest is not None and biggest > 1e11 else "epoch_s"
        elif column_kind(col_type) is ColumnKind.TEXT:
            fmt = "iso"
        else:
            raise SpecError(f"{time_col} ({col_type}) cannot be used as a time column")
    return time_col, sql.time_expr(time_col, col_type, fmt)


def _coerce(value: Any, col_type: str, column: str) -> Any:
    """Turn text typed by a user into the column's type, with a clear message when it does not fit."""
    if value is None or not isinstance(value, str):
        return value
    if column_kind(col_type) is ColumnKind.BOOLEAN:
        low = value.strip().lower()
        if low in ("true", "t", "1", "yes"):
            return True
        if low in ("false", "f", "0", "no"):
            return False
        raise SpecError(f"{column}: {value!r} is not true/false")
    if _is_numeric(col_type):
        try:
            number = float(value)
        except ValueError:
            raise SpecError(f"{column}: {value!r} is not a number") from None
        return (
            int(number) if number.is_integer() and not col_type.startswith(("FLOAT", "DOUBLE", "DECIMAL")) else number
        )
    if _is_temporal(col_type):
        return _to_datetime(value)
    return value


def _filter_sql(f: Filter, columns: dict[str, str]) -> str:
    if f.column not in columns:
        raise SpecError(f"Filter on unknown column {f.column!r}")
    col_type = columns[f.column]
    value = f.value
    if f.op in ("in", "not in", "between"):
        value = tuple(_coerce(v, col_type, f.column) for v in value)
    elif f.op == "contains":
        value = str(value)
    elif f.op not in ("is null", "is not null"):
        value = _coerce(value, col_type, f.column)
    return sql.filter_condition(f.column, f.op, value)


def resolve(cur: Cursor, spec: MetricSpec) -> ResolvedMetric:
    """Check ``spec`` against its table and return the SQL pieces other analyses build on.

    Raises
    ------
    SpecError when a column is missing, has the wrong type, or no time column can be found.
    """
    columns = table_columns(cur, spec.table)
    time_col, t_expr = _resolve_time(cur, spec, columns)
    for name in spec.measure.columns:
        if name not in columns:
            raise SpecError(f"{spec.table} has no column {name!r}")
        if spec.measure.agg in _NUMERIC_AGGS and not _is_numeric(columns[name]):
            raise SpecError(f"{spec.measure.agg} needs a numeric column; {name} is {columns[name]}")
    if spec.breakdown is not None and spec.breakdown not in columns:
        raise SpecError(f"{spec.table} has no column {spec.breakdown!r} to break down by")
    where = [_filter_sql(f, columns) for f in spec.filters]
    m = spec.measure
    operand = sql.measure_operand(m.column, columns.get(m.column)) if m.column else None
    denominator = sql.measure_operand(m.denominator, columns.get(m.denominator)) if m.denominator else None
    return ResolvedMetric(spec.replace(time_column=time_col), t_expr, where, operand, denominator)


def _execute_df(cur: Cursor, query: str) -> pd.DataFrame:
    try:
        return cur.sql(query).df()
    except ENGINE_ERRORS as exc:
        raise translate_error(exc) from exc


def _fetchone(cur: Cursor, query: str):
    try:
        return cur.execute(query).fetchall()[0]
    except ENGINE_ERRORS as exc:
        raise translate_error(exc) from exc


def _range(cur: Cursor, r: ResolvedMetric, extent=None) -> tuple[dt.datetime, dt.datetime] | None:
    """The current period: the spec's range, or the data's extent rounded out to whole buckets."""
    spec = r.spec
    if spec.start is not None and spec.end is not None:
        return spec.start, spec.end
    lo, hi, _ = extent or _fetchone(cur, sql.time_bounds_query(spec.table, r.t_expr, r.where))
    if lo is None:
        return None
    lo, hi = pd.Timestamp(lo).to_pydatetime(), pd.Timestamp(hi).to_pydatetime()
    start = spec.start or _truncate(lo, spec.grain)
    try:
        end = spec.end or _truncate(hi, spec.grain) + _grain_delta(_truncate(hi, spec.grain), spec.grain)
    except (OverflowError, ValueError):  # the last bucket ends after 9999-12-31 (OutOfBoundsDatetime is a ValueError)
        end = sql.END_OF_TIME
    return start, end


def _truncate(t: dt.datetime, grain: str) -> dt.datetime:
    ts = pd.Timestamp(t)
    if grain == "week":
        day = ts.normalize()
        return (day - pd.Timedelta(days=day.weekday())).to_pydatetime()
    if grain in _CALENDAR_MONTHS:
        month = ts.month - (ts.month - 1) % _CALENDAR_MONTHS[grain]
        # on the datetime, not the Timestamp: pandas' replace overflows in years 1 and 9999
        return ts.to_pydatetime().replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)
    return ts.floor(
        {"minute": "min", "5min": "5min", "15min": "15min", "30min": "30min", "hour": "h", "day": "D"}[grain]
    ).to_pydatetime()


def _grain_delta(t: dt.datetime, grain: str) -> dt.timedelta:
    if grain in _CALENDAR_MONTHS:
        nxt = (pd.Timestamp(t) + pd.DateOffset(months=_CALENDAR_MONTHS[grain])).to_pydatetime()
        return nxt - t
    return _GRAIN_STEP[grain]


def compare_shift(spec: MetricSpec, start: dt.datetime, end: dt.datetime) -> dt.timedelta | None:
    if not spec.compare:
        return None
    return COMPARE_OFFSETS[spec.compare_offset] if spec.compare_offset else end - start


def _interval(delta: dt.timedelta) -> str:
    return f"INTERVAL {sql.literal(f'{int(delta.total_seconds() * 1_000_000)} microseconds')}"


def metric_series(con: Cursor, spec: MetricSpec) -> MetricResult:
    """Evaluate ``spec`` on ``con`` (a cursor of the session connection).

    Returns
    -------
    MetricResult with one row per (bucket, series); empty buckets are 0 for counts and gaps (NaN) for
    measures where "no rows" is not zero (sums of nothing, means, quantiles, ratios).
    """
    r = resolve(con, spec)
    extent = _fetchone(con, sql.time_bounds_query(spec.table, r.t_expr, r.where))
    bounds = _range(con, r, extent)
    columns = ["bucket", "series", "value", "comparison_value"]
    if bounds is None:
        return MetricResult(
            r.spec,
            pd.DataFrame({c: [] for c in columns}).astype(
                {"bucket": "datetime64[us]", "series": object, "value": float, "comparison_value": float}
            ),
            "",
        )
    start, end = bounds
    shift = compare_shift(r.spec, start, end)
    series_expr = sql.series_label(spec.breakdown)
    top_values = None
    decomposable = spec.measure.agg in ("count", "sum", "mean", "min", "max", "ratio")
    if spec.breakdown and not decomposable:
        q = sql.top_values_query(
            table_name=spec.table,
            t_expr=r.t_expr,
            series_expr=series_expr,
            where=r.where,
            start=start,
            end=end,
            top_n=spec.top_n,
        )
        try:
            top_values = [row[0] for row in con.execute(q).fetchall()]
        except ENGINE_ERRORS as exc:
            raise translate_error(exc) from exc
    query = sql.metric_query(
        table_name=spec.table,
        t_expr=r.t_expr,
        grain=spec.grain,
        agg=spec.measure.agg,
        operand=r.operand,
        denominator=r.denominator,
        where=r.where,
        start=start,
        end=end,
        series_expr=series_expr,
        top_n=spec.top_n if spec.breakdown else None,
        top_values=top_values,
        compare_shift=_interval(shift) if shift else None,
        compare_overlaps=bool(shift and shift < end - start),
    )
    frame = _execute_df(
        con,
        f"SELECT *, coalesce(isnan(value), false) AS __value_nan, "
        f"coalesce(isnan(comparison_value), false) AS __comparison_nan FROM ({query})",
    )
    value_nan = tuple(bool(v) for v in frame.pop("__value_nan"))
    comparison_nan = tuple(bool(v) for v in frame.pop("__comparison_nan"))
    if frame.empty:  # no rows in the range: still one gap/zero per bucket for the single series
        frame = pd.DataFrame({c: [] for c in columns})
    frame["bucket"] = pd.to_datetime(frame["bucket"])
    frame["series"] = frame["series"].astype(object)
    frame["value"] = frame["value"].astype(float)
    frame["comparison_value"] = frame["comparison_value"].astype(float)
    incomplete, complete = _partial_periods(con, r, frame, start, end, extent)
    return MetricResult(
        r.spec, frame.reset_index(drop=True), query, start, end, value_nan, comparison_nan, incomplete, complete
    )


def _partial_periods(con: Cursor, r: ResolvedMetric, frame: pd.DataFrame, start, end, extent):
    """(incomplete bucket starts, complete [start, end)) for a series frame; see workbench.partial_periods."""
    from workbench import partial_periods

    lo, hi, rows = extent
    buckets = [b.to_pydatetime() for b in pd.to_datetime(frame["bucket"].drop_duplicates())]
    grain = r.spec.grain
    end_of = lambda b: bucket_end(b, grain)  # noqa: E731
    data_start = data_end = None
    if lo is not None:
        data_start, last = pd.Timestamp(lo).to_pydatetime(), pd.Timestamp(hi).to_pydatetime()
        is_date = table_columns(con, r.spec.table).get(r.spec.time_column or "", "") == "DATE"
        step = partial_periods.sampling_step(data_start, last, int(rows or 0), is_date)
        # One sampling step either side: readings every 10 minutes that start at 00:07 cover their first day.
        data_start = data_start if is_date else _shifted(data_start, -step)
        data_end = _shifted(last, step)
    incomplete = partial_periods.incomplete_buckets(
        buckets, end_of, range_start=start, range_end=end, data_start=data_start, data_end=data_end
    )
    return incomplete, partial_periods.complete_bounds(buckets, incomplete, end_of)


def bucket_end(start: dt.datetime, grain: str) -> dt.datetime:
    """Where the bucket that starts at ``start`` ends (calendar months, quarters and years vary in length)."""
    try:
        return start + _grain_delta(start, grain)
    except (OverflowError, ValueError):  # the last bucket of the calendar
        return sql.END_OF_TIME


def leaderboard(con: Cursor, spec: MetricSpec, dimension: str, limit: int = 20) -> Leaderboard:
    """Top values of ``dimension`` for the spec's measure over its range, with share and change."""
    r = resolve(con, spec.replace(breakdown=None))
    columns = table_columns(con, spec.table)
    if dimension not in columns:
        raise SpecError(f"{spec.table} has no column {dimension!r}")
    bounds = _range(con, r)
    cols = ["dimension_value", "value", "rows", "share", "comparison_value", "change", "change_pct"]
    if bounds is None:
        return Leaderboard(dimension, pd.DataFrame({c: [] for c in cols}), "")
    start, end = bounds
    shift = compare_shift(r.spec, start, end)
    query = sql.leaderboard_query(
        table_name=spec.table,
        t_expr=r.t_expr,
        dim_expr=sql.series_label(dimension),
        agg=spec.measure.agg,
        operand=r.operand,
        denominator=r.denominator,
        where=r.where,
        start=start,
        end=end,
        compare_shift=_interval(shift) if shift else None,
        limit=limit,
        compare_overlaps=bool(shift and shift < end - start),
    )
    return Leaderboard(dimension, _execute_df(con, query), query)


def time_bounds(con: Cursor, spec: MetricSpec) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Earliest and latest time in the table after the spec's filters."""
    r = resolve(con, spec)
    lo, hi, _ = _fetchone(con, sql.time_bounds_query(spec.table, r.t_expr, r.where))
    to_dt = lambda v: pd.Timestamp(v).to_pydatetime() if v is not None else None  # noqa: E731
    return to_dt(lo), to_dt(hi)


def distinct_values(con: Cursor, table: str, column: str, limit: int = 200, prefix: str | None = None) -> list:
    """Most frequent values of a column (for filter pick lists), optionally those containing ``prefix``."""
    columns = table_columns(con, table)
    if column not in columns:
        raise SpecError(f"{table} has no column {column!r}")
    try:
        rows = con.execute(sql.distinct_values_query(table, column, limit, prefix)).fetchall()
    except ENGINE_ERRORS as exc:
        raise translate_error(exc) from exc
    return [row[0] for row in rows]
