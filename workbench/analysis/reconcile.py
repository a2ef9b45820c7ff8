"""Reconciliation of two tables as a recipe: keyed (rows matched on a key) or aggregate (totals by
dimensions), so reports and replays recompute exactly what the panel and the command line showed."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from workbench.analysis.base import Analysis, AnalysisResult, register, require_tables
from workbench.errors import SpecError
from workbench.reconcile.aggregate import AggregateSpec, compare_aggregates
from workbench.reconcile.keyed import ReconcileResult, ReconcileSpec, compare_keyed


@register
@dataclass(frozen=True)
class ReconcileView(Analysis):
    """``keyed`` (a :class:`ReconcileSpec`) or ``aggregate`` (an :class:`AggregateSpec`), exactly one.

    Tables, keyed: ``summary`` (one row of counts), ``columns`` (changed/compared per column), ``only_a``,
    ``only_b`` and ``changed`` (capped samples). Aggregate: ``groups`` (totals, Δ and Δ% per group).
    """

    keyed: ReconcileSpec | None = None
    aggregate: AggregateSpec | None = None

    kind = "reconcile"
    version = 1
    multi_table = True

    def __post_init__(self):
        if (self.keyed is None) == (self.aggregate is None):
            raise SpecError("A reconciliation is either keyed or aggregate (give exactly one spec)")

    def run(self, con, catalog=None, cancelled=None) -> AnalysisResult:
        if self.aggregate is not None:
            agg = self.aggregate
            require_tables(catalog, agg.table_a, agg.table_b)
            totals = compare_aggregates(con, agg)
            return AnalysisResult(self, {"groups": totals.frame}, (totals.sql,), (), value=totals)
        keyed = self.keyed
        assert keyed is not None  # __post_init__: exactly one of the two specs
        require_tables(catalog, keyed.table_a, keyed.table_b)
        res = compare_keyed(con, keyed, cancelled=cancelled)
        return AnalysisResult(self, keyed_tables(res), res.sql, res.notes, value=res)

    def _payload(self) -> dict:
        if self.keyed is not None:
            return {"keyed": self.keyed.to_dict()}
        assert self.aggregate is not None
        return {"aggregate": self.aggregate.to_dict()}

    @classmethod
    def _from_payload(cls, d: dict) -> "ReconcileView":
        if d.get("keyed") is not None:
            return cls(keyed=ReconcileSpec.from_dict(d["keyed"]))
        return cls(aggregate=AggregateSpec.from_dict(d["aggregate"]))


def keyed_tables(res: ReconcileResult) -> dict[str, pd.DataFrame]:
    """The result of a keyed comparison as tables (what exports write and replays compare)."""
    summary = pd.DataFrame(
        [
            {
                "rows_a": res.rows_a,
                "rows_b": res.rows_b,
                "matched": res.matched,
                "only_a": res.only_a,
                "only_b": res.only_b,
                "rows_changed": res.rows_changed,
                "duplicate_keys_a": res.duplicate_keys_a,
                "duplicate_keys_b": res.duplicate_keys_b,
            }
        ]
    )
    columns = pd.DataFrame(
        [
            {
                "column": c.name,
                "column_b": c.name_b,
                "type_a": c.type_a,
                "type_b": c.type_b,
                "changed": c.changed,
                "compared": c.compared,
            }
            for c in res.columns
        ],
        columns=["column", "column_b", "type_a", "type_b", "changed", "compared"],
    )
    key = list(res.spec.key)
    changed = [
        {"column": col, **{f"key:{k}": v for k, v in s["key"].items()}, "a": s["a"], "b": s["b"]}
        for col, rows in res.samples["changed"].items()
        for s in rows
    ]
    return {
        "summary": summary,
        "columns": columns,
        "only_a": pd.DataFrame(res.samples["only_a"]),
        "only_b": pd.DataFrame(res.samples["only_b"]),
        "changed": pd.DataFrame(changed, columns=None if changed else ["column", *[f"key:{k}" for k in key], "a", "b"]),
    }
