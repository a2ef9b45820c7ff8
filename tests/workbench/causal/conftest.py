"""Small seeded panels written as Parquet for the impact tests (event-level rows, not pre-aggregated)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def write(df: pd.DataFrame, path) -> str:
    df.to_parquet(path, index=False)
    return str(path)


def event_rows(daily: pd.DataFrame, rng: np.random.Generator, per_cell: int = 3) -> pd.DataFrame:
    """Split each (unit, day, value) into ``per_cell`` rows at odd minutes, so the panel has to re-aggregate
    event-level timestamps that are not on the hour; the daily sum of ``value`` is preserved."""
    parts = []
    for k in range(per_cell):
        part = daily.copy()
        minutes = rng.integers(1, 24 * 60 - 1, len(daily))
        part["ts"] = pd.to_datetime(part["day"]) + pd.to_timedelta(minutes, unit="m") + pd.to_timedelta(17, unit="s")
        part["value"] = daily["value"] / per_cell
        part["views"] = 100 + k
        parts.append(part)
    return pd.concat(parts, ignore_index=True).drop(columns=["day"]).sample(frac=1.0, random_state=1)


@pytest.fixture
def did_parquet(tmp_path):
    """10 units x 40 days, units u0/u1 treated from day 25 (+2.0), unit and day effects and noise."""
    rng = np.random.default_rng(11)
    days = pd.date_range("2024-03-01", periods=40, freq="D")
    rows = []
    day_fx = rng.normal(0, 1, len(days))
    for i in range(10):
        unit_fx = rng.normal(5, 2)
        for t, d in enumerate(days):
            effect = 2.0 if i < 2 and t >= 25 else 0.0
            rows.append({"unit": f"u{i}", "day": d, "value": unit_fx + day_fx[t] + effect + rng.normal(0, 0.5)})
    return write(event_rows(pd.DataFrame(rows), rng), tmp_path / "did.parquet")
