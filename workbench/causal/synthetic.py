"""Synthetic control (Abadie, Diamond & Hainmueller), outcome only, with in-space placebo inference.

Weights w >= 0, sum(w) = 1 minimise the pre-period squared gap between the treated series (the mean of
the treated units) and the weighted donors. The QP is solved exactly by an active-set method: a
non-negative least-squares start (the sum-to-one row heavily weighted), then the equality-constrained
least-squares solution on the support, repaired until the KKT conditions hold. Scaling every outcome by
one constant leaves the weights unchanged, so the problem is solved on standardised values for
conditioning.
"""

from __future__ import annotations

import numpy as np

from workbench.causal.panel import Panel

_SUM_ROW_WEIGHT = 1e4
_KKT_TOL = 1e-10


def _support_solution(a: np.ndarray, b: np.ndarray, support: list[int]) -> np.ndarray:
    """argmin ||a_S w_S - b||^2 s.t. sum(w_S) = 1 (no sign constraint), from the KKT system."""
    k = len(support)
    a_s = a[:, support]
    kkt = np.zeros((k + 1, k + 1))
    kkt[:k, :k] = 2 * a_s.T @ a_s
    kkt[:k, k] = kkt[k, :k] = 1.0
    rhs = np.concatenate([2 * a_s.T @ b, [1.0]])
    sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0]  # lstsq: the support may be collinear
    return sol[:k]


def simplex_least_squares(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """w >= 0, sum(w) = 1 minimising ||a w - b||^2."""
    from scipy.optimize import nnls

    n_donors = a.shape[1]
    if n_donors == 1:
        return np.ones(1)
    stacked = np.vstack([a, _SUM_ROW_WEIGHT * np.ones((1, n_donors))])
    target = np.concatenate([b, [_SUM_ROW_WEIGHT]])
    w, _ = nnls(stacked, target, maxiter=100 * n_donors)
    w = w / w.sum() if w.sum() > 0 else np.full(n_donors, 1.0 / n_donors)
    support = [j for j in range(n_donors) if w[j] > 1e-12] or [int(np.argmax(w))]
    for _ in range(4 * n_donors + 10):
        # Primal step: solve on the support; if a weight goes negative, walk back to the boundary.
        ws = _support_solution(a, b, support)
        if np.any(ws < 0):
            cur = w[support]
            neg = ws < 0
            alpha = float(np.min(cur[neg] / (cur[neg] - ws[neg])))
            step = cur + alpha * (ws - cur)
            w = np.zeros(n_donors)
            w[support] = np.clip(step, 0.0, None)
            support = [j for j in support if w[j] > 1e-14] or [int(np.argmax(w))]
            w /= w.sum()
            continue
        w = np.zeros(n_donors)
        w[support] = ws
        # Dual check: a donor off the support whose gradient is below the support's would lower the loss.
        grad = 2 * a.T @ (a @ w - b)
        mu = float(np.mean(grad[support]))
        off = [j for j in range(n_donors) if j not in support]
        scale = max(float(np.max(np.abs(grad))), 1e-300)
        violation = [(grad[j] - mu, j) for j in off if grad[j] - mu < -_KKT_TOL * scale]
        if not violation:
            break
        support.append(min(violation)[1])
    w = np.clip(w, 0.0, None)
    return w / w.sum()


def fit_weights(y1: np.ndarray, y0: np.ndarray, pre: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Weights, gap series, pre RMSPE and post RMSPE for treated series ``y1`` against donors ``y0``."""
    scale = float(np.std(np.concatenate([y1[pre], y0[pre].ravel()]))) or 1.0
    w = simplex_least_squares(y0[pre] / scale, y1[pre] / scale)
    gap = y1 - y0 @ w
    pre_rmspe = float(np.sqrt(np.mean(gap[pre] ** 2)))
    post_rmspe = float(np.sqrt(np.mean(gap[~pre] ** 2)))
    return w, gap, pre_rmspe, post_rmspe


def _ratio(post: float, pre: float) -> float:
    if pre > 0:
        return post / pre
    return float("inf") if post > 0 else 1.0


def synthetic(panel: Panel) -> tuple[dict, dict]:
    """The synthetic-control section of the readout and extra series for charts.

    Only periods where every treated unit and every donor has a value are used. Returns (section,
    extras) where extras holds the treated and synthetic series and the placebo gaps.
    """
    wide = panel.wide()[panel.treated + panel.controls].dropna(axis=0, how="any")
    periods = list(wide.index)
    pre = np.asarray([p < panel.start for p in periods])
    y1 = wide[panel.treated].mean(axis=1).to_numpy(float)
    y0 = wide[panel.controls].to_numpy(float)
    donors = list(panel.controls)
    w, gap, pre_r, post_r = fit_weights(y1, y0, pre)
    ratio = _ratio(post_r, pre_r)
    ratios = [ratio]
    placebo_gaps = {}
    for j, donor in enumerate(donors):
        others = [k for k in range(len(donors)) if k != j]
        if not others:
            break
        _, g, pr, po = fit_weights(y0[:, j], y0[:, others], pre)
        ratios.append(_ratio(po, pr))
        placebo_gaps[donor] = g
    p = float(np.sum(np.asarray(ratios) >= ratio) / len(ratios)) if len(ratios) > 1 else None
    section = {
        "weights": {d: float(x) for d, x in zip(donors, w)},
        "att": float(np.mean(gap[~pre])),
        "pre_rmspe": pre_r,
        "post_rmspe": post_r,
        "rmspe_ratio": ratio if np.isfinite(ratio) else None,
        "placebo_p_value": p,
        "gap": [{"period": f"{t:%Y-%m-%d}", "gap": float(v)} for t, v in zip(periods, gap)],
    }
    extras = {
        "periods": periods,
        "treated": y1,
        "synthetic": y1 - gap,
        "placebo_gaps": placebo_gaps,
        "placebo_ratios": dict(zip(["(treated)"] + donors, ratios)),
        "n_pre": int(pre.sum()),
        "donor_range": (y0[pre].min(axis=1), y0[pre].max(axis=1)),
        "treated_pre": y1[pre],
    }
    return section, extras
