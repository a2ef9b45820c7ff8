"""Rewrites that turn a DuckDB query tree into one Spark SQL runs with the same meaning.

Each rule handles one DuckDB-only convenience. What has no faithful Spark form is left in place, and the
guard in :mod:`workbench.dialects.duckdb_only` refuses it with a clear message instead of emitting it.

Time values are ``TIMESTAMP_NTZ`` (wall-clock UTC) on the Spark side, as naive ``TIMESTAMP`` is on DuckDB's,
and instants become NTZ through their epoch microseconds, exactly. Spark's ``date_trunc`` and interval
arithmetic still pass through the session time zone, so a Spark session must run with
``spark.sql.session.timeZone=UTC`` (as DuckDB's naive timestamps are UTC) for buckets to be exact across
daylight-saving changes.
"""

from __future__ import annotations

import re
from typing import Callable

from sqlglot import exp

from workbench.dialects.spark_sources import rewrite_file_readers
from workbench.errors import DialectError

_TWO_63 = "9223372036854775808.0"


def to_spark(tree: exp.Expression) -> exp.Expression:
    """A copy of ``tree`` (a DuckDB query) with every DuckDB-only construct that has a Spark form rewritten."""
    tree = tree.copy()
    tree = rewrite_file_readers(tree)
    for node_type, rule in _RULES:
        tree = _replace_all(tree, node_type, rule)
    return tree


def _replace_all(
    tree: exp.Expression, node_type: type[exp.Expression], rule: Callable[[exp.Expression], exp.Expression | None]
) -> exp.Expression:
    for node in list(tree.find_all(node_type)):
        new = rule(node)
        if new is None or new is node:
            continue
        if node is tree:
            tree = new
        else:
            node.replace(new)
    return tree


def _anon(name: str, *args: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(args))


def _utc_wall_clock(instant: exp.Expression) -> exp.Expression:
    """A Spark TIMESTAMP (an instant) as the TIMESTAMP_NTZ of its UTC wall clock: microseconds since 1970
    added to the NTZ epoch, exact in any session time zone (a cast to NTZ would use the session's zone and
    be an hour off around daylight-saving changes)."""
    epoch = exp.Cast(
        this=exp.Literal.string("1970-01-01 00:00:00"), to=exp.DataType.build("TIMESTAMP_NTZ", dialect="spark")
    )
    return exp.TimestampAdd(this=epoch, expression=_anon("unix_micros", instant), unit=exp.Var(this="MICROSECOND"))


# --- functions ----------------------------------------------------------------------------------------


def _anonymous(node: exp.Anonymous) -> exp.Expression | None:
    name = str(node.name).lower()
    args = node.expressions
    if (
        name == "bit_count"
        and len(args) == 1
        and isinstance(args[0], exp.Anonymous)
        and str(args[0].name).lower() == "bitstring_agg"
    ):
        # A bitmap of the ids present counts distinct ids; Spark counts them directly.
        return exp.Count(this=exp.Distinct(expressions=[args[0].expressions[0]]))
    if name == "hash":
        # DuckDB's hash is an unsigned 64-bit value (callers scale it by 2^64 into [0, 1)); xxhash64 is signed.
        shifted = exp.Add(
            this=exp.Cast(this=_anon("xxhash64", *args), to=exp.DataType.build("DOUBLE")),
            expression=exp.Literal.number(_TWO_63),
        )
        return exp.Paren(this=shifted)
    if name == "timezone" and len(args) == 2:
        zone, value = args
        utc = _utc_wall_clock(value)
        if isinstance(zone, exp.Literal) and zone.is_string and zone.name.upper() == "UTC":
            return utc
        return exp.ConvertTimezone(source_tz=exp.Literal.string("UTC"), target_tz=zone, timestamp=utc)
    if name == "isfinite" and len(args) == 1:
        x = args[0]
        infinite = exp.EQ(
            this=exp.Abs(this=x.copy()),
            expression=exp.Cast(this=exp.Literal.string("Infinity"), to=exp.DataType.build("DOUBLE")),
        )
        return exp.Paren(this=exp.And(this=exp.Not(this=exp.IsNan(this=x)), expression=exp.Not(this=infinite)))
    return None


def _unix_to_time(node: exp.UnixToTime) -> exp.Expression:
    scale = node.args.get("scale")
    value = node.this
    if node.args.get("zone") or node.args.get("format"):
        raise DialectError("This epoch conversion has no Spark form (a time zone or format argument).")
    if scale is None:  # DuckDB to_timestamp(seconds): an instant, like Spark's timestamp_seconds
        return _anon("timestamp_seconds", value)
    unit = {"3": "timestamp_millis", "6": "timestamp_micros"}.get(str(scale.name))
    if unit is None:
        raise DialectError(f"Epoch values in units of 10^-{scale.name} s have no Spark conversion.")
    # DuckDB's epoch_ms/epoch_us give a naive UTC timestamp, not an instant.
    return _utc_wall_clock(_anon(unit, value))


def _time_to_unix(node: exp.TimeToUnix) -> exp.Expression:
    """DuckDB epoch(t): seconds since 1970 with the fraction, from a naive (UTC) timestamp."""
    origin = exp.Cast(
        this=exp.Literal.string("1970-01-01 00:00:00"), to=exp.DataType.build("TIMESTAMP_NTZ", dialect="spark")
    )
    micros = exp.TimestampDiff(this=node.this, expression=origin, unit=exp.Var(this="MICROSECOND"))
    return exp.Paren(this=exp.Div(this=micros, expression=exp.Literal.number("1000000.0")))


_BUCKET_UNITS = {"MINUTE": ("MINUTE", 60, 2), "HOUR": ("HOUR", 24, 1)}


def _time_bucket(node: exp.DateBin) -> exp.Expression:
    """time_bucket(INTERVAL 'n MINUTES', t) for n dividing an hour (or n hours dividing a day): buckets align
    on the clock, so truncating to the unit and stepping back by (unit of t mod n) gives the same start."""
    if node.args.get("origin") or node.args.get("zone"):
        raise DialectError("time_bucket with an origin or time zone has no Spark form.")
    width = node.this
    match = (
        re.fullmatch(r"INTERVAL '?(\d+)'? (MINUTE|HOUR)S?", width.sql("duckdb").upper())
        if isinstance(width, exp.Interval)
        else None
    )
    if match is None:
        raise DialectError(f"time_bucket({width.sql('duckdb')}, ...) has no Spark form (only minutes or hours).")
    n, unit = int(match.group(1)), match.group(2)
    part, per_parent, position = _BUCKET_UNITS[unit]
    if n <= 0 or per_parent % n:
        raise DialectError(
            f"A {n}-{unit.lower()} bucket does not divide the {('hour', 'day')[unit == 'HOUR']}; it has no Spark form."
        )
    t = node.expression
    truncated = exp.TimestampTrunc(this=t.copy(), unit=exp.Var(this=part))
    offset = exp.Mod(this=_anon(part.lower(), t), expression=exp.Literal.number(n))
    parts: list[exp.Expression] = [exp.Literal.number(0)] * 4
    parts[position] = offset
    return exp.Sub(this=truncated, expression=_anon("make_dt_interval", *parts))


def _quantile(node: exp.PercentileCont) -> exp.Expression:
    if node.args.get("expression") is None:
        raise DialectError("quantile_cont without a fraction has no Spark form.")
    # Spark's percentile is exact with linear interpolation, as quantile_cont is.
    return exp.Quantile(this=node.this, quantile=node.args["expression"])


def _quantile_disc(node: exp.PercentileDisc) -> exp.Expression | None:
    """quantile_disc(x, q) or (x, [q1, q2]) -> percentile_disc(q) WITHIN GROUP (ORDER BY x), one per fraction
    (both are the standard discrete percentile); a FILTER on the DuckDB aggregate goes on each of them."""
    if isinstance(node.parent, exp.WithinGroup):
        return None  # already the standard form
    fractions = node.args.get("expression")
    if fractions is None:
        raise DialectError("quantile_disc without a fraction has no Spark form.")
    many = isinstance(fractions, exp.Array)
    wrapper = node.parent if isinstance(node.parent, exp.Filter) else None
    parts: list[exp.Expression] = []
    for q in fractions.expressions if many else [fractions]:
        order = exp.Order(expressions=[exp.Ordered(this=node.this.copy(), nulls_first=False)])
        # Spelled as a plain call: SQLGlot would otherwise write Spark's approximate percentile here.
        part: exp.Expression = exp.WithinGroup(this=_anon("percentile_disc", q.copy()), expression=order)
        if wrapper is not None:
            part = exp.Filter(this=part, expression=wrapper.expression.copy())
        parts.append(part)
    new = exp.Array(expressions=parts) if many else parts[0]
    if wrapper is not None:
        wrapper.replace(new)
        return node  # replaced through its FILTER
    return new


def _regexp_full_match(node: exp.RegexpFullMatch) -> exp.Expression:
    pattern = node.expression
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        anchored: exp.Expression = exp.Literal.string(f"^(?:{pattern.this})$")
    else:
        anchored = exp.DPipe(
            this=exp.DPipe(this=exp.Literal.string("^(?:"), expression=pattern), expression=exp.Literal.string(")$")
        )
    return exp.RegexpLike(this=node.this, expression=anchored)


def _grouping(node: exp.Grouping) -> exp.Expression | None:
    # DuckDB's GROUPING(a, b, c) is the bitmask 4*grouping(a) + 2*grouping(b) + grouping(c). Spark's
    # grouping_id(...) only accepts the full list of grouping columns, so spell the bitmask out of
    # one-column grouping() calls, which Spark accepts for any subset.
    columns = list(node.expressions)
    if len(columns) <= 1:
        return None
    terms: list[exp.Expression] = []
    for i, column in enumerate(columns):
        bit = exp.Grouping(expressions=[column.copy()])
        weight = 1 << (len(columns) - 1 - i)
        terms.append(bit if weight == 1 else exp.Mul(this=bit, expression=exp.Literal.number(weight)))
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return exp.Paren(this=total)


def _placeholder(node: exp.Placeholder) -> exp.Expression | None:
    """DuckDB's numbered ``$1`` -> Spark's named ``:p1`` (a Spark backend binds ``{"p1": ...}``); ``?`` stays."""
    number = node.this
    if number is None or not str(number).isdigit():
        return None
    return exp.Placeholder(this=f"p{number}")


# --- clauses ------------------------------------------------------------------------------------------


def _sample(node: exp.TableSample) -> exp.Expression | None:
    """``USING SAMPLE reservoir(n ROWS) REPEATABLE (seed)`` -> ``ORDER BY rand(seed) LIMIT n``: a seeded
    uniform sample of n rows (Spark's own ``TABLESAMPLE (n ROWS)`` takes the first n rows)."""
    select = node.parent
    method_node = node.args.get("method")
    method = str(method_node.name if method_node else "").upper()
    size = node.args.get("size")
    if (
        not isinstance(select, exp.Select)
        or node.arg_key != "sample"
        or method != "RESERVOIR"
        or size is None
        or node.args.get("percent")
        or select.args.get("order")
        or select.args.get("limit")
    ):
        return None  # left for the guard to refuse
    seed = node.args.get("seed")
    node.pop()
    select.order_by(exp.Rand(this=seed) if seed is not None else exp.Rand(), copy=False)
    select.limit(size, copy=False)
    return node


def _session_view(node: exp.Create) -> exp.Expression | None:
    """Views are the session's (DuckDB's in-memory catalog); on Spark a plain view would be stored in the
    metastore, so it is made TEMPORARY."""
    if str(node.args.get("kind", "")).upper() != "VIEW":
        return None
    properties = node.args.get("properties")
    if properties is not None and any(isinstance(p, exp.TemporaryProperty) for p in properties.expressions):
        return None
    if properties is None:
        properties = exp.Properties(expressions=[])
        node.set("properties", properties)
    properties.append("expressions", exp.TemporaryProperty())
    return node


def _group_by_all(node: exp.Group) -> exp.Expression | None:
    """``GROUP BY ALL`` -> the ordinals of the projections that are not aggregates (as DuckDB reads it)."""
    if not node.args.get("all"):
        return None
    select = node.parent
    if not isinstance(select, exp.Select):
        return None
    if any(isinstance(p, exp.Star) or p.find(exp.Star) and not p.find(exp.AggFunc) for p in select.expressions):
        raise DialectError("GROUP BY ALL over * has no Spark form; name the columns.")
    keys = [
        exp.Literal.number(i)
        for i, p in enumerate(select.expressions, start=1)
        if not p.find(exp.AggFunc) and not p.find(exp.Window)
    ]
    if not keys:
        node.pop()
        return node
    return exp.Group(expressions=keys)


_RULES: list[tuple[type[exp.Expression], Callable]] = [
    (exp.Anonymous, _anonymous),
    (exp.UnixToTime, _unix_to_time),
    (exp.TimeToUnix, _time_to_unix),
    (exp.DateBin, _time_bucket),
    (exp.PercentileCont, _quantile),
    (exp.PercentileDisc, _quantile_disc),
    (exp.RegexpFullMatch, _regexp_full_match),
    (exp.Grouping, _grouping),
    (exp.Placeholder, _placeholder),
    (exp.TableSample, _sample),
    (exp.Group, _group_by_all),
    (exp.Create, _session_view),
]
