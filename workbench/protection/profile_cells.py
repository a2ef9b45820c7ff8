"""Protection of a column profile: its top values and histogram are tables of counts, and a small null
count is a cell too.

A column's min and max are the values of single records (the largest spend is one customer's). Statistical
agencies do not publish an extreme of magnitude data; here an extreme is shown under a policy only when at
least k rows hold that very value (then it describes a group, not a person), or when the column is a time
column that is not personal data (its min and max are the extract's coverage, which every chart shows).
The mean of fewer than k non-null values is hidden too.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd

from workbench.protection.apply import ProtectedTable, hidden_marker, protect_counts
from workbench.protection.policy import CELL_KEY, ProtectionPolicy


def protect_profile(con, profile, policy: ProtectionPolicy, *, pii_columns=()) -> tuple[Any, ProtectedTable | None]:
    """The profile with protected counts (hidden ones become ``"<k"``) and the top-values table's record."""
    if not policy.active:
        return profile, None
    top = None
    changes: dict[str, Any] = {}  # ColumnProfile fields to replace
    if profile.top_values:
        frame = pd.DataFrame({"value": [v for v, _ in profile.top_values], "count": [c for _, c in profile.top_values]})
        keys = _top_value_keys(con, profile, policy, pii_columns) if policy.mode == CELL_KEY else None
        top = protect_counts(con, frame, "count", policy, dims=["value"], cell_keys=keys)
        changes["top_values"] = tuple(zip([v for v, _ in profile.top_values], top.frame["count"].tolist()))
    if profile.histogram:
        frame = pd.DataFrame(
            {"bin": [f"{b.lo}..{b.hi}" for b in profile.histogram], "count": [b.count for b in profile.histogram]}
        )
        # Bins have no cheap cell keys; suppression protects them (and their total, the non-null count).
        hist = protect_counts(con, frame, "count", replace(policy, mode="suppression"), dims=["bin"])
        changes["histogram"] = tuple(replace(b, count=c) for b, c in zip(profile.histogram, hist.frame["count"]))
    changes.update(_extremes(con, profile, policy, pii_columns))
    if 0 < profile.null_count < policy.k:
        changes["null_count"] = hidden_marker(policy.k)
        changes["null_pct"] = None
    return replace(profile, **changes), top


def _top_value_keys(con, profile, policy, pii_columns) -> pd.DataFrame:
    from workbench.metrics import table_columns
    from workbench.protection.cell_sql import grouped_cells_query

    columns = [c for c in table_columns(con, profile.table) if c not in set(pii_columns)]
    query = grouped_cells_query(
        table_name=profile.table,
        groups={"value": profile.column},
        where=[],
        key_columns=columns,
        seed=policy.cell_key.seed,
    )
    return con.sql(query).df()


def _extremes(con, profile, policy, pii_columns) -> dict:
    """Hidden min/max (and mean) of ``profile`` under ``policy``: {field: "<k"} for each one to hide."""
    from workbench import sql

    marker = hidden_marker(policy.k)
    out: dict[str, Any] = {}
    if profile.mean is not None and profile.row_count - profile.null_count < policy.k:
        out["mean"] = None  # a mean of a handful of values is theirs
    if profile.min is None and profile.max is None:
        return out
    if profile.kind == "temporal" and profile.column not in set(pii_columns):
        return out
    c = sql.ident(profile.column)
    held = con.execute(
        f"SELECT count(*) FILTER (WHERE {c} = $1), count(*) FILTER (WHERE {c} = $2) FROM {sql.ident(profile.table)}",
        [profile.min, profile.max],
    ).fetchone()
    for name, n in zip(("min", "max"), held):
        if getattr(profile, name) is not None and n < policy.k:
            out[name] = marker
    return out
