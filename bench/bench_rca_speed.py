"""Root-cause cost against the raw cube query: ``explain`` end to end vs the one-scan leaf cube it issues,
on bench_anomaly's extract (5 dimensions, 20 x 3 x 6 x 5 x 10 values; views x4 in c3 & ios for 6 hours).
The target: explain <= 1.5 x the leaf cube alone.

    .venv/bin/python bench/bench_rca_speed.py --rows 50000000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def main(argv=None) -> int:
    from bench_anomaly import make_extract

    from workbench.anomaly.root_cause import explain
    from workbench.catalog import Catalog
    from workbench.engine import connect
    from workbench.metrics import Measure, MetricSpec

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000_000)
    ap.add_argument("--data", default=os.path.join(tempfile.gettempdir(), "workbench-bench"))
    ap.add_argument("--repeat", type=int, default=3, help="best of N")
    args = ap.parse_args(argv)
    path = Path(args.data) / f"rca_bench_{args.rows}.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        make_extract(path, args.rows)
    con = connect()
    src = Catalog(con).open(str(path))
    dims = ["country", "platform", "app_version", "surface", "device"]
    window = ("2024-02-20 10:00", "2024-02-20 16:00")
    spec = MetricSpec(table=src.name, measure=Measure.parse("sum(views)"), time_column="ts")
    for baseline in ("day", "expected"):
        t_explain, t_leaf = float("inf"), float("inf")
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            rc = explain(con, spec, window, dims, baseline=baseline)
            t_explain = min(t_explain, time.perf_counter() - t0)
            leaf_sql = next(q for q in rc.sql if "FILTER" in q)
            t0 = time.perf_counter()
            con.sql(leaf_sql).fetchall()
            t_leaf = min(t_leaf, time.perf_counter() - t0)
        print(
            f"{args.rows:,} rows, baseline {baseline}: explain {t_explain:.2f} s, raw leaf cube {t_leaf:.2f} s, "
            f"ratio {t_explain / t_leaf:.2f}  -> {rc.verdict}",
            flush=True,
        )
    con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
