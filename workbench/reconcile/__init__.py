"""Reconciliation: do two extracts agree?

* :func:`compare_keyed` — rows matched on a key (one or more columns): only in A, only in B, matched, and per
  compared column how many matched rows changed (numeric tolerance, case/whitespace options, safe type
  coercion, NULL = NULL). Duplicate keys are counted per side and left out of the matching.
* :func:`compare_aggregates` — without a key: totals of measures by dimensions in A vs B, with Δ and Δ%.

Everything runs in DuckDB (hash joins that spill to disk); Python only receives counts and capped samples.
"""

from workbench.reconcile.aggregate import AggregateResult, AggregateSpec, compare_aggregates
from workbench.reconcile.keyed import ReconcileResult, ReconcileSpec, compare_keyed
from workbench.reconcile.schema import SchemaDiff, schema_diff, suggest_mapping

__all__ = [
    "AggregateResult",
    "AggregateSpec",
    "compare_aggregates",
    "ReconcileResult",
    "ReconcileSpec",
    "compare_keyed",
    "SchemaDiff",
    "schema_diff",
    "suggest_mapping",
]
