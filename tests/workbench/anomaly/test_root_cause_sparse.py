"""Root cause on sparse counts (a few events per segment): a single-dimension culprit must not be blamed on
a lucky combination, and the demo extract's injected incidents must be named exactly."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from workbench import demo
from workbench.anomaly.root_cause import explain
from workbench.catalog import Catalog
from workbench.engine import EngineSettings, connect
from workbench.metrics import Measure, MetricSpec

START = dt.datetime(2024, 1, 1)
SURGE = (dt.datetime(2024, 1, 25), dt.datetime(2024, 1, 28))  # 3 days


def _sparse_events(path, seed: int, factor: float = 5.0) -> str:
    """One row per event (~60 a day) with five dimensions; events from DE x ``factor`` inside SURGE."""
    rng = np.random.default_rng(seed)
    hours = 32 * 24
    t0 = np.datetime64(START, "us") + np.arange(hours) * np.timedelta64(3600, "s")
    rate = 2.5 * (1 + 0.5 * np.sin(2 * np.pi * (np.arange(hours) % 24) / 24))
    countries = ["US", "IN", "BR", "DE", "GB", "FR", "JP", "MX"]
    dims = {
        "country": (countries, [0.3, 0.2, 0.15, 0.08, 0.08, 0.07, 0.07, 0.05]),
        "platform": (["android", "ios", "web"], [0.55, 0.33, 0.12]),
        "surface": (["feed", "comments", "messages", "profile", "search"], [0.4, 0.2, 0.15, 0.1, 0.15]),
        "policy": (["spam", "harassment", "nudity", "violence"], [0.4, 0.3, 0.2, 0.1]),
        "app_version": (["1.0", "1.1", "1.2"], [0.3, 0.5, 0.2]),
    }

    def events(hour_rate, fixed=None):
        n = rng.poisson(hour_rate)
        ts = np.repeat(t0, n) + rng.integers(0, 3600, n.sum()).astype("timedelta64[s]")
        cols = {k: rng.choice(v, ts.size, p=p) for k, (v, p) in dims.items()}
        cols.update({k: np.full(ts.size, v) for k, v in (fixed or {}).items()})
        return ts, cols

    ts, cols = events(rate)
    # The surge: independent extra DE events at (factor - 1) x DE's usual rate, same mix within DE.
    in_surge = (t0 >= np.datetime64(SURGE[0])) & (t0 < np.datetime64(SURGE[1]))
    ts_x, cols_x = events(np.where(in_surge, rate * 0.08 * (factor - 1.0), 0.0), {"country": "DE"})
    ts = np.concatenate([ts, ts_x])
    cols = {k: np.concatenate([cols[k], cols_x[k]]) for k in cols}
    order = np.argsort(ts, kind="stable")
    table = pa.table({"ts": ts[order], **{k: v[order] for k, v in cols.items()}})
    pq.write_table(table, path)
    return str(path)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("baseline", ["expected", "day"])
def test_sparse_single_dimension_culprit(con, catalog, tmp_path, seed, baseline):
    src = catalog.open(_sparse_events(tmp_path / f"sparse{seed}.parquet", seed))
    spec = MetricSpec(table=src.name, measure=Measure.parse("count(*)"), time_column="ts")
    rc = explain(con, spec, SURGE, ["country", "platform", "surface", "policy", "app_version"], baseline=baseline)
    assert rc.culprit_elements() == [{"country": "DE"}], rc.verdict
    assert not rc.new_values  # a rare value is not "new" just because its baseline count was 0


@pytest.mark.parametrize("seed", [1, 2])
def test_sparse_no_change_is_not_blamed(con, catalog, tmp_path, seed):
    src = catalog.open(_sparse_events(tmp_path / f"flat{seed}.parquet", seed, factor=1.0))
    spec = MetricSpec(table=src.name, measure=Measure.parse("count(*)"), time_column="ts")
    rc = explain(con, spec, SURGE, ["country", "platform", "surface", "policy", "app_version"])
    assert rc.culprit_elements() == [], rc.verdict


@pytest.fixture(scope="module")
def demo_source(tmp_path_factory):
    # 1M rows (~2 s to write): the smallest size at which the deletion surge (~3 -> 14 a day) is
    # distinguishable from count noise; at 300k rows it is ~0.6 -> 3 a day.
    folder = tmp_path_factory.mktemp("demo")
    paths = demo.write_demo(folder, rows=1_000_000, users=1_000)
    con = connect(EngineSettings(memory_limit="1GB", temp_directory=str(folder / "spill")))
    source = Catalog(con).open(str(paths.events))
    yield con, source
    con.close()


DEMO_CHECKS = [
    ("report_spike_br_android_540", "sum(reports)"),
    ("ios_logging_drop", "sum(views)"),
    ("deletion_surge_de", "sum(deletion_requests)"),
    ("deletion_surge_de", "mean(sla_days)"),
]


@pytest.mark.parametrize("name,measure", DEMO_CHECKS)
def test_demo_incidents_named_exactly(demo_source, name, measure):
    con, source = demo_source
    inc = next(i for i in demo.INCIDENTS if i.name == name)
    spec = MetricSpec(table=source.name, measure=Measure.parse(measure), time_column="event_time")
    rc = explain(con.cursor(), spec, (inc.start, inc.end), ["country", "platform", "app_version", "surface", "policy"])
    assert rc.culprit_elements() == [inc.culprit], rc.verdict
