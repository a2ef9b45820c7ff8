"""Spark rendering: its cost per query, and whether Spark computes what DuckDB computes from the same definition.

    PYTHONPATH=. .venv/bin/python bench/bench_spark_sql.py [--time-zone UTC] [--repeat 20]

Runs every case of ``tests/workbench/test_sql_dialects.py`` (each analysis kind, filter, grain, time format,
column type...) on DuckDB through a recording connection, renders each query it sent for Spark, then runs the
renderings on a local Spark (``pyspark`` + Java 17; a separate process, started once) over the same Parquet
files and compares the rows with DuckDB's. Also reports how long rendering takes (DuckDB: the definition
itself; Spark: parse + rewrite + generate). Not a unit test; nothing is asserted. Differences expected by
design are listed as such: approximate distinct counts (two HyperLogLog implementations) and cell-key
record keys (``xxhash64`` on Spark, DuckDB's own ``hash``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXPECTED_DIFFERENCES = {"profile-approximate-distinct", "protection-metric-cell-key", "protection-profile-cell-key"}


def collect(folder: Path) -> tuple[list[str], list[tuple[str, str, str, object]]]:
    """(Spark renderings of the catalog views, [(case, duckdb_sql, spark_sql, duckdb_frame)])."""
    sys.path.insert(0, str(REPO))
    import tests.workbench.test_sql_dialects as cases
    from tests.conftest import write_parquet
    from tests.workbench.experiments.conftest import make_users
    from workbench.catalog import Catalog
    from workbench.dialects import DialectError, render
    from workbench.engine import EngineSettings, connect

    con = connect(EngineSettings(memory_limit="1GB", temp_directory=str(folder / "spill")))
    log: list[str] = []
    rec = cases.RecordingConnection(con, log)
    catalog = Catalog(rec)
    catalog.open(write_parquet(folder / "wide.parquet", cases.WIDE))
    make_users(n_per_arm=(300, 280, 290)).to_parquet(folder / "exp.parquet", index=False)
    catalog.open(str(folder / "exp.parquet"))
    views = [render(q, "spark") for q in log if q.startswith("CREATE OR REPLACE VIEW")]
    items = []
    for name, case in cases.CASES.items():
        if name.startswith("impact") or name == "catalog-views":  # other fixtures' files
            continue
        log.clear()
        case(rec, catalog, folder)
        for query in dict.fromkeys(log):
            if cases.ENGINE_METADATA.search(query) or "__wb_" in query:  # engine metadata, registered frames
                continue
            if query.lstrip().upper().startswith(("CREATE", "DROP", "DESCRIBE")):
                continue
            try:
                spark_sql = render(query, "spark")
                frame = con.execute(query).df()
            except (DialectError, Exception) as exc:  # bound parameters the case supplied, refusals
                print(f"  skipped ({name}): {str(exc).splitlines()[0][:100]}")
                continue
            items.append((name, query, spark_sql, frame))
    con.close()
    return views, items


def render_cost(items, repeat: int) -> dict:
    from workbench.dialects import render

    spark, duck = [], []
    for _name, query, _spark, _frame in items:
        started = time.perf_counter()
        for _ in range(repeat):
            render(query, "spark")
        spark.append((time.perf_counter() - started) / repeat)
        started = time.perf_counter()
        for _ in range(repeat):
            render(query, "duckdb")
        duck.append((time.perf_counter() - started) / repeat)
    return {
        "spark_ms_median": 1000 * statistics.median(spark),
        "spark_ms_max": 1000 * max(spark),
        "duckdb_ms_median": 1000 * statistics.median(duck),
    }


def _normal(value):
    import numpy as np
    import pandas as pd

    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (np.floating, float)):
        return round(float(value), 6)
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.tz_convert("UTC").tz_localize(None) if value.tzinfo else value
    if isinstance(value, (dt.datetime, dt.date)):
        return pd.Timestamp(value)
    if isinstance(value, (np.ndarray, list, tuple)):
        return tuple(_normal(v) for v in value)
    return value


def _rows(frame) -> list[tuple]:
    return sorted((tuple(_normal(v) for v in row) for row in frame.itertuples(index=False, name=None)), key=repr)


def spark_worker(path: str, time_zone: str) -> None:
    import warnings

    warnings.simplefilter("ignore")
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.sql.session.timeZone", time_zone)
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    with open(path, "rb") as f:
        views, items = pickle.load(f)
    for view in views:
        spark.sql(view)
    outcome = {"same": [], "different": [], "errors": []}
    for name, _query, spark_sql, frame in items:
        try:
            theirs = spark.sql(spark_sql).toPandas()
        except Exception as exc:  # the engine's own error classes
            outcome["errors"].append([name, str(exc).splitlines()[0][:200], spark_sql[:300]])
            continue
        outcome["same" if _rows(frame) == _rows(theirs) else "different"].append(name)
    spark.stop()
    print(json.dumps(outcome))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-zone", default="UTC", help="the Spark session's time zone (the backend uses UTC)")
    parser.add_argument("--repeat", type=int, default=20, help="renderings per query for the timing")
    parser.add_argument("--worker", nargs=2, metavar=("PICKLE", "TZ"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        spark_worker(*args.worker)
        return 0
    if shutil.which("java") is None:
        print("needs Java 17 and pyspark for the Spark half; rendering cost only")
    folder = Path(tempfile.mkdtemp(prefix="wb_spark_sql_"))
    try:
        views, items = collect(folder)
        cost = render_cost(items, args.repeat)
        print(
            f"{len(items)} analysis queries; render for Spark: median {cost['spark_ms_median']:.1f} ms, "
            f"max {cost['spark_ms_max']:.1f} ms per query; for DuckDB: {cost['duckdb_ms_median']:.4f} ms"
        )
        if shutil.which("java") is None:
            return 0
        with open(folder / "items.pkl", "wb") as f:
            pickle.dump((views, items), f)
        env = dict(os.environ, PYTHONPATH=str(REPO))
        proc = subprocess.run(
            [sys.executable, __file__, "--worker", str(folder / "items.pkl"), args.time_zone],
            capture_output=True,
            text=True,
            env=env,
            cwd=REPO,
            check=False,
        )
        if proc.returncode != 0:
            print(proc.stderr[-2000:])
            return 1
        outcome = json.loads(proc.stdout.strip().splitlines()[-1])
        different = sorted(set(outcome["different"]))
        print(
            f"Spark ({args.time_zone} session) vs DuckDB: {len(outcome['same'])} same, "
            f"{len(outcome['different'])} different, {len(outcome['errors'])} errors"
        )
        for name in different:
            print(f"  different: {name}{'  (expected: see the docstring)' if name in EXPECTED_DIFFERENCES else ''}")
        for name, message, spark_sql in outcome["errors"]:
            print(f"  error: {name}: {message}\n    {spark_sql}")
        return 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
