"""Benchmark: experiment readout on 10M units x 10 metrics with CUPED.

Compares, on the same Parquet file:
  raw      the hand-written DuckDB aggregation alone (per arm: n, sums, sums of squares, cross products with
           the covariate) — the floor for any correct readout
  readout  workbench.experiments.run_experiment: everything (unit check, stats, CUPED, SRM, corrections,
           sequential, Bayesian, power)
  readout_assume_unique  the same with --assume-unique-units (skips the full-scan duplicate-unit check)
  pandas   read_parquet + groupby implementation of the same statistics

Each mode runs in its own process so peak RSS (ru_maxrss) is per mode. Timings are best of --repeat runs.

    .venv/bin/python bench/bench_experiments.py [--units 10000000] [--metrics 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def generate(path: Path, units: int, metrics: int) -> None:
    import duckdb

    cols = ", ".join(
        f"(pre * 0.6 + random() * 10 + {i} + (CASE WHEN arm = 'treatment' THEN 0.05 ELSE 0 END))::DOUBLE AS m{i}"
        for i in range(metrics)
    )
    con = duckdb.connect()
    con.execute(f"""COPY (
        SELECT user_id, arm, pre, {cols} FROM (
          SELECT i AS user_id, CASE WHEN hash(i) % 2 = 0 THEN 'control' ELSE 'treatment' END AS arm,
                 (random() * 20 + 40)::DOUBLE AS pre
          FROM range({units}) t(i))
    ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)""")
    con.close()


def mode_raw(path: str, metrics: int) -> None:
    from workbench.engine import connect

    con = connect()
    # The fewest aggregates that give Welch + CUPED for every metric on NULL-free data.
    aggs = ", ".join(f"count(m{i}), sum(m{i}), sum(m{i} * m{i}), sum(m{i} * pre)" for i in range(metrics))
    con.sql(
        f"SELECT arm, count(*), count(pre), sum(pre), sum(pre * pre), {aggs} FROM read_parquet('{path}') GROUP BY arm"
    ).fetchall()
    con.close()


def _spec(metrics: int, assume_unique: bool, table: str):
    from workbench.experiments import ExperimentSpec, MetricSpec

    return ExperimentSpec(
        table=table,
        unit="user_id",
        arm="arm",
        control="control",
        metrics=tuple(MetricSpec(f"m{i}", "mean", covariate="pre") for i in range(metrics)),
        assume_unique_units=assume_unique,
    )


def mode_readout(path: str, metrics: int, assume_unique: bool = False) -> dict:
    from workbench.catalog import open_paths
    from workbench.engine import connect
    from workbench.experiments import run_experiment

    con = connect()
    _, source = open_paths(con, [path])
    r = run_experiment(con.cursor(), _spec(metrics, assume_unique, source.name)).data
    con.close()
    return {
        "p_m0": r["metrics"]["m0"]["comparisons"]["treatment"]["p_value"],
        "cuped_p_m0": r["metrics"]["m0"]["comparisons"]["treatment"]["cuped"]["p_value"],
    }


def mode_pandas(path: str, metrics: int) -> dict:
    import numpy as np
    import pandas as pd
    from scipy import stats

    df = pd.read_parquet(path)
    out = {}
    g = df.groupby("arm")
    n = g.size()
    for i in range(metrics):
        y = f"m{i}"
        mean, var = g[y].mean(), g[y].var(ddof=1)
        res = stats.ttest_ind_from_stats(
            mean["treatment"],
            np.sqrt(var["treatment"]),
            n["treatment"],
            mean["control"],
            np.sqrt(var["control"]),
            n["control"],
            equal_var=False,
        )
        theta = df[y].cov(df["pre"]) / df["pre"].var()
        adj = df[y] - theta * df["pre"]
        ga = adj.groupby(df["arm"])
        am, av = ga.mean(), ga.var(ddof=1)
        res2 = stats.ttest_ind_from_stats(
            am["treatment"],
            np.sqrt(av["treatment"]),
            n["treatment"],
            am["control"],
            np.sqrt(av["control"]),
            n["control"],
            equal_var=False,
        )
        out[y] = (res.pvalue, res2.pvalue)
    return {"p_m0": out["m0"][0], "cuped_p_m0": out["m0"][1]}


def interleaved(args) -> None:
    """Best-of-N timings with the DuckDB modes alternating in one process, so load from other processes on
    a shared machine hits them alike (one warm-up round first: imports, file cache)."""
    fns = {
        "raw": lambda: mode_raw(args.path, args.metrics),
        "readout": lambda: mode_readout(args.path, args.metrics),
        "readout_assume_unique": lambda: mode_readout(args.path, args.metrics, True),
    }
    for fn in fns.values():
        fn()
    times = {k: [] for k in fns}
    for _ in range(args.repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    print(json.dumps({k: {"best_s": min(v), "median_s": sorted(v)[len(v) // 2], "times": v} for k, v in times.items()}))


def child(args) -> None:
    if args.mode == "interleaved":
        interleaved(args)
        return
    fn = {
        "raw": lambda: mode_raw(args.path, args.metrics),
        "readout": lambda: mode_readout(args.path, args.metrics),
        "readout_assume_unique": lambda: mode_readout(args.path, args.metrics, True),
        "pandas": lambda: mode_pandas(args.path, args.metrics),
    }[args.mode]
    times, result = [], None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps({"mode": args.mode, "best_s": min(times), "times": times, "peak_rss_mb": rss_mb, "result": result})
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--units", type=int, default=10_000_000)
    ap.add_argument("--metrics", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", help="reuse/write the Parquet file here")
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    ap.add_argument("--path", help=argparse.SUPPRESS)
    ap.add_argument("--skip-pandas", action="store_true")
    args = ap.parse_args()
    if args.mode:
        child(args)
        return 0
    path = Path(args.data or Path(tempfile.gettempdir()) / f"wb_bench_exp_{args.units}x{args.metrics}.parquet")
    if not path.exists():
        t0 = time.perf_counter()
        generate(path, args.units, args.metrics)
        print(f"generated {path} ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f}s")
    modes = ["raw", "readout", "readout_assume_unique"] + ([] if args.skip_pandas else ["pandas"])
    res = {}
    for mode in modes:  # one process per mode: peak RSS per mode (and a first timing)
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--mode",
                mode,
                "--path",
                str(path),
                "--metrics",
                str(args.metrics),
                "--repeat",
                "1",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        res[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--mode",
            "interleaved",
            "--path",
            str(path),
            "--metrics",
            str(args.metrics),
            "--repeat",
            str(args.repeat),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    inter = json.loads(out.stdout.strip().splitlines()[-1])
    for mode in modes:
        t = inter.get(mode, {"best_s": res[mode]["best_s"], "median_s": res[mode]["best_s"]})
        res[mode].update(best_s=t["best_s"], median_s=t["median_s"])
        print(
            f"{mode:24s} best {t['best_s']:7.3f}s  median {t['median_s']:7.3f}s  peak RSS {res[mode]['peak_rss_mb']:6.0f} MB"
        )
    raw, raw_med = res["raw"]["best_s"], res["raw"]["median_s"]
    print(f"\n{args.units:,} units x {args.metrics} metrics (CUPED on each); ratios best (median)")
    for mode in ("readout", "readout_assume_unique"):
        print(
            f"{mode + ' / raw DuckDB':40s} = {res[mode]['best_s'] / raw:.2f}x ({res[mode]['median_s'] / raw_med:.2f}x)  target <= 1.3x"
        )
    if "pandas" in res:
        for mode in ("readout", "readout_assume_unique"):
            print(f"{'pandas / ' + mode:40s} = {res['pandas']['best_s'] / res[mode]['best_s']:.1f}x  target >= 10x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
