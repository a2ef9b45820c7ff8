"""``run_impact``: the panel, the requested estimators, diagnostics and a verdict, as an ``impact/1`` doc."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from workbench.causal import SCHEMA, diagnostics, its, staggered, synthetic, twfe
from workbench.causal.panel import ImpactSpec, Panel, build_panel
from workbench.errors import SpecError

_ALL = ("did", "event-study", "synthetic", "staggered", "its")


@dataclass(frozen=True)
class ImpactResult:
    """The readout document (``impact/1``), the panel behind it and series for charts."""

    doc: dict
    panel: Panel
    extras: dict = field(default_factory=dict)


def _methods(spec: ImpactSpec, panel: Panel) -> tuple[list[str], bool]:
    """The methods to run and whether each is required (an explicit --method) or best effort (all)."""
    if spec.method != "all":
        return [spec.method], True
    if not panel.controls:
        return ["its"], False
    chosen = ["did", "event-study", "staggered" if spec.cohort else "synthetic"]
    return chosen, False


def _require_controls(panel: Panel, method: str) -> None:
    if not panel.controls:
        raise SpecError(
            f"{method} needs control units (there are none besides the treated ones); "
            "use --method its for a single series"
        )


def run_impact(cur, spec: ImpactSpec) -> ImpactResult:
    """Estimate the effect described by ``spec`` on the open table (``cur``: a cursor of the session).

    Raises
    ------
    SpecError when the design does not fit the data or a requested method cannot run on it.
    """
    panel = build_panel(cur, spec)
    methods, required = _methods(spec, panel)
    doc: dict = {
        "schema": SCHEMA,
        "method": spec.method,
        "unit": spec.unit,
        "measure": spec.measure.label,
        "grain": spec.grain,
        "time": spec.time_column,
        "treatment_start": f"{panel.start:%Y-%m-%d}" if panel.start is not None else None,
        "treated": list(panel.treated),
        "controls": list(panel.controls),
    }
    extras: dict = {}
    diags: list[dict] = []
    skipped: list[str] = []
    for method in methods:
        try:
            _run_method(method, spec, panel, doc, extras, diags)
        except SpecError as exc:
            if required:
                raise
            skipped.append(f"{method}: {exc}")
    extras["series"] = treated_vs_controls(panel)
    diags.extend(_design_diagnostics(spec, panel, doc, extras))
    doc["diagnostics"] = diags
    doc["skipped"] = skipped
    doc["verdict"] = verdict(doc)
    doc["sql"] = panel.sql
    return ImpactResult(doc, panel, extras)


def _run_method(method: str, spec: ImpactSpec, panel: Panel, doc: dict, extras: dict, diags: list) -> None:
    if method == "did":
        _require_controls(panel, "DiD")
        doc["did"] = twfe.did(panel)
    elif method == "event-study":
        _require_controls(panel, "The event study")
        rows, p, wald = twfe.event_study(panel)
        doc["event_study"], doc["pretrend_p_value"] = rows, p
        if wald:
            doc["pretrend_test"] = wald
        n_leads = sum(1 for r in rows if r["relative_period"] <= -2)
        diags.extend(diagnostics.pretrend(p, n_leads, len(panel.units)))
    elif method == "synthetic":
        if spec.cohort:
            raise SpecError(
                "Synthetic control needs one start date for the treated units; it is not defined "
                "for staggered adoption (--cohort)"
            )
        _require_controls(panel, "Synthetic control")
        section, series = synthetic.synthetic(panel)
        doc["synthetic"] = section
        extras["synthetic"] = series
        diags.extend(diagnostics.donor_range(series["treated_pre"], *series["donor_range"]))
        diags.extend(diagnostics.synthetic_fit(section["pre_rmspe"], series["treated_pre"]))
    elif method == "staggered":
        if not spec.cohort:
            raise SpecError("Staggered adoption needs --cohort COL (each unit's start)")
        doc["staggered"] = staggered.staggered(panel)
        if "did" in doc:
            doc["staggered"]["twfe_att"] = doc["did"]["att"]
            diags.extend(diagnostics.staggered_gap(doc["did"]["att"], doc["staggered"]["att"]))
    elif method == "its":
        if spec.cohort:
            raise SpecError("An interrupted time series needs one start date (--treated with --start)")
        doc["its"] = its.its(panel)
        diags.extend(diagnostics.its_weaker())


def treated_vs_controls(panel: Panel) -> dict:
    """Chart series: the treated units' mean, the controls' mean and the DiD counterfactual (the controls'
    mean shifted by the average pre-start difference), per period with every treated unit present."""
    wide = panel.wide()
    treated = wide[panel.treated].dropna(axis=0, how="any").mean(axis=1)
    controls = wide[panel.controls].mean(axis=1) if panel.controls else treated * np.nan
    controls = controls.reindex(treated.index)
    first = panel.start if panel.start is not None else min(c for c in panel.cohorts.values() if c is not None)
    pre = treated.index < first
    shift = float(np.nanmean((treated - controls)[pre])) if pre.any() and panel.controls else float("nan")
    return {
        "periods": list(treated.index),
        "treated": treated.to_numpy(float),
        "controls": controls.to_numpy(float),
        "counterfactual": controls.to_numpy(float) + shift,
        "start": first,
    }


def _design_diagnostics(spec: ImpactSpec, panel: Panel, doc: dict, extras: dict) -> list[dict]:
    out: list[dict] = []
    steps = sorted(panel.frame["step"].unique())
    if panel.start is not None:
        n_pre = sum(1 for p in panel.periods if p < panel.start)
    else:
        first = min(c for c in panel.cohorts.values() if c is not None)
        n_pre = sum(1 for p in panel.periods if p < first)
    out.extend(diagnostics.pre_periods(n_pre, spec.grain))
    if "did" in doc or "event_study" in doc:
        out.extend(diagnostics.clusters(len(panel.units)))
    out.extend(diagnostics.unbalanced(len(panel.frame), len(panel.units), len(steps)))
    return out


def _fmt(x: float) -> str:
    return f"{x:+.4g}"


def verdict(doc: dict) -> str:
    """One sentence: the headline estimate, its uncertainty, and how strong the evidence is."""
    treated = ", ".join(doc["treated"][:5]) + (" ..." if len(doc["treated"]) > 5 else "")
    measure = doc["measure"]
    when = f"from {doc['treatment_start']}" if doc.get("treatment_start") else "after each unit's start"
    if "staggered" in doc and doc["staggered"].get("att") is not None:
        s = doc["staggered"]
        return (
            f"{measure} changed by {_fmt(s['att'])} on average in the {len(doc['treated'])} treated units "
            f"{when} against never-treated units (Callaway-Sant'Anna, {len(s['group_time'])} group-time "
            "cells; no standard error)."
        )
    if "did" in doc:
        d = doc["did"]
        p = d["p_value"]
        strength = (
            "clear evidence of an effect"
            if p is not None and p < 0.01
            else "some evidence of an effect"
            if p is not None and p < 0.05
            else "no clear evidence of an effect"
        )
        tail = ""
        if "synthetic" in doc:
            sc = doc["synthetic"]
            pp = sc["placebo_p_value"]
            tail = f" The synthetic control gives {_fmt(sc['att'])}" + (
                f" (placebo p = {pp:.3g})." if pp is not None else "."
            )
        if doc.get("pretrend_p_value") is not None and doc["pretrend_p_value"] < 0.05:
            tail += " Caution: the pre-trend test fails."
        return (
            f"{measure} in {treated} changed by {_fmt(d['att'])} {when} relative to {len(doc['controls'])} "
            f"control units (DiD, 95% CI {d['ci95'][0]:.4g} to {d['ci95'][1]:.4g}, p = {_p(p)}): "
            f"{strength}.{tail}"
        )
    if "synthetic" in doc:
        sc = doc["synthetic"]
        pp = sc["placebo_p_value"]
        return (
            f"{measure} in {treated} was {_fmt(sc['att'])} against its synthetic control {when} (placebo p = {_p(pp)})."
        )
    if "event_study" in doc:
        post = [r for r in doc["event_study"] if r["relative_period"] >= 0]
        if post:
            avg = float(np.mean([r["estimate"] for r in post]))
            return f"{measure} in {treated}: mean post-start event-study coefficient {_fmt(avg)} {when}."
    if "its" in doc:
        t = doc["its"]
        rel = t["relative_effect"]
        lo, hi = t["cumulative_ci95"]
        return (
            f"{measure} in {treated} was {_fmt(t['att'])} per {doc['grain']} against the projection {when}"
            + (f" ({rel:+.1%})" if rel is not None else "")
            + f", cumulative {_fmt(t['cumulative_effect'])} (95% band {lo:.4g} to {hi:.4g}); {its.EVIDENCE}."
        )
    return "No estimate could be computed for this design."


def _p(p: float | None) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return "n/a"
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}"
