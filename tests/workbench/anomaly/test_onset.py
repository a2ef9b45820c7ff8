"""Incidents are dated from their onset and take its direction; the detector says which model it chose."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.anomaly import detect_series


def _temperature(seed: int) -> tuple[pd.DatetimeIndex, np.ndarray, int]:
    """Ten days of 5-minute readings around 45 with a slow daily swing; at ``onset`` the machine fails:
    down to ~2 over half an hour, stays there an hour, then recovers to above normal."""
    ts = pd.date_range("2024-03-01", periods=10 * 288, freq="5min")
    rng = np.random.default_rng(seed)
    y = 45 + 3 * np.sin(2 * np.pi * np.arange(len(ts)) / 288) + rng.normal(0, 0.6, len(ts))
    onset = 8 * 288 + 100
    y[onset:onset + 6] = np.linspace(38, 4, 6)
    y[onset + 6:onset + 18] = 2 + rng.normal(0, 0.3, 12)
    y[onset + 18:onset + 30] = 55
    return ts, y, onset


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_drop_is_flagged_down_at_its_first_point(seed):
    ts, y, onset = _temperature(seed)
    det = detect_series(ts, y, grain="5min")
    hits = [inc for inc in det.incidents if inc.end >= ts[onset] and inc.start <= ts[onset + 30]]
    assert hits, det.incidents
    first = hits[0]
    assert first.direction == "down"
    assert ts[onset - 1] <= first.start <= ts[onset + 1]


@pytest.mark.parametrize("seed", [0, 1])
def test_level_shift_dated_from_its_first_point(seed):
    ts = pd.date_range("2024-01-01", periods=1500, freq="h")
    y = 100 + np.random.default_rng(seed).normal(0, 2, len(ts))
    y[1200:] += 25
    det = detect_series(ts, y, grain="hour")
    after = [inc for inc in det.incidents if inc.end >= ts[1200]]
    assert after and after[0].start == ts[1200] and after[0].direction == "up"


def test_model_reason_names_the_season_and_the_history():
    ts = pd.date_range("2024-01-01", periods=12 * 7 * 24, freq="h")
    h = np.arange(len(ts))
    y = 100 + 40 * (h % 168 < 120) * np.sin(np.pi * (h % 24) / 24) + np.random.default_rng(0).normal(0, 2, len(ts))
    det = detect_series(ts, y, grain="hour")
    assert det.reasons[0].startswith("seasonal (weekly, 168 points/period) — 12 weeks of hourly data")
    assert det.to_dict()["series"][0]["model"] == det.reasons[0]


def test_model_reason_says_when_history_is_too_short_for_a_season():
    ts = pd.date_range("2024-01-01", periods=40, freq="h")
    det = detect_series(ts, 10 + np.random.default_rng(0).normal(0, 1, 40), grain="hour")
    assert det.reasons[0].startswith("robust level")
    assert "too little history for a seasonal model" in det.reasons[0]
