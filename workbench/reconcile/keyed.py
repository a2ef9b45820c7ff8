"""Keyed reconciliation of two tables, entirely in DuckDB.

One query: a key-only aggregate per side finds the repeated keys (small, materialised), both sides drop
them with an anti-join (they are reported, never multiplied), a full outer join on the key gives one row
per key, and one aggregate with a ``FILTER`` per bucket and per column counts everything and keeps the
smallest keys of each bucket. The rows of those sampled keys are read back afterwards
(:mod:`workbench.reconcile.samples`), so nothing but counts and a few rows reaches Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench import sql
from workbench.engine import run_query
from workbench.errors import SourceError, SpecError
from workbench.reconcile.schema import CompareOptions, SchemaDiff, joinable, key_expr, schema_diff, suggest_mapping
from workbench.reconcile.schema import values_differ

DEFAULT_SAMPLES = 5
MAX_SAMPLES = 1000


@dataclass(frozen=True)
class ReconcileSpec:
    """What to compare.

    key : key columns in A; ``key_b`` their names in B when renamed (default: the same names).
    columns : A's columns to compare (default: every column in both, besides the key, plus ``column_map``).
    column_map : ``((a_name, b_name), ...)`` for columns renamed in B.
    sample_size : rows kept per bucket (only in A, only in B, changed per column, duplicated keys).
    """

    table_a: str
    table_b: str
    key: tuple[str, ...]
    key_b: tuple[str, ...] | None = None
    columns: tuple[str, ...] | None = None
    column_map: tuple[tuple[str, str], ...] = ()
    options: CompareOptions = field(default_factory=CompareOptions)
    sample_size: int = DEFAULT_SAMPLES

    def to_dict(self) -> dict:
        o = self.options
        return {
            "table_a": self.table_a,
            "table_b": self.table_b,
            "key": list(self.key),
            "key_b": list(self.key_b) if self.key_b else None,
            "columns": list(self.columns) if self.columns is not None else None,
            "column_map": [list(p) for p in self.column_map],
            "abs_tol": o.abs_tol,
            "rel_tol": o.rel_tol,
            "ignore_case": o.ignore_case,
            "trim": o.trim,
            "sample_size": self.sample_size,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "ReconcileSpec":
        return cls(
            str(d["table_a"]),
            str(d["table_b"]),
            tuple(str(k) for k in d["key"]),
            tuple(str(k) for k in d["key_b"]) if d.get("key_b") else None,
            tuple(str(c) for c in d["columns"]) if d.get("columns") is not None else None,
            tuple((str(a), str(b)) for a, b in d.get("column_map") or ()),
            CompareOptions(
                float(d.get("abs_tol", 0)),
                float(d.get("rel_tol", 0)),
                bool(d.get("ignore_case", False)),
                bool(d.get("trim", False)),
            ),
            int(d.get("sample_size", DEFAULT_SAMPLES)),
        )


@dataclass(frozen=True)
class ColumnComparison:
    name: str  # in A
    name_b: str
    type_a: str
    type_b: str
    changed: int
    compared: int


@dataclass(frozen=True)
class ReconcileResult:
    """Counts, per-column changes, schema differences and capped samples of a keyed comparison."""

    spec: ReconcileSpec
    rows_a: int
    rows_b: int
    matched: int
    only_a: int
    only_b: int
    duplicate_keys_a: int
    duplicate_keys_b: int
    duplicate_rows_a: int
    duplicate_rows_b: int
    rows_changed: int
    columns: tuple[ColumnComparison, ...]
    schema: SchemaDiff
    suggested_mapping: tuple[tuple[str, str, float], ...]
    samples: dict
    sql: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def differs(self) -> bool:
        """Rows only on one side, changed values, duplicated keys, or (when every column is compared)
        columns present on one side only. A type change alone is no difference when the values agree."""
        rows = self.only_a or self.only_b or self.rows_changed or self.duplicate_keys_a or self.duplicate_keys_b
        return bool(rows or (self.spec.columns is None and self.schema.differs))

    def to_json(self) -> dict:
        """The command line's JSON document (keys as documented in docs/reconcile.md)."""
        return {
            "key": list(self.spec.key),
            "rows_a": self.rows_a,
            "rows_b": self.rows_b,
            "matched": self.matched,
            "only_a": self.only_a,
            "only_b": self.only_b,
            "duplicate_keys_a": self.duplicate_keys_a,
            "duplicate_keys_b": self.duplicate_keys_b,
            "columns": {c.name: {"changed": c.changed, "compared": c.compared} for c in self.columns},
            "schema": {
                "only_a": list(self.schema.only_a),
                "only_b": list(self.schema.only_b),
                "type_changed": list(self.schema.type_changed),
            },
            "samples": self.samples,
        }


def describe(con, table: str) -> dict[str, str]:
    """``{column: DuckDB type}`` of a table or view."""
    rows = run_query(con, sql.describe(table)).rows()
    return {str(r[0]): str(r[1]) for r in rows}


def compare_keyed(con, spec: ReconcileSpec, cancelled=None) -> ReconcileResult:
    """Compare ``spec.table_a`` with ``spec.table_b`` on the key (see :class:`ReconcileSpec`).

    Raises
    ------
    SpecError for a missing key or column, key columns whose types cannot be matched, or an empty side.
    """
    cols_a, cols_b = describe(con, spec.table_a), describe(con, spec.table_b)
    key_a, key_b, pairs = resolve(spec, cols_a, cols_b)
    n = int(spec.sample_size)
    if n < 0 or n > MAX_SAMPLES:
        raise SpecError(f"The sample size must be between 0 and {MAX_SAMPLES}")
    main_sql = _join_sql(spec, key_a, key_b, pairs, cols_a, cols_b, n)
    queries = [main_sql]
    row = run_query(con, main_sql).to_pylist()[0]
    stats: dict[str, Any] = {
        "dup_keys_a": int(row["dup_keys_a"]),
        "dup_keys_b": int(row["dup_keys_b"]),
        "dup_rows_a": int(row["dup_rows_a"] or 0),
        "dup_rows_b": int(row["dup_rows_b"] or 0),
        "dup_sample_a": row.get("dup_sample_a"),
        "dup_sample_b": row.get("dup_sample_b"),
    }
    stats["rows_a"], stats["rows_b"] = int(row["rows_a"]), int(row["rows_b"])
    for side, table in (("a", spec.table_a), ("b", spec.table_b)):
        if not stats[f"rows_{side}"]:
            raise SpecError(f"{table} has no rows: there is nothing to reconcile on that side")
    if cancelled is not None and cancelled():
        from workbench.errors import QueryCancelled

        raise QueryCancelled("Reconciliation cancelled")
    has_dups = bool(stats["dup_keys_a"] or stats["dup_keys_b"])

    columns = tuple(
        ColumnComparison(a, b, cols_a[a], cols_b[b], int(row[f"changed_{i}"] or 0), int(row["matched"]))
        for i, (a, b) in enumerate(pairs)
    )
    samples: dict[str, Any] = {"only_a": [], "only_b": [], "changed": {}}
    sample_notes: list[str] = []
    if n:
        from workbench.reconcile.samples import fetch_samples

        fetched, more, sample_notes = fetch_samples(con, spec, key_a, key_b, pairs, cols_a, cols_b, row, _side_keys, n)
        samples.update(fetched)
        queries += more
    samples = {
        **samples,
        "duplicate_keys_a": _dups(stats["dup_sample_a"], key_a),
        "duplicate_keys_b": _dups(stats["dup_sample_b"], key_b),
    }
    # Columns the user paired under other names (key or compared) are no schema difference.
    mapped_a = {a for a, b in zip(key_a, key_b) if a != b} | {a for a, b in pairs if a != b}
    mapped_b = {b for a, b in zip(key_a, key_b) if a != b} | {b for a, b in pairs if a != b}
    full = schema_diff(cols_a, cols_b)
    diff = SchemaDiff(
        tuple(c for c in full.only_a if c not in mapped_a),
        tuple(c for c in full.only_b if c not in mapped_b),
        full.type_changed,
    )
    suggestions = tuple(s for s in suggest_mapping(cols_a, cols_b) if s[0] not in mapped_a and s[1] not in mapped_b)
    notes = list(sample_notes)
    if has_dups:
        notes.append(
            f"{stats['dup_keys_a']:,} key(s) repeat in A ({stats['dup_rows_a']:,} rows) and "
            f"{stats['dup_keys_b']:,} in B ({stats['dup_rows_b']:,} rows): those keys are left out of "
            "the matching rather than multiplied"
        )
    if spec.columns is None and diff.type_changed:
        notes.append(
            "Columns with a different type are compared after a safe conversion (1 = 1.0; a date "
            "equals a timestamp at midnight)"
        )
    return ReconcileResult(
        spec,
        int(stats["rows_a"]),
        int(stats["rows_b"]),
        int(row["matched"]),
        int(row["only_a"]),
        int(row["only_b"]),
        int(stats["dup_keys_a"]),
        int(stats["dup_keys_b"]),
        int(stats["dup_rows_a"]),
        int(stats["dup_rows_b"]),
        int(row["rows_changed"] or 0),
        columns,
        diff,
        suggestions,
        samples,
        tuple(queries),
        tuple(notes),
    )


def resolve(spec: ReconcileSpec, cols_a: dict, cols_b: dict):
    """``(key_a, key_b, [(a_column, b_column), ...])`` after checking every name and the key types."""
    if not spec.key:
        raise SpecError("Give the key column(s) to match rows on (--key COL[,COL])")
    key_b = tuple(spec.key_b or spec.key)
    if len(key_b) != len(spec.key):
        raise SpecError(f"The key has {len(spec.key)} column(s) in A but {len(key_b)} in B")
    for k in spec.key:
        _require(k, cols_a, spec.table_a, "key column")
    for k in key_b:
        _require(k, cols_b, spec.table_b, "key column")
    for ka, kb in zip(spec.key, key_b):
        if not joinable(cols_a[ka], cols_b[kb]):
            raise SpecError(
                f"Key column {ka!r} is {cols_a[ka]} in {spec.table_a} but {kb!r} is {cols_b[kb]} in "
                f"{spec.table_b}: values of these types cannot be matched (convert one side first)"
            )
    mapping = dict(spec.column_map)
    for a, b in mapping.items():
        _require(a, cols_a, spec.table_a, "mapped column")
        _require(b, cols_b, spec.table_b, "mapped column")
    if spec.columns is None:
        names = [c for c in cols_a if c not in spec.key and (c in mapping or (c in cols_b and c not in key_b))]
    else:
        names = list(dict.fromkeys(spec.columns))
        for c in names:
            _require(c, cols_a, spec.table_a, "column")
            if c in spec.key:
                raise SpecError(f"{c!r} is part of the key; compare the other columns")
            _require(mapping.get(c, c), cols_b, spec.table_b, "column")
    return tuple(spec.key), key_b, [(c, mapping.get(c, c)) for c in names]


def _require(name: str, columns: dict, table: str, what: str) -> None:
    if name not in columns:
        import difflib

        close = difflib.get_close_matches(name, list(columns), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SourceError(f"{table} has no {what} {name!r}{hint}")


def _struct(fields: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{sql.literal(name)}: {expr}" for name, expr in fields) + "}"


def _side_keys(alias: str, keys, other_keys, cols, other_cols) -> list[str]:
    return [key_expr(alias, k, cols[k], other_cols[o]) for k, o in zip(keys, other_keys)]


def joined_ctes(spec, key_a, key_b, pairs, cols_a, cols_b) -> list[str]:
    """The CTEs up to ``__wb_j`` (prefixed: a user's table may be called ``a`` or ``j``): ``__wb_dup_a``/``_b`` (keys repeated on a side, with their row count; small, so
    materialised and read twice), then one row per key after the full join (in_a, in_b, ak*, bk*, a*, b*,
    c*) with the repeated keys left out of both sides."""
    ka = _side_keys("t", key_a, key_b, cols_a, cols_b)
    kb = _side_keys("t", key_b, key_a, cols_b, cols_a)
    nk = len(key_a)
    group = ", ".join(str(i + 1) for i in range(nk))
    ctes = []
    for name, table, exprs in (("__wb_dup_a", spec.table_a, ka), ("__wb_dup_b", spec.table_b, kb)):
        ctes.append(
            f"{name} AS MATERIALIZED (SELECT {', '.join(f'{e} AS k{i}' for i, e in enumerate(exprs))}, count(*) AS n "
            f"FROM {sql.ident(table)} AS t GROUP BY {group} HAVING count(*) > 1)"
        )
    keys = ", ".join(f"k{i}" for i in range(nk))
    ctes.append(f"__wb_dup AS (SELECT {keys} FROM __wb_dup_a UNION SELECT {keys} FROM __wb_dup_b)")

    def side(name: str, table: str, keys, values) -> str:
        cols = ["true AS in_side"] + [f"{e} AS k{i}" for i, e in enumerate(keys)]
        cols += [f"t.{sql.ident(v)} AS v{i}" for i, v in enumerate(values)]
        on = " AND ".join(f"{e} IS NOT DISTINCT FROM dup.k{i}" for i, e in enumerate(keys))
        body = f"SELECT {', '.join(cols)} FROM {sql.ident(table)} AS t ANTI JOIN __wb_dup AS dup ON {on}"
        return f"{name} AS ({body})"

    ctes.append(side("__wb_a", spec.table_a, ka, [p[0] for p in pairs]))
    ctes.append(side("__wb_b", spec.table_b, kb, [p[1] for p in pairs]))
    on = " AND ".join(f"a.k{i} IS NOT DISTINCT FROM b.k{i}" for i in range(nk))
    j_cols = ["a.in_side AS in_a", "b.in_side AS in_b"]
    j_cols += [f"a.k{i} AS ak{i}" for i in range(nk)] + [f"b.k{i} AS bk{i}" for i in range(nk)]
    j_cols += [f"a.v{i} AS a{i}" for i in range(len(pairs))] + [f"b.v{i} AS b{i}" for i in range(len(pairs))]
    j_cols += [
        f"{values_differ(f'a.v{i}', f'b.v{i}', cols_a[pa], cols_b[pb], spec.options)} AS c{i}"
        for i, (pa, pb) in enumerate(pairs)
    ]
    ctes.append(f"__wb_j AS (SELECT {', '.join(j_cols)} FROM __wb_a AS a FULL OUTER JOIN __wb_b AS b ON {on})")
    return ctes


def _join_sql(spec, key_a, key_b, pairs, cols_a, cols_b, n: int) -> str:
    """The one query: counts per bucket and per column, duplicated keys, and ``n`` sampled rows per bucket
    (``n`` = 0: no samples, a little faster)."""
    ctes = joined_ctes(spec, key_a, key_b, pairs, cols_a, cols_b)
    nk = len(key_a)
    both = "in_a AND in_b"
    aggs = [
        f"count(*) FILTER (WHERE {both}) AS matched",
        "count(*) FILTER (WHERE in_b IS NULL) AS only_a",
        "count(*) FILTER (WHERE in_a IS NULL) AS only_b",
    ]
    aggs += [f"count(*) FILTER (WHERE {both} AND c{i}) AS changed_{i}" for i in range(len(pairs))]
    any_changed = " OR ".join(f"c{i}" for i in range(len(pairs))) or "false"
    aggs.append(f"count(*) FILTER (WHERE {both} AND ({any_changed})) AS rows_changed")
    if n:
        from workbench.reconcile.samples import sample_aggregates

        aggs += sample_aggregates(nk, len(pairs), n)
    k_fields = [(f"k{i}", f"k{i}") for i in range(nk)]
    for side, table in (("a", spec.table_a), ("b", spec.table_b)):
        aggs += [
            # count(*) of a Parquet file is answered from its metadata, without a scan
            f"(SELECT count(*) FROM {sql.ident(table)}) AS rows_{side}",
            f"(SELECT count(*) FROM __wb_dup_{side}) AS dup_keys_{side}",
            f"(SELECT sum(n) FROM __wb_dup_{side}) AS dup_rows_{side}",
        ]
        if n:
            aggs.append(
                f"(SELECT min_by({_struct(k_fields + [('rows', 'n')])}, {_struct(k_fields)}, {n}) "
                f"FROM __wb_dup_{side}) AS dup_sample_{side}"
            )
    return f"WITH {', '.join(ctes)}\nSELECT {', '.join(aggs)}\nFROM __wb_j"


def plain(value):
    """A sampled cell as a JSON-ready value: exact decimals as numbers, dates and times as ISO text."""
    import datetime as dt
    import decimal
    import math

    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def _dups(structs, keys) -> list[dict]:
    return [{**{k: plain(s[f"k{i}"]) for i, k in enumerate(keys)}, "rows": int(s["rows"])} for s in structs or []]
