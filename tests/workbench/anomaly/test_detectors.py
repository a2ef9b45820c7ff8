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
        assert det.incidents == [] and np.isfinite(det.score[det.warmup:]).all()
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
