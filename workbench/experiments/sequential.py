"""Always-valid (sequential) intervals: Waudby-Smith et al. asymptotic confidence sequences (§3.8).

This is GrowthBook's method; its p-value is the mSPRT normal-mixture p-value with mixing variance
rho^2 * N * V. Peeking at these every day keeps the false-positive rate at alpha. The tuning parameter n*
is the total sample size at which the interval is tightest relative to the fixed-horizon one.
"""

from __future__ import annotations

import math


def rho2(alpha: float, tuning: float) -> float:
    return (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning


def sequential_interval(estimate, se, n_total: int, alpha: float = 0.05, tuning: float = 5000.0) -> dict:
    """Confidence-sequence interval and p-value for ``estimate`` with standard error ``se`` after
    ``n_total`` units (both arms). Null when the SE is zero or undefined."""
    if estimate is None or se is None or se <= 0 or not n_total:
        return {"ci95": None, "p_value": None}
    r2 = rho2(alpha, tuning)
    n = float(n_total)
    v = se * se
    s2 = n * v
    half = math.sqrt(s2) * math.sqrt(2 * (n * r2 + 1) * math.log(math.sqrt(n * r2 + 1) / alpha) / (n * n * r2))
    log_e = r2 * (estimate * estimate * n / v) / (2 * (n * r2 + 1)) - 0.5 * math.log(n * r2 + 1)
    p = 1.0 if log_e <= 0 else math.exp(-log_e)
    return {"ci95": [estimate - half, estimate + half], "p_value": min(1.0, p)}


def sequential_block(comparison: dict, n_total: int, alpha: float, tuning: float) -> dict:
    """The §4 ``sequential`` block for a comparison (absolute and relative)."""
    return {
        "method": "gbstats_waudby_smith_2023",
        "tuning_parameter": float(tuning),
        "n_total": int(n_total),
        "abs": sequential_interval(comparison.get("abs_diff"), comparison.get("abs_se"), n_total, alpha, tuning),
        "rel": sequential_interval(comparison.get("rel_lift"), comparison.get("rel_se"), n_total, alpha, tuning),
    }
