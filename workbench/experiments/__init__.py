"""Experiment comparison: per-arm sufficient statistics in DuckDB, trustworthy statistics in Python.

Public entry points::

    from workbench.experiments import ExperimentSpec, MetricSpec, parse_metric, run_experiment
    readout = run_experiment(con.cursor(), spec)     # Readout(data=<CONVENTIONS.md §4 dict>, sql=(...))

Modules, one responsibility each: spec (definitions + metric syntax), sufficient (the SQL), moments,
frequentist (Welch / z / delta / quantile), cuped, srm, corrections, sequential, bayes, power, compare
(one metric in one group), verdicts (good/bad/guardrails/sentences), readout (assembly), summary (text/CSV).
"""

from workbench.experiments.readout import Readout, run_experiment
from workbench.experiments.spec import ExperimentSpec, MetricSpec, format_metric, parse_metric, parse_weights

__all__ = [
    "ExperimentSpec",
    "MetricSpec",
    "Readout",
    "format_metric",
    "parse_metric",
    "parse_weights",
    "run_experiment",
]
