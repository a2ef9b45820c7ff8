"""After a level change the band follows within a few points instead of half a rolling window."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.anomaly import detect_series
from workbench.anomaly.reanchor import RUN, reanchor


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("step", [25.0, -25.0])
def test_band_follows_a_level_change_within_a_few_points(seed, step):
    ts = pd.date_range("2024-01-01", periods=1500, freq="h")
    y = 100 + np.random.default_rng(seed).normal(0, 2, len(ts))
    y[1200:] += step
    det = detect_series(ts, y, grain="hour")
    assert det.baselines[0] == "rolling median"
    after = det.expected[1200 + RUN + 1 : 1200 + 24, 0]
    assert np.all(np.abs(after - (100 + step)) < 4), after  # the new level, within two noise sds
    assert det.lower[1210, 0] < y[1210] < det.upper[1210, 0]
    # still one incident, dated at the change
    inc = [i for i in det.incidents if i.end >= ts[1200]]
    assert len(inc) == 1 and inc[0].start == ts[1200]


def test_reanchor_leaves_isolated_spikes_alone():
    x = np.full((100, 1), 10.0)
    x[[50, 52, 54], 0] = 30.0  # spikes, never RUN in a row
    exp = np.full_like(x, 10.0)
    out = reanchor(x, exp, np.ones_like(x), 24, np.array([True]))
    assert np.array_equal(out, exp)


def test_reanchor_uses_only_values_since_the_change():
    x = np.full((100, 1), 10.0)
    x[60:, 0] = 20.0
    exp = np.full_like(x, 10.0)
    out = reanchor(x, exp, np.ones_like(x), 24, np.array([True]))
    assert np.all(out[: 60 + RUN, 0] == 10.0)
    assert np.all(out[60 + RUN : 84, 0] == 20.0)
    assert np.all(out[84:, 0] == 10.0)  # a full window later the ordinary rolling median is back
