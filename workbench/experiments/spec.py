"""What an experiment readout is asked to compute: metric definitions and the experiment spec.

The metric mini-language used by the CLI and the Experiments panel's "copy as CLI" is parsed here so the
two front ends share one definition (see docs/experiments.md):

    NAME:TYPE[:COLUMN][:option[=value]]...

    revenue:mean:revenue_usd:cov=pre_revenue
    converted:proportion
    ctr:ratio:clicks/sessions
    p90_latency:quantile:latency_ms:q=0.9
    violations:mean:violations:dir=lower:guardrail:margin=0.02:cap=0.99
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from workbench import safe_json
from workbench.errors import SpecError

METRIC_TYPES = ("mean", "proportion", "ratio", "quantile")
UNIT_AGGS = ("sum", "max", "min", "avg", "any", "count")
# How rows are rolled up to one value per unit when a unit has several rows.
DEFAULT_AGG = {"mean": "sum", "proportion": "any", "ratio": "sum", "quantile": "sum"}
CORRECTIONS = ("bh", "holm", "bonferroni", "none")


@dataclass(frozen=True)
class MetricSpec:
    """One metric of an experiment readout.

    Parameters
    ----------
    name : label used in the readout (unique within an experiment).
    type : "mean" (Welch t), "proportion" (two-proportion z), "ratio" (sum(num)/sum(den), delta method)
        or "quantile" (order-statistic CI, z test).
    column : value column for mean / proportion / quantile (defaults to ``name``).
    numerator, denominator : columns of a ratio metric.
    covariate : pre-period column for CUPED (mean and proportion metrics); for a ratio metric
        ``PRE_NUMERATOR/PRE_DENOMINATOR`` (regression adjustment of the ratio by its pre-period ratio).
    agg : how several rows of one unit are combined (sum, max, min, avg, any, count).
    covariate_agg : same for the covariate (default: max — a pre-period value repeated on each row).
    direction : "higher" or "lower" is better; decides colours, verdicts and guardrail harm.
    guardrail : a metric that must not get worse; kept out of the multiple-testing family.
    margin : non-inferiority margin as a relative lift (0.02 = up to 2% worse is acceptable).
    cap : winsorise unit values above this pooled percentile (0.99 caps at P99) before testing.
    quantile : the quantile of a quantile metric (0.5, 0.9, 0.99).
    """

    name: str
    type: str = "mean"
    column: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    covariate: str | None = None
    agg: str | None = None
    covariate_agg: str = "max"
    direction: str = "higher"
    guardrail: bool = False
    margin: float | None = None
    cap: float | None = None
    quantile: float | None = None
    fill_null: float | None = None  # internal: the NULL-as-zero alternative convention

    @property
    def value_column(self) -> str | None:
        return self.column if self.column is not None else (None if self.type == "ratio" else self.name)

    @property
    def unit_agg(self) -> str:
        return self.agg or DEFAULT_AGG[self.type]

    @property
    def lower_is_better(self) -> bool:
        return self.direction == "lower"

    @property
    def covariate_columns(self) -> tuple[str, ...]:
        """(covariate,) or, for a ratio, (pre-period numerator, pre-period denominator)."""
        if not self.covariate:
            return ()
        if self.type == "ratio":
            num, sep, den = self.covariate.partition("/")
            return (num.strip(), den.strip()) if sep else (self.covariate,)
        return (self.covariate,)

    def columns(self) -> list[str]:
        """Every source column the metric reads."""
        cols = [self.numerator, self.denominator] if self.type == "ratio" else [self.value_column]
        cols += list(self.covariate_columns)
        return [c for c in cols if c]

    def validate(self) -> None:
        if not self.name:
            raise SpecError("A metric needs a name")
        if self.type not in METRIC_TYPES:
            raise SpecError(f"Metric {self.name!r}: unknown type {self.type!r} (use one of {', '.join(METRIC_TYPES)})")
        if self.type == "ratio" and not (self.numerator and self.denominator):
            raise SpecError(
                f"Metric {self.name!r}: a ratio metric needs numerator/denominator columns, e.g. ctr:ratio:clicks/sessions"
            )
        if self.unit_agg not in UNIT_AGGS:
            raise SpecError(
                f"Metric {self.name!r}: unknown aggregation {self.unit_agg!r} (use one of {', '.join(UNIT_AGGS)})"
            )
        if self.covariate_agg not in UNIT_AGGS:
            raise SpecError(f"Metric {self.name!r}: unknown covariate aggregation {self.covariate_agg!r}")
        if self.direction not in ("higher", "lower"):
            raise SpecError(f"Metric {self.name!r}: direction must be 'higher' or 'lower', not {self.direction!r}")
        if self.covariate and self.type == "quantile":
            raise SpecError(f"Metric {self.name!r}: a CUPED covariate is not supported for quantile metrics")
        if (
            self.covariate
            and self.type == "ratio"
            and (len(self.covariate_columns) != 2 or not all(self.covariate_columns))
        ):
            raise SpecError(
                f"Metric {self.name!r}: a ratio metric's covariate is the pre-period ratio "
                "PRE_NUMERATOR/PRE_DENOMINATOR, e.g. cov=pre_reports/pre_views"
            )
        if self.type == "quantile":
            if self.quantile is None or not 0 < self.quantile < 1:
                raise SpecError(f"Metric {self.name!r}: a quantile metric needs q between 0 and 1, e.g. q=0.9")
        if self.cap is not None and not 0 < self.cap < 1:
            raise SpecError(f"Metric {self.name!r}: cap is a percentile between 0 and 1 (0.99 caps at P99)")
        if self.cap is not None and self.type not in ("mean", "quantile"):
            raise SpecError(f"Metric {self.name!r}: capping applies to mean metrics only")
        if self.margin is not None and not (math.isfinite(self.margin) and self.margin >= 0):
            raise SpecError(f"Metric {self.name!r}: margin must be a relative amount >= 0 (0.02 = 2%)")

    def to_dict(self) -> dict[str, Any]:
        """The metric definition as plain JSON (what the readout echoes back)."""
        out: dict[str, Any] = {"type": self.type}
        if self.type == "ratio":
            out.update(numerator=self.numerator, denominator=self.denominator)
        else:
            out["column"] = self.value_column
        out.update(agg=self.unit_agg, direction=self.direction, guardrail=self.guardrail)
        for key in ("covariate", "margin", "cap", "quantile"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class ExperimentSpec:
    """An experiment readout request over one table with one row (or several rows) per unit.

    Parameters
    ----------
    table : DuckDB table or view name (a catalog source).
    unit : unit id column (user_id); several rows per unit are rolled up to the unit first.
    arm : column naming the arm of each unit.
    control : the control arm's value (compared as text).
    metrics : the metrics to read out.
    weights : intended traffic share per arm for the SRM test (equal when empty).
    segment : optional column to break the readout down by (top ``segment_top_n`` values + "Other").
    time_column : optional assignment time; gives daily cumulative results with sequential intervals.
    alpha : two-sided significance level.
    correction : multiple-testing correction across non-guardrail metrics x arms (bh, holm, bonferroni, none).
    sequential_tuning : n* of the Waudby-Smith confidence sequence (GrowthBook's default 5000).
    target_power, power_rel_lift : inputs of the power / MDE section.
    assume_unique_units : skip the (full-scan) check that each unit has one row; only for extracts known
        to be one row per unit.
    nan_as_zero_alternative : add the NULL-as-0 result for mean metrics that have NULLs (one extra scan then).
    power_details : add statsmodels' and GrowthBook's power solutions as cross-checks (the CLI's JSON does).
    """

    table: str
    unit: str
    arm: str
    control: str
    metrics: tuple[MetricSpec, ...]
    weights: tuple[tuple[str, float], ...] = ()
    segment: str | None = None
    segment_top_n: int = 8
    time_column: str | None = None
    alpha: float = 0.05
    correction: str = "bh"
    guardrails_in_family: bool = False
    sequential_tuning: float = 5000.0
    target_power: float = 0.8
    power_rel_lift: float = 0.05
    srm_threshold: float = 0.001
    assume_unique_units: bool = False
    nan_as_zero_alternative: bool = True
    power_details: bool = False  # statsmodels / GrowthBook cross-check values in power.details
    extra: tuple = field(default=(), compare=False)

    @property
    def weight_map(self) -> dict[str, float]:
        return dict(self.weights)

    def validate(self) -> None:
        if not self.metrics:
            raise SpecError("Add at least one metric to compare the arms on")
        names = [m.name for m in self.metrics]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpecError(f"Metric names must be unique; repeated: {', '.join(dupes)}")
        for m in self.metrics:
            m.validate()
        if not 0 < self.alpha < 0.5:
            raise SpecError(f"alpha must be between 0 and 0.5, not {self.alpha}")
        if self.correction not in CORRECTIONS:
            raise SpecError(f"Unknown correction {self.correction!r} (use one of {', '.join(CORRECTIONS)})")
        if self.sequential_tuning <= 0:
            raise SpecError("The sequential tuning parameter must be positive (e.g. 5000 units)")
        if self.segment_top_n < 1:
            raise SpecError("segment_top_n must be at least 1")
        for arm, w in self.weights:
            if not (math.isfinite(w) and w > 0):
                raise SpecError(f"Weight of arm {arm!r} must be a positive number, not {w}")
        if not 0 < self.target_power < 1:
            raise SpecError("target power must be between 0 and 1")

    def with_metrics(self, metrics) -> "ExperimentSpec":
        return replace(self, metrics=tuple(metrics))


def _float(text: str, what: str, metric: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise SpecError(f"Metric {metric!r}: {what} must be a number, not {text!r}") from None


def _parse_percent(text: str, what: str, metric: str) -> float:
    """Accept 0.99, 99% or 99 for percentiles."""
    t = text.strip()
    if t.endswith("%"):
        return _float(t[:-1], what, metric) / 100
    value = _float(t, what, metric)
    return value / 100 if value > 1 else value


def parse_metric(text: str) -> MetricSpec:
    """Parse ``NAME:TYPE[:COLUMN][:option[=value]]...`` into a :class:`MetricSpec`.

    Options: ``cov=COLUMN`` (CUPED covariate), ``agg=sum|max|min|avg|any|count``, ``covagg=...``,
    ``dir=higher|lower``, ``guardrail``, ``margin=0.02`` (or ``2%``), ``cap=0.99`` (or ``99%``), ``q=0.9``.
    A ratio's column is ``NUMERATOR/DENOMINATOR``. The column defaults to NAME.
    """
    parts = [p.strip() for p in str(text).split(":")]
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise SpecError(
            f"Metric {text!r}: expected NAME:TYPE[:COLUMN][:options], e.g. revenue:mean:revenue_usd:cov=pre_revenue"
        )
    name, mtype = parts[0], parts[1].lower()
    aliases = {
        "conversion": "proportion",
        "binomial": "proportion",
        "prop": "proportion",
        "avg": "mean",
        "quantiles": "quantile",
    }
    mtype = aliases.get(mtype, mtype)
    if mtype not in METRIC_TYPES:
        raise SpecError(f"Metric {name!r}: unknown type {parts[1]!r} (use one of {', '.join(METRIC_TYPES)})")
    rest = parts[2:]
    kwargs: dict[str, Any] = {"name": name, "type": mtype}
    if rest and "=" not in rest[0] and rest[0].lower() != "guardrail":
        col = rest.pop(0)
        if mtype == "ratio":
            num, sep, den = col.partition("/")
            if not sep or not num or not den:
                raise SpecError(f"Metric {name!r}: a ratio column is NUMERATOR/DENOMINATOR, e.g. clicks/sessions")
            kwargs.update(numerator=num, denominator=den)
        elif col:
            kwargs["column"] = col
    for opt in rest:
        if not opt:
            continue
        key, _, value = opt.partition("=")
        key = key.strip().lower()
        value = value.strip()
        if key == "guardrail":
            kwargs["guardrail"] = value.lower() not in ("0", "false", "no") if value else True
        elif key in ("cov", "covariate"):
            kwargs["covariate"] = value
        elif key == "agg":
            kwargs["agg"] = value.lower()
        elif key == "covagg":
            kwargs["covariate_agg"] = value.lower()
        elif key in ("dir", "direction"):
            v = value.lower()
            kwargs["direction"] = {"up": "higher", "down": "lower", "high": "higher", "low": "lower"}.get(v, v)
        elif key == "margin":
            kwargs["margin"] = (
                _parse_percent(value, "margin", name) if value.endswith("%") else _float(value, "margin", name)
            )
        elif key in ("cap", "winsorize", "winsorise"):
            kwargs["cap"] = _parse_percent(value, "cap", name)
        elif key == "q":
            kwargs["quantile"] = _parse_percent(value, "q", name) if value.endswith("%") else _float(value, "q", name)
        elif key in ("num", "numerator"):
            kwargs["numerator"] = value
        elif key in ("den", "denominator"):
            kwargs["denominator"] = value
        elif key in ("col", "column"):
            kwargs["column"] = value
        else:
            raise SpecError(
                f"Metric {name!r}: unknown option {key!r} (cov, agg, covagg, dir, guardrail, margin, cap, q)"
            )
    if mtype == "quantile" and "quantile" not in kwargs:
        kwargs["quantile"] = 0.5
    spec = MetricSpec(**kwargs)
    spec.validate()
    return spec


def format_metric(m: MetricSpec) -> str:
    """The inverse of :func:`parse_metric` (for "copy as command line")."""
    parts = [m.name, m.type]
    if m.type == "ratio":
        parts.append(f"{m.numerator}/{m.denominator}")
    elif m.column and m.column != m.name:
        parts.append(m.column)
    if m.covariate:
        parts.append(f"cov={m.covariate}")
    if m.agg:
        parts.append(f"agg={m.agg}")
    if m.covariate_agg != "max":
        parts.append(f"covagg={m.covariate_agg}")
    if m.direction != "higher":
        parts.append(f"dir={m.direction}")
    if m.guardrail:
        parts.append("guardrail")
    if m.margin is not None:
        parts.append(f"margin={m.margin:g}")
    if m.cap is not None:
        parts.append(f"cap={m.cap:g}")
    if m.type == "quantile" and m.quantile is not None:
        parts.append(f"q={m.quantile:g}")
    return ":".join(parts)


def parse_weights(text: str | Mapping[str, float] | None) -> tuple[tuple[str, float], ...]:
    """``control=0.5,treatment=0.5`` (or a mapping) -> ((arm, weight), ...)."""
    if not text:
        return ()
    if isinstance(text, Mapping):
        items: list[tuple[str, Any]] = list(text.items())
    else:
        items = []
        for piece in str(text).split(","):
            if not piece.strip():
                continue
            arm, sep, w = piece.rpartition("=")
            if not sep or not arm.strip():
                raise SpecError(f"Weights look like control=0.5,treatment=0.5; cannot read {piece!r}")
            try:
                items.append((arm.strip(), float(w)))
            except ValueError:
                raise SpecError(f"Weight of arm {arm.strip()!r} must be a number, not {w!r}") from None
    out: list[tuple[str, float]] = []
    for arm, given in items:
        weight = float(given)
        if not (math.isfinite(weight) and weight > 0):
            raise SpecError(f"Weight of arm {arm!r} must be a positive number, not {weight}")
        out.append((str(arm), weight))
    return tuple(out)


def metrics_from_reference_spec(spec: Mapping[str, Any]) -> list[MetricSpec]:
    """Metrics from a spec.json in the shared reference format ({name: {type, column, covariate, ...}})."""
    out = []
    for name, d in spec.get("metrics", {}).items():
        out.append(
            MetricSpec(
                name=name,
                type=d.get("type", "mean"),
                column=d.get("column"),
                numerator=d.get("numerator"),
                denominator=d.get("denominator"),
                covariate=d.get("covariate"),
                agg=d.get("agg"),
                direction=d.get("direction", "higher"),
                guardrail=bool(d.get("guardrail", False)),
                margin=d.get("margin"),
                cap=d.get("cap"),
                quantile=d.get("quantile"),
            )
        )
    return out


def load_spec_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON spec file (the reference ``spec.json`` format, plus our optional keys)."""
    # one loader for user JSON: missing, unreadable, non-UTF-8, not JSON and too deeply nested, each a message
    doc = safe_json.load_file(path, f"{path} (spec file)")
    if not isinstance(doc, dict):
        raise SpecError(f'{path}: a spec file holds a JSON object ({{"arms": ..., "metrics": ...}})')
    return doc
