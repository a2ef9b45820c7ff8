"""Suggest metrics for the Experiments form: numeric outcome columns with a sensible type and covariate.

Rules (kept deliberately conservative; the analyst edits the rows afterwards):

* the unit, arm, id-like (``*_id``) and time columns are never metrics;
* a column named ``pre_X`` is a pre-period covariate, never a metric: it goes to the metric ``X`` (or to the
  metric with the same stem, e.g. ``pre_reports`` → ``reported``);
* boolean columns and integer columns holding only 0 and 1 are proportions, the rest means;
* names that say "lower is better" (crashes, errors, latency, churn, violations, deletions, spam…) get
  direction ``lower`` and are marked as guardrails;
* names that could go either way (reports, flags, blocks, appeals…: more reports can mean more abuse or a
  better report button) are set to ``higher`` but flagged as a question for the analyst (``infer_direction``
  says so, and the form asks);
* pairs such as ``x_submitted`` / ``x_actioned`` are NOT turned into ratios: which way round a ratio goes is
  the analyst's call.

``column_ranges`` runs on a worker (one aggregate query); ``suggest_metrics`` is pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench import sql
from workbench.experiments.spec import MetricSpec

LOWER_IS_BETTER = re.compile(
    r"crash|error|fail|latency|churn|bounce|abandon|timeout|complain|violat|delet|spam|abuse|fraud|scam|harass|"
    r"toxic|unsubscribe|refund|chargeback|incident|outage|breach|leak",
    re.IGNORECASE,
)
EITHER_WAY = re.compile(
    r"report|flag|block|appeal|mute|hide|hidden|remov|takedown|moderat|escalat|action", re.IGNORECASE
)


@dataclass(frozen=True)
class DirectionGuess:
    """Which way is better for a metric, inferred from its name, and how sure the guess is."""

    direction: str  # "higher" or "lower"
    sure: bool
    reason: str


def infer_direction(name: str) -> DirectionGuess:
    """``violations`` -> lower (sure); ``reports_submitted`` -> higher, but a question; ``sessions`` -> higher."""
    lower = LOWER_IS_BETTER.search(name)
    if lower:
        return DirectionGuess("lower", True, f"“{lower.group(0)}” in the name: fewer is better")
    either = EITHER_WAY.search(name)
    if either:
        return DirectionGuess(
            "higher",
            False,
            f"“{either.group(0)}” could go either way (more can mean more harm or better tools): is higher better?",
        )
    return DirectionGuess("higher", True, "no hint in the name: higher is taken as better")


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
    return [
        c.name
        for c in source.columns
        if (c.is_numeric or c.is_boolean) and not c.is_temporal and c.name not in skip and not _is_id(c.name)
    ]


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
        guess = infer_direction(name)
        lower = guess.direction == "lower"
        specs.append(
            MetricSpec(
                name=name,
                type="proportion" if binary else "mean",
                column=name,
                covariate=cov,
                direction=guess.direction,
                guardrail=lower,
            )
        )
    return specs


def _covariate_for(name: str, covariates: list[str]) -> str | None:
    exact = [c for c in covariates if c[4:] == name]
    if exact:
        return exact[0]
    same_stem = [c for c in covariates if _stem(c[4:]) == _stem(name)]
    return same_stem[0] if same_stem else None
