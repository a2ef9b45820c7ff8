"""Say which model the detector used for a series and why, in words a user can check
(e.g. "seasonal (weekly, 168 points/period) — 12 weeks of hourly data")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.anomaly.band import Context

_STEP_NAMES = (
    (pd.Timedelta(minutes=1), "minute"),
    (pd.Timedelta(minutes=5), "5-minute"),
    (pd.Timedelta(minutes=10), "10-minute"),
    (pd.Timedelta(minutes=15), "15-minute"),
    (pd.Timedelta(minutes=30), "30-minute"),
    (pd.Timedelta(hours=1), "hourly"),
    (pd.Timedelta(days=1), "daily"),
    (pd.Timedelta(days=7), "weekly"),
)


def step_name(step: pd.Timedelta) -> str:
    for size, name in _STEP_NAMES:
        if step == size:
            return name
    if step >= pd.Timedelta(days=360):
        return "yearly"
    if step >= pd.Timedelta(days=85):
        return "quarterly"
    if step >= pd.Timedelta(days=28):
        return "monthly"
    return f"{step} step"


def span_text(n_points: int, step: pd.Timedelta) -> str:
    """'12 weeks', '3 days', '40 points' ... of history."""
    span = n_points * step
    for unit, size in (
        ("year", pd.Timedelta(days=365)),
        ("week", pd.Timedelta(days=7)),
        ("day", pd.Timedelta(days=1)),
        ("hour", pd.Timedelta(hours=1)),
    ):
        if span >= 2 * size:
            n = int(span / size)
            return f"{n} {unit}s"
    return f"{n_points} points"


def _period_of(label: str, cands: list[tuple[str, int, int]]) -> int | None:
    return next((p for lab, p, _c in cands if label.startswith(lab)), None)


def reasons(
    labels: list[str],
    method: str,
    x: np.ndarray,
    step: pd.Timedelta,
    ctx: Context,
    season_cands: list[tuple[str, int, int]],
    all_cands: list[tuple[str, int, int]],
    countcols: np.ndarray,
    logcols: np.ndarray,
) -> list[str]:
    """One sentence per series: the model and why it was chosen.

    Parameters
    ----------
    labels : the baseline label per series (before the "log" prefix).
    season_cands : seasonal periods that fit the data's length; ``all_cands`` : those the grain allows.
    """
    out = []
    grain = step_name(step)
    n_hist = np.isfinite(x).sum(axis=0)
    window = ctx.window
    for s, label in enumerate(labels):
        history = f"{span_text(int(n_hist[s]), step)} of {grain} data"
        if method != "auto":
            text = f"{label} — method {method!r} chosen in the settings"
        elif countcols[s]:
            kind = label.replace(" (counts)", "")
            text = f"count model ({kind}, quasi-Poisson) — small whole numbers with Poisson-like spread; {history}"
        elif "seasonal" in label:
            name = label.split(" ")[0]
            period = _period_of(label, season_cands)
            per = f", {period} points/period" if period else ""
            text = (
                f"seasonal ({name}{per}) — {history}; the same phase of past cycles predicts it better "
                "than the recent level"
            )
        elif season_cands:
            names = ", ".join(lab for lab, _p, _c in season_cands)
            text = (
                f"robust level (rolling median of {window} points) — {history}; a seasonal model ({names}) "
                "did not predict it better"
            )
        elif all_cands:
            lab, period, _c = all_cands[0]
            text = (
                f"robust level (rolling median of {window} points) — too little history for a seasonal model "
                f"({history}; a {lab} cycle needs more than {2 * period} points)"
            )
        else:
            text = f"robust level (rolling median of {window} points) — no seasonal cycle at {grain} grain; {history}"
        if logcols[s]:
            text += "; on a log scale (non-negative, heavy-tailed values)"
        out.append(text)
    return out
