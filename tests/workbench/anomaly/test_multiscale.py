"""The coarse view: an hour whose mean is unusual is an incident even when no single point is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.anomaly import detect_series
from workbench.anomaly.multiscale import coarse_view, span_for

DAYS = 12
SURGE = 10 * 288 + 100  # day 10, ~08:20


def _intermittent(seed: int, surge: bool) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """5-minute CPU idling at ~2 % with one-reading bursts to 40-60 % about every two hours, at random
    times; with ``surge``, bursts of the same size fill two readings of every three for three hours."""
    ts = pd.date_range("2024-03-01", periods=DAYS * 288, freq="5min")
    rng = np.random.default_rng(seed)
    y = 2 + np.abs(rng.normal(0, 0.3, len(ts)))
    at = rng.choice(len(ts), size=DAYS * 12, replace=False)
    y[at] = rng.uniform(40, 60, len(at))
    if surge:
        busy = SURGE + np.flatnonzero(np.arange(36) % 3 != 2)
        y[busy] = rng.uniform(40, 60, len(busy))
    return ts, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bursts_that_come_more_often_are_an_incident(seed):
    ts, y = _intermittent(seed, surge=True)
    det = detect_series(ts, y, grain="5min")
    hits = [inc for inc in det.incidents if ts[SURGE] <= inc.start <= ts[SURGE + 36]]
    assert hits and hits[0].direction == "up", det.incidents


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bursts_at_their_usual_rate_are_not(seed):
    ts, y = _intermittent(seed, surge=False)
    det = detect_series(ts, y, grain="5min")
    assert len([inc for inc in det.incidents if inc.start >= ts[3 * 288]]) <= 1, det.incidents


def test_no_coarse_view_without_several_points_an_hour():
    assert span_for(24) is None and span_for(None) is None
    assert span_for(48) == 2 and span_for(288) == 12


def test_coarse_expected_leaves_out_the_current_hour():
    x = np.zeros((200, 1))
    x[150:, 0] = 10.0
    view = coarse_view(x, span=4, baseline=24, min_history=20)
    # the hour ending at 153 is all new; its expected value comes from hours ending by 149
    assert view.mean[153, 0] == 10.0 and view.expected[153, 0] == 0.0
    assert view.score[153, 0] > 100
