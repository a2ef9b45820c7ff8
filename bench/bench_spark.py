"""The same analyses through Spark Connect and through embedded DuckDB, on the demo extract.

    python bench/bench_spark.py [--rows N] [--remote sc://host:port/;token=T] [--repeat K]

Without ``--remote`` a local Spark Connect server (``local[2]``, this machine) is started for the run.
Both engines run the very same analysis objects (``workbench.analysis``): only the cursor differs. For
each analysis it prints the best-of-K wall time on each engine, their ratio, and the bytes (Arrow) and
rows the analysis brought back from Spark. Spark on one laptop is expected to be slower than DuckDB (JVM,
task scheduling, a gRPC round trip per query); what it buys is running where the data already is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.simplefilter("ignore")


def analyses():
    from workbench.analysis import ColumnProfileView, ExperimentReadout, LeaderboardView, MetricView, RootCauseAnalysis
    from workbench.experiments.spec import ExperimentSpec, parse_metric
    from workbench.metrics import Measure, MetricSpec

    day = MetricSpec(table="events", measure=Measure.parse("sum(reports)"), grain="day")
    by_country = MetricSpec(
        table="events",
        measure=Measure.parse("ratio(reports, views)"),
        grain="hour",
        breakdown="country",
        top_n=5,
        compare=True,
    )
    window = (dt.datetime(2026, 10, 5), dt.datetime(2026, 10, 6))
    experiment = ExperimentSpec(
        table="experiment",
        unit="user_id",
        arm="arm",
        control="control",
        metrics=(
            parse_metric("time_spent:mean:time_spent_min:cov=pre_time_spent_min"),
            parse_metric("reported:proportion"),
        ),
    )
    return [
        ("metric: daily sum", MetricView(day)),
        ("metric: hourly ratio by country, top 5, compare", MetricView(by_country)),
        ("leaderboard: country", LeaderboardView(day, "country")),
        ("profile: views", ColumnProfileView("events", "views")),
        (
            "root cause: 3 dims, week baseline",
            RootCauseAnalysis(day, window, ("country", "platform", "app_version"), baseline="week"),
        ),
        ("experiment readout: 2 metrics, CUPED", ExperimentReadout(experiment)),
    ]


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def start_local_server(port: int, token: str):
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "workbench" / "spark_server.py"), str(port), token],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    if not proc.stdout.readline().startswith("READY"):
        raise SystemExit("the local Spark Connect server did not start (is Java 17 installed?)")
    return proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--remote")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", help="a folder holding events.parquet and experiment.parquet (default: made)")
    args = ap.parse_args()

    from workbench.backend.spark.connect import connect_spark
    from workbench.backend.spark.remote import parse_remote
    from workbench.backend.spark.sources import open_on_cluster
    from workbench.catalog import Catalog
    from workbench.engine import connect

    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="bench_spark_"))
    if not (data / "events.parquet").exists():
        subprocess.run(
            [sys.executable, "-m", "workbench", "demo", "--out", str(data), "--rows", str(args.rows)],
            check=True,
            cwd=ROOT,
            capture_output=True,
        )
    server = None
    remote = args.remote
    if not remote:
        server = start_local_server(15099, "bench-token")
        remote = "sc://localhost:15099/;token=bench-token"
    try:
        duck = connect()
        duck_catalog = Catalog(duck)
        spark = connect_spark(parse_remote(remote))
        spark_catalog = Catalog(spark, verify_checksums=False)
        for name in ("events", "experiment"):
            duck_catalog.open(str(data / f"{name}.parquet"))
            open_on_cluster(spark_catalog, str(data / f"{name}.parquet"))
        rows = duck_catalog.get("events").row_count
        print(f"demo: {rows:,} event rows; Spark at {spark.display}; best of {args.repeat}\n")
        print(f"{'analysis':<50} {'DuckDB s':>9} {'Spark s':>9} {'ratio':>7} {'bytes back':>11} {'rows back':>9}")
        for label, analysis in analyses():
            d_cur, s_cur = duck.cursor(), spark.cursor()
            d_time = timed(lambda: analysis.run(d_cur, duck_catalog), args.repeat)
            before_b, before_r = spark.bytes_received, spark.rows_received
            analysis.run(s_cur, spark_catalog)
            bytes_back, rows_back = spark.bytes_received - before_b, spark.rows_received - before_r
            s_time = timed(lambda: analysis.run(s_cur, spark_catalog), args.repeat)
            print(
                f"{label:<50} {d_time:>9.3f} {s_time:>9.3f} {s_time / d_time:>6.1f}x {bytes_back:>11,} {rows_back:>9,}"
            )
    finally:
        if server is not None:
            server.stdin.close()
            server.wait(timeout=120)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
