"""Apply a protection policy to analysis results: the one place every path (CLI, desktop, reports) calls.

:func:`protect_metric` protects a metric table (bucket × series): it asks DuckDB for each cell's number of
units and cell key (:mod:`.cell_sql`), then either suppresses cells of fewer than k units (primary and
complementary, :func:`workbench.privacy.suppress`) or perturbs counts by the cell-key method and hides
perturbed counts below k. :func:`protect_counts` does the same for a table that already carries its
counts (a profile's top values), and :func:`protect_query_result` for a console/``sql`` result, where the
cells are whatever the query grouped by.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from workbench.protection.cellkey import perturbed_join_sql, ptable
from workbench.protection.policy import CELL_KEY, OFF, SUPPRESSION, ProtectionPolicy

if TYPE_CHECKING:
    from workbench.backend import Cursor

COUNT_AGGS = ("count", "count_distinct")
SCALED_AGGS = ("sum",)  # totals move with the perturbed count (value × n'/n)


@dataclass
class ProtectedTable:
    """A result after protection: the frame to show, and what was done.

    ``cells`` lists each released cell (its group keys and the count shown) for the release log.
    """

    frame: pd.DataFrame
    policy: ProtectionPolicy
    statement: str
    hidden: int = 0
    perturbed: int = 0
    cells: list[dict] = field(default_factory=list)
    dims: list[str] = field(default_factory=list)


def hidden_marker(k: int) -> str:
    from workbench.privacy import primary_marker

    return primary_marker(k)


def protect_metric(con: Cursor, result, policy: ProtectionPolicy, *, pii_columns=()) -> ProtectedTable:
    """Protect a :class:`workbench.metrics.MetricResult` according to ``policy``.

    Parameters
    ----------
    con : a connection/cursor on which the result's table is open.
    result : the metric result (its spec, frame, range).
    pii_columns : personal-data columns of the table, left out of record keys.
    """
    frame = result.frame.copy()
    if not policy.active or frame.empty:
        return ProtectedTable(frame, policy, policy.statement(), dims=["bucket", "series"])
    if policy.mode == SUPPRESSION and result.spec.measure.agg in COUNT_AGGS:
        cells = _counts_as_cells(result)  # the counts are the values: no second scan needed
    else:
        cells = _metric_cells(con, result, policy, pii_columns)
    cur = cells[cells["period"] == 0].drop(columns="period")
    cmp = (
        cells[cells["period"] == 1]
        .drop(columns="period")
        .rename(
            columns={"n": "cmp_n", "perturbation": "cmp_perturbation", "key_sum": "cmp_key_sum", "cell_key": "cmp_key"}
        )
    )
    frame["bucket"] = pd.to_datetime(frame["bucket"])
    for part in (cur, cmp):
        part["bucket"] = pd.to_datetime(part["bucket"]).astype(frame["bucket"].dtype)
        part["series"] = part["series"].astype(object)
    merged = frame.merge(cur, on=["bucket", "series"], how="left").merge(cmp, on=["bucket", "series"], how="left")
    for c in ("n", "perturbation", "cmp_n", "cmp_perturbation"):
        merged[c] = merged[c].fillna(0).astype(np.int64)
    agg = result.spec.measure.agg
    has_cmp = bool(result.spec.compare)
    if policy.mode == SUPPRESSION:
        out, hidden = _suppress_metric(merged, policy.k, agg, has_cmp)
        perturbed = 0
    else:
        out, hidden, perturbed = _perturb_metric(merged, policy.k, agg, has_cmp)
    shown = out[["bucket", "series", "value"] + (["comparison_value"] if "comparison_value" in out else [])]
    released = [
        {"key": {"bucket": str(b), "series": s}, "n": int(n), "shown": _released_count(v, sn, agg)}
        for b, s, v, sn, n in zip(out["bucket"], out["series"], out["value"], out["__shown_n"], merged["n"])
    ]
    return ProtectedTable(
        shown.reset_index(drop=True),
        policy,
        _statement(policy, hidden, perturbed),
        hidden,
        perturbed,
        released,
        ["bucket", "series"],
    )


def _released_count(value, shown_n, agg):
    if isinstance(value, str):
        return value
    return int(shown_n)


def _counts_as_cells(result) -> pd.DataFrame:
    f = result.frame
    parts = []
    for period, column in ((0, "value"), (1, "comparison_value")):
        if column == "comparison_value" and not result.spec.compare:
            continue
        n = pd.to_numeric(f[column], errors="coerce").fillna(0).astype(np.int64)
        parts.append(
            pd.DataFrame(
                {
                    "period": period,
                    "bucket": f["bucket"],
                    "series": f["series"],
                    "n": n,
                    "key_sum": 0.0,
                    "cell_key": 0.0,
                    "perturbation": 0,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _metric_cells(con: Cursor, result, policy: ProtectionPolicy, pii_columns) -> pd.DataFrame:
    from workbench.metrics import _interval, compare_shift, resolve, table_columns
    from workbench.protection.cell_sql import metric_cells_query

    spec = result.spec
    r = resolve(con, spec)
    columns = [c for c in table_columns(con, spec.table) if c not in set(pii_columns)]
    shift = compare_shift(r.spec, result.start, result.end) if result.start is not None else None
    query = metric_cells_query(
        table_name=spec.table,
        t_expr=r.t_expr,
        where=r.where,
        grain=spec.grain,
        start=result.start,
        end=result.end,
        breakdown=spec.breakdown,
        shown_series=list(dict.fromkeys(result.frame["series"])) if spec.breakdown else None,
        key_columns=columns if policy.mode == CELL_KEY else None,
        seed=policy.cell_key.seed,
        distinct_column=spec.measure.column if spec.measure.agg == "count_distinct" else None,
        compare_shift=_interval(shift) if shift else None,
    )
    table = ptable(policy.cell_key.max_perturbation, policy.cell_key.variance)
    return _frame(con, perturbed_join_sql(query, table))


def _frame(con: Cursor, query: str) -> pd.DataFrame:
    from workbench.backend import run_frame

    return run_frame(con, query)


def _suppress_metric(m: pd.DataFrame, k: int, agg: str, has_cmp: bool) -> tuple[pd.DataFrame, int]:
    from workbench.privacy import suppress

    table = pd.DataFrame({"bucket": m["bucket"], "series": m["series"], "__n": m["n"], "value": m["value"]})
    res = suppress(table, "__n", k, dims=["bucket", "series"], value_columns=["value"])
    out = res.frame.copy()
    out["__shown_n"] = m["n"].to_numpy()
    hidden = int(res.suppressed.sum())
    if has_cmp:
        ctable = pd.DataFrame(
            {"bucket": m["bucket"], "series": m["series"], "__n": m["cmp_n"], "comparison_value": m["comparison_value"]}
        )
        cres = suppress(ctable, "__n", k, dims=["bucket", "series"], value_columns=["comparison_value"])
        out["comparison_value"] = cres.frame["comparison_value"].to_numpy()
        hidden += int(cres.suppressed.sum())
    return out.drop(columns="__n"), hidden


def _perturb_metric(m: pd.DataFrame, k: int, agg: str, has_cmp: bool) -> tuple[pd.DataFrame, int, int]:
    out = pd.DataFrame({"bucket": m["bucket"], "series": m["series"]})
    value, hide, shown_n = _perturbed(m["value"], m["n"], m["perturbation"], k, agg)
    out["value"], out["__shown_n"] = value, shown_n
    hidden, perturbed = int(hide.sum()), int(((m["perturbation"] != 0) & ~hide).sum())
    if has_cmp:
        cvalue, chide, _ = _perturbed(m["comparison_value"], m["cmp_n"], m["cmp_perturbation"], k, agg)
        out["comparison_value"] = cvalue
        hidden += int(chide.sum())
        perturbed += int(((m["cmp_perturbation"] != 0) & ~chide).sum())
    return out, hidden, perturbed


def _perturbed(values: pd.Series, n: pd.Series, p: pd.Series, k: int, agg: str):
    """Values after perturbation, the hidden mask, and the count shown per cell."""
    n, p = n.to_numpy(), p.to_numpy()
    n2 = n + p
    vals = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float).copy()
    if agg in COUNT_AGGS:
        vals = n2.astype(float)
    elif agg in SCALED_AGGS:
        with np.errstate(divide="ignore", invalid="ignore"):
            vals = np.where(n > 0, vals * n2 / np.where(n > 0, n, 1), vals)
    hide = (n2 > 0) & (n2 < k)
    if agg not in COUNT_AGGS + SCALED_AGGS:
        hide |= (n > 0) & (n2 == 0)  # a mean of "no one" cannot be shown
    out = pd.Series(vals, dtype=object)
    if agg in COUNT_AGGS:
        out = pd.Series([int(v) for v in n2], dtype=object)  # counts stay whole numbers
    out[hide] = hidden_marker(k)
    out[~hide & np.isnan(vals)] = np.nan
    return out.to_numpy(), hide, n2


def _statement(policy: ProtectionPolicy, hidden: int, perturbed: int) -> str:
    text = policy.statement()
    if policy.mode == SUPPRESSION:
        text += f" {hidden} cell{'s' if hidden != 1 else ''} hidden."
    elif policy.mode == CELL_KEY:
        text += (
            f" {perturbed} cell{'s' if perturbed != 1 else ''} perturbed, {hidden} hidden "
            f'("{hidden_marker(policy.k)}").'
        )
    return text


def protect_counts(
    con: Cursor,
    frame: pd.DataFrame,
    count_column: str,
    policy: ProtectionPolicy,
    *,
    dims: list[str],
    cell_keys: pd.DataFrame | None = None,
) -> ProtectedTable:
    """Protect a table that carries its own counts (one row per group of ``dims``).

    ``cell_keys`` (``dims`` + ``n``, ``key_sum``, from :func:`.cell_sql.grouped_cells_query`) is needed for
    the cell-key mode; without it cell-key falls back to suppression.
    """
    out = frame.copy()
    if not policy.active or out.empty:
        return ProtectedTable(out, policy, policy.statement(), dims=dims)
    true_counts = pd.to_numeric(frame[count_column]).to_numpy()
    if policy.mode == CELL_KEY and cell_keys is not None:
        table = ptable(policy.cell_key.max_perturbation, policy.cell_key.variance)
        keyed = cell_keys.copy()
        keyed["cell_key"] = keyed["key_sum"] - np.floor(keyed["key_sum"])
        keyed["perturbation"] = [table.perturbation(n, ck) for n, ck in zip(keyed["n"], keyed["cell_key"])]
        for d in dims:
            keyed[d] = keyed[d].astype(str)
            out[d + "__key"] = out[d].astype(object).where(out[d].notna(), "(null)").astype(str)
        merged = out.merge(
            keyed[dims + ["perturbation"]].rename(columns={d: d + "__key" for d in dims}),
            on=[d + "__key" for d in dims],
            how="left",
        )
        p = merged["perturbation"].fillna(0).astype(np.int64)
        counts = pd.to_numeric(out[count_column]).astype(np.int64)
        vals, hide, shown = _perturbed(counts, counts, p, policy.k, "count")
        out = out.drop(columns=[d + "__key" for d in dims])
        out[count_column] = vals
        hidden, perturbed = int(hide.sum()), int(((p.to_numpy() != 0) & ~hide).sum())
    else:
        from workbench.privacy import suppress

        res = suppress(out, count_column, policy.k, dims=dims, value_columns=[])
        out, hidden, perturbed, shown = res.frame, int(res.suppressed.sum()), 0, frame[count_column].to_numpy()
        if policy.mode == CELL_KEY:
            policy_note = " (cell keys unavailable for this table: suppressed instead)"
            return ProtectedTable(
                out,
                policy,
                _statement(policy, hidden, 0) + policy_note,
                hidden,
                0,
                _cells(out, dims, count_column, shown, true_counts),
                dims,
            )
    return ProtectedTable(
        out,
        policy,
        _statement(policy, hidden, perturbed),
        hidden,
        perturbed,
        _cells(out, dims, count_column, shown, true_counts),
        dims,
    )


def _cells(out: pd.DataFrame, dims, count_column, shown, true_counts) -> list[dict]:
    cells = []
    for i, row in enumerate(out[dims + [count_column]].itertuples(index=False)):
        v = row[-1]
        cells.append(
            {
                "key": {d: str(x) for d, x in zip(dims, row[:-1])},
                "n": int(true_counts[i]),
                "shown": v if isinstance(v, str) else int(shown[i]),
            }
        )
    return cells


__all__ = ["ProtectedTable", "protect_metric", "protect_counts", "OFF", "SUPPRESSION", "CELL_KEY"]
