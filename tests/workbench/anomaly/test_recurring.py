"""A value the series reaches at this time of day every day is a habit, not an incident; a new one is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.anomaly import detect_series
from workbench.anomaly.recurring import drop_habitual_runs, routine_values, seen_before

DAYS = 14
JOB_AT = 2 * 12  # 02:00 on a 5-minute grid


def _nightly_job(seed: int) -> tuple[pd.DatetimeIndex, np.ndarray, list[int]]:
    """Two weeks of 5-minute CPU around 10 %, with a nightly job at ~02:00 (drifting by up to 15 minutes)
    that takes it to ~80 % for one reading."""
    ts = pd.date_range("2024-03-01", periods=DAYS * 288, freq="5min")
    rng = np.random.default_rng(seed)
    y = 10 + rng.normal(0, 0.5, len(ts))
    jobs = [d * 288 + JOB_AT + int(rng.integers(-3, 4)) for d in range(DAYS)]
    for j in jobs:
        y[j] = 80 + rng.normal(0, 2)
    return ts, y, jobs


def _incidents_after(det, ts, point):
    return [inc for inc in det.incidents if inc.end >= ts[point]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nightly_job_is_not_an_incident_once_it_is_a_habit(seed):
    ts, y, jobs = _nightly_job(seed)
    det = detect_series(ts, y, grain="5min")
    # Warm-up is two days; by the fourth day the job has been seen on two earlier nights.
    assert _incidents_after(det, ts, 4 * 288) == []


@pytest.mark.parametrize("seed", [0, 1])
def test_a_job_twice_as_heavy_is_an_incident(seed):
    ts, y, jobs = _nightly_job(seed)
    y[jobs[10]] = 160
    det = detect_series(ts, y, grain="5min")
    hits = _incidents_after(det, ts, 4 * 288)
    assert [inc.start for inc in hits] == [ts[jobs[10]]]
    assert hits[0].direction == "up"


def test_a_spike_at_a_new_time_of_day_is_an_incident():
    ts, y, jobs = _nightly_job(0)
    noon = 10 * 288 + 144
    y[noon] = 80
    det = detect_series(ts, y, grain="5min")
    assert [inc.start for inc in _incidents_after(det, ts, 4 * 288)] == [ts[noon]]


def test_a_drop_at_the_job_time_is_still_an_incident():
    ts, y, jobs = _nightly_job(1)
    start = 11 * 288 + JOB_AT - 10
    y[start : start + 40] = 0.0  # the machine stops, right around the job's usual time
    det = detect_series(ts, y, grain="5min")
    hits = _incidents_after(det, ts, 4 * 288)
    assert hits and hits[0].direction == "down"
    assert ts[start - 1] <= hits[0].start <= ts[start + 1]


def test_seen_before_needs_two_earlier_cycles():
    period = 10
    x = np.zeros((60, 1))
    scale = np.ones_like(x)
    x[[15, 35, 45, 55], 0] = 50.0  # the same phase in cycles 1, 3, 4 and 5
    cand = x > 10
    habit = seen_before(x, np.zeros_like(x), scale, period, cand)
    # 15: nothing before; 35: only cycle 1 (20 back) had it; 45: cycles 1 and 3; 55: three earlier cycles
    assert habit[:, 0].nonzero()[0].tolist() == [45, 55]


def test_one_new_value_keeps_the_whole_run():
    flags = np.zeros((20, 1), dtype=bool)
    flags[[2, 3, 4, 12, 13], 0] = True
    habitual = np.zeros_like(flags)
    habitual[[2, 3, 12, 13], 0] = True  # the run 2..4 has one new value (4); the run 12..13 is all habit
    out = drop_habitual_runs(flags, habitual, gap=2)
    assert out[:, 0].nonzero()[0].tolist() == [2, 3, 4]


def _bursty_counts(seed: int, days: int = 30) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """5-minute counts around 2 with bursts of heavy-tailed size (Pareto) at random times, ~4 a day, 1-3 readings each."""
    ts = pd.date_range("2024-03-01", periods=days * 288, freq="5min")
    rng = np.random.default_rng(seed)
    rate = np.full(len(ts), 2.0)
    for start in rng.choice(len(ts) - 5, size=4 * days, replace=False):
        rate[start : start + int(rng.integers(1, 4))] = 2.0 * (1.0 + 2.0 * rng.pareto(1.5))
    return ts, rng.poisson(rate).astype(float)


@pytest.mark.parametrize("seed", [0, 1])
def test_bursts_a_count_series_has_every_day_are_routine(seed):
    ts, y = _bursty_counts(seed)
    det = detect_series(ts, y, grain="5min")
    assert det.baselines[0].endswith("(counts)")
    late = [inc for inc in det.incidents if inc.start >= ts[10 * 288]]
    assert len(late) <= 7, late  # 11-18 when the Poisson model's rare is taken at its word


@pytest.mark.parametrize("seed", [0, 1])
def test_a_burst_beyond_any_before_is_still_an_incident(seed):
    ts, y = _bursty_counts(seed)
    at = 25 * 288 + 100
    y[at : at + 6] = 3 * y.max()
    det = detect_series(ts, y, grain="5min")
    hits = [inc for inc in det.incidents if inc.start <= ts[at + 5] and inc.end >= ts[at]]
    assert hits and hits[0].direction == "up"


def test_routine_values_counts_only_the_past():
    score = np.zeros((100, 1))
    score[[20, 40, 60, 80], 0] = 9.0
    cand = score > 5
    # one point a day; routine when reached more than once per 30 days in the rows BEFORE the point
    out = routine_values(score, cand, points_per_day=1.0, per_days=30.0, min_history=10)
    # row 20: 0 earlier; row 40: 1/40*30 = 0.75; row 60: 2/60*30 = 1.0 (not more); row 80: 3/80*30 = 1.125
    assert out[:, 0].nonzero()[0].tolist() == [80]
