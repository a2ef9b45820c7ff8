"""Detectors on injected anomalies of known position and size, and on bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.anomaly import DetectorParams, build_panel, detect, detect_series
from workbench.errors import SpecError

METHODS = ("auto", "robust", "seasonal", "ewma", "level_shift")


def _hourly(days=35, seed=0, level=100.0, amp=30.0, noise=3.0):
    ts = pd.date_range("2024-01-01", periods=days * 24, freq="h")
    rng = np.random.default_rng(seed)
    h = np.arange(len(ts))
    y = level + amp * np.sin(2 * np.pi * h / 24) + 10 * (ts.day_of_week >= 5) + rng.normal(0, noise, len(ts))
    return ts, y


def _incident_covering(det, when) -> bool:
    when = pd.Timestamp(when)
    return any(i.start - pd.Timedelta(hours=2) <= when <= i.end for i in det.incidents)


@pytest.mark.parametrize("method", ("auto", "robust", "seasonal", "ewma"))
def test_spike_found_once(method):
    ts, y = _hourly()
    y[600] += 200
    det = detect_series(ts, y, DetectorParams(method=method), grain="hour")
    assert _incident_covering(det, ts[600])
    inc = [i for i in det.incidents if i.start <= ts[600] <= i.end][0]
    assert inc.direction == "up" and inc.peak == ts[600]
    assert len(det.incidents) <= 3  # one alert, not fifty


@pytest.mark.parametrize("method", ("auto", "seasonal"))
def test_dip_and_direction(method):
    ts, y = _hourly(seed=1)
    y[700:703] -= 120
    both = detect_series(ts, y, DetectorParams(method=method), grain="hour")
    assert _incident_covering(both, ts[700])
    assert [i.direction for i in both.incidents if i.start <= ts[701] <= i.end] == ["down"]
    up_only = detect_series(ts, y, DetectorParams(method=method, direction="up"), grain="hour")
    assert not _incident_covering(up_only, ts[700])


@pytest.mark.parametrize("method", ("auto", "level_shift"))
def test_level_shift(method):
    ts, y = _hourly(seed=2)
    y[500:] += 60
    det = detect_series(ts, y, DetectorParams(method=method), grain="hour")
    starts = [i.start for i in det.incidents]
    assert any(ts[495] <= s <= ts[520] for s in starts)


def test_robust_rolling_on_flat_series():
    ts = pd.date_range("2024-01-01", periods=800, freq="h")
    y = np.random.default_rng(9).normal(50, 2, 800)
    y[500:503] -= 30
    det = detect_series(ts, y, DetectorParams(method="robust"), grain="hour")
    assert _incident_covering(det, ts[500]) and det.incidents[-1].direction == "down"


def test_level_shift_small_sustained_only_level_shift_sees():
    ts = pd.date_range("2024-01-01", periods=600, freq="h")
    y = np.random.default_rng(3).normal(50, 4, 600)
    y[300:] += 10  # 2.5 sigma: lost in point-by-point noise, clear in 24-point medians
    ls = detect_series(ts, y, DetectorParams(method="level_shift"), grain="hour")
    assert any(ts[295] <= i.start <= ts[330] for i in ls.incidents)


def test_seasonal_break_found_by_seasonal_baseline():
    ts, y = _hourly(seed=4, amp=50, noise=2)
    # Day 30: the daily cycle inverts (peak at night) while the daily level stays the same.
    day = slice(30 * 24, 31 * 24)
    y[day] = 100 - 50 * np.sin(2 * np.pi * np.arange(24) / 24) + 10 * (ts[day].day_of_week >= 5)
    det = detect_series(ts, y, DetectorParams(method="seasonal"), grain="hour")
    assert "seasonal" in det.baselines[0]
    assert any(ts[30 * 24] <= i.peak < ts[31 * 24] for i in det.incidents)
    assert not any(i.peak < ts[29 * 24] for i in det.incidents)


def test_impact_matches_injected_size():
    ts, y = _hourly(seed=5, noise=2)
    y[600:606] += 80  # 6 x 80 = 480 extra
    det = detect_series(ts, y, grain="hour")
    inc = [i for i in det.incidents if i.start <= ts[602] <= i.end][0]
    assert inc.impact == pytest.approx(480, rel=0.15)
    assert inc.impact_low < 480 < inc.impact_high


def test_vectorised_many_series_match_one_by_one():
    ts, _ = _hourly(days=20)
    rng = np.random.default_rng(6)
    names = [f"s{i}" for i in range(30)]
    values = {n: 50 + 10 * np.sin(np.arange(len(ts)) / 3.8) + rng.normal(0, 2, len(ts)) for n in names}
    values["s7"][300] += 100
    frame = pd.concat([pd.DataFrame({"ts": ts, "series": n, "v": v}) for n, v in values.items()])
    det = detect(build_panel(frame["ts"], frame["v"], series=frame["series"], step="hour"))
    single = detect_series(ts, values["s7"], grain="hour")
    s = det.names.index("s7")
    np.testing.assert_allclose(det.score[:, s], single.score[:, 0], equal_nan=True)
    assert any(i.series == "s7" and i.start <= ts[300] <= i.end for i in det.incidents)


def test_threshold_rule():
    ts = pd.date_range("2024-01-01", periods=100, freq="D")
    y = np.full(100, 10.0)
    y[40], y[60] = 25, -3
    det = detect_series(ts, y, DetectorParams(method="threshold", upper=20, lower=0))
    assert [i.start for i in det.incidents] == [ts[40], ts[60]]
    assert det.incidents[0].direction == "up" and det.incidents[1].direction == "down"
    with pytest.raises(SpecError):
        DetectorParams(method="threshold")


def test_min_volume_suppresses_tiny_counts():
    ts = pd.date_range("2024-01-01", periods=24 * 20, freq="h")
    y = np.full(len(ts), 2.0)
    y[300] = 9  # huge relative jump on a tiny count
    assert detect_series(ts, y, grain="hour").incidents
    assert not detect_series(ts, y, DetectorParams(min_volume=20), grain="hour").incidents


def test_bad_input_is_repaired_and_reported():
    ts, y = _hourly(days=25, seed=7)
    frame = pd.DataFrame({"ts": ts, "v": y})
    frame = frame.drop(index=range(100, 130))  # a gap
    frame = pd.concat([frame, frame.iloc[[200, 201]]])  # duplicate timestamps
    frame = frame.sample(frac=1.0, random_state=1)  # clock steps back
    frame.loc[frame.index[:5], "v"] = np.nan
    odd = pd.DataFrame({"ts": [ts[400] + pd.Timedelta(minutes=7)], "v": [y[400]]})  # off-grid sample
    frame = pd.concat([frame, odd])
    det = detect_series(frame["ts"], frame["v"], grain="hour")
    text = " ".join(det.notes)
    for word in ("sorted", "share a timestamp", "gaps", "missing", "snapped"):
        assert word in text
    assert len(det.index) == len(ts)
    assert not det.flags[100:130, 0].any()


def test_constant_and_all_zero_series():
    ts = pd.date_range("2024-01-01", periods=24 * 10, freq="h")
    for value in (0.0, 5.0):
        det = detect_series(ts, np.full(len(ts), value), grain="hour")
        assert det.incidents == [] and np.isfinite(det.score[det.warmup :]).all()
        assert any("constant" in n for n in det.notes)
    y = np.zeros(len(ts))
    y[200] = 3
    det = detect_series(ts, y, grain="hour")
    assert [i.start for i in det.incidents] == [ts[200]]


def test_short_series_and_empty_input():
    ts = pd.date_range("2024-01-01", periods=10, freq="h")
    det = detect_series(ts, np.arange(10.0), grain="hour")
    assert det.incidents == [] and any("warm-up" in n for n in det.notes)
    with pytest.raises(SpecError):
        detect_series([], [])
    with pytest.raises(SpecError):
        DetectorParams(method="nope")


def test_irregular_timestamps_without_grain():
    rng = np.random.default_rng(8)
    ts = pd.Timestamp("2024-01-01") + pd.to_timedelta(np.cumsum(rng.uniform(50, 70, 2000)), unit="s")
    y = rng.normal(10, 1, 2000)
    y[1500] = 40
    det = detect_series(ts, y)
    assert det.incidents and pd.Timestamp(ts[1500]) - pd.Timedelta(minutes=2) <= det.incidents[-1].peak


def test_json_summary_is_serialisable():
    import json

    ts, y = _hourly(days=10)
    y[150] += 300
    doc = detect_series(ts, y, grain="hour").to_dict(points=True)
    text = json.dumps(doc)
    assert "incidents" in text and doc["series"][0]["flagged"]


def _poisson_daily(seed, days=120, mean=2.0, surge=None, factor=5.0):
    ts = pd.date_range("2024-01-01", periods=days, freq="D")
    rate = np.full(days, mean)
    if surge is not None:
        rate[surge] *= factor
    return ts, np.random.default_rng(seed).poisson(rate).astype(float)


@pytest.mark.parametrize("seed", range(5))
def test_poisson_count_surge_flagged(seed):
    surge = slice(100, 104)  # ~2 -> ~10 a day for four days
    ts, y = _poisson_daily(seed, surge=surge)
    det = detect_series(ts, y, grain="day")
    assert "counts" in det.baselines[0]
    hits = [i for i in det.incidents if i.start <= ts[103] and i.end >= ts[100]]
    assert hits and hits[0].direction == "up"
    assert not [i for i in det.incidents if i.end < ts[100]]  # nothing before the surge
    # The band stays a count band: expected ~2, upper well below the surge level (was 2 / 113 in log units).
    frame = det.series_frame("all").iloc[60:100]
    assert frame["expected"].between(1, 3.5).all() and (frame["upper"] <= 15).all()


@pytest.mark.parametrize("seed", range(10))
def test_poisson_count_without_surge_is_quiet(seed):
    ts, y = _poisson_daily(seed)
    assert detect_series(ts, y, grain="day").incidents == []


def test_poisson_hourly_surge_seen_over_days():
    # ~3 a day spread over hours (0.125 an hour): no single hour stands out, four days at 5x do.
    ts = pd.date_range("2024-01-01", periods=60 * 24, freq="h")
    rate = np.full(len(ts), 0.125)
    rate[50 * 24 : 54 * 24] *= 5
    y = np.random.default_rng(11).poisson(rate).astype(float)
    det = detect_series(ts, y, grain="hour")
    assert any(i.start <= ts[54 * 24] and i.end >= ts[50 * 24] for i in det.incidents)
    assert not [i for i in det.incidents if i.end < ts[50 * 24 - 24]]


@pytest.mark.parametrize("mean", [0.02, 0.1, 0.5])
def test_mostly_zero_counts_no_flood(mean):
    ts = pd.date_range("2024-01-01", periods=90 * 24, freq="h")
    panel = np.random.default_rng(12).poisson(mean, (len(ts), 20)).astype(float)
    det = detect(
        build_panel(
            np.tile(ts, 20), panel.T.ravel(), series=np.repeat([f"s{i}" for i in range(20)], len(ts)), step="hour"
        )
    )
    # 20 series x 90 days of hourly noise: a few stray alarms at most (the log rolling median gave up to 490)
    assert len(det.incidents) <= 5
    assert np.isfinite(det.upper[det.warmup :]).all()


def test_new_segment_gets_its_own_warmup():
    # A breakdown where one segment starts late (a new app version): it is not flagged on a handful of
    # points, and a spike once it has history is.
    ts = pd.date_range("2024-01-01", periods=30 * 24, freq="h")
    rng = np.random.default_rng(13)
    old = rng.poisson(20, len(ts)).astype(float)
    new = np.full(len(ts), np.nan)
    new[20 * 24 :] = rng.poisson(6, 10 * 24)
    new[20 * 24] = 40  # its very first point: no history to judge it by
    new[26 * 24 : 26 * 24 + 6] = rng.poisson(48, 6)
    frame = pd.concat([pd.DataFrame({"ts": ts, "s": "old", "v": old}), pd.DataFrame({"ts": ts, "s": "new", "v": new})])
    det = detect(build_panel(frame["ts"], frame["v"], series=frame["s"], step="hour"))
    starts = [i.start for i in det.incidents_of("new")]
    assert ts[20 * 24] not in starts
    assert any(ts[26 * 24] <= s <= ts[26 * 24 + 5] for s in starts)


def test_band_floored_at_zero_for_non_negative_series():
    # A low, noisy, non-negative series: expected - k*sigma would go below zero.
    ts, y = _hourly(level=20.0, amp=18.0, noise=6.0)
    y = np.clip(y, 0, None)
    y[500] = 200.0
    raw = detect_series(ts, y - 1000.0)  # same shape shifted negative: band is not clipped there
    det = detect_series(ts, y)
    frame = det.series_frame(det.names[0])
    assert (frame["lower"].dropna() >= 0).all() and (frame["expected"].dropna() >= 0).all()
    assert (frame["lower"].dropna() == 0).any()  # the floor was actually needed
    assert (raw.series_frame(raw.names[0])["lower"].dropna() < -1000).any()
    # Presentation only: the same points are flagged and scored as without the floor.
    assert np.array_equal(det.flags, raw.flags)
    assert np.allclose(det.score, raw.score, equal_nan=True)
    points = det.to_dict(points=True)["series"][0]["points"]
    assert min(p["lower"] for p in points if p["lower"] is not None) >= 0


def test_count_threshold_keeps_the_false_alarm_rate_per_day():
    from scipy.stats import norm

    from workbench.anomaly.counts import DEFAULT_THRESHOLD, default_threshold

    assert default_threshold(24) == default_threshold(None) == DEFAULT_THRESHOLD
    # 12 times the points a day -> each point must be 12 times as unlikely
    assert norm.sf(default_threshold(288)) * 288 == pytest.approx(norm.sf(DEFAULT_THRESHOLD) * 24)
    assert DEFAULT_THRESHOLD < default_threshold(288) < default_threshold(1440)
