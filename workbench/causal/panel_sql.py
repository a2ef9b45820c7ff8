"""SQL for the impact panel: one value of the measure per unit and period, and each unit's cohort.

Identifiers and values go through :mod:`workbench.sql`; the time expression, filters and operands come
from :func:`workbench.metrics.resolve`, so every measure the metric command accepts works here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workbench import sql


def unit_label(unit_column: str) -> str:
    """The unit as a string: reference values, pick lists and the output all compare strings."""
    return f"CAST({sql.ident(unit_column)} AS VARCHAR)"


def period_expr(grain: str, t_expr: str) -> str:
    """The bucket start as a DATE (ISO weeks start on Monday in DuckDB's date_trunc)."""
    return f"CAST(date_trunc({sql.literal(grain)}, {t_expr}) AS DATE)"


def panel_query(
    *,
    table_name: str,
    unit_column: str,
    t_expr: str,
    grain: str,
    value_expr: str,
    where: Sequence[str],
    end: Any = None,
) -> str:
    """unit, period, y (DOUBLE) and the rows behind each cell; cells whose value is NULL are left out."""
    conds = [f"{t_expr} IS NOT NULL", f"{sql.ident(unit_column)} IS NOT NULL", *where]
    if end is not None:
        conds.append(f"{t_expr} < {sql.literal(end)}")
    inner = (
        f"SELECT {unit_label(unit_column)} AS unit, {period_expr(grain, t_expr)} AS period, "
        f"CAST({value_expr} AS DOUBLE) AS y, count(*) AS n_rows\n"
        f"FROM {sql.ident(table_name)}\nWHERE {' AND '.join(conds)}\nGROUP BY 1, 2"
    )
    return f"SELECT unit, period, y, n_rows FROM (\n{inner}\n) WHERE y IS NOT NULL ORDER BY unit, period"


def cohort_query(*, table_name: str, unit_column: str, cohort_expr: str, grain: str) -> str:
    """Each unit's cohort: the earliest bucket of its cohort column (NULL: never treated)."""
    return (
        f"SELECT {unit_label(unit_column)} AS unit, min({period_expr(grain, cohort_expr)}) AS cohort\n"
        f"FROM {sql.ident(table_name)}\nWHERE {sql.ident(unit_column)} IS NOT NULL\nGROUP BY 1"
    )


def unit_sizes_query(*, table_name: str, unit_column: str, limit: int = 500) -> str:
    """Units with their row counts, largest first (the panel's treated pick list)."""
    return (
        f"SELECT {unit_label(unit_column)} AS unit, count(*) AS n_rows FROM {sql.ident(table_name)}\n"
        f"WHERE {sql.ident(unit_column)} IS NOT NULL GROUP BY 1 ORDER BY n_rows DESC, unit LIMIT {int(limit)}"
    )
