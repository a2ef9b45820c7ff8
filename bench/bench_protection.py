"""What protecting a metric costs: the metric query alone vs. the metric plus its cell companion
(row count and record-key sum per cell, computed in DuckDB) under suppression and cell-key.

    PYTHONPATH=. python bench/bench_protection.py [--rows 2000000] [--repeat 3]

Prints the median time of each and the ratio to the unprotected metric.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from workbench.catalog import Catalog
    from workbench.demo import write_demo
    from workbench.engine import connect
    from workbench.metrics import Measure, MetricSpec, metric_series
    from workbench.protection.apply import protect_metric
    from workbench.protection.policy import CELL_KEY, SUPPRESSION, new_policy

    with tempfile.TemporaryDirectory() as tmp:
        paths = write_demo(Path(tmp), rows=args.rows, users=1000)
        con = connect()
        source = Catalog(con).open(str(paths.events))
        cases = {
            "daily count by country": MetricSpec(
                table=source.name, measure=Measure.parse("count(*)"), grain="day", breakdown="country"
            ),
            "hourly sum(views) by platform": MetricSpec(
                table=source.name, measure=Measure.parse("sum(views)"), grain="hour", breakdown="platform"
            ),
        }
        print(f"{args.rows:,} rows, median of {args.repeat}")
        for label, spec in cases.items():
            times = {"metric": [], SUPPRESSION: [], CELL_KEY: []}
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                result = metric_series(con, spec)
                times["metric"].append(time.perf_counter() - t0)
                for mode in (SUPPRESSION, CELL_KEY):
                    t0 = time.perf_counter()
                    protect_metric(con, metric_series(con, spec), new_policy(mode=mode))
                    times[mode].append(time.perf_counter() - t0)
            base = statistics.median(times["metric"])
            cells = len(result.frame)
            print(
                f"  {label} ({cells:,} cells): metric {base:.3f} s; "
                + "; ".join(
                    f"+{mode} {statistics.median(times[mode]):.3f} s (x{statistics.median(times[mode]) / base:.2f})"
                    for mode in (SUPPRESSION, CELL_KEY)
                )
            )
        con.close()


if __name__ == "__main__":
    main()
