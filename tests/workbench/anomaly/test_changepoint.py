"""CUSUM change points on the point scores: a persistent lean is an alarm, noise is not."""

from __future__ import annotations

import numpy as np

from workbench.anomaly.changepoint import cusum_flags, long_run_factor


def _noise(seed: int, t: int = 4000, s: int = 20) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 1, (t, s))


def test_a_run_leaning_two_sigmas_is_one_alarm_early_in_the_run():
    z = _noise(0)
    z[2000:2015] += 2.5  # fifteen points leaning 2.5 sigmas, none of them far out
    z[3000:3015] -= 2.5
    out = cusum_flags(z)
    for start, sign in ((2000, 1), (3000, -1)):
        hits = np.flatnonzero(out[start : start + 15].any(axis=1))
        assert out[start : start + 15].any(axis=0).all()  # every series
        assert hits.min() < 10
        rows, cols = np.nonzero(out[start : start + 15])
        assert np.all(np.sign(z[start + rows, cols]) == sign)  # an alarm leans its own way


def test_independent_noise_rarely_alarms():
    out = cusum_flags(_noise(1))
    assert out.sum() <= 0.002 * out.size  # under one alarm per 500 points per series


def test_a_single_spike_is_not_a_change_point():
    z = np.zeros((200, 1))
    z[100, 0] = 40.0  # clipped to 3: far below the alarm level
    assert not cusum_flags(z).any()


def test_autocorrelated_noise_is_judged_by_its_long_run_spread():
    rng = np.random.default_rng(2)
    e = rng.normal(0, 1, (4000, 20))
    z = np.zeros_like(e)
    for t in range(1, len(z)):
        z[t] = 0.8 * z[t - 1] + 0.6 * e[t]  # AR(1) with unit variance: long same-sign runs by itself
    f = long_run_factor(z)
    assert np.all(np.abs(f[-1] - 3.0) < 0.5)  # sqrt(1.8 / 0.2)
    with_factor = cusum_flags(z).sum()
    # without the factor (scores taken as independent) the same noise alarms many times more often
    up = down = np.zeros(z.shape[1])
    naive = 0
    for row in np.clip(z, -3, 3):
        up, down = np.maximum(0, up + row - 1), np.maximum(0, down - row - 1)
        hit = (up > 10) | (down > 10)
        naive += hit.sum()
        up, down = np.where(hit, 0, up), np.where(hit, 0, down)
    assert with_factor <= 0.002 * z.size and naive > 5 * max(with_factor, 1)
