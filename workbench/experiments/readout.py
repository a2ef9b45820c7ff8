"""The experiment readout: runs the sufficient-statistics plan and assembles every analysis into one
JSON-ready dict in the CONVENTIONS.md §4 schema (plus extra keys: verdicts, guardrails, segments,
cumulative results, health, the SQL that produced it)."""

from __future__ import annotations

import json
import math
from typing import Any
from dataclasses import dataclass, replace

from workbench.experiments.compare import arm_summary, chance_to_beat_control, compare_arms, per_unit_variance, public
from workbench.experiments.corrections import adjust, family
from workbench.experiments.moments import add_sums
from workbench.experiments.power import power_block
from workbench.experiments.sequential import sequential_interval
from workbench.experiments.spec import ExperimentSpec, MetricSpec
from workbench.experiments.srm import srm_test
from workbench.experiments.sufficient import OTHER_SEGMENT, QUANTILE_CUMULATIVE_CHECKPOINTS, SufficientStats, compute
from workbench.experiments.verdicts import guardrail_status, sentence, verdict

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class Readout:
    """A finished readout: ``data`` is the JSON document, ``sql`` the queries that produced it."""

    data: dict
    sql: tuple[str, ...]

    def to_json(self, indent: int | None = 1) -> str:
        return json.dumps(clean_floats(self.data), indent=indent, allow_nan=False)


def clean_floats(obj):
    """NaN/inf -> None recursively (the schema writes undefined numbers as null)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: clean_floats(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_floats(v) for v in obj]
    return obj


def _metric_header(m: MetricSpec) -> dict:
    if m.type == "ratio":
        return {"type": m.type, "numerator": m.numerator, "denominator": m.denominator}
    return {"type": m.type, "column": m.value_column}


def _metric_block(
    i: int,
    m: MetricSpec,
    groups: dict[str, dict],
    stats: SufficientStats,
    spec: ExperimentSpec,
    full: bool = True,
    quantiles: dict[str, dict | None] | None = None,
) -> tuple[dict, dict]:
    """(§4 metric block, per-arm summaries with internal moments) for one group of sums per arm.
    ``quantiles``: arm -> quantile estimate/CI of this group (default: the overall ones when ``full``)."""
    control = spec.control
    if quantiles is None:
        quantiles = {a: stats.quantiles.get((m.name, a)) for a in stats.arms} if full else {}
    per_arm = {a: arm_summary(i, m, groups.get(a, {}), stats.shifts, quantiles.get(a)) for a in stats.arms}
    comps = {
        t: compare_arms(m, per_arm[t], per_arm[control], (t, control), spec, full=full)
        for t in stats.arms
        if t != control
    }
    block = _metric_header(m)
    block.update(per_arm={a: public(v) for a, v in per_arm.items()}, comparisons=comps)
    return block, per_arm


def _apply_family(metric_blocks: dict, spec: ExperimentSpec, members: list[tuple[str, str]]) -> dict:
    """Adjusted p-values of ``members`` (metric, arm) written into each comparison; returns the §4 block."""
    ps = [metric_blocks[mn]["comparisons"][arm].get("p_value") for mn, arm in members]
    if spec.correction != "none":
        for (mn, arm), adj in zip(members, adjust(ps, spec.correction)):
            comp = metric_blocks[mn]["comparisons"][arm]
            comp["p_value_adjusted"] = adj
            comp["correction"] = spec.correction
    arms = sorted({arm for _, arm in members}, key=lambda a: [x for _, x in members].index(a))
    return {
        "family_all": family(members, ps),
        "per_arm": {
            a: family([mm for mm in members if mm[1] == a], [p for mm, p in zip(members, ps) if mm[1] == a])
            for a in arms
        },
    }


def _finish_comparisons(metric_blocks: dict, spec: ExperimentSpec) -> None:
    for m in spec.metrics:
        for arm, comp in metric_blocks[m.name]["comparisons"].items():
            comp["verdict"] = verdict(m, comp, spec.alpha)
            comp["chance_to_beat_control"] = chance_to_beat_control(m, comp)
            if m.guardrail:
                comp["guardrail"] = guardrail_status(m, comp)
            comp["summary"] = sentence(m.name, arm, spec.control, m, comp, spec.alpha)


def _family_members(spec: ExperimentSpec, arms: list[str]) -> list[tuple[str, str]]:
    return [
        (m.name, a)
        for m in spec.metrics
        if spec.guardrails_in_family or not m.guardrail
        for a in arms
        if a != spec.control
    ]


def _power(spec: ExperimentSpec, per_arm_all: dict) -> dict:
    out = {}
    for m in spec.metrics:
        c = per_arm_all[m.name][spec.control]
        if m.type == "quantile":
            out[m.name] = {"reason": "power for quantile metrics is not computed"}
            continue
        out[m.name] = power_block(
            c.get("value"),
            per_unit_variance(m, c),
            c.get("n"),
            spec.alpha,
            spec.target_power,
            spec.power_rel_lift,
            details=spec.power_details,
        )
    return out


def _cumulative(spec: ExperimentSpec, stats: SufficientStats) -> dict:
    """Per metric and treatment arm: results on units assigned up to the end of each UTC day, with
    always-valid (sequential) intervals so that looking every day is safe."""
    days = sorted({d for (_, d) in stats.by_day if d is not None})
    running: dict[str, dict] = {a: {} for a in stats.arms}
    out: dict = {m.name: {a: [] for a in stats.arms if a != spec.control} for m in spec.metrics}
    for day in days:
        for a in stats.arms:
            running[a] = add_sums(running[a], stats.by_day.get((a, day), {}))
        for i, m in enumerate(spec.metrics):
            q = None
            if m.type == "quantile":
                # Quantiles do not add up over days: exact cumulative quantiles exist at checkpoint days only.
                q = {a: stats.quantiles_by_day.get((m.name, a, day)) for a in stats.arms}
                if not all(q.values()):
                    continue
            per_arm = {a: arm_summary(i, m, running[a], stats.shifts, q[a] if q else None) for a in stats.arms}
            for t in out[m.name]:
                comp = compare_arms(m, per_arm[t], per_arm[spec.control], (t, spec.control), spec, full=False)
                n_total = comp["n_control"] + comp["n_treatment"]
                seq_abs = sequential_interval(
                    comp.get("abs_diff"), comp.get("abs_se"), n_total, spec.alpha, spec.sequential_tuning
                )
                seq_rel = sequential_interval(
                    comp.get("rel_lift"), comp.get("rel_se"), n_total, spec.alpha, spec.sequential_tuning
                )
                out[m.name][t].append(
                    {
                        "date": day,
                        "n_control": comp["n_control"],
                        "n_treatment": comp["n_treatment"],
                        "abs_diff": comp.get("abs_diff"),
                        "ci95": seq_abs["ci95"],
                        "p_value": seq_abs["p_value"],
                        "rel_lift": comp.get("rel_lift"),
                        "rel_ci95": seq_rel["ci95"],
                        "rel_p_value": seq_rel["p_value"],
                        "fixed_abs_ci95": comp.get("abs_ci95"),
                        "fixed_p_value": comp.get("p_value"),
                        "fixed_rel_ci95": comp.get("rel_ci95"),
                    }
                )
    return out


def _segments(spec: ExperimentSpec, stats: SufficientStats) -> dict:
    """The readout per segment value (top N by units + Other): SRM per segment and a correction family
    of its own (segments x metrics x arms). Exploratory: many looks, so treat hits as hypotheses."""
    values = []
    members, where = [], []
    for s in stats.segments:
        groups = {a: stats.by_segment.get((a, s), {}) for a in stats.arms}
        units = {a: int(groups[a].get("units", 0) or 0) for a in stats.arms}
        entry: dict[str, Any] = {
            "segment": s,
            "units": units,
            "srm": srm_test(units, spec.weight_map, spec.srm_threshold),
            "metrics": {},
        }
        for i, m in enumerate(spec.metrics):
            quantiles = (
                {a: stats.quantiles_by_segment.get((m.name, a, s)) for a in stats.arms}
                if m.type == "quantile"
                else None
            )
            block, _ = _metric_block(i, m, groups, stats, spec, full=False, quantiles=quantiles)
            entry["metrics"][m.name] = block
            if spec.guardrails_in_family or not m.guardrail:
                for a in block["comparisons"]:
                    members.append((s, m.name, a))
                    where.append(block["comparisons"][a])
        values.append(entry)
    if spec.correction != "none":
        for comp, adj in zip(where, adjust([c.get("p_value") for c in where], spec.correction)):
            comp["p_value_adjusted"] = adj
            comp["correction"] = spec.correction
    metrics = {m.name: m for m in spec.metrics}
    for entry in values:
        for name, block in entry["metrics"].items():
            for a, comp in block["comparisons"].items():
                comp["verdict"] = verdict(metrics[name], comp, spec.alpha)
    return {
        "column": spec.segment,
        "top_n": spec.segment_top_n,
        "exploratory": True,
        "other_label": OTHER_SEGMENT,
        "correction": spec.correction,
        "family_size": sum(1 for c in where if c.get("p_value") is not None),
        "note": "Exploratory: corrected within the segment family only; confirm any segment finding in a new experiment.",
        "values": values,
    }


def _health(spec: ExperimentSpec, stats: SufficientStats, srm: dict, metric_blocks: dict) -> dict:
    h = dict(stats.health)
    h["srm_flag"] = bool(srm.get("flag"))
    warnings = []
    if srm.get("flag"):
        obs = ", ".join(f"{a} {n:,}" for a, n in srm["observed"].items())
        warnings.append(
            f"Sample ratio mismatch: p = {srm['p_value']:.2g} (< {spec.srm_threshold}) for units per arm "
            f"{obs}. The split is broken; do not trust these results until the cause is found."
        )
    if h.get("units_in_multiple_arms"):
        warnings.append(
            f"{h['units_in_multiple_arms']:,} unit(s) appear in more than one arm; they are left out of every metric."
        )
    if h.get("units_with_null_arm"):
        warnings.append(f"{h['units_with_null_arm']:,} unit(s) have no arm (NULL); they are left out.")
    if h.get("rows_without_unit_id"):
        warnings.append(f"{h['rows_without_unit_id']:,} row(s) have no unit id; they are left out.")
    missing_cov = {}
    for m in spec.metrics:
        if m.covariate:
            n_miss = sum(int(pa.get("n_missing_covariate", 0) or 0) for pa in metric_blocks[m.name]["per_arm"].values())
            missing_cov[m.name] = n_miss
            if n_miss:
                warnings.append(
                    f"{m.name}: {n_miss:,} unit(s) lack the covariate {m.covariate!r}; CUPED uses complete cases only."
                )
        n_null = sum(int(pa.get("n_null", 0) or 0) for pa in metric_blocks[m.name]["per_arm"].values())
        if n_null:
            warnings.append(f"{m.name}: {n_null:,} unit(s) have no value (NULL); dropped for this metric only.")
    h["missing_covariate"] = missing_cov
    for m in spec.metrics:
        for arm, comp in metric_blocks[m.name]["comparisons"].items():
            g = comp.get("guardrail")
            if g and g.get("flag"):
                warnings.append(
                    f"Guardrail {m.name} is {'harmed' if g['status'] == 'harmed' else 'significantly worse'} in {arm}."
                )
    h["warnings"] = warnings
    h["null_handling"] = "complete_case: NULL metric values are dropped per metric and counted in n_null"
    return h


def run_experiment(cur, spec: ExperimentSpec) -> Readout:
    """Compute the full readout for ``spec`` on a DuckDB cursor.

    Raises
    ------
    SpecError / QueryError with a message a person can act on (missing column, non-numeric metric, unknown
    control arm, a single arm, ...). Statistics that are undefined for the data come back as null with a
    ``reason`` instead.
    """
    stats = compute(cur, spec)
    arms = stats.arms
    srm = srm_test({a: int(stats.overall[a]["units"]) for a in arms}, spec.weight_map, spec.srm_threshold)
    metric_blocks, per_arm_all = {}, {}
    for i, m in enumerate(spec.metrics):
        block, per_arm = _metric_block(i, m, stats.overall, stats, spec)
        block["definition"] = m.to_dict()
        if m.cap is not None:
            block["cap_value"] = stats.caps.get(m.name)
        metric_blocks[m.name], per_arm_all[m.name] = block, per_arm
    multiple = _apply_family(metric_blocks, spec, _family_members(spec, arms))
    multiple["method"] = spec.correction
    multiple["guardrails_in_family"] = spec.guardrails_in_family
    _finish_comparisons(metric_blocks, spec)
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "table": spec.table,
        "unit": spec.unit,
        "arm_column": spec.arm,
        "arms": arms,
        "control_arm": spec.control,
        "alpha": spec.alpha,
        "srm": srm,
        "metrics": metric_blocks,
        "multiple_testing": multiple,
        "power": _power(spec, per_arm_all),
    }
    queries = list(stats.sql)
    if spec.time_column:
        cumulative = _cumulative(spec, stats)
        data["cumulative"] = {
            "time_column": spec.time_column,
            "day": "UTC",
            "metrics": cumulative,
            "quantile_note": "Quantile metrics: exact cumulative quantiles at up to "
            f"{QUANTILE_CUMULATIVE_CHECKPOINTS} checkpoint days (fewer on large tables), not "
            "every day; their intervals use the order-statistic standard error (a normal "
            "approximation).",
            "units_without_time": int(
                sum(stats.overall[a]["units"] for a in arms) - sum(v["units"] for (a, _), v in stats.by_day.items())
            )
            if stats.by_day
            else None,
        }
        primary = next((m for m in spec.metrics if m.type == "mean"), None)
        if primary is not None:
            data["sequential_daily_metric"] = {
                arm: [
                    {k: e[k] for k in ("date", "n_control", "n_treatment", "abs_diff", "ci95", "p_value")} for e in rows
                ]
                for arm, rows in cumulative[primary.name].items()
            }
            data["sequential_daily_metric_name"] = primary.name
    if spec.segment:
        data["segments"] = _segments(spec, stats)
        data["segment_counts"] = {e["segment"]: e["units"] for e in data["segments"]["values"]}
    data["health"] = _health(spec, stats, srm, metric_blocks)
    alt = _nan_as_zero(cur, spec, stats, metric_blocks)
    if alt is not None:
        alt_data, alt_sql = alt
        data["alternative_conventions"] = alt_data
        queries += alt_sql
    data["spec"] = {
        "metrics": {m.name: m.to_dict() for m in spec.metrics},
        "weights": spec.weight_map or None,
        "segment": spec.segment,
        "time_column": spec.time_column,
        "correction": spec.correction,
        "sequential_tuning": spec.sequential_tuning,
    }
    data["sql"] = queries
    return Readout(data=clean_floats(data), sql=tuple(queries))


def _nan_as_zero(cur, spec: ExperimentSpec, stats: SufficientStats, metric_blocks: dict):
    """The mean metrics that have NULLs, recomputed with NULL read as 0 (metric and covariate): that
    convention can flip the sign, so the readout shows it beside the complete-case answer."""
    if not spec.nan_as_zero_alternative:
        return None
    targets = [
        m
        for m in spec.metrics
        if m.type == "mean"
        and any(pa.get("n_null") or pa.get("n_missing_covariate") for pa in metric_blocks[m.name]["per_arm"].values())
    ]
    if not targets:
        return None
    sub = replace(
        spec,
        metrics=tuple(replace(m, fill_null=0.0, cap=None) for m in targets),
        segment=None,
        time_column=None,
        assume_unique_units=not stats.health.get("rows_aggregated_per_unit", False) or spec.assume_unique_units,
    )
    alt_stats = compute(cur, sub)
    blocks = {}
    for i, m in enumerate(sub.metrics):
        block, _ = _metric_block(i, m, alt_stats.overall, alt_stats, sub)
        blocks[m.name] = block
    return (
        {
            "nan_as_zero": {
                "note": "NULL metric and covariate values read as 0 (the complete-case result is the primary one)",
                "metrics": blocks,
            }
        },
        alt_stats.sql,
    )
