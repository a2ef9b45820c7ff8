"""Impact speed: a country x day DiD through the engine vs raw DuckDB aggregation plus a hand-written fit.

    .venv/bin/python bench/bench_impact.py [--rows 20000000] [--repeat 3] [--events PATH]

Uses (or writes once into bench/data/, gitignored) a demo extract; every measurement runs in a fresh
subprocess and covers opening the file -> DiD estimate ready, after imports:

* engine: engine.connect + Catalog.open + causal.run_impact(method="did") on ratio(violations, views) by
  country and day, treated BR and MX from the middle day (what `workbench impact` runs, including the
  catalog's look-ups, the measure checks and the diagnostics);
* raw:    duckdb.connect(), the same country x day aggregation written by hand, then the smallest fit an
  analyst would write: numpy OLS on unit and day dummies with a unit-clustered sandwich.

Target: engine <= 1.3x raw. Both results' ATT are compared, so a fast wrong answer shows up as NO.
Timings are noisy on a shared machine: the median of --repeat runs is reported. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from worker_process import measure_in_subprocess  # bench/ is the script's own folder

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
TARGET_RATIO = 1.3
TREATED = ("BR", "MX")

RAW_PANEL = """
SELECT CAST(country AS VARCHAR) AS unit, CAST(date_trunc('day', event_time) AS DATE) AS period,
       sum(violations)::DOUBLE / sum(views)::DOUBLE AS y
FROM read_parquet(?) GROUP BY ALL ORDER BY unit, period
"""


def _start(path: str) -> str:
    import duckdb

    lo, hi = (
        duckdb.connect().execute("SELECT min(event_time), max(event_time) FROM read_parquet(?)", [path]).fetchall()[0]
    )
    return str((lo + (hi - lo) / 2).date())


def run_engine(path: str, start: str) -> tuple[float, float]:
    from workbench.catalog import Catalog
    from workbench.causal.impact import run_impact
    from workbench.causal.panel import ImpactSpec
    from workbench.engine import connect
    from workbench.metrics import Measure

    started = time.perf_counter()
    con = connect()
    source = Catalog(con).open(path)
    spec = ImpactSpec(
        table=source.name,
        time_column="event_time",
        measure=Measure.parse("ratio(violations, views)"),
        grain="day",
        unit="country",
        treated=TREATED,
        start=start,
        method="did",
    )
    att = run_impact(con, spec).doc["did"]["att"]
    return time.perf_counter() - started, att


def run_raw(path: str, start: str) -> tuple[float, float]:
    import duckdb
    import numpy as np
    import pandas as pd

    started = time.perf_counter()
    panel = duckdb.connect().execute(RAW_PANEL, [path]).df()
    panel = panel.dropna(subset=["y"])
    units = pd.factorize(panel["unit"])[0]
    days = pd.factorize(panel["period"])[0]
    d = (panel["unit"].isin(TREATED) & (pd.to_datetime(panel["period"]) >= pd.Timestamp(start))).to_numpy(float)
    x = np.column_stack([d, np.eye(units.max() + 1)[units], np.eye(days.max() + 1)[days][:, 1:]])
    y = panel["y"].to_numpy(float)
    bread = np.linalg.pinv(x.T @ x)
    beta = bread @ x.T @ y
    resid = y - x @ beta
    scores = np.zeros((units.max() + 1, x.shape[1]))
    np.add.at(scores, units, x * resid[:, None])
    vcov = bread @ scores.T @ scores @ bread
    float(np.sqrt(vcov[0, 0]))  # the se, as the engine computes it (its small-sample factor is a scalar)
    return time.perf_counter() - started, float(beta[0])


def worker(impl: str, path: str, start: str) -> None:
    import duckdb  # noqa: F401  imports are not part of the timed section
    import numpy  # noqa: F401
    import pandas  # noqa: F401
    import scipy.stats  # noqa: F401

    elapsed, att = {"engine": run_engine, "raw": run_raw}[impl](path, start)
    print(json.dumps({"elapsed": elapsed, "att": att}))


def ensure_extract(rows: int, seed: int) -> Path:
    out = HERE / "data" / f"demo_{rows}_{seed}"
    events = out / "events.parquet"
    if events.exists():
        return events
    sys.path.insert(0, str(REPO))
    from workbench.demo import write_demo

    print(f"generating {rows:,} rows into {out} (once) ...", flush=True)
    write_demo(out, rows=rows, seed=seed, users=1_000)
    return events


def measure(impl: str, path: Path, start: str) -> dict:
    return measure_in_subprocess(__file__, impl, path, start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--events", help="an existing demo events.parquet instead of bench/data/")
    parser.add_argument("--worker", nargs=3, metavar=("IMPL", "PATH", "START"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return 0
    path = Path(args.events) if args.events else ensure_extract(args.rows, args.seed)
    start = _start(str(path))
    measure("raw", path, start)  # warm the OS file cache
    results: dict[str, list[dict]] = {"engine": [], "raw": []}
    for _ in range(args.repeat):
        for impl, runs in results.items():
            runs.append(measure(impl, path, start))
    t = {i: statistics.median(r["elapsed"] for r in rs) for i, rs in results.items()}
    att = {i: rs[0]["att"] for i, rs in results.items()}
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    ratio = t["engine"] / t["raw"]
    print(
        f"\n{path}: {path.stat().st_size / 1e6:.0f} MB, {os.cpu_count()} cores, load average {load:.1f}; "
        f"median of {args.repeat} runs; treated {', '.join(TREATED)} from {start}\n"
    )
    print(
        f"country x day DiD, ratio(violations, views): engine {t['engine']:.2f} s, raw DuckDB + fit "
        f"{t['raw']:.2f} s, engine/raw {ratio:.2f}x (target <= {TARGET_RATIO}x: {'MET' if ratio <= TARGET_RATIO else 'NOT MET'})"
    )
    same = abs(att["engine"] - att["raw"]) <= 1e-9 * max(1.0, abs(att["raw"]))
    print(f"same ATT in both: {'yes' if same else 'NO'} ({att['engine']:.6g} vs {att['raw']:.6g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
