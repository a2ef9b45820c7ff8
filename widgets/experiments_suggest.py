"""Suggest metrics for the Experiments form: numeric outcome columns with a sensible type and covariate.

Rules (kept deliberately conservative; the analyst edits the rows afterwards):

* the unit, arm, id-like (``*_id``) and time columns are never metrics;
* a column named ``pre_X`` is a pre-period covariate, never a metric: it goes to the metric ``X`` (or to the
  metric with the same stem, e.g. ``pre_reports`` → ``reported``);
* boolean columns and integer columns holding only 0 and 1 are proportions, the rest means;
* names that say "lower is better" (crashes, errors, latency, churn…) get direction ``lower`` and are marked
  as guardrails;
* pairs such as ``x_submitted`` / ``x_actioned`` are NOT turned into ratios: which way round a ratio goes is
  the analyst's call.

``column_ranges`` runs on a worker (one aggregate query); ``suggest_metrics`` is pure.
"""

from __future__ import annotations

import re

from workbench import sql
from workbench.experiments.spec import MetricSpec

LOWER_IS_BETTER = re.compile(r"crash|error|fail|latency|churn|bounce|abandon|timeout|complain", re.IGNORECASE)


def _stem(name: str) -> str:
    """'reports' / 'reported' / 'reporting' -> 'report' (just enough to pair pre_reports with reported)."""
    for suffix in ("ing", "ed", "es", "s"):
        if name.endswith(suffix) and len(name) > len(suffix) + 2:
            return name[: -len(suffix)]
    return name


def _is_id(name: str) -> bool:
    low = name.lower()
    return low == "id" or low.endswith("_id") or low.endswith("_uuid")


def candidate_columns(source, exclude=()) -> list[str]:
    """Numeric or boolean columns that could be outcomes or covariates (unit/arm/ids/time left out)."""
    skip = {c for c in exclude if c}
    return [c.name for c in source.columns
            if (c.is_numeric or c.is_boolean) and not c.is_temporal and c.name not in skip and not _is_id(c.name)]


def column_ranges(cur, table: str, columns: list[str]) -> dict[str, tuple]:
    """min and max of each column in one scan (worker side); booleans are cast to integers."""
    if not columns:
        return {}
    parts = []
    for i, name in enumerate(columns):
        col = f"CAST({sql.ident(name)} AS DOUBLE)"
        parts.append(f"min({col}) AS {sql.ident(f'lo{i}')}, max({col}) AS {sql.ident(f'hi{i}')}")
    query = f"SELECT {', '.join(parts)} FROM {sql.ident(table)}"
    row = cur.execute(query).fetchall()[0]
    return {name: (row[2 * i], row[2 * i + 1]) for i, name in enumerate(columns)}


def suggest_metrics(source, ranges: dict[str, tuple] | None = None, exclude=()) -> list[MetricSpec]:
    """MetricSpecs for the outcome columns of ``source`` (see the module docstring for the rules)."""
    ranges = ranges or {}
    names = candidate_columns(source, exclude)
    types = {c.name: c for c in source.columns}
    covariates = [n for n in names if n.lower().startswith("pre_")]
    outcomes = [n for n in names if not n.lower().startswith("pre_")]
    specs = []
    for name in outcomes:
        col = types[name]
        lo, hi = ranges.get(name, (None, None))
        binary = col.is_boolean or (lo is not None and hi is not None and {float(lo), float(hi)} <= {0.0, 1.0})
        cov = _covariate_for(name, covariates)
        lower = bool(LOWER_IS_BETTER.search(name))
        specs.append(MetricSpec(name=name, type="proportion" if binary else "mean", column=name, covariate=cov,
                                direction="lower" if lower else "higher", guardrail=lower))
    return specs


def _covariate_for(name: str, covariates: list[str]) -> str | None:
    exact = [c for c in covariates if c[4:] == name]
    if exact:
        return exact[0]
    same_stem = [c for c in covariates if _stem(c[4:]) == _stem(name)]
    return same_stem[0] if same_stem else None
