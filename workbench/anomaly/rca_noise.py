"""Noise of an ordinary day for root cause when the extract has no history before the baseline.

Root cause judges a culprit against how much segments move on an ordinary day (the baseline compared with
the period before it). Extracts often hold only the baseline and the window; then the ordinary day is
simulated from the leaves that are there: the window against the baseline, after removing the overall
change, gives each leaf's residual. Its spread grows with the leaf's size as ``size ** (p / 2)`` with ``p``
between 1 (count noise, Poisson) and 2 (proportional noise, e.g. forecast error); ``p`` and the robust
scale are estimated from the leaves (medians, so the few leaves a culprit moved barely count), and a seeded
Gaussian draw at that spread stands in for the missing period.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_SEED = 20240301  # fixed: the same extract always gives the same answer
_MAD_TO_SD = 1.4826
_MIN_BIN_SIZE = 20.0
_WEIGHT_FLOOR_Q = 0.05  # sizes below the 5th percentile use it: a near-empty leaf cannot be blown up
PROPORTIONAL_POWER = 1.3  # below this the noise is treated as count noise (no reweighting)


def history_is_missing(leaves: pd.DataFrame, ratio: bool) -> bool:
    """True when the period before the baseline holds (almost) nothing next to the baseline itself."""
    base = float(leaves["f_den" if ratio else "f_num"].abs().sum())
    before = float(leaves["n_den" if ratio else "n_num"].abs().sum())
    return base > 0 and before < 0.05 * base


def variance_power(actual: np.ndarray, base: np.ndarray) -> float:
    """Exponent ``p`` of ``spread ~ size ** (p / 2)`` from leaf residuals, clipped to [1, 2]: the slope of
    log median |residual| over log median size across ten size bins."""
    ok = base > 0
    if ok.sum() < 20:
        return 1.0
    f, r = base[ok], np.abs(actual[ok] - base[ok])
    bins = np.quantile(f, np.linspace(0, 1, 11))
    xs, ys = [], []
    for lo, hi in zip(bins[:-1], bins[1:]):
        m = (f >= lo) & (f <= hi)
        med_r = float(np.median(r[m])) if m.any() else 0.0
        # Small counts are too discrete for the slope (a Poisson 0/1 leaf has median residual 0 or 1).
        if m.sum() >= 5 and med_r > 0 and float(np.median(f[m])) >= _MIN_BIN_SIZE:
            xs.append(np.log(float(np.median(f[m]))))
            ys.append(np.log(med_r))
    if len(xs) < 3 or np.ptp(xs) < 0.5:
        return 1.0
    slope = float(np.polyfit(xs, ys, 1)[0])
    return float(np.clip(2.0 * slope, 1.0, 2.0))


DRAWS = 3  # the ordinary day's best chance segment is a maximum: taken over a few draws, not one


def simulate_before(leaves: pd.DataFrame, ratio: bool):
    """``leaves`` with ``n_num`` (and ``n_den``, ``m_num``) replaced by a simulated ordinary day around the
    baseline, a note saying so, and ``redraw(k)``: the numerator of the k-th further draw (same order)."""
    # A fixed leaf order: the same extract gets the same draw whatever order the GROUP BY returned.
    keys = [c for c in leaves.columns if c.startswith("d") and c[1:].isdigit()]
    out = leaves.sort_values(keys).reset_index(drop=True) if keys else leaves.copy()
    a, f = out["a_num"].to_numpy(float), out["f_num"].to_numpy(float)
    total_a, total_f = a.sum(), f.sum()
    level = total_a / total_f if total_f > 0 else 1.0
    fitted = f * level  # the overall change removed: what is left is leaf noise (and the culprits)
    p = variance_power(a, fitted)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(fitted > 0, (a - fitted) / fitted ** (p / 2.0), np.nan)
    z = z[np.isfinite(z)]
    sigma = _MAD_TO_SD * float(np.median(np.abs(z - np.median(z)))) if len(z) else 0.0
    if not np.isfinite(sigma) or sigma <= 0:
        sigma = float(np.std(z)) if len(z) > 1 else 0.0
    if p <= 1.0 + 1e-9:
        sigma = max(sigma, 1.0)  # count data is never quieter than Poisson

    def redraw(k: int) -> np.ndarray:
        draw = np.random.default_rng(_SEED + k).standard_normal(len(out))
        return np.maximum(f + sigma * np.maximum(f, 0.0) ** (p / 2.0) * draw, 0.0)

    out["n_num"] = redraw(0)
    if ratio:
        out["n_den"] = out["f_den"].to_numpy(float)
    if "m_num" in out:
        out["m_num"] = out["n_num"]
    note = (
        "little history: only the baseline period precedes the window, so ordinary day-to-day "
        f"movement was estimated from the window's own leaves (spread ~ size^{p / 2:.2f})"
    )
    return out, note, redraw


def leaf_weights(base: np.ndarray, power: float) -> np.ndarray:
    """Per-leaf factor that turns noise with variance ~ size ** power into count-like noise (variance ~
    mean): ``(size / median) ** (1 - power)``; sizes below the 5th percentile use it, so a
    near-empty leaf cannot be blown up. Ones for count noise."""
    base = np.asarray(base, dtype=float)
    positive = base[base > 0]
    if power < PROPORTIONAL_POWER or len(positive) < 20:
        return np.ones(len(base))
    floor, mid = float(np.quantile(positive, _WEIGHT_FLOOR_Q)), float(np.median(positive))
    return (np.maximum(base, floor) / mid) ** (1.0 - power)
