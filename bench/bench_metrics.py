"""Metric speed and memory: the engine vs raw DuckDB vs pandas on a 50M-row demo extract.

    .venv/bin/python bench/bench_metrics.py [--rows 50000000] [--repeat 3] [--skip-pandas]

Generates the demo extract once (cached in bench/data/, gitignored), then for each scenario runs every
implementation in a fresh subprocess and measures the time from opening the file to chart data ready
(a DataFrame of bucket/series/value) and the peak RSS of that process (ru_maxrss: interpreter + imports +
query; VmHWM from /proc on Linux). Scenarios: the daily sum(views); the daily sum(views) by country, top 10 + "Other".

* engine:  workbench.engine.connect + Catalog.open + analysis.MetricView.run (what the GUI runs)
* raw:     duckdb.connect() and the same aggregation written by hand
* pandas:  pd.read_parquet (only the needed columns, which favours pandas) + groupby

Targets on the 2-core dev machine: engine <= 1.25x raw DuckDB, peak RSS <= 600 MB. Timings are noisy on a
shared machine: the median of --repeat runs is reported. Not a unit test; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

from worker_process import measure_in_subprocess  # bench/ is the script's own folder

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SCENARIOS = {
    "daily": "daily sum(views)",
    "by_country": "daily sum(views) by country, top 10 + Other",
}
IMPLS = ("engine", "raw", "pandas")
TARGET_RATIO = 1.25
TARGET_RSS_MB = 600


def peak_rss_mb() -> float:
    # VmHWM belongs to this process image; ru_maxrss on Linux survives fork+exec and would report the
    # driver's own peak (it generated the extract) for every child.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


# --- workers (one per subprocess) ---------------------------------------------------------------------------


def run_engine(path: str, scenario: str):
    from workbench.catalog import Catalog
    from workbench.engine import connect
    from workbench.analysis.metric import MetricView
    from workbench.metrics import Measure, MetricSpec

    started = time.perf_counter()
    con = connect()
    source = Catalog(con).open(path)
    spec = MetricSpec(
        table=source.name,
        measure=Measure.parse("sum(views)"),
        grain="day",
        breakdown="country" if scenario == "by_country" else None,
        top_n=10,
    )
    result = MetricView(spec).run(con).value
    frame = result.frame
    elapsed = time.perf_counter() - started
    return elapsed, frame, result.sql


RAW_DAILY = """
SELECT date_trunc('day', event_time) AS bucket, 'all' AS series, sum(views)::DOUBLE AS value
FROM read_parquet(?) GROUP BY ALL ORDER BY bucket
"""
RAW_BY_COUNTRY = """
WITH top AS (SELECT country FROM read_parquet($1) GROUP BY country ORDER BY sum(views) DESC LIMIT 10)
SELECT date_trunc('day', event_time) AS bucket,
       CASE WHEN country IN (SELECT country FROM top) THEN country ELSE 'Other' END AS series,
       sum(views)::DOUBLE AS value
FROM read_parquet($1) GROUP BY ALL ORDER BY series, bucket
"""


def run_raw(path: str, scenario: str):
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    query = RAW_DAILY if scenario == "daily" else RAW_BY_COUNTRY
    frame = con.execute(query, [path]).df()
    elapsed = time.perf_counter() - started
    return elapsed, frame, query


def run_pandas(path: str, scenario: str):
    import pandas as pd

    started = time.perf_counter()
    cols = ["event_time", "views"] + (["country"] if scenario == "by_country" else [])
    df = pd.read_parquet(path, columns=cols)
    df["bucket"] = df["event_time"].dt.floor("D")
    if scenario == "daily":
        frame = df.groupby("bucket", as_index=False)["views"].sum().assign(series="all")
    else:
        top = df.groupby("country")["views"].sum().nlargest(10).index
        df["series"] = df["country"].where(df["country"].isin(top), "Other")
        frame = df.groupby(["bucket", "series"], as_index=False)["views"].sum()
    frame = frame.rename(columns={"views": "value"})
    elapsed = time.perf_counter() - started
    return elapsed, frame, "pandas read_parquet + groupby"


def worker(impl: str, path: str, scenario: str) -> None:
    import pandas  # noqa: F401  imports are not part of the timed section but are part of peak RSS
    import duckdb  # noqa: F401

    baseline = peak_rss_mb()
    elapsed, frame, query = {"engine": run_engine, "raw": run_raw, "pandas": run_pandas}[impl](path, scenario)
    check = {str(s): round(float(v), 3) for s, v in frame.groupby("series")["value"].sum().items()}
    print(
        json.dumps(
            {
                "elapsed": elapsed,
                "peak_rss_mb": peak_rss_mb(),
                "baseline_rss_mb": baseline,
                "rows": len(frame),
                "check": check,
                "sql": query,
            }
        )
    )


# --- driver --------------------------------------------------------------------------------------------------


def ensure_extract(rows: int, seed: int) -> Path:
    out = HERE / "data" / f"demo_{rows}_{seed}"
    events = out / "events.parquet"
    if events.exists():
        return events
    sys.path.insert(0, str(REPO))
    from workbench.demo import write_demo

    print(f"generating {rows:,} rows into {out} (once) ...", flush=True)
    started = time.perf_counter()
    write_demo(out, rows=rows, seed=seed, users=1_000)
    print(f"  {time.perf_counter() - started:.1f} s, {events.stat().st_size / 1e6:.0f} MB", flush=True)
    return events


def measure(impl: str, path: Path, scenario: str) -> dict:
    return measure_in_subprocess(__file__, impl, path, scenario)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--show-sql", action="store_true", help="print the engine's SQL")
    parser.add_argument("--worker", nargs=3, metavar=("IMPL", "PATH", "SCENARIO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0

    path = ensure_extract(args.rows, args.seed)
    impls = [i for i in IMPLS if not (args.skip_pandas and i == "pandas")]
    results: dict[tuple[str, str], list[dict]] = {}
    for scenario in SCENARIOS:
        measure("raw", path, scenario)  # warm the OS file cache so the first timed run is not penalised
        for _ in range(args.repeat):
            for impl in impls:
                if impl == "pandas" and results.get((impl, scenario)):
                    continue  # one pandas run is enough to make the point and costs ~10 s / GBs each
                results.setdefault((impl, scenario), []).append(measure(impl, path, scenario))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"\n{path.name}: {args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB, {os.cpu_count()} cores, "
        f"load average {load:.1f} at the end; median of {args.repeat} runs (pandas: 1)\n"
    )
    header = f"{'scenario':<48} {'engine':>10} {'raw DuckDB':>11} {'pandas':>10} {'engine/raw':>11}"
    print(header)
    print("-" * len(header))
    ok = True
    for scenario, label in SCENARIOS.items():
        t = {i: statistics.median(r["elapsed"] for r in results[(i, scenario)]) for i in impls}
        m = {i: max(r["peak_rss_mb"] for r in results[(i, scenario)]) for i in impls}
        ratio = t["engine"] / t["raw"]
        ok &= ratio <= TARGET_RATIO and m["engine"] <= TARGET_RSS_MB
        pd_t = f"{t['pandas']:.2f} s" if "pandas" in t else "-"
        pd_m = f"{m['pandas']:.0f} MB" if "pandas" in m else "-"
        print(f"{label + ' (time)':<48} {t['engine']:>8.2f} s {t['raw']:>9.2f} s {pd_t:>10} {ratio:>10.2f}x")
        print(f"{'  peak RSS':<48} {m['engine']:>7.0f} MB {m['raw']:>8.0f} MB {pd_m:>10}")
        checks = {i: results[(i, scenario)][0]["check"] for i in impls}
        same = all(_close(checks["engine"], c) for c in checks.values())
        print(f"{'  same numbers in every implementation':<48} {'yes' if same else 'NO: ' + json.dumps(checks)}")
        ok &= same
        if args.show_sql:
            print(results[("engine", scenario)][0]["sql"])
    base = statistics.median(r["baseline_rss_mb"] for r in results[("engine", "daily")])
    print(f"\n(peak RSS includes ~{base:.0f} MB of interpreter + duckdb/pandas/pyarrow imports)")
    print(
        f"targets: engine <= {TARGET_RATIO}x raw DuckDB, engine peak RSS <= {TARGET_RSS_MB} MB: "
        f"{'MET' if ok else 'NOT MET'}"
    )
    return 0


def _close(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) <= 1e-6 * max(1.0, abs(a[k])) for k in a)


if __name__ == "__main__":
    sys.exit(main())
