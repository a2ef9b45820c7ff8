"""Synthetic-control weights against independent optimisers: a brute-force simplex grid (3 donors) and
multi-start SLSQP; the active-set solution must be at least as good and satisfy the KKT conditions."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize

from workbench.causal.synthetic import fit_weights, simplex_least_squares


def _loss(a, b, w):
    return float(np.sum((a @ w - b) ** 2))


def test_three_donors_beats_a_brute_force_simplex_grid():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(30, 3))
    b = a @ np.array([0.2, 0.5, 0.3]) + rng.normal(0, 0.3, 30)
    w = simplex_least_squares(a, b)
    grid = [np.array([i, j, 400 - i - j]) / 400 for i, j in itertools.product(range(401), repeat=2) if i + j <= 400]
    best = min(grid, key=lambda g: _loss(a, b, g))
    assert _loss(a, b, w) <= _loss(a, b, best) + 1e-12
    assert np.allclose(w, best, atol=5e-3)
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_matches_multistart_slsqp_and_kkt(seed):
    rng = np.random.default_rng(100 + seed)
    n, j = 40, 12
    factor = rng.normal(size=n).cumsum()
    a = np.outer(factor, rng.uniform(0.3, 1.7, j)) + rng.normal(0, 0.5, (n, j))
    b = a[:, :4] @ np.array([0.4, 0.3, 0.2, 0.1]) + rng.normal(0, 0.2, n)
    if seed % 2:
        b = b + 3 * np.abs(a).max()  # treated above every donor: the solution sits on a vertex
    w = simplex_least_squares(a, b)
    best = np.inf
    for start in [np.full(j, 1 / j)] + [rng.dirichlet(np.ones(j)) for _ in range(5)]:
        res = minimize(
            lambda x: _loss(a, b, x),
            start,
            jac=lambda x: 2 * a.T @ (a @ x - b),
            method="SLSQP",
            bounds=[(0, 1)] * j,
            constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1}],
            options={"ftol": 1e-15, "maxiter": 2000},
        )
        best = min(best, _loss(a, b, np.clip(res.x, 0, None) / np.clip(res.x, 0, None).sum()))
    assert _loss(a, b, w) <= best * (1 + 1e-9) + 1e-12
    grad = 2 * a.T @ (a @ w - b)
    support = w > 1e-9
    mu = grad[support].mean()
    assert np.allclose(grad[support], mu, atol=1e-7 * np.abs(grad).max())  # equal slopes on the support
    assert np.all(grad[~support] >= mu - 1e-7 * np.abs(grad).max())  # no donor off it would help


def test_exact_replica_gets_zero_pre_gap_and_full_weight():
    rng = np.random.default_rng(9)
    y0 = rng.normal(size=(20, 5)).cumsum(axis=0)
    pre = np.arange(20) < 14
    y1 = y0[:, 2].copy()
    y1[~pre] -= 1.0  # the "effect"
    w, gap, pre_r, post_r = fit_weights(y1, y0, pre)
    assert w[2] == pytest.approx(1.0, abs=1e-9)
    assert pre_r == pytest.approx(0.0, abs=1e-9)
    assert np.allclose(gap[~pre], -1.0, atol=1e-9) and post_r == pytest.approx(1.0, abs=1e-9)
