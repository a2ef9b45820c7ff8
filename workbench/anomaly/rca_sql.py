"""SQL for root cause: the leaf cube (one scan of the extract) and element sums by GROUPING SETS.

Identifiers and values go through :mod:`workbench.sql` (``ident``/``literal``); nothing user-supplied is
spliced raw. Dimensions are aliased ``d0, d1, ...`` inside the queries so names with quotes or spaces
cannot break them.
"""

from __future__ import annotations

import itertools
from typing import Any, Sequence

from workbench import sql


def dim_alias(i: int) -> str:
    return f"d{i}"


def _in_period(t_expr: str, start: Any, end: Any) -> str:
    return f"({t_expr} >= {sql.literal(start)} AND {t_expr} < {sql.literal(end)})"


def leaf_query(
    *,
    table_name: str,
    t_expr: str,
    where: Sequence[str],
    dims: Sequence[str],
    num_agg: str,
    num_operand: str | None,
    den_operand: str | None,
    actual: tuple[Any, Any],
    baseline: tuple[Any, Any],
    normal: tuple[Any, Any],
    before: tuple[Any, Any] | None = None,
) -> str:
    """Actual, baseline and "normal" (the period before the baseline) numerator (and denominator) per leaf
    (combination of every dimension), in one scan; with ``before`` also the numerator of the period before
    "normal" (``m_num``: the mix trend of the ordinary-day comparison).

    ``num_agg`` is "count", "sum" or "count_distinct"; with ``den_operand`` the measure is a ratio of sums.
    """
    in_a = _in_period(t_expr, *actual)
    in_b = _in_period(t_expr, *baseline)
    in_n = _in_period(t_expr, *normal)
    in_m = _in_period(t_expr, *before) if before is not None else None
    dim_cols = [f"coalesce(CAST({sql.ident(d)} AS VARCHAR), '(null)') AS {dim_alias(i)}" for i, d in enumerate(dims)]

    def agg(period: str) -> str:
        if num_agg == "count":
            return f"count(*) FILTER (WHERE {period})"
        if num_agg == "count_distinct":
            return f"count(DISTINCT {num_operand}) FILTER (WHERE {period})"
        return f"sum({num_operand}) FILTER (WHERE {period})"

    cols = dim_cols + [
        f"coalesce({agg(in_a)}, 0) AS a_num",
        f"coalesce({agg(in_b)}, 0) AS f_num",
        f"coalesce({agg(in_n)}, 0) AS n_num",
    ]
    if in_m is not None:
        cols.append(f"coalesce({agg(in_m)}, 0) AS m_num")
    if den_operand:
        cols += [
            f"coalesce(sum({den_operand}) FILTER (WHERE {in_a}), 0) AS a_den",
            f"coalesce(sum({den_operand}) FILTER (WHERE {in_b}), 0) AS f_den",
            f"coalesce(sum({den_operand}) FILTER (WHERE {in_n}), 0) AS n_den",
        ]
    conds = list(where) + [f"({' OR '.join(p for p in (in_a, in_b, in_n, in_m) if p is not None)})"]
    group = ", ".join(dim_alias(i) for i in range(len(dims))) or "()"
    return f"SELECT {', '.join(cols)}\nFROM {sql.ident(table_name)}\nWHERE {' AND '.join(conds)}\nGROUP BY {group}"


def grouping_sets(n_dims: int, max_dims: int) -> list[tuple[int, ...]]:
    """Every subset of 1..max_dims dimensions, plus the root ()."""
    sets: list[tuple[int, ...]] = [()]
    for k in range(1, min(max_dims, n_dims) + 1):
        sets.extend(itertools.combinations(range(n_dims), k))
    return sets


def element_query(*, leaves_name: str, n_dims: int, max_dims: int, ratio: bool) -> str:
    """Per element (dimension-value combination): sums of F, A and the cross terms the
    "only this segment changed" fit needs, over the registered leaf table."""
    aliases = [dim_alias(i) for i in range(n_dims)]
    sets = ", ".join("(" + ", ".join(aliases[i] for i in s) + ")" for s in grouping_sets(n_dims, max_dims))
    cols = aliases + [
        f"GROUPING({', '.join(aliases)}) AS gid" if aliases else "0 AS gid",
        "sum(f) AS f",
        "sum(a) AS a",
        "sum(a * a) AS aa",
        "sum(a * f) AS af",
        "sum(f * f) AS ff",
        "sum((a - f) * (a - f)) AS dev",
        "count(*) AS n_leaves",
        "sum(wa) AS wa",
        "sum(wf) AS wf",
    ]
    if ratio:
        cols += ["sum(f_den) AS f_den", "sum(a_den) AS a_den", "sum(f_num) AS f_num_raw", "sum(a_num) AS a_num_raw"]
    return f"SELECT {', '.join(cols)}\nFROM {sql.ident(leaves_name)}\nGROUP BY GROUPING SETS ({sets})"


def distinct_in_segment_query(
    *,
    table_name: str,
    t_expr: str,
    where: Sequence[str],
    operand: str,
    segment: dict[str, Any],
    period: tuple[Any, Any],
) -> str:
    """Exact distinct count (e.g. affected users) inside one segment and period."""
    conds = list(where) + [_in_period(t_expr, *period)]
    conds += [
        f"coalesce(CAST({sql.ident(k)} AS VARCHAR), '(null)') = {sql.literal(str(v))}" for k, v in segment.items()
    ]
    return f"SELECT count(DISTINCT {operand}) FROM {sql.ident(table_name)} WHERE {' AND '.join(conds)}"


def data_bounds_query(*, table_name: str, t_expr: str, where: Sequence[str]) -> str:
    w = f" WHERE {' AND '.join(where)}" if where else ""
    return f"SELECT min({t_expr}), max({t_expr}) FROM {sql.ident(table_name)}{w}"
