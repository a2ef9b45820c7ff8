"""Anomaly benchmark: detection over 200 series x 2,000 points, and root cause over a 50M-row extract with
5 dimensions, printed next to the time the raw DuckDB group-bys alone take.

    python bench/bench_anomaly.py [--rows 50000000] [--data DIR]

The extract is generated once with DuckDB (deterministic) into --data (default: a temp folder) and reused.
Timings are wall-clock on whatever machine runs this; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.anomaly import DetectorParams, METHODS, Panel, detect  # noqa: E402


def bench_detection(n_series: int = 200, n_points: int = 2000, repeats: int = 3) -> None:
    rng = np.random.default_rng(0)
    idx = pd.date_range("2024-01-01", periods=n_points, freq="h")
    h = np.arange(n_points)[:, None]
    values = 100 + 30 * np.sin(2 * np.pi * h / 24) + rng.normal(0, 4, (n_points, n_series))
    values[1500:1506, ::10] += 150
    panel = Panel(index=idx, names=[f"s{i}" for i in range(n_series)], values=values, step=pd.Timedelta(hours=1))
    print(f"detection: {n_series} series x {n_points} points (hourly)")
    for method in [m for m in METHODS if m != "threshold"]:
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            det = detect(panel, DetectorParams(method=method))
            best = min(best, time.perf_counter() - t0)
        print(f"  {method:12s} {best * 1000:8.1f} ms   {len(det.incidents):4d} incidents")
    # Small whole-number counts (mean ~3 an hour with a daily cycle): the quasi-Poisson model under "auto".
    counts = rng.poisson(3 * (1 + 0.5 * np.sin(2 * np.pi * h / 24)), (n_points, n_series)).astype(float)
    cpanel = Panel(index=idx, names=panel.names, values=counts, step=pd.Timedelta(hours=1))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        det = detect(cpanel)
        best = min(best, time.perf_counter() - t0)
    print(f"  {'auto counts':12s} {best * 1000:8.1f} ms   {len(det.incidents):4d} incidents (pure Poisson noise)")
    t0 = time.perf_counter()
    for i in range(n_series):  # what a per-series loop costs, for comparison
        one = Panel(index=idx, names=[panel.names[i]], values=values[:, i : i + 1], step=panel.step)
        detect(one)
    print(f"  auto, one series at a time: {(time.perf_counter() - t0) * 1000:8.1f} ms")


def make_extract(path: Path, rows: int) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(f"""
        COPY (
          SELECT TIMESTAMP '2024-01-01' + INTERVAL (i % (60 * 24)) HOUR AS ts,
                 'c' || CAST(hash(i, 1) % 20 AS VARCHAR) AS country,
                 ['android', 'ios', 'web'][1 + CAST(hash(i, 2) % 3 AS INTEGER)] AS platform,
                 '31.' || CAST(hash(i, 3) % 6 AS VARCHAR) AS app_version,
                 ['feed', 'comments', 'search', 'profile', 'messages'][1 + CAST(hash(i, 4) % 5 AS INTEGER)] AS surface,
                 'd' || CAST(hash(i, 5) % 10 AS VARCHAR) AS device,
                 CAST(1 + hash(i, 6) % 20 AS INTEGER)
                   * (CASE WHEN i % (60 * 24) BETWEEN 50 * 24 + 10 AND 50 * 24 + 15
                            AND hash(i, 1) % 20 = 3 AND hash(i, 2) % 3 = 1 THEN 4 ELSE 1 END) AS views,
                 CAST(hash(i, 7) % 100 = 0 AS INTEGER) AS violations
          FROM range({rows}) t(i)
        ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
    """)
    con.close()


def bench_root_cause(rows: int, data_dir: Path) -> None:
    from workbench.anomaly.root_cause import explain
    from workbench.catalog import Catalog
    from workbench.engine import connect
    from workbench.metrics import Measure, MetricSpec

    path = data_dir / f"rca_bench_{rows}.parquet"
    if not path.exists():
        t0 = time.perf_counter()
        make_extract(path, rows)
        print(
            f"generated {rows:,} rows in {time.perf_counter() - t0:.1f} s -> {path} "
            f"({path.stat().st_size / 1e6:.0f} MB)"
        )
    con = connect()
    src = Catalog(con).open(str(path))
    dims = ["country", "platform", "app_version", "surface", "device"]
    window = ("2024-02-20 10:00", "2024-02-20 16:00")
    print(f"root cause: {rows:,} rows, 5 dimensions, combinations up to 3 (25 grouping sets)")
    for baseline in ("day", "expected"):
        spec = MetricSpec(table=src.name, measure=Measure.parse("sum(views)"), time_column="ts")
        t0 = time.perf_counter()
        rc = explain(con, spec, window, dims, baseline=baseline)
        elapsed = time.perf_counter() - t0
        print(f"  explain(baseline={baseline:8s}) {elapsed:6.2f} s  -> {rc.verdict}")
    # The raw group-bys alone: the same one-scan leaf cube, and a plain 5-dimension GROUP BY of the window.
    leaf_sql = next(q for q in rc.sql if "FILTER" in q)
    t0 = time.perf_counter()
    con.sql(leaf_sql).fetchall()
    t_leaf = time.perf_counter() - t0
    t0 = time.perf_counter()
    con.sql(
        f"SELECT {', '.join(dims)}, sum(views) FROM \"{src.name}\" WHERE ts >= TIMESTAMP '{window[0]}' "
        f"AND ts < TIMESTAMP '{window[1]}' GROUP BY ALL"
    ).fetchall()
    t_plain = time.perf_counter() - t0
    t0 = time.perf_counter()
    con.sql(f"SELECT date_trunc('hour', ts), sum(views) FROM \"{src.name}\" GROUP BY 1").fetchall()
    t_series = time.perf_counter() - t0
    print(
        f"  raw DuckDB: leaf cube (3 periods, one scan) {t_leaf:.2f} s; plain GROUP BY 5 dims of the window "
        f"{t_plain:.2f} s; hourly total series {t_series:.2f} s"
    )
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "workbench-bench"))
    ap.add_argument("--skip-rca", action="store_true")
    args = ap.parse_args()
    bench_detection()
    if not args.skip_rca:
        data = Path(args.data)
        data.mkdir(parents=True, exist_ok=True)
        bench_root_cause(args.rows, data)


if __name__ == "__main__":
    main()
