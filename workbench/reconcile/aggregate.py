"""Keyless reconciliation: totals of measures by dimensions in A against B, with Δ and Δ%.

One aggregate per side and a full join of the (small) grouped results; the groups that differ come first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from workbench import sql
from workbench.engine import run_query
from workbench.errors import SpecError
from workbench.reconcile.schema import NUMERIC, CompareOptions, family, joinable, key_expr

MAX_GROUPS = 1000


@dataclass(frozen=True)
class AggregateSpec:
    """Sums of ``measures`` (numeric columns present in both) by ``dims`` (none: one grand total), plus the
    row count. Totals within ``options``' tolerance agree. ``limit`` caps the groups returned."""

    table_a: str
    table_b: str
    measures: tuple[str, ...]
    dims: tuple[str, ...] = ()
    options: CompareOptions = field(default_factory=CompareOptions)
    limit: int = MAX_GROUPS

    def to_dict(self) -> dict:
        return {
            "table_a": self.table_a,
            "table_b": self.table_b,
            "measures": list(self.measures),
            "dims": list(self.dims),
            "abs_tol": self.options.abs_tol,
            "rel_tol": self.options.rel_tol,
            "limit": self.limit,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "AggregateSpec":
        return cls(
            str(d["table_a"]),
            str(d["table_b"]),
            tuple(map(str, d.get("measures") or ())),
            tuple(map(str, d.get("dims") or ())),
            CompareOptions(float(d.get("abs_tol", 0)), float(d.get("rel_tol", 0))),
            int(d.get("limit", MAX_GROUPS)),
        )


@dataclass(frozen=True)
class AggregateResult:
    """``frame``: one row per group — the dims, ``rows_a``/``rows_b``, and per measure ``M_a``, ``M_b``,
    ``M_delta``, ``M_delta_pct`` — then ``differs``; differing groups first, largest |Δ| first."""

    spec: AggregateSpec
    frame: pd.DataFrame
    groups: int
    groups_differing: int
    sql: str

    @property
    def differs(self) -> bool:
        return self.groups_differing > 0

    def to_json(self) -> dict:
        records = self.frame.astype(object).where(self.frame.notna(), None).to_dict(orient="records")
        return {
            "dims": list(self.spec.dims),
            "measures": list(self.spec.measures),
            "groups": self.groups,
            "groups_differing": self.groups_differing,
            "rows": records,
        }


def compare_aggregates(con, spec: AggregateSpec) -> AggregateResult:
    """Totals of ``spec.measures`` by ``spec.dims`` in A vs B (see :class:`AggregateSpec`)."""
    from workbench.reconcile.keyed import _require, describe

    cols_a, cols_b = describe(con, spec.table_a), describe(con, spec.table_b)
    for c in (*spec.dims, *spec.measures):
        _require(c, cols_a, spec.table_a, "column")
        _require(c, cols_b, spec.table_b, "column")
    for m in spec.measures:
        if family(cols_a[m]) != NUMERIC or family(cols_b[m]) != NUMERIC:
            raise SpecError(f"Measure {m!r} must be numeric on both sides ({cols_a[m]} in A, {cols_b[m]} in B)")
    for d in spec.dims:
        if not joinable(cols_a[d], cols_b[d]):
            raise SpecError(f"Dimension {d!r} is {cols_a[d]} in A but {cols_b[d]} in B: its values cannot be matched")
    query = _query(spec, cols_a, cols_b)
    frame = run_query(con, query).to_pandas()
    groups = int(frame["total_groups"].iloc[0]) if len(frame) else 0
    differing = int(frame["differing_groups"].iloc[0]) if len(frame) else 0
    frame = frame.drop(columns=["total_groups", "differing_groups"])
    for c in frame.columns:
        if c.endswith(("_a", "_b", "_delta", "_delta_pct")) and frame[c].dtype == object:
            frame[c] = pd.to_numeric(frame[c], errors="coerce")
    return AggregateResult(spec, frame, groups, differing, query)


def _query(spec: AggregateSpec, cols_a: dict, cols_b: dict) -> str:
    nd = len(spec.dims)

    def grouped(table: str, cols, other) -> str:
        dims = [f"{key_expr('t', d, cols[d], other[d])} AS d{i}" for i, d in enumerate(spec.dims)]
        sums = [f"sum(t.{sql.ident(m)}) AS m{i}" for i, m in enumerate(spec.measures)]
        group = f" GROUP BY {', '.join(str(i + 1) for i in range(nd))}" if nd else ""
        return f"SELECT {', '.join(dims + ['count(*) AS n'] + sums)} FROM {sql.ident(table)} AS t{group}"

    out = [f"coalesce(ga.d{i}, gb.d{i}) AS {sql.ident(d)}" for i, d in enumerate(spec.dims)]
    out += ["coalesce(ga.n, 0) AS rows_a", "coalesce(gb.n, 0) AS rows_b"]
    tests = ["coalesce(ga.n, 0) <> coalesce(gb.n, 0)"]
    abs_tol, rel_tol = sql.literal(float(spec.options.abs_tol)), sql.literal(float(spec.options.rel_tol))
    for i, m in enumerate(spec.measures):
        a, b = f"CAST(ga.m{i} AS DOUBLE)", f"CAST(gb.m{i} AS DOUBLE)"
        out += [
            f"{a} AS {sql.ident(m + '_a')}",
            f"{b} AS {sql.ident(m + '_b')}",
            f"{b} - {a} AS {sql.ident(m + '_delta')}",
            f"CASE WHEN {a} <> 0 THEN 100.0 * ({b} - {a}) / abs({a}) END AS {sql.ident(m + '_delta_pct')}",
        ]
        tests.append(
            f"(CASE WHEN {a} IS NULL AND {b} IS NULL THEN false WHEN {a} IS NULL OR {b} IS NULL THEN true "
            f"ELSE abs({b} - {a}) > {abs_tol} + {rel_tol} * greatest(abs({a}), abs({b})) END)"
        )
    biggest = (
        f"greatest({', '.join(f'coalesce(abs(CAST(gb.m{i} AS DOUBLE) - CAST(ga.m{i} AS DOUBLE)), 0)' for i in range(len(spec.measures)))})"
        if spec.measures
        else "0"
    )
    on = " AND ".join(f"ga.d{i} IS NOT DISTINCT FROM gb.d{i}" for i in range(nd)) or "true"
    joined = (
        f"SELECT {', '.join(out)}, ({' OR '.join(tests)}) AS differs, {biggest} AS size_of_change "
        f"FROM ({grouped(spec.table_a, cols_a, cols_b)}) AS ga FULL OUTER JOIN "
        f"({grouped(spec.table_b, cols_b, cols_a)}) AS gb ON {on}"
    )
    order = ["differs DESC", "size_of_change DESC"] + [f"{sql.ident(d)} NULLS LAST" for d in spec.dims]
    limit = max(1, min(int(spec.limit), 100_000))
    return (
        f"SELECT * EXCLUDE (size_of_change), count(*) OVER () AS total_groups, "
        f"count(*) FILTER (WHERE differs) OVER () AS differing_groups\nFROM ({joined})\n"
        f"ORDER BY {', '.join(order)}\nLIMIT {limit}"
    )
