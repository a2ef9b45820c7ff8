"""Diagnostics in words: what makes this estimate fragile, and what to do about it.

Each diagnostic is ``{"code", "severity", "message", "what_to_do"}``; severity is "warning" (the estimate
may be wrong) or "note" (read it with care).
"""

from __future__ import annotations

import numpy as np

MIN_PRE_PERIODS = 4
MIN_CLUSTERS = 20
OUTSIDE_RANGE_SHARE = 0.2


def _item(code: str, severity: str, message: str, what_to_do: str) -> dict:
    return {"code": code, "severity": severity, "message": message, "what_to_do": what_to_do}


def pre_periods(n_pre: int, grain: str) -> list[dict]:
    if n_pre >= MIN_PRE_PERIODS:
        return []
    return [
        _item(
            "few_pre_periods",
            "warning",
            f"Only {n_pre} {grain}{'s' if n_pre != 1 else ''} before the start: parallel trends cannot "
            "be checked and a synthetic control is fitted on almost nothing.",
            f"Add history before the start (at least {MIN_PRE_PERIODS} {grain}s) or use a finer grain.",
        )
    ]


def clusters(n_units: int) -> list[dict]:
    if n_units >= MIN_CLUSTERS:
        return []
    return [
        _item(
            "few_clusters",
            "warning",
            f"{n_units} units: standard errors clustered by unit are unreliable below about "
            f"{MIN_CLUSTERS} clusters (CIs too narrow, p too small).",
            "Read the DiD p-value as approximate; lean on the synthetic-control placebo p-value, or add "
            "more control units.",
        )
    ]


def pretrend(p_value: float | None, n_leads: int, n_units: int) -> list[dict]:
    if p_value is not None and p_value < 0.05:
        return [
            _item(
                "pretrend_failed",
                "warning",
                f"Treated and control units already moved apart before the start (joint pre-trend test "
                f"p = {p_value:.3g}): the parallel-trends assumption behind DiD looks violated.",
                "Choose controls that tracked the treated units before the start (--controls), use the "
                "synthetic control, or look at the event-study plot for where the paths diverge.",
            )
        ]
    if p_value is None and n_leads > n_units - 1:
        return [
            _item(
                "pretrend_untestable",
                "note",
                f"{n_leads} pre-period coefficients but only {n_units} units: the joint pre-trend test "
                "is not defined (the clustered covariance is singular).",
                "Inspect the event-study plot, or rerun at a coarser grain (week/month) to get a test.",
            )
        ]
    return []


def donor_range(treated_pre: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> list[dict]:
    if len(treated_pre) == 0:
        return []
    outside = float(np.mean((treated_pre < lo) | (treated_pre > hi)))
    if outside <= OUTSIDE_RANGE_SHARE:
        return []
    return [
        _item(
            "outside_donor_range",
            "warning",
            f"The treated series lies outside the donors' range in {outside:.0%} of pre-periods: a "
            "synthetic control (a weighted average of donors) cannot reproduce it.",
            "Prefer the DiD estimate (it allows a level difference), or add donors that bracket the treated units.",
        )
    ]


def synthetic_fit(pre_rmspe: float, treated_pre: np.ndarray) -> list[dict]:
    spread = float(np.std(treated_pre)) if len(treated_pre) > 1 else 0.0
    if spread == 0 or pre_rmspe <= spread:
        return []
    return [
        _item(
            "poor_synthetic_fit",
            "warning",
            f"The synthetic control misses the treated series before the start by more than its own "
            f"variation (pre RMSPE {pre_rmspe:.3g} vs sd {spread:.3g}).",
            "Do not read the synthetic estimate; use DiD or choose other donors (--controls).",
        )
    ]


def staggered_gap(twfe_att: float | None, cs_att: float | None) -> list[dict]:
    if twfe_att is None or cs_att is None:
        return []
    scale = max(abs(cs_att), abs(twfe_att), 1e-300)
    if abs(twfe_att - cs_att) <= 0.1 * scale:
        return []
    return [
        _item(
            "twfe_vs_callaway_santanna",
            "note",
            f"Two-way fixed effects ({twfe_att:.4g}) and Callaway-Sant'Anna ({cs_att:.4g}) differ: "
            "effects vary across cohorts or with time since adoption, and TWFE then uses already-"
            "treated units as controls.",
            "Report the Callaway-Sant'Anna estimate; look at the group-time cells for the pattern.",
        )
    ]


def its_weaker() -> list[dict]:
    return [
        _item(
            "its_weaker_evidence",
            "note",
            "Interrupted time series: no control units, the effect is actual minus a projection of the "
            "pre-period, and anything else that changed at the start is counted as the effect.",
            "Find a comparison group (another region, platform or product) and rerun with --unit.",
        )
    ]


def unbalanced(n_cells: int, n_units: int, n_periods: int) -> list[dict]:
    full = n_units * n_periods
    if n_cells >= full:
        return []
    return [
        _item(
            "unbalanced_panel",
            "note",
            f"{full - n_cells} of {full} unit-period cells have no data (the panel is unbalanced).",
            "Check the missing periods; empty cells are left out, never filled with zero.",
        )
    ]
