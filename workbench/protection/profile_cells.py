"""Protection of a column profile: its top values and histogram are tables of counts, and a small null
count is a cell too."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from workbench.protection.apply import ProtectedTable, hidden_marker, protect_counts
from workbench.protection.policy import CELL_KEY, ProtectionPolicy


def protect_profile(con, profile, policy: ProtectionPolicy, *, pii_columns=()) -> tuple[object, ProtectedTable | None]:
    """The profile with protected counts (hidden ones become ``"<k"``) and the top-values table's record."""
    if not policy.active:
        return profile, None
    top = None
    changes = {}
    if profile.top_values:
        frame = pd.DataFrame({"value": [v for v, _ in profile.top_values], "count": [c for _, c in profile.top_values]})
        keys = _top_value_keys(con, profile, policy, pii_columns) if policy.mode == CELL_KEY else None
        top = protect_counts(con, frame, "count", policy, dims=["value"], cell_keys=keys)
        changes["top_values"] = tuple(zip([v for v, _ in profile.top_values], top.frame["count"].tolist()))
    if profile.histogram:
        frame = pd.DataFrame({"bin": [f"{b.lo}..{b.hi}" for b in profile.histogram],
                              "count": [b.count for b in profile.histogram]})
        # Bins have no cheap cell keys; suppression protects them (and their total, the non-null count).
        hist = protect_counts(con, frame, "count", replace(policy, mode="suppression"), dims=["bin"])
        changes["histogram"] = tuple(replace(b, count=c) for b, c in zip(profile.histogram, hist.frame["count"]))
    if 0 < profile.null_count < policy.k:
        changes["null_count"] = hidden_marker(policy.k)
        changes["null_pct"] = None
    return replace(profile, **changes), top


def _top_value_keys(con, profile, policy, pii_columns) -> pd.DataFrame:
    from workbench.metrics import table_columns
    from workbench.protection.cell_sql import grouped_cells_query

    columns = [c for c in table_columns(con, profile.table) if c not in set(pii_columns)]
    query = grouped_cells_query(table_name=profile.table, groups={"value": profile.column}, where=[],
                                key_columns=columns, seed=policy.cell_key.seed)
    return con.sql(query).df()
