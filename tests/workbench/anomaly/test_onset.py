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
    y[onset : onset + 6] = np.linspace(38, 4, 6)
    y[onset + 6 : onset + 18] = 2 + rng.normal(0, 0.3, 12)
    y[onset + 18 : onset + 30] = 55
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


def _hourly(seed: int = 3, n: int = 2000) -> tuple[pd.DatetimeIndex, np.ndarray, np.random.Generator]:
    rng = np.random.default_rng(seed)
    return pd.date_range("2024-01-01", periods=n, freq="h"), np.arange(n), rng


@pytest.mark.parametrize("case", ["variance", "drop_to_zero", "weekly_spike", "gap_then_shift"])
def test_synthetic_changes_found_at_their_onset_with_their_direction(case):
    ts, h, rng = _hourly()
    if case == "variance":  # the noise grows x4: no level change, a run of large errors
        y = 100 + rng.normal(0, 3, len(ts))
        y[1500:] = 100 + rng.normal(0, 12, len(ts) - 1500)
        direction, slack = None, 12
    elif case == "drop_to_zero":  # a daily cycle, then ten hours of nothing
        y = 50 + 20 * np.sin(2 * np.pi * h / 24) + rng.normal(0, 2, len(ts))
        y[1500:1510] = 0
        direction, slack = "down", 0
    elif case == "weekly_spike":
        y = 50 + 20 * np.sin(2 * np.pi * h / 168) + rng.normal(0, 2, len(ts))
        y[1500] = 120
        direction, slack = "up", 0
    else:  # a 100-hour gap, then a level shift 400 hours later
        y = 100 + rng.normal(0, 3, len(ts))
        y[1000:1100] = np.nan
        y[1500:] += 20
        direction, slack = "up", 0
    det = detect_series(ts, y, grain="hour")
    after = [inc for inc in det.incidents if inc.end >= ts[1500]]
    assert after, det.incidents
    assert ts[1500] <= after[0].start <= ts[1500 + slack]
    assert direction is None or after[0].direction == direction
    assert not [inc for inc in det.incidents if inc.end < ts[1500]]  # nothing before the change
    # and little else (x4 noise keeps leaning further out than the band until its scale catches up)
    assert len(det.incidents) <= (5 if case == "variance" else 4)


def test_count_surge_at_five_minutes_is_one_incident_from_near_its_start():
    rng = np.random.default_rng(3)
    ts = pd.date_range("2024-01-01", periods=4000, freq="5min")
    y = rng.poisson(3, len(ts)).astype(float)
    y[3000:3100] = rng.poisson(9, 100)
    det = detect_series(ts, y, grain="5min")
    assert "counts" in det.baselines[0]
    assert [inc.direction for inc in det.incidents] == ["up"]
    assert ts[3000] <= det.incidents[0].start <= ts[3012]  # within an hour: one count of 9 at rate 3 is no news
