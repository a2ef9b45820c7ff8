"""The analysis model: one frozen, versioned, JSON-serialisable recipe per kind, each with ``run``.

=================  ====================  ==========================================================
kind               class                 tables
=================  ====================  ==========================================================
``metric``         MetricView            series
``leaderboard``    LeaderboardView       leaderboard
``profile``        ColumnProfileView     summary, top_values, histogram
``anomaly``        AnomalyDetection      incidents (+ root_cause_totals, root_cause)
``root_cause``     RootCauseAnalysis     root_cause_totals, root_cause
``experiment``     ExperimentReadout     arms, srm, results, adjustments (+ segment_units, segments)
``sql``            SqlQuery              result
``impact``         ImpactReadout         estimates, event_study, weights, gap, … diagnostics
``reconcile``      ReconcileView         summary, columns, only_a, only_b, changed (aggregate: groups)
``checks``         ChecksRun             rules (+ "sample N" for each rule with failing rows)
``dashboard``      DashboardView         tiles, tile<N>_rows, tile<N>_series
=================  ====================  ==========================================================

``Analysis.from_dict(d)`` / ``Analysis.from_json(text)`` read any kind; ``analysis.run(cursor)`` returns an
:class:`AnalysisResult`. Adding a kind: a module here with a registered frozen dataclass (see
docs/architecture.md).
"""

import importlib

from workbench.analysis.base import KIND_MODULES, Analysis, AnalysisResult, kinds, register

# Names load on first use: the kinds import their domains (anomaly, experiments), which the app's start-up
# need not pay for. Analysis.from_dict loads every kind itself.
_HOME = {
    "MetricView": "metric",
    "LeaderboardView": "metric",
    "resolve_range": "metric",
    "ColumnProfileView": "profile",
    "AnomalyDetection": "anomalies",
    "AnomalyRun": "anomalies",
    "RootCauseAnalysis": "anomalies",
    "ExperimentReadout": "readout",
    "SqlQuery": "sql_query",
    "ImpactReadout": "impact",
    "ReconcileView": "reconcile",
    "ChecksRun": "checks",
    "DashboardView": "dashboard",
}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(importlib.import_module(f"workbench.analysis.{_HOME[name]}"), name)
    raise AttributeError(f"module 'workbench.analysis' has no attribute {name!r}")


__all__ = ["KIND_MODULES", "Analysis", "AnalysisResult", "kinds", "register", *_HOME]
