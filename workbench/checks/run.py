"""Evaluate rules on one table: ONE aggregate scan for all of them, then capped samples of failing rows.

The scan is a single ``GROUP BY GROUPING SETS`` query: the empty set carries one ``count(*) FILTER`` per
row rule (not_null, accepted_values, between, regex, expression), the row count and the latest timestamp
(freshness); one set per ``unique`` rule groups by its columns; one set per ``no_gaps`` rule groups by the
time bucket. An outer aggregate turns the groups into counts (duplicated keys, buckets present). Only the
rules that fail read rows again (``LIMIT``-ed samples); ``references`` reads the other table as well.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from workbench import sql
from workbench.checks.rules import Rule, as_number
from workbench.engine import run_query
from workbench.errors import QueryCancelled, QueryError, SourceError, SpecError
from workbench.reconcile.keyed import describe, plain
from workbench.reconcile.schema import DATE, NUMERIC, TEXT, TIMESTAMP, TIMESTAMPTZ, family

DEFAULT_SAMPLES = 5
_ROW_RULES = ("not_null", "accepted_values", "between", "regex", "expression")
_STEP = {
    "minute": "1 MINUTE",
    "hour": "1 HOUR",
    "day": "1 DAY",
    "week": "7 DAYS",
    "month": "1 MONTH",
    "quarter": "3 MONTHS",
    "year": "1 YEAR",
}


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one rule.

    failing_rows : rows failing a row rule; for ``unique`` the rows that share a duplicated key (the number
        of duplicated keys is in ``observed``); for ``no_gaps`` the missing buckets; for rules about the
        whole table (row_count, freshness) 1 when it fails, else 0.
    sample : up to N failing rows (or duplicated keys with their row count, missing buckets, ...).
    """

    rule: Rule
    status: str  # "pass", "warn" or "fail"
    failing_rows: int
    sample: list = field(default_factory=list)
    message: str = ""
    observed: dict = field(default_factory=dict)
    sample_sql: str | None = None  # the query behind the failing rows ("show failing rows")

    def to_json(self) -> dict:
        return {"rule": self.rule.text, "status": self.status, "failing_rows": self.failing_rows, "sample": self.sample}


def run_checks(
    con,
    table: str,
    rules: list[Rule],
    *,
    sample_size: int = DEFAULT_SAMPLES,
    tables: dict | None = None,
    previous_row_count: int | None = None,
    now: dt.datetime | None = None,
    cancelled=None,
):
    """Evaluate ``rules`` on ``table``; returns ``(results in rule order, [SQL run])``.

    tables : ``{name as written in a references rule: open table name}``.
    previous_row_count : the row count of the previous run, for ``row_count(within x%)``.
    now : the reference time of ``freshness`` without ``as_of`` (default: the current UTC time).
    """
    cols = describe(con, table)
    for rule in rules:
        for c in rule.columns:
            _require(c, cols, table)
    _validate(con, table, rules, cols, tables or {})
    n = max(0, min(int(sample_size), 1000))
    scan = _scan_sql(table, rules, cols, max(n, 1))
    queries = [scan]
    row = run_query(con, scan).to_pylist()[0]
    if cancelled is not None and cancelled():
        raise QueryCancelled("Checks cancelled")
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    results = []
    for i, rule in enumerate(rules):
        res = _judge(con, table, rule, i, row, cols, n, tables or {}, previous_row_count, now, queries)
        results.append(res)
    return results, queries


def _require(name: str, cols: dict, table: str) -> None:
    if name not in cols:
        import difflib

        close = difflib.get_close_matches(name, list(cols), n=1)
        raise SourceError(f"{table} has no column {name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))


def _col(name: str) -> str:
    return sql.ident(name)


def _typed(value, type_name: str) -> str:
    """A bound or accepted value as a literal of the column's type."""
    fam = family(type_name)
    if fam == NUMERIC:
        return sql.literal(as_number(value))
    if fam in (DATE, TIMESTAMP, TIMESTAMPTZ):
        return f"CAST({sql.literal(str(value))} AS {type_name})"
    return sql.literal(str(value))


def _validate(con, table: str, rules: list[Rule], cols: dict, tables: dict) -> None:
    for rule in rules:
        t = cols[rule.columns[0]] if rule.columns else None
        fam = family(t) if t else None
        if rule.kind == "between":
            for bound in ("min", "max"):
                v = rule.params.get(bound)
                if v is None:
                    continue
                if fam == NUMERIC and as_number(v) is None:
                    raise SpecError(f"{rule.text}: {rule.columns[0]!r} is {t}; the bound {v!r} is not a number")
                if fam in (DATE, TIMESTAMP, TIMESTAMPTZ):
                    try:
                        dt.datetime.fromisoformat(str(v))
                    except ValueError:
                        raise SpecError(
                            f"{rule.text}: {rule.columns[0]!r} is {t}; the bound {v!r} is not a date (e.g. 2026-10-01)"
                        ) from None
        if rule.kind in ("freshness", "no_gaps") and fam not in (DATE, TIMESTAMP, TIMESTAMPTZ):
            raise SpecError(f"{rule.text}: {rule.columns[0]!r} is {t}, not a date or timestamp column")
        if rule.kind == "regex":
            try:
                run_query(con, f"SELECT regexp_matches('', {sql.literal(rule.params['pattern'])})")
            except QueryError as exc:
                raise SpecError(f"{rule.text}: the pattern is not a valid regular expression ({exc})") from None
        if rule.kind == "expression":
            _check_condition(con, table, rule)
        if rule.kind == "references":
            target = tables.get(rule.params["to"], rule.params["to"])
            other = describe(con, target) if _exists(con, target) else None
            if other is None:
                raise SourceError(f"{rule.text}: no open table {rule.params['to']!r} (give a path to the extract)")
            _require(rule.params["field"], other, target)


def _exists(con, table: str) -> bool:
    try:
        describe(con, table)
        return True
    except QueryError:
        return False


def _check_condition(con, table: str, rule: Rule) -> None:
    """A custom condition is one read-only boolean expression over this table's columns: no subquery, no
    table function, no second statement."""
    from sqlglot import exp
    from sqlglot.errors import ParseError

    from workbench.readonly import check_read_only

    cond = rule.params["condition"]
    try:
        tree = sql.parse_one(f"SELECT 1 FROM {sql.ident(table)} WHERE ({cond})")
    except ParseError as exc:
        raise SpecError(f"{rule.text}: the condition is not valid SQL ({str(exc).splitlines()[0]})") from None
    where = tree.args.get("where")
    if where is None or any(isinstance(node, (exp.Select, exp.Subquery, exp.Table)) for node in where.walk()):
        raise SpecError(
            f"{rule.text}: the condition must be an expression over the table's columns (no subqueries or tables)"
        )
    check_read_only(f"SELECT 1 FROM {sql.ident(table)} WHERE ({cond})")
    try:
        run_query(con, f"SELECT ({cond}) FROM {sql.ident(table)} LIMIT 0")
    except QueryError as exc:
        raise SpecError(f"{rule.text}: {exc}") from None


def failing_condition(rule: Rule, cols: dict) -> str | None:
    """SQL condition true for a row that fails a row rule (NULLs never fail accepted_values, between or
    regex: not_null is the rule for them; a condition evaluating to NULL does not fail either)."""
    if rule.kind == "expression":
        return f"NOT coalesce(({rule.params['condition']}), true)"
    if rule.kind not in _ROW_RULES:
        return None
    c, t = _col(rule.columns[0]), cols[rule.columns[0]]
    fam = family(t)
    if rule.kind == "not_null":
        return f"{c} IS NULL"
    if rule.kind == "accepted_values":
        values = rule.params["values"]
        if fam == NUMERIC and all(as_number(v) is not None for v in values):
            return f"{c} IS NOT NULL AND {c} NOT IN ({', '.join(sql.literal(as_number(v)) for v in values)})"
        listed = ", ".join(sql.literal(str(v)) for v in values)
        return f"{c} IS NOT NULL AND CAST({c} AS VARCHAR) NOT IN ({listed})"
    if rule.kind == "between":
        parts = []
        if rule.params.get("min") is not None:
            parts.append(f"{c} < {_typed(rule.params['min'], t)}")
        if rule.params.get("max") is not None:
            parts.append(f"{c} > {_typed(rule.params['max'], t)}")
        return f"{c} IS NOT NULL AND ({' OR '.join(parts)})"
    text = c if fam == TEXT else f"CAST({c} AS VARCHAR)"
    return f"{c} IS NOT NULL AND NOT regexp_matches({text}, {sql.literal(rule.params['pattern'])})"


def _time(col: str, type_name: str) -> str:
    if family(type_name) == TIMESTAMPTZ:
        return f"timezone('UTC', {_col(col)})"
    return f"CAST({_col(col)} AS TIMESTAMP)"


def _scan_sql(table: str, rules: list[Rule], cols: dict, samples: int) -> str:
    """The one scan: column ``r{i}`` (and ``r{i}_...``) holds rule i's numbers."""
    group_cols: list[str] = []  # grouping columns of the inner query, in GROUPING() argument order
    sets: list[tuple[str, ...]] = []
    projections = []
    for i, rule in enumerate(rules):
        if rule.kind == "unique":
            for c in rule.columns:
                if c not in group_cols:
                    group_cols.append(c)
        if rule.kind == "no_gaps":
            alias = f"__wb_bucket_{i}"
            projections.append(
                f"date_trunc({sql.literal(rule.params['grain'])}, {_time(rule.columns[0], cols[rule.columns[0]])}) "
                f"AS {sql.ident(alias)}"
            )
            group_cols.append(alias)
    inner_aggs = ["count(*) AS n"]
    for i, rule in enumerate(rules):
        cond = failing_condition(rule, cols)
        if cond is not None:
            inner_aggs.append(f"count(*) FILTER (WHERE {cond}) AS r{i}")
        elif rule.kind == "freshness":
            inner_aggs.append(f"max({_time(rule.columns[0], cols[rule.columns[0]])}) AS r{i}")
    for i, rule in enumerate(rules):
        if rule.kind == "unique":
            sets.append(tuple(rule.columns))
        elif rule.kind == "no_gaps":
            sets.append((f"__wb_bucket_{i}",))
    width = len(group_cols)
    full = (1 << width) - 1 if width else 0

    def gid(members) -> int:
        return sum(1 << (width - 1 - j) for j, c in enumerate(group_cols) if c not in members)

    source = sql.ident(table)
    if projections:
        source = f"(SELECT *, {', '.join(projections)} FROM {sql.ident(table)})"
    if width:
        grouping = f"GROUPING({', '.join(sql.ident(c) for c in group_cols)}) AS gid"
        set_list = ", ".join(["()"] + [f"({', '.join(sql.ident(c) for c in s)})" for s in dict.fromkeys(sets)])
        inner = (
            f"SELECT {grouping}, {', '.join(sql.ident(c) for c in group_cols)}, {', '.join(inner_aggs)} "
            f"FROM {source} AS t GROUP BY GROUPING SETS ({set_list})"
        )
    else:
        inner = f"SELECT 0 AS gid, {', '.join(inner_aggs)} FROM {source} AS t"
    total = f"gid = {full}"
    outer = [f"max(n) FILTER (WHERE {total}) AS n_rows"]
    for i, rule in enumerate(rules):
        if failing_condition(rule, cols) is not None or rule.kind == "freshness":
            outer.append(f"max(r{i}) FILTER (WHERE {total}) AS r{i}")
        elif rule.kind == "unique":
            members = tuple(rule.columns)
            some_value = " OR ".join(f"{sql.ident(c)} IS NOT NULL" for c in members)
            dup = f"gid = {gid(members)} AND n > 1 AND ({some_value})"
            fields = [(f"k{j}", sql.ident(c)) for j, c in enumerate(members)]
            key = "{" + ", ".join(f"{sql.literal(k)}: {e}" for k, e in fields) + "}"
            with_rows = "{" + ", ".join(f"{sql.literal(k)}: {e}" for k, e in fields + [("rows", "n")]) + "}"
            outer += [
                f"count(*) FILTER (WHERE {dup}) AS r{i}_keys",
                f"coalesce(sum(n) FILTER (WHERE {dup}), 0) AS r{i}",
                f"min_by({with_rows}, {key}, __SAMPLES__) FILTER (WHERE {dup}) AS r{i}_sample",
            ]
        elif rule.kind == "no_gaps":
            alias = sql.ident(f"__wb_bucket_{i}")
            inset = f"gid = {gid((f'__wb_bucket_{i}',))} AND {alias} IS NOT NULL"
            outer += [
                f"count(*) FILTER (WHERE {inset}) AS r{i}_present",
                f"min({alias}) FILTER (WHERE {inset}) AS r{i}_first",
                f"max({alias}) FILTER (WHERE {inset}) AS r{i}_last",
            ]
    scan = f"SELECT {', '.join(outer)}\nFROM ({inner})"
    return scan.replace("__SAMPLES__", str(int(samples)))


def _status(rule: Rule, failed: bool) -> str:
    return "pass" if not failed else ("warn" if rule.severity == "warn" else "fail")


def _rows(con, query: str) -> list[dict]:
    return [{k: plain(v) for k, v in r.items()} for r in run_query(con, query).to_pylist()]


def _judge(con, table, rule, i, row, cols, n, tables, previous, now, queries) -> CheckResult:
    kind = rule.kind
    n_rows = int(row["n_rows"] or 0)
    if kind in _ROW_RULES:
        failing = int(row[f"r{i}"] or 0)
        cond = failing_condition(rule, cols)
        sample_sql = f"SELECT * FROM {sql.ident(table)} WHERE {cond}"
        sample = []
        if failing and n:
            q = f"{sample_sql} LIMIT {n}"
            queries.append(q)
            sample = _rows(con, q)
        return CheckResult(
            rule,
            _status(rule, failing > 0),
            failing,
            sample,
            f"{failing:,} of {n_rows:,} rows fail",
            {"rows": n_rows},
            sample_sql,
        )
    if kind == "unique":
        keys, failing = int(row[f"r{i}_keys"] or 0), int(row[f"r{i}"] or 0)
        sample = [
            {**{c: plain(s[f"k{j}"]) for j, c in enumerate(rule.columns)}, "rows": int(s["rows"])}
            for s in (row[f"r{i}_sample"] or [])
        ][:n]
        key_list = ", ".join(sql.ident(c) for c in rule.columns)
        some_value = " OR ".join(f"{sql.ident(c)} IS NOT NULL" for c in rule.columns)
        sample_sql = (
            f"SELECT * FROM {sql.ident(table)} WHERE ({key_list}) IN (SELECT {key_list} FROM "
            f"{sql.ident(table)} WHERE {some_value} GROUP BY ALL HAVING count(*) > 1) ORDER BY {key_list}"
        )
        return CheckResult(
            rule,
            _status(rule, keys > 0),
            failing,
            sample,
            f"{keys:,} duplicated keys covering {failing:,} rows (failing_rows counts the rows)",
            {"duplicated_keys": keys, "rows_in_duplicated_keys": failing},
            sample_sql,
        )
    if kind == "row_count":
        return _row_count(rule, n_rows, previous)
    if kind == "freshness":
        latest = row[f"r{i}"]
        ref = dt.datetime.fromisoformat(rule.params["as_of"]) if rule.params.get("as_of") else now
        if ref.tzinfo is not None:
            ref = ref.astimezone(dt.timezone.utc).replace(tzinfo=None)
        oldest = ref - dt.timedelta(seconds=rule.params["within_seconds"])
        failed = latest is None or latest < oldest
        observed = {"latest": plain(latest), "oldest_allowed": oldest.isoformat(), "reference": ref.isoformat()}
        msg = (
            (
                f"latest {plain(latest)}; must be at or after {oldest.isoformat()} ({rule.params['within']} before "
                f"{'as_of' if rule.params.get('as_of') else 'now'})"
            )
            if latest is not None
            else "no timestamps at all"
        )
        return CheckResult(rule, _status(rule, failed), int(failed), [observed] if failed else [], msg, observed)
    if kind == "no_gaps":
        present, first, last = int(row[f"r{i}_present"] or 0), row[f"r{i}_first"], row[f"r{i}_last"]
        grain = rule.params["grain"]
        if first is None:
            return CheckResult(rule, _status(rule, False), 0, [], "no timestamps", {"buckets": 0})
        expected = int(
            run_query(
                con, f"SELECT date_diff({sql.literal(grain)}, {sql.literal(first)}, {sql.literal(last)}) + 1"
            ).rows()[0][0]
        )
        missing = max(0, expected - present)
        bucket = f"date_trunc({sql.literal(grain)}, {_time(rule.columns[0], cols[rule.columns[0]])})"
        sample_sql = (
            f"SELECT b AS missing_{grain} FROM generate_series({sql.literal(first)}, {sql.literal(last)}, "
            f"INTERVAL {_STEP[grain]}) g(b) WHERE b NOT IN (SELECT DISTINCT {bucket} FROM "
            f"{sql.ident(table)} WHERE {sql.ident(rule.columns[0])} IS NOT NULL) ORDER BY b"
        )
        sample = []
        if missing and n:
            q = f"{sample_sql} LIMIT {n}"
            queries.append(q)
            sample = _rows(con, q)
        return CheckResult(
            rule,
            _status(rule, missing > 0),
            missing,
            sample,
            f"{missing:,} of {expected:,} {grain}s from {plain(first)} to {plain(last)} have no rows",
            {"expected": expected, "present": present},
            sample_sql,
        )
    if kind == "references":
        target = tables.get(rule.params["to"], rule.params["to"])
        c, f = sql.ident(rule.columns[0]), sql.ident(rule.params["field"])
        orphan = (
            f"SELECT * FROM {sql.ident(table)} AS t WHERE t.{c} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {sql.ident(target)} AS o WHERE o.{f} = t.{c})"
        )
        q = f"SELECT count(*) FROM ({orphan})"
        queries.append(q)
        failing = int(run_query(con, q).rows()[0][0])
        sample = []
        if failing and n:
            queries.append(f"{orphan} LIMIT {n}")
            sample = _rows(con, f"{orphan} LIMIT {n}")
        return CheckResult(
            rule,
            _status(rule, failing > 0),
            failing,
            sample,
            f"{failing:,} rows refer to a {rule.params['field']} missing from {rule.params['to']}",
            {"rows": n_rows},
            orphan,
        )
    raise SpecError(f"Unknown rule {kind!r}")


def _row_count(rule: Rule, n_rows: int, previous: int | None) -> CheckResult:
    p = rule.params
    if "within_percent" in p:
        if previous is None:
            return CheckResult(
                rule,
                "pass",
                0,
                [],
                f"{n_rows:,} rows; no previous run recorded: this run is the baseline",
                {"rows": n_rows, "previous": None},
            )
        change = abs(n_rows - previous) / previous * 100 if previous else (0.0 if n_rows == 0 else float("inf"))
        failed = change > p["within_percent"]
        obs: dict[str, Any] = {"rows": n_rows, "previous": previous, "change_percent": round(change, 4)}
        return CheckResult(
            rule,
            _status(rule, failed),
            int(failed),
            [obs] if failed else [],
            f"{n_rows:,} rows, {change:.2f}% from the previous run's {previous:,} (allowed {p['within_percent']:g}%)",
            obs,
        )
    lo, hi = p.get("min"), p.get("max")
    failed = (lo is not None and n_rows < lo) or (hi is not None and n_rows > hi)
    obs = {"rows": n_rows, "min": lo, "max": hi}
    bounds = f"{'' if lo is None else f'{lo:,}'}..{'' if hi is None else f'{hi:,}'}"
    return CheckResult(
        rule, _status(rule, failed), int(failed), [obs] if failed else [], f"{n_rows:,} rows (allowed {bounds})", obs
    )
