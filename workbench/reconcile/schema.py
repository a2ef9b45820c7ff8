"""Column types on the two sides: schema differences, suggested mapping of renamed columns, and the
SQL that decides whether two values are "the same" (tolerance, text options, safe coercion)."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from workbench import sql

NUMERIC, TEXT, DATE, TIMESTAMP, TIMESTAMPTZ, BOOLEAN, OTHER = (
    "numeric",
    "text",
    "date",
    "timestamp",
    "timestamptz",
    "boolean",
    "other",
)
_INTEGER_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
)


def family(type_name: str) -> str:
    """The family of a DuckDB type: values of one family compare after a safe cast."""
    t = type_name.upper()
    if t in _INTEGER_TYPES or t in ("FLOAT", "DOUBLE", "REAL") or t.startswith("DECIMAL"):
        return NUMERIC
    if t.startswith("VARCHAR") or t == "TEXT":
        return TEXT
    if t == "DATE":
        return DATE
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return TIMESTAMPTZ
    if t.startswith("TIMESTAMP"):
        return TIMESTAMP
    if t == "BOOLEAN":
        return BOOLEAN
    return OTHER


def joinable(type_a: str, type_b: str) -> bool:
    """Whether key columns of these types can be matched: same family, or date against timestamp."""
    fa, fb = family(type_a), family(type_b)
    if fa == fb:
        return fa != OTHER or type_a == type_b
    return {fa, fb} <= {DATE, TIMESTAMP}


def key_expr(alias: str, column: str, type_a: str, type_b: str) -> str:
    """The key as matched: a date joins a timestamp at midnight."""
    col = f"{sql.ident(alias)}.{sql.ident(column)}"
    if {family(type_a), family(type_b)} == {DATE, TIMESTAMP}:
        return f"CAST({col} AS TIMESTAMP)"
    return col


@dataclass(frozen=True)
class CompareOptions:
    """How matched values are compared.

    abs_tol / rel_tol : numeric values are equal when |a − b| ≤ abs_tol + rel_tol · max(|a|, |b|).
    ignore_case / trim : text values are compared lower-cased / without surrounding whitespace.
    """

    abs_tol: float = 0.0
    rel_tol: float = 0.0
    ignore_case: bool = False
    trim: bool = False


def values_differ(a: str, b: str, type_a: str, type_b: str, opts: CompareOptions) -> str:
    """SQL condition, true when the values ``a`` and ``b`` (SQL expressions) differ.

    NULL equals NULL; NULL against a value differs; a value that cannot be coerced to the other side's
    type differs (``'abc'`` vs ``1``) while ``1`` vs ``1.0`` and ``DATE '2024-01-02'`` vs
    ``TIMESTAMP '2024-01-02 00:00'`` are equal.
    """
    fa, fb = family(type_a), family(type_b)
    ca, cb = _coerced(a, fa, fb), _coerced(b, fb, fa)
    numeric = fa == NUMERIC or fb == NUMERIC
    if numeric and (opts.abs_tol or opts.rel_tol):
        da, db = f"CAST({ca} AS DOUBLE)", f"CAST({cb} AS DOUBLE)"
        tol = (
            f"{sql.literal(float(opts.abs_tol))} + {sql.literal(float(opts.rel_tol))} * greatest(abs({da}), abs({db}))"
        )
        return _case(a, b, f"({da} = {db} OR abs({da} - {db}) <= {tol})")
    if not numeric and (fa == TEXT or fb == TEXT):
        ca, cb = _text(ca, opts), _text(cb, opts)
    if "TRY_CAST" in ca + cb:  # a value that does not convert must count as changed, not as NULL = NULL
        return _case(a, b, f"{ca} = {cb}")
    return f"({ca} IS DISTINCT FROM {cb})"


def _case(a: str, b: str, equal: str) -> str:
    return (
        f"(CASE WHEN {a} IS NULL AND {b} IS NULL THEN false WHEN {a} IS NULL OR {b} IS NULL THEN true "
        f"ELSE NOT coalesce({equal}, false) END)"
    )


def _coerced(expr: str, own: str, other: str) -> str:
    if own == other:
        return expr
    if {own, other} == {DATE, TIMESTAMP}:
        return f"CAST({expr} AS TIMESTAMP)"
    if {own, other} <= {DATE, TIMESTAMP, TIMESTAMPTZ}:
        return f"CAST({expr} AS TIMESTAMPTZ)"
    if own == TEXT and other == NUMERIC:
        return f"TRY_CAST(trim({expr}) AS DOUBLE)"  # a failed cast is NULL, so the pair counts as changed
    if own == TEXT and other in (DATE, TIMESTAMP, TIMESTAMPTZ):
        return f"TRY_CAST(trim({expr}) AS {'TIMESTAMPTZ' if other == TIMESTAMPTZ else 'TIMESTAMP'})"
    if own in (DATE, TIMESTAMP) and other == TEXT:
        return f"CAST({expr} AS TIMESTAMP)"
    if own == TIMESTAMPTZ and other == TEXT:
        return expr
    if own == NUMERIC and other == TEXT:
        return f"CAST({expr} AS DOUBLE)"
    return f"CAST({expr} AS VARCHAR)"  # booleans, nested types: compared as their text


def _text(expr: str, opts: CompareOptions) -> str:
    if opts.trim:
        expr = f"trim({expr})"
    if opts.ignore_case:
        expr = f"lower({expr})"
    return expr


@dataclass(frozen=True)
class SchemaDiff:
    """Columns only in A, only in B, and in both with a different type (``{name: (type_a, type_b)}``)."""

    only_a: tuple[str, ...]
    only_b: tuple[str, ...]
    type_changed: dict

    @property
    def differs(self) -> bool:
        return bool(self.only_a or self.only_b)


def normalised_type(type_name: str) -> str:
    """The type as a reader cares about it: integer widths, float widths and VARCHAR lengths are one type
    (a CSV read as BIGINT against Parquet's INTEGER is not a schema change); DECIMAL precision is kept."""
    t = type_name.upper()
    if t in _INTEGER_TYPES:
        return "INTEGER"
    if t in ("FLOAT", "DOUBLE", "REAL"):
        return "FLOAT"
    if family(t) == TEXT:
        return "VARCHAR"
    return t


def schema_diff(columns_a: dict[str, str], columns_b: dict[str, str]) -> SchemaDiff:
    """Compare ``{name: type}`` of both sides by exact column name."""
    only_a = tuple(c for c in columns_a if c not in columns_b)
    only_b = tuple(c for c in columns_b if c not in columns_a)
    changed = {
        c: (columns_a[c], columns_b[c])
        for c in columns_a
        if c in columns_b and normalised_type(columns_a[c]) != normalised_type(columns_b[c])
    }
    return SchemaDiff(only_a, only_b, changed)


def _normalised(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def suggest_mapping(
    columns_a: dict[str, str], columns_b: dict[str, str], min_score: float = 0.6
) -> list[tuple[str, str, float]]:
    """Likely renames among the columns present on one side only: ``[(a_name, b_name, score)]``.

    Pairs need compatible types (same family, or date/timestamp); the score is the similarity of the names
    lower-cased without punctuation (``userId`` ~ ``user_id`` = 1.0). Each column is used once, best first.
    """
    only_a = [c for c in columns_a if c not in columns_b]
    only_b = [c for c in columns_b if c not in columns_a]
    scored = []
    for a in only_a:
        for b in only_b:
            if not joinable(columns_a[a], columns_b[b]):
                continue
            na, nb = _normalised(a), _normalised(b)
            score = 1.0 if na == nb else difflib.SequenceMatcher(None, na, nb).ratio()
            if na and nb and (na in nb or nb in na):
                score = max(score, 0.8)
            if score >= min_score:
                scored.append((score, a, b))
    used_a, used_b, out = set(), set(), []
    for score, a, b in sorted(scored, key=lambda s: (-s[0], s[1], s[2])):
        if a not in used_a and b not in used_b:
            used_a.add(a)
            used_b.add(b)
            out.append((a, b, round(score, 3)))
    return out
