"""Anomaly incidents (with root cause) and experiment readouts as evidence-report sections.

The analyses themselves — recipes, running them, their tables — live in :mod:`workbench.analysis`
(:class:`~workbench.analysis.AnomalyDetection`, :class:`~workbench.analysis.ExperimentReadout`); the report,
its replay script and the screen all run them there. This module adds what a report section needs on top:
the narrative and the method notes a reviewer needs (detector, parameters, sensitivity, root-cause
baseline; test per metric, correction, CUPED, sequential testing, SRM, thresholds). Unit counts go through
small-cell suppression like every table (``count_column`` of each :class:`~workbench.report.ReportTable`);
sentences that quote numbers of a group below k are left out.

``anomaly_recipe``, ``experiment_recipe``, ``run_anomaly``, ``run_readout`` and ``recompute_tables`` remain
as thin shims over the analysis model for existing callers and replay scripts.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, cast

import pandas as pd

from workbench.analysis.anomalies import AnomalyDetection, AnomalyRun
from workbench.analysis.anomalies import anomaly_tables as _anomaly_tables
from workbench.analysis.base import Analysis
from workbench.analysis.base import iso as _iso
from workbench.analysis.readout import (  # noqa: F401  (re-exported for existing callers)
    TEST_SHORT,
    ExperimentReadout,
    experiment_spec_from_dict,
    experiment_spec_to_dict,
    experiment_tables,
)
from workbench.errors import SpecError

COUNT_AGGS = ("count", "count_distinct")
TEST_NAMES = {
    "welch_t": "Welch t-test (unequal variances), two-sided",
    "two_proportion_z_pooled": "two-proportion z-test (pooled), Wald CI, two-sided",
    "delta_z": "z-test on the ratio of sums, delta-method variance, two-sided",
    "quantile_z": "z-test on the quantile, order-statistic standard error, two-sided",
}
CORRECTION_NAMES = {
    "bh": "Benjamini-Hochberg (false discovery rate)",
    "holm": "Holm (family-wise error)",
    "bonferroni": "Bonferroni (family-wise error)",
    "none": "none",
}
BASELINE_TEXT = {
    "expected": "the detector's expected total for the window, spread over segments by the mix of the same hours "
    "one day earlier (carried forward by each value's share trend)",
    "previous": "the period of the same length just before the window",
    "day": "the same hours one day earlier",
    "week": "the same hours one week earlier",
}


# --- recipes: shims over workbench.analysis ---------------------------------------------------------------


def anomaly_recipe(spec, grain: str, params, *, focus=None, root_cause: Mapping | None = None) -> dict:
    """JSON recipe of an anomaly detection (and optionally the root cause of one incident).

    Parameters
    ----------
    spec : workbench.metrics.MetricSpec of the detected metric.
    grain : the grain asked for ("auto", "raw", "hour", "day", ...).
    params : workbench.anomaly.params.DetectorParams.
    focus : the incident the analyst selected (an Incident, or {"series", "start"}).
    root_cause : {"spec": MetricSpec, "window": (start, end), "dims": [...], "baseline": "expected"}.
    """
    return AnomalyDetection.build(spec, grain, params, focus=focus, root_cause=root_cause).to_dict()


def experiment_recipe(spec) -> dict:
    return ExperimentReadout(spec).to_dict()


def run_anomaly(cur, recipe: Mapping) -> AnomalyRun:
    """Detection (and root cause) of an anomaly recipe on a cursor whose catalog has the sources open."""
    # from_dict on a subclass returns that subclass (a recipe of another kind raises).
    return cast(AnomalyDetection, AnomalyDetection.from_dict(recipe)).compute(cur)


def anomaly_tables(run: AnomalyRun, recipe: Mapping) -> dict[str, pd.DataFrame]:
    """{"incidents": ..., "root_cause_totals": ..., "root_cause": ...} (the last two only with a root cause)."""
    return _anomaly_tables(run, recipe.get("focus"))


def _small(k: int | None, *counts) -> bool:
    return bool(k) and any(n is None or 0 < n < k for n in counts)


def experiment_hidden_rows(data: Mapping, k: int | None) -> dict[str, list[bool]]:
    """Per comparison table, the rows that concern an arm (or a segment's arm) with fewer than k units."""
    control = data["control_arm"]
    units = {a: int(n) for a, n in data["srm"]["observed"].items()}
    comps = [(arm, c) for block in data["metrics"].values() for arm, c in block["comparisons"].items()]
    rows = [_small(k, units.get(arm), units.get(control), c.get("n_control"), c.get("n_treatment")) for arm, c in comps]
    out = {"results": rows, "adjustments": rows, "srm": [_small(k, *units.values())]}
    seg = data.get("segments")
    if seg:
        out["segments"] = [
            _small(k, e["units"].get(control, 0), e["units"].get(arm, 0))
            for e in seg["values"]
            for block in e["metrics"].values()
            for arm in block["comparisons"]
        ]
    return out


def run_readout(cur, recipe: Mapping) -> dict:
    """The readout document of an experiment recipe."""
    return ExperimentReadout.from_dict(recipe).run(cur).value.data


def recompute_tables(cur, recipe: Mapping) -> dict[str, pd.DataFrame]:
    """The tables of an "anomaly" or "experiment" recipe (what the replay script compares)."""
    if recipe.get("kind") not in ("anomaly", "experiment"):
        raise SpecError(f"Not an anomaly or experiment recipe: {recipe.get('kind')!r}")
    return dict(Analysis.from_dict(recipe).run(cur).tables)


# --- report sections -------------------------------------------------------------------------------------


def _fmt(v, digits: int = 4) -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:,.{digits}g}"
    return str(v)


def _pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:+.2f}%"


def _mask_small_counts(text: str, k: int | None) -> str:
    """ "3 unit(s) appear in more than one arm" -> "<10 unit(s) ..." when 3 < k."""
    if not k:
        return text

    def repl(m):
        n = int(m.group(1).replace(",", ""))
        return f"<{k}{m.group(2)}" if 0 < n < k else m.group(0)

    return re.sub(r"\b(\d[\d,]*)(\s+(?:unit|row)\(s\))", repl, text)


def anomaly_section(
    run: AnomalyRun,
    recipe: Mapping,
    *,
    title: str,
    k: int | None,
    image_png: bytes | None = None,
    description: str = "",
):
    """A ReportSection for an anomaly detection (+ root cause), with its tables and method notes."""
    from workbench.anomaly.params import DEFAULT_THRESHOLDS
    from workbench.anomaly.root_cause import BASELINES  # noqa: F401  (baseline names documented in BASELINE_TEXT)
    from workbench.report import ReportSection, ReportTable

    spec, params, det, rc = run.spec, run.params, run.detection, run.explanation
    tables = anomaly_tables(run, recipe)
    count = spec.measure.agg in COUNT_AGGS
    series_text = f"{len(det.names)} series" + (f" (by {spec.breakdown})" if spec.breakdown else "")
    paras = [description] if description else []
    paras.append(
        f"The detector flagged {int(det.flags.sum())} point(s) forming {len(det.incidents)} incident(s) in "
        f"{series_text} of {spec.measure.label} on {spec.table} per {run.grain}."
    )
    focus = recipe.get("focus")
    if rc is not None:
        where = f" in series {focus['series']}" if focus and focus.get("series") not in (None, "all") else ""
        paras.append(
            f"Root cause of the incident{where} from {_iso(rc.window[0])} to {_iso(rc.window[1])} "
            f"(baseline: {rc.baseline}): {rc.verdict}."
        )
    elif focus:
        paras.append(f"Selected incident: series {focus['series']} starting {focus['start']} (no root cause run).")

    def small(df):  # rows whose count (actual or expected events) is below k: withheld
        if not (k and count) or df.empty:
            return None
        return [_small(k, a) or _small(k, round(e)) for a, e in zip(df["actual"], df["expected"])]

    tabs = [
        ReportTable(
            "Incidents",
            tables["incidents"],
            part="incidents",
            keys=["incident"],
            note="actual / expected / impact are summed over the incident's points; the 95% interval "
            "treats the detector's per-point errors as independent.",
            hide_rows=small(tables["incidents"]),
        )
    ]
    if rc is not None:
        tabs.append(
            ReportTable(
                "Root cause — totals",
                tables["root_cause_totals"],
                part="root_cause_totals",
                keys=["window"],
                hide_rows=small(tables["root_cause_totals"]),
            )
        )
        tabs.append(
            ReportTable(
                "Root cause — segments",
                tables["root_cause"],
                part="root_cause",
                keys=["segment"],
                note="culprit = the segment(s) whose change alone best explains the incident; "
                "ranked = next-best segments. share of change % = explanatory power; fit % = share "
                "of the deviance removed if only this segment changed.",
                hide_rows=small(tables["root_cause"]),
            )
        )
    p = params
    default_thr = DEFAULT_THRESHOLDS[p.method]
    thr_used = sorted({float(t) for t in (det.thresholds if det.thresholds is not None else [det.threshold])})
    notes = {
        "Metric": f"{spec.measure.label} on {spec.table}, time column {spec.time_column or '(auto)'}; filters: "
        + ("; ".join(f.label for f in spec.filters) or "none")
        + (f"; one series per {spec.breakdown} value (top {spec.top_n})" if spec.breakdown else ""),
        "Series grain": f"{recipe.get('grain') or 'auto'} → {run.grain}",
        "Detector": f"{p.method}; baseline model per series: " + ", ".join(sorted(set(det.baselines))),
        "Sensitivity": f"a point is flagged when its score reaches {' / '.join(_fmt(t) for t in thr_used)} "
        f"(band half-width in robust standard deviations; lower = more sensitive; "
        f"{'default' if p.threshold is None else 'set by the analyst; default'} for {p.method}: "
        f"{_fmt(default_thr)})"
        + (
            "; small whole-number count series use the quasi-Poisson count model and its own threshold"
            if len(thr_used) > 1
            else ""
        ),
        "Parameters": f"direction {p.direction}; window {p.window or 'default'}; warm-up {det.warmup} points (never "
        f"flagged); season {p.season}; transform {p.transform}; min volume {_fmt(p.min_volume)}; "
        f"merge gap {p.merge_gap if p.merge_gap is not None else 'default (a day of sub-daily data, else 1)'} "
        "points",
    }
    if det.notes:
        notes["Detector notes"] = "; ".join(det.notes)
    if rc is not None:
        rcr = recipe["root_cause"]
        notes["Root-cause baseline"] = (
            f"{rc.baseline}: {BASELINE_TEXT.get(rc.baseline, rc.baseline)}; baseline period "
            f"{_iso(rc.baseline_window[0])} → {_iso(rc.baseline_window[1])}"
        )
        notes["Root-cause search"] = (
            f"dimensions {', '.join(rcr['dims'])} and their combinations (up to 3); change "
            f"type: {rc.kind}; segments ranked by the fit of an 'only this segment changed' "
            "model (two-sample Poisson deviance), a more specific segment must beat a "
            "simpler one by more than an ordinary day's chance movement"
        )
        if rc.notes:
            notes["Root-cause notes"] = "; ".join(rc.notes)
    notes["Small cells"] = (
        f"an incident or segment whose actual or expected count is below k = {k} is withheld "
        f'(shown as "<{k}"); ranked segments overlap, so they are not a table of additive '
        "cells"
        if k and count
        else "the measure is not a count of units: no cell suppression applies"
        if k
        else "suppression is off for this report"
    )
    return ReportSection(
        title=title,
        text="\n\n".join(paras),
        image_png=image_png,
        method_notes=notes,
        sql="\n\n".join(run.sql),
        recipe=dict(recipe),
        tables=tabs,
    )


def experiment_section(
    data: Mapping, recipe: Mapping, *, title: str, k: int | None, image_png: bytes | None = None, description: str = ""
):
    """A ReportSection for an experiment readout, with its tables and method notes."""
    from workbench.experiments.spec import format_metric
    from workbench.report import ReportSection, ReportTable

    spec = experiment_spec_from_dict(recipe["spec"])
    tables = experiment_tables(data)
    control = data["control_arm"]
    srm = data["srm"]
    small_arm = bool(k) and any(0 < n < k for n in srm["observed"].values())
    paras = [description] if description else []
    arms = ", ".join(f"{a}{' (control)' if a == control else ''}" for a in data["arms"])
    paras.append(f"Experiment on {data['table']}: unit {data['unit']}, arms {arms}.")
    if small_arm:
        paras.append(
            f"An arm has fewer than {k} units: its counts, its comparisons and the sample-ratio test are "
            "withheld (small-cell suppression)."
        )
    elif srm.get("flag"):
        paras.append(
            f"SAMPLE RATIO MISMATCH (p = {_fmt(srm.get('p_value'), 2)} < {srm.get('threshold')}): the split "
            "is broken; do not trust these results until the cause is found."
        )
    else:
        paras.append(f"Sample ratio check passed (p = {_fmt(srm.get('p_value'), 3)}).")
    for w in data.get("health", {}).get("warnings", []):
        if not w.startswith("Sample ratio mismatch"):
            paras.append("Warning: " + _mask_small_counts(w, k))
    sentences = []
    for name, block in data["metrics"].items():
        for arm, c in block["comparisons"].items():
            if _small(
                k, srm["observed"].get(arm), srm["observed"].get(control), c.get("n_control"), c.get("n_treatment")
            ):
                sentences.append(f"{name}, {arm} vs {control}: withheld (fewer than {k} units in an arm).")
            elif c.get("summary"):
                sentences.append(c["summary"][0].upper() + c["summary"][1:])
    if sentences:
        paras.append("\n".join(sentences))

    hide = experiment_hidden_rows(data, k)
    tabs = [
        ReportTable(
            "Units per arm",
            tables["arms"],
            part="arms",
            keys=["arm"],
            count_column="units",
            dims=["arm"],
            value_columns=[],
            note="Units (unit ids) assigned to each arm. Counts below k are hidden, with "
            "complementary suppression so the experiment's total cannot reveal them.",
        ),
        ReportTable(
            "Sample ratio mismatch (SRM) check",
            tables["srm"],
            part="srm",
            keys=["test"],
            hide_rows=hide["srm"],
            note="Withheld when an arm has fewer than k units: with the other arms' counts the statistic "
            "would reveal it.",
        ),
        ReportTable(
            "Results (fixed-horizon test; the verdict uses the adjusted p)",
            tables["results"],
            part="results",
            keys=["metric", "arm"],
            hide_rows=hide["results"],
            note="Δ = treatment − control; lift = Δ / control (fractions: 0.05 = +5%). A comparison with an "
            "arm below k units is withheld.",
        ),
        ReportTable(
            "CUPED, sequential and Bayesian views",
            tables["adjustments"],
            part="adjustments",
            keys=["metric", "arm"],
            hide_rows=hide["adjustments"],
            note="CUPED: the lift adjusted for the pre-period covariate (same target, narrower interval). "
            "Sequential: always-valid 95% interval (safe to look daily). Shown beside the verdict's test.",
        ),
    ]
    if "segments" in tables:
        tabs.append(
            ReportTable(
                f"Units per {spec.segment} and arm",
                tables["segment_units"],
                part="segment_units",
                keys=["segment", "arm"],
                count_column="units",
                dims=["segment", "arm"],
                value_columns=[],
                note="Counts below k are hidden, with complementary suppression against the row and column totals.",
            )
        )
        tabs.append(
            ReportTable(
                f"Segments by {spec.segment} (exploratory)",
                tables["segments"],
                part="segments",
                keys=["segment", "metric", "arm"],
                hide_rows=hide["segments"],
                note="Corrected within the segment family only; confirm any segment finding in a new "
                "experiment. A segment comparison with an arm below k units is withheld.",
            )
        )

    tests = []
    for name, block in data["metrics"].items():
        test: Any = next((c.get("test") for c in block["comparisons"].values()), None)
        tests.append(f"{name} ({block['type']}): {TEST_NAMES.get(test, test or 'n/a')}")
    family = data.get("multiple_testing", {}).get("family_all", {}).get("members", [])
    cuped = []
    for m in spec.metrics:
        if not m.covariate:
            cuped.append(f"{m.name}: off (no covariate)")
            continue
        vr = [c.get("cuped", {}).get("variance_reduction") for c in data["metrics"][m.name]["comparisons"].values()]
        vr = [v for v in vr if v is not None]
        cuped.append(
            f"{m.name}: on, covariate {m.covariate}" + (f" (variance reduced by {100 * max(vr):.0f}%)" if vr else "")
        )
    margins = [f"{m.name} {100 * (m.margin or 0):g}%" for m in spec.metrics if m.guardrail]
    weights = ", ".join(f"{a} {w:g}" for a, w in spec.weights) or "equal shares"
    notes = {
        "Data": f"table {spec.table}; unit {spec.unit}; arm column {spec.arm}; control arm {spec.control}; a unit's "
        "rows are rolled up first (per metric: " + ", ".join(f"{m.name} {m.unit_agg}" for m in spec.metrics) + ")",
        "Metrics": "; ".join(format_metric(m) for m in spec.metrics),
        "Test per metric": "; ".join(tests),
        "Correction": f"{CORRECTION_NAMES.get(spec.correction, spec.correction)} across {len(family)} comparison(s) "
        f"(metrics × treatment arms; guardrails {'in' if spec.guardrails_in_family else 'not in'} the "
        "family)",
        "CUPED": "; ".join(cuped),
        "Sequential testing": (
            f"on: always-valid confidence sequences (Waudby-Smith et al.), tuning n* = "
            f"{spec.sequential_tuning:g}, daily cumulative results by {spec.time_column} (UTC days); "
            "the verdict uses the fixed-horizon test"
            if spec.time_column
            else "off: fixed-horizon test, valid once at the planned end date"
        ),
        "SRM check": f"chi-squared goodness of fit of units per arm vs intended shares ({weights}); flagged when "
        f"p < {spec.srm_threshold:g}; result: "
        + (
            "withheld (an arm is below k)"
            if small_arm
            else f"{'MISMATCH' if srm.get('flag') else 'ok'}, p = {_fmt(srm.get('p_value'), 3)}"
        ),
        "Thresholds": f"alpha = {spec.alpha:g} two-sided on the adjusted p-value; "
        + (f"guardrail non-inferiority margins: {', '.join(margins)}; " if margins else "no guardrails; ")
        + f"power target {spec.target_power:g} for a {100 * spec.power_rel_lift:g}% lift",
        "Missing values": data.get("health", {}).get("null_handling", "complete case"),
    }
    if spec.segment:
        notes["Segments"] = (
            f"by {spec.segment}: top {spec.segment_top_n} values by units + Other; exploratory, "
            f"{spec.correction} within the segment family"
        )
    notes["Small cells"] = (
        f'unit counts below k = {k} per arm and per segment × arm are shown as "<{k}" with '
        "complementary suppression; every comparison (and the SRM test) involving such an arm is "
        "withheld; warnings quote no count below k"
        if k
        else "suppression is off for this report"
    )
    return ReportSection(
        title=title,
        text="\n\n".join(paras),
        image_png=image_png,
        method_notes=notes,
        sql="\n\n".join(data.get("sql") or []),
        recipe=dict(recipe),
        tables=tabs,
    )


def forest_rows(data: Mapping, k: int | None = None) -> list[dict]:
    """Rows for a forest plot of the readout (label, est, lo, hi, verdict); comparisons below k left blank."""
    rows = []
    for name, block in data["metrics"].items():
        guard = bool(block.get("definition", {}).get("guardrail"))
        for arm, c in block["comparisons"].items():
            hide = _small(k, c.get("n_control"), c.get("n_treatment"))
            ci = c.get("rel_ci95") or [None, None]
            rows.append(
                {
                    "label": f"{name}{' (guardrail)' if guard else ''} · {arm}",
                    "est": None if hide else c.get("rel_lift"),
                    "lo": None if hide else ci[0],
                    "hi": None if hide else ci[1],
                    "verdict": "undefined" if hide else c.get("verdict"),
                }
            )
    return rows
