"""Anomaly incidents (with root cause) and experiment readouts as evidence-report sections.

A saved analysis is a *recipe* — plain JSON that says how to recompute it from the extracts:

* ``anomaly_recipe(spec, grain, params, focus=..., root_cause=...)`` — detection on a metric
  (:func:`workbench.anomaly.series.fetch_series` + :func:`workbench.anomaly.detect.detect_frame`) and,
  optionally, the root cause of one incident (:func:`workbench.anomaly.root_cause.explain`);
* ``experiment_recipe(spec)`` — :func:`workbench.experiments.run_experiment` on an ExperimentSpec.

:func:`recompute_tables` turns a recipe into the section's tables ({part: DataFrame}); the report shows
them and its replay script recomputes them the same way (:func:`workbench.report.compute_recipe`).
:func:`anomaly_section` / :func:`experiment_section` add the narrative and the method notes a reviewer
needs (detector, parameters, sensitivity, root-cause baseline; test per metric, correction, CUPED,
sequential testing, SRM, thresholds). Unit counts go through small-cell suppression like every table
(``count_column`` of each :class:`~workbench.report.ReportTable`); sentences that quote numbers of a group
below k are left out.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Mapping

import pandas as pd

from workbench.errors import SpecError

COUNT_AGGS = ("count", "count_distinct")
TEST_NAMES = {
    "welch_t": "Welch t-test (unequal variances), two-sided",
    "two_proportion_z_pooled": "two-proportion z-test (pooled), Wald CI, two-sided",
    "delta_z": "z-test on the ratio of sums, delta-method variance, two-sided",
    "quantile_z": "z-test on the quantile, order-statistic standard error, two-sided",
}
TEST_SHORT = {"welch_t": "Welch t", "two_proportion_z_pooled": "two-proportion z", "delta_z": "delta-method z",
              "quantile_z": "quantile z"}
CORRECTION_NAMES = {"bh": "Benjamini-Hochberg (false discovery rate)", "holm": "Holm (family-wise error)",
                    "bonferroni": "Bonferroni (family-wise error)", "none": "none"}
BASELINE_TEXT = {
    "expected": "the detector's expected total for the window, spread over segments by the mix of the same hours "
                "one day earlier (carried forward by each value's share trend)",
    "previous": "the period of the same length just before the window",
    "day": "the same hours one day earlier",
    "week": "the same hours one week earlier",
}


# --- recipes ---------------------------------------------------------------------------------------------

def _iso(value) -> str:
    return pd.Timestamp(value).isoformat()


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
    out = {"kind": "anomaly", "spec": spec.to_dict(), "grain": grain or "auto", "params": params.to_dict(),
           "focus": None, "root_cause": None}
    if focus is not None:
        series = focus["series"] if isinstance(focus, Mapping) else focus.series
        start = focus["start"] if isinstance(focus, Mapping) else focus.start
        out["focus"] = {"series": str(series), "start": _iso(start)}
    if root_cause:
        rc_spec = root_cause["spec"]
        out["root_cause"] = {"spec": rc_spec if isinstance(rc_spec, dict) else rc_spec.to_dict(),
                             "window": [_iso(w) for w in root_cause["window"]], "dims": list(root_cause["dims"]),
                             "baseline": root_cause.get("baseline", "expected")}
    return out


def experiment_spec_to_dict(spec) -> dict:
    """An ExperimentSpec as JSON (every field, so the replay runs exactly the same readout)."""
    d = {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec) if f.name not in ("metrics", "extra")}
    d["weights"] = [[a, w] for a, w in spec.weights]
    d["metrics"] = [dataclasses.asdict(m) for m in spec.metrics]
    return d


def experiment_spec_from_dict(d: Mapping):
    from workbench.experiments.spec import ExperimentSpec, MetricSpec

    d = dict(d)
    known = {f.name for f in dataclasses.fields(ExperimentSpec)}
    metric_fields = {f.name for f in dataclasses.fields(MetricSpec)}
    d["metrics"] = tuple(MetricSpec(**{k: v for k, v in m.items() if k in metric_fields}) for m in d.get("metrics", []))
    d["weights"] = tuple((str(a), float(w)) for a, w in d.get("weights") or ())
    spec = ExperimentSpec(**{k: v for k, v in d.items() if k in known})
    spec.validate()
    return spec


def experiment_recipe(spec) -> dict:
    return {"kind": "experiment", "spec": experiment_spec_to_dict(spec)}


# --- computing -------------------------------------------------------------------------------------------

@dataclass
class AnomalyRun:
    spec: Any
    params: Any
    grain: str  # the grain used
    detection: Any
    explanation: Any | None
    sql: list[str]


def run_anomaly(cur, recipe: Mapping) -> AnomalyRun:
    """Detection (and root cause) of an anomaly recipe on a cursor whose catalog has the sources open."""
    from workbench.anomaly.detect import detect_frame
    from workbench.anomaly.params import DetectorParams
    from workbench.anomaly.series import fetch_series
    from workbench.metrics import MetricSpec

    spec = MetricSpec.from_dict(recipe["spec"])
    params = DetectorParams.from_dict(recipe.get("params"))
    frame, used, query = fetch_series(cur, spec, recipe.get("grain") or "auto")
    if frame.empty:
        raise SpecError(f"{spec.table}: the metric has no data to detect on")
    detection = detect_frame(frame, params, grain=None if used == "raw" else used)
    explanation = None
    rc = recipe.get("root_cause")
    if rc:
        from workbench.anomaly.root_cause import explain

        explanation = explain(cur, MetricSpec.from_dict(rc["spec"]), tuple(rc["window"]), rc["dims"],
                              baseline=rc.get("baseline", "expected"))
    return AnomalyRun(spec, params, used, detection, explanation, [query] + list(explanation.sql if explanation else []))


def anomaly_tables(run: AnomalyRun, recipe: Mapping) -> dict[str, pd.DataFrame]:
    """{"incidents": ..., "root_cause_totals": ..., "root_cause": ...} (the last two only with a root cause)."""
    focus = recipe.get("focus") or {}
    rows = []
    for n, inc in enumerate(run.detection.incidents, 1):
        explained = bool(focus) and str(inc.series) == focus.get("series") and _iso(inc.start) == focus.get("start")
        rows.append({"incident": f"#{n}", "series": str(inc.series), "start": pd.Timestamp(inc.start),
                     "end": pd.Timestamp(inc.end), "direction": inc.direction, "severity": inc.severity,
                     "peak score": float(inc.peak_score), "points": int(inc.n_points), "actual": float(inc.actual),
                     "expected": float(inc.expected), "impact": float(inc.impact),
                     "impact 95% low": float(inc.impact_low), "impact 95% high": float(inc.impact_high),
                     "explained below": "yes" if explained else ""})
    cols = ["incident", "series", "start", "end", "direction", "severity", "peak score", "points", "actual",
            "expected", "impact", "impact 95% low", "impact 95% high", "explained below"]
    out = {"incidents": pd.DataFrame(rows, columns=cols)}
    rc = run.explanation
    if rc is not None:
        out["root_cause_totals"] = pd.DataFrame([{
            "window": f"{_iso(rc.window[0])} → {_iso(rc.window[1])}",
            "baseline period": f"{_iso(rc.baseline_window[0])} → {_iso(rc.baseline_window[1])}",
            "actual": float(rc.actual), "expected": float(rc.expected), "impact": float(rc.impact),
            "impact 95% low": float(rc.impact_low), "impact 95% high": float(rc.impact_high)}])
        culprits = [c.label for c in rc.culprits]
        segs = list(rc.culprits) + [s for s in rc.ranked if s.label not in culprits]
        seg_rows = []
        for s in segs:
            row = {"segment": s.label, "role": "culprit" if s.label in culprits else "ranked",
                   "actual": float(s.actual), "expected": float(s.expected), "impact": float(s.impact),
                   "impact 95% low": float(s.impact_low), "impact 95% high": float(s.impact_high),
                   "change %": None if s.change_pct is None else float(s.change_pct),
                   "share of change %": 100.0 * float(s.explanatory_power), "fit %": 100.0 * float(s.fit)}
            if s.affected is not None:
                row["distinct ids"] = int(s.affected)
            seg_rows.append(row)
        out["root_cause"] = pd.DataFrame(seg_rows, columns=["segment", "role", "actual", "expected", "impact",
                                                            "impact 95% low", "impact 95% high", "change %",
                                                            "share of change %", "fit %"]
                                         + (["distinct ids"] if any("distinct ids" in r for r in seg_rows) else []))
    return out


def experiment_tables(data: Mapping) -> dict[str, pd.DataFrame]:
    """{"arms", "srm", "results", "adjustments"(, "segments")} from a readout document."""
    control = data["control_arm"]
    srm = data["srm"]
    weights = srm.get("intended_weights") or {}
    arms = pd.DataFrame([{"arm": a, "role": "control" if a == control else "treatment",
                          "units": int(srm["observed"].get(a, 0)), "intended share": weights.get(a)}
                         for a in data["arms"]], columns=["arm", "role", "units", "intended share"])
    srm_t = pd.DataFrame([{"test": "chi-squared, units per arm vs intended shares",
                           "chi2": srm.get("chi2"), "df": srm.get("df"), "p_value": srm.get("p_value"),
                           "flag below": srm.get("threshold"), "mismatch": "YES" if srm.get("flag") else "no"}])
    results, adjustments = [], []
    for name, block in data["metrics"].items():
        for arm, c in block["comparisons"].items():
            aci, rci = c.get("abs_ci95") or [None, None], c.get("rel_ci95") or [None, None]
            results.append({"metric": name, "arm": arm, "test": TEST_SHORT.get(c.get("test"), c.get("test")),
                            "control": c.get("control_value"), "treatment": c.get("treatment_value"),
                            "Δ": c.get("abs_diff"), "Δ 95% low": aci[0], "Δ 95% high": aci[1],
                            "lift": c.get("rel_lift"), "lift 95% low": rci[0], "lift 95% high": rci[1],
                            "p": c.get("p_value"), "p adjusted": c.get("p_value_adjusted"),
                            "verdict": c.get("verdict")})
            cup = c.get("cuped") or {}
            cci = cup.get("rel_ci95") or [None, None]
            seq = (c.get("sequential") or {}).get("rel") or {}
            sci = seq.get("ci95") or [None, None]
            g = c.get("guardrail") or {}
            adjustments.append({"metric": name, "arm": arm,
                                "CUPED covariate": cup.get("covariate") or "", "CUPED lift": cup.get("rel_lift"),
                                "CUPED 95% low": cci[0], "CUPED 95% high": cci[1], "CUPED p": cup.get("p_value"),
                                "variance reduction": cup.get("variance_reduction"),
                                "sequential 95% low": sci[0], "sequential 95% high": sci[1],
                                "sequential p": seq.get("p_value"),
                                "chance to beat control": c.get("chance_to_beat_control"),
                                "guardrail": g.get("status") or ""})
    out = {"arms": arms, "srm": srm_t, "results": pd.DataFrame(results), "adjustments": pd.DataFrame(adjustments)}
    seg = data.get("segments")
    if seg:
        rows, units = [], []
        for e in seg["values"]:
            units += [{"segment": str(e["segment"]), "arm": a, "units": int(e["units"].get(a, 0) or 0)}
                      for a in data["arms"]]
            for name, block in e["metrics"].items():
                for arm, c in block["comparisons"].items():
                    ci = c.get("rel_ci95") or [None, None]
                    rows.append({"segment": str(e["segment"]), "metric": name, "arm": arm,
                                 "SRM p": e["srm"].get("p_value"), "lift": c.get("rel_lift"), "lift 95% low": ci[0],
                                 "lift 95% high": ci[1], "p adjusted": c.get("p_value_adjusted", c.get("p_value")),
                                 "verdict": c.get("verdict")})
        out["segment_units"] = pd.DataFrame(units, columns=["segment", "arm", "units"])
        out["segments"] = pd.DataFrame(rows)
    return out


def _small(k: int | None, *counts) -> bool:
    return bool(k) and any(n is None or 0 < n < k for n in counts)


def experiment_hidden_rows(data: Mapping, k: int | None) -> dict[str, list[bool]]:
    """Per comparison table, the rows that concern an arm (or a segment's arm) with fewer than k units."""
    control = data["control_arm"]
    units = {a: int(n) for a, n in data["srm"]["observed"].items()}
    comps = [(arm, c) for block in data["metrics"].values() for arm, c in block["comparisons"].items()]
    rows = [_small(k, units.get(arm), units.get(control), c.get("n_control"), c.get("n_treatment"))
            for arm, c in comps]
    out = {"results": rows, "adjustments": rows, "srm": [_small(k, *units.values())]}
    seg = data.get("segments")
    if seg:
        out["segments"] = [_small(k, e["units"].get(control, 0), e["units"].get(arm, 0))
                           for e in seg["values"] for block in e["metrics"].values() for arm in block["comparisons"]]
    return out


def run_readout(cur, recipe: Mapping) -> dict:
    from workbench.experiments import run_experiment

    return run_experiment(cur, experiment_spec_from_dict(recipe["spec"])).data


def recompute_tables(cur, recipe: Mapping) -> dict[str, pd.DataFrame]:
    """The tables of an "anomaly" or "experiment" recipe (what the replay script compares)."""
    if recipe.get("kind") == "anomaly":
        return anomaly_tables(run_anomaly(cur, recipe), recipe)
    if recipe.get("kind") == "experiment":
        return experiment_tables(run_readout(cur, recipe))
    raise SpecError(f"Not an anomaly or experiment recipe: {recipe.get('kind')!r}")


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
    """"3 unit(s) appear in more than one arm" -> "<10 unit(s) ..." when 3 < k."""
    if not k:
        return text

    def repl(m):
        n = int(m.group(1).replace(",", ""))
        return f"<{k}{m.group(2)}" if 0 < n < k else m.group(0)

    return re.sub(r"\b(\d[\d,]*)(\s+(?:unit|row)\(s\))", repl, text)


def anomaly_section(run: AnomalyRun, recipe: Mapping, *, title: str, k: int | None, image_png: bytes | None = None,
                    description: str = ""):
    """A ReportSection for an anomaly detection (+ root cause), with its tables and method notes."""
    from workbench.anomaly.params import DEFAULT_THRESHOLDS
    from workbench.anomaly.root_cause import BASELINES  # noqa: F401  (baseline names documented in BASELINE_TEXT)
    from workbench.report import ReportSection, ReportTable

    spec, params, det, rc = run.spec, run.params, run.detection, run.explanation
    tables = anomaly_tables(run, recipe)
    count = spec.measure.agg in COUNT_AGGS
    series_text = f"{len(det.names)} series" + (f" (by {spec.breakdown})" if spec.breakdown else "")
    paras = [description] if description else []
    paras.append(f"The detector flagged {int(det.flags.sum())} point(s) forming {len(det.incidents)} incident(s) in "
                 f"{series_text} of {spec.measure.label} on {spec.table} per {run.grain}.")
    focus = recipe.get("focus")
    if rc is not None:
        where = f" in series {focus['series']}" if focus and focus.get("series") not in (None, "all") else ""
        paras.append(f"Root cause of the incident{where} from {_iso(rc.window[0])} to {_iso(rc.window[1])} "
                     f"(baseline: {rc.baseline}): {rc.verdict}.")
    elif focus:
        paras.append(f"Selected incident: series {focus['series']} starting {focus['start']} (no root cause run).")
    def small(df):  # rows whose count (actual or expected events) is below k: withheld
        if not (k and count) or df.empty:
            return None
        return [_small(k, a) or _small(k, round(e)) for a, e in zip(df["actual"], df["expected"])]

    tabs = [ReportTable("Incidents", tables["incidents"], part="incidents", keys=["incident"],
                        note="actual / expected / impact are summed over the incident's points; the 95% interval "
                             "treats the detector's per-point errors as independent.",
                        hide_rows=small(tables["incidents"]))]
    if rc is not None:
        tabs.append(ReportTable("Root cause — totals", tables["root_cause_totals"], part="root_cause_totals",
                                keys=["window"], hide_rows=small(tables["root_cause_totals"])))
        tabs.append(ReportTable("Root cause — segments", tables["root_cause"], part="root_cause", keys=["segment"],
                                note="culprit = the segment(s) whose change alone best explains the incident; "
                                     "ranked = next-best segments. share of change % = explanatory power; fit % = share "
                                     "of the deviance removed if only this segment changed.",
                                hide_rows=small(tables["root_cause"])))
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
                       f"{_fmt(default_thr)})" + ("; small whole-number count series use the quasi-Poisson count model "
                                                  "and its own threshold" if len(thr_used) > 1 else ""),
        "Parameters": f"direction {p.direction}; window {p.window or 'default'}; warm-up {det.warmup} points (never "
                      f"flagged); season {p.season}; transform {p.transform}; min volume {_fmt(p.min_volume)}; "
                      f"merge gap {p.merge_gap if p.merge_gap is not None else 'default (a day of sub-daily data, else 1)'} "
                      "points",
    }
    if det.notes:
        notes["Detector notes"] = "; ".join(det.notes)
    if rc is not None:
        rcr = recipe["root_cause"]
        notes["Root-cause baseline"] = (f"{rc.baseline}: {BASELINE_TEXT.get(rc.baseline, rc.baseline)}; baseline period "
                                        f"{_iso(rc.baseline_window[0])} → {_iso(rc.baseline_window[1])}")
        notes["Root-cause search"] = (f"dimensions {', '.join(rcr['dims'])} and their combinations (up to 3); change "
                                      f"type: {rc.kind}; segments ranked by the fit of an 'only this segment changed' "
                                      "model (two-sample Poisson deviance), a more specific segment must beat a "
                                      "simpler one by more than an ordinary day's chance movement")
        if rc.notes:
            notes["Root-cause notes"] = "; ".join(rc.notes)
    notes["Small cells"] = (f"an incident or segment whose actual or expected count is below k = {k} is withheld "
                            f"(shown as \"<{k}\"); ranked segments overlap, so they are not a table of additive "
                            "cells" if k and count else
                            "the measure is not a count of units: no cell suppression applies" if k else
                            "suppression is off for this report")
    return ReportSection(title=title, text="\n\n".join(paras), image_png=image_png, method_notes=notes,
                         sql="\n\n".join(run.sql), recipe=dict(recipe), tables=tabs)


def experiment_section(data: Mapping, recipe: Mapping, *, title: str, k: int | None, image_png: bytes | None = None,
                       description: str = ""):
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
        paras.append(f"An arm has fewer than {k} units: its counts, its comparisons and the sample-ratio test are "
                     "withheld (small-cell suppression).")
    elif srm.get("flag"):
        paras.append(f"SAMPLE RATIO MISMATCH (p = {_fmt(srm.get('p_value'), 2)} < {srm.get('threshold')}): the split "
                     "is broken; do not trust these results until the cause is found.")
    else:
        paras.append(f"Sample ratio check passed (p = {_fmt(srm.get('p_value'), 3)}).")
    for w in data.get("health", {}).get("warnings", []):
        if not w.startswith("Sample ratio mismatch"):
            paras.append("Warning: " + _mask_small_counts(w, k))
    sentences = []
    for name, block in data["metrics"].items():
        for arm, c in block["comparisons"].items():
            if _small(k, srm["observed"].get(arm), srm["observed"].get(control), c.get("n_control"),
                      c.get("n_treatment")):
                sentences.append(f"{name}, {arm} vs {control}: withheld (fewer than {k} units in an arm).")
            elif c.get("summary"):
                sentences.append(c["summary"][0].upper() + c["summary"][1:])
    if sentences:
        paras.append("\n".join(sentences))

    hide = experiment_hidden_rows(data, k)
    tabs = [
        ReportTable("Units per arm", tables["arms"], part="arms", keys=["arm"], count_column="units", dims=["arm"],
                    value_columns=[], note="Units (unit ids) assigned to each arm. Counts below k are hidden, with "
                                           "complementary suppression so the experiment's total cannot reveal them."),
        ReportTable("Sample ratio mismatch (SRM) check", tables["srm"], part="srm", keys=["test"],
                    hide_rows=hide["srm"],
                    note="Withheld when an arm has fewer than k units: with the other arms' counts the statistic "
                         "would reveal it."),
        ReportTable("Results (fixed-horizon test; the verdict uses the adjusted p)", tables["results"], part="results",
                    keys=["metric", "arm"], hide_rows=hide["results"],
                    note="Δ = treatment − control; lift = Δ / control (fractions: 0.05 = +5%). A comparison with an "
                         "arm below k units is withheld."),
        ReportTable("CUPED, sequential and Bayesian views", tables["adjustments"], part="adjustments",
                    keys=["metric", "arm"], hide_rows=hide["adjustments"],
                    note="CUPED: the lift adjusted for the pre-period covariate (same target, narrower interval). "
                         "Sequential: always-valid 95% interval (safe to look daily). Shown beside the verdict's test."),
    ]
    if "segments" in tables:
        tabs.append(ReportTable(f"Units per {spec.segment} and arm", tables["segment_units"], part="segment_units",
                                keys=["segment", "arm"], count_column="units", dims=["segment", "arm"], value_columns=[],
                                note="Counts below k are hidden, with complementary suppression against the row and "
                                     "column totals."))
        tabs.append(ReportTable(f"Segments by {spec.segment} (exploratory)", tables["segments"], part="segments",
                                keys=["segment", "metric", "arm"], hide_rows=hide["segments"],
                                note="Corrected within the segment family only; confirm any segment finding in a new "
                                     "experiment. A segment comparison with an arm below k units is withheld."))

    tests = []
    for name, block in data["metrics"].items():
        test = next((c.get("test") for c in block["comparisons"].values()), None)
        tests.append(f"{name} ({block['type']}): {TEST_NAMES.get(test, test or 'n/a')}")
    family = data.get("multiple_testing", {}).get("family_all", {}).get("members", [])
    cuped = []
    for m in spec.metrics:
        if not m.covariate:
            cuped.append(f"{m.name}: off (no covariate)")
            continue
        vr = [c.get("cuped", {}).get("variance_reduction") for c in data["metrics"][m.name]["comparisons"].values()]
        vr = [v for v in vr if v is not None]
        cuped.append(f"{m.name}: on, covariate {m.covariate}"
                     + (f" (variance reduced by {100 * max(vr):.0f}%)" if vr else ""))
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
        "Sequential testing": (f"on: always-valid confidence sequences (Waudby-Smith et al.), tuning n* = "
                               f"{spec.sequential_tuning:g}, daily cumulative results by {spec.time_column} (UTC days); "
                               "the verdict uses the fixed-horizon test" if spec.time_column else
                               "off: fixed-horizon test, valid once at the planned end date"),
        "SRM check": f"chi-squared goodness of fit of units per arm vs intended shares ({weights}); flagged when "
                     f"p < {spec.srm_threshold:g}; result: "
                     + ("withheld (an arm is below k)" if small_arm else
                        f"{'MISMATCH' if srm.get('flag') else 'ok'}, p = {_fmt(srm.get('p_value'), 3)}"),
        "Thresholds": f"alpha = {spec.alpha:g} two-sided on the adjusted p-value; "
                      + (f"guardrail non-inferiority margins: {', '.join(margins)}; " if margins else "no guardrails; ")
                      + f"power target {spec.target_power:g} for a {100 * spec.power_rel_lift:g}% lift",
        "Missing values": data.get("health", {}).get("null_handling", "complete case"),
    }
    if spec.segment:
        notes["Segments"] = (f"by {spec.segment}: top {spec.segment_top_n} values by units + Other; exploratory, "
                             f"{spec.correction} within the segment family")
    notes["Small cells"] = (f"unit counts below k = {k} per arm and per segment × arm are shown as \"<{k}\" with "
                            "complementary suppression; every comparison (and the SRM test) involving such an arm is "
                            "withheld; warnings quote no count below k" if k else "suppression is off for this report")
    return ReportSection(title=title, text="\n\n".join(paras), image_png=image_png, method_notes=notes,
                         sql="\n\n".join(data.get("sql") or []), recipe=dict(recipe), tables=tabs)


def forest_rows(data: Mapping, k: int | None = None) -> list[dict]:
    """Rows for a forest plot of the readout (label, est, lo, hi, verdict); comparisons below k left blank."""
    rows = []
    for name, block in data["metrics"].items():
        guard = bool(block.get("definition", {}).get("guardrail"))
        for arm, c in block["comparisons"].items():
            hide = _small(k, c.get("n_control"), c.get("n_treatment"))
            ci = c.get("rel_ci95") or [None, None]
            rows.append({"label": f"{name}{' (guardrail)' if guard else ''} · {arm}",
                         "est": None if hide else c.get("rel_lift"), "lo": None if hide else ci[0],
                         "hi": None if hide else ci[1], "verdict": "undefined" if hide else c.get("verdict")})
    return rows
