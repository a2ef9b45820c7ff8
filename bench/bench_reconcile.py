"""Keyed reconciliation speed and memory: the engine vs hand-written DuckDB vs datacompy (pandas).

    /work/venv/bin/python bench/bench_reconcile.py [--rows 2000000] [--repeat 3] [--datacompy-max 10000000]
    # extract scale (needs ~2 x 3 GB of Parquet and spill space; hours with datacompy, so skip it):
    /work/venv/bin/python bench/bench_reconcile.py --rows 100000000 --repeat 1 --datacompy-max 0

Writes A and B once (cached in bench/data/, gitignored): ``id`` BIGINT key, ``amount`` DOUBLE, ``name``
VARCHAR, ``day`` DATE, ``country`` VARCHAR; B misses 1 % of A's keys, has 1 % new ones, 2 % changed amounts,
0.5 % changed names and 100 duplicated keys. Every implementation runs in a fresh subprocess (imports not
timed); "total" is from opening the files to the counts (matched, only in A, only in B, changed per column),
"comparison" the query alone (the engine's open verifies Parquet page checksums, a full read of each file);
peak RSS is VmHWM.

* engine:        workbench.engine.connect + Catalog.open + reconcile.compare_keyed (what the CLI and panel run),
                 with 5 sampled rows per bucket; engine_nosamples: the same with --samples 0
* duckdb_join:   duckdb.connect() and one full outer join counting the buckets by hand. It does NOT look for
                 duplicated keys (they are multiplied silently): the fastest hand-written query, not an
                 equivalent one.
* duckdb_dedup:  the same join written by hand with duplicated keys counted and left out, as the engine does:
                 the like-for-like baseline the 1.3x target is measured against.
* datacompy:     pandas.read_parquet of both files + datacompy.PandasCompare(join_columns="id"); skipped above
                 --datacompy-max rows (it needs both tables and their merge in memory).

datacompy is a bench-only tool (``pip install datacompy``), not a project dependency. Not a unit test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from worker_process import measure_in_subprocess  # bench/ is the script's own folder

HERE = Path(__file__).resolve().parent
IMPLS = ("engine", "engine_nosamples", "duckdb_join", "duckdb_dedup", "datacompy")
TARGET_RATIO = 1.3
COLUMNS = ("amount", "name", "day", "country")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_data(folder: Path, rows: int) -> tuple[Path, Path]:
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    a, b = folder / f"recon_a_{rows}.parquet", folder / f"recon_b_{rows}.parquet"
    if a.exists() and b.exists():
        return a, b
    con = duckdb.connect()
    con.execute(f"SET temp_directory = '{folder / 'tmp'}'")
    base = f"""SELECT i AS id, round((hash(i) % 100000) / 100.0, 2) AS amount, 'name_' || (i % 50000) AS name,
                      DATE '2024-01-01' + (i % 365)::INT AS day, ['BR','US','DE','IN','FR'][1 + (i % 5)::BIGINT] AS country
               FROM range({rows}) t(i)"""
    con.execute(f"COPY ({base}) TO '{a}' (FORMAT parquet, ROW_GROUP_SIZE 122880)")
    con.execute(f"""COPY (
        SELECT id, CASE WHEN id % 50 = 3 THEN amount + 1 ELSE amount END AS amount,
               CASE WHEN id % 200 = 7 THEN upper(name) ELSE name END AS name, day, country
        FROM read_parquet('{a}') WHERE id % 100 <> 11
        UNION ALL SELECT {rows} + i, 1.0, 'new', DATE '2024-06-01', 'BR' FROM range({rows // 100}) t(i)
        UNION ALL SELECT i * 97, 0.0, 'dup', DATE '2024-06-01', 'US' FROM range(100) t(i)
    ) TO '{b}' (FORMAT parquet, ROW_GROUP_SIZE 122880)""")
    con.close()
    return a, b


# --- workers (one per subprocess) ---------------------------------------------------------------------------


def _hand_join(dedup: bool) -> str:
    changed = ", ".join(
        f"count(*) FILTER (WHERE a.id IS NOT NULL AND b.id IS NOT NULL AND a.{c} IS DISTINCT FROM b.{c}) AS changed_{c}"
        for c in COLUMNS
    )
    if not dedup:
        return f"""SELECT count(*) FILTER (WHERE a.id IS NOT NULL AND b.id IS NOT NULL) AS matched,
                          count(*) FILTER (WHERE b.id IS NULL) AS only_a, count(*) FILTER (WHERE a.id IS NULL) AS only_b,
                          {changed}
                   FROM va a FULL OUTER JOIN vb b ON a.id = b.id"""
    return f"""WITH da AS (SELECT id, count(*) AS n FROM va GROUP BY id), db AS (SELECT id, count(*) AS n FROM vb GROUP BY id),
               dup AS (SELECT id FROM da WHERE n > 1 UNION SELECT id FROM db WHERE n > 1),
               a AS (SELECT * FROM va ANTI JOIN dup USING (id)), b AS (SELECT * FROM vb ANTI JOIN dup USING (id))
               SELECT (SELECT sum(n) FROM da) AS rows_a, (SELECT sum(n) FROM db) AS rows_b,
                      (SELECT count(*) FROM da WHERE n > 1) AS dup_a, (SELECT count(*) FROM db WHERE n > 1) AS dup_b,
                      count(*) FILTER (WHERE a.id IS NOT NULL AND b.id IS NOT NULL) AS matched,
                      count(*) FILTER (WHERE b.id IS NULL) AS only_a, count(*) FILTER (WHERE a.id IS NULL) AS only_b,
                      {changed}
               FROM a FULL OUTER JOIN b ON a.id = b.id"""


def run_worker(impl: str, folder: str, rows: str) -> dict:
    """Imports first (not timed); ``seconds`` from opening the files to the counts, ``query_seconds`` the
    comparison alone (the engine's open also verifies the Parquet page checksums, a full read)."""
    a, b = make_data(Path(folder), int(rows))
    spill = str(Path(folder) / "spill")
    if impl in ("engine", "engine_nosamples"):
        from workbench.catalog import Catalog
        from workbench.engine import EngineSettings, connect
        from workbench.reconcile import ReconcileSpec, compare_keyed

        started = time.perf_counter()
        con = connect(EngineSettings(temp_directory=spill))
        cat = Catalog(con)
        ta, tb = cat.open(str(a)).name, cat.open(str(b)).name
        opened = time.perf_counter()
        spec = ReconcileSpec(ta, tb, ("id",), columns=COLUMNS, sample_size=0 if impl == "engine_nosamples" else 5)
        res = compare_keyed(con, spec)
        out = {
            "matched": res.matched,
            "only_a": res.only_a,
            "only_b": res.only_b,
            "dup_a": res.duplicate_keys_a,
            "dup_b": res.duplicate_keys_b,
            **{f"changed_{c.name}": c.changed for c in res.columns},
        }
    elif impl in ("duckdb_join", "duckdb_dedup"):
        import duckdb

        from workbench.engine import EngineSettings, resolved_memory_limit

        limit = resolved_memory_limit(EngineSettings())
        started = time.perf_counter()
        con = duckdb.connect(config={"memory_limit": limit, "temp_directory": spill})
        con.execute(f"CREATE VIEW va AS SELECT * FROM read_parquet('{a}')")
        con.execute(f"CREATE VIEW vb AS SELECT * FROM read_parquet('{b}')")
        opened = time.perf_counter()
        cur = con.execute(_hand_join(impl == "duckdb_dedup"))
        names = [d[0] for d in cur.description]
        out = {k: int(v) for k, v in zip(names, cur.fetchone())}
    elif impl == "datacompy":
        import datacompy
        import pandas as pd

        started = time.perf_counter()
        da, db = pd.read_parquet(a), pd.read_parquet(b)
        opened = time.perf_counter()
        cmp = datacompy.PandasCompare(da, db, join_columns="id", abs_tol=0, rel_tol=0)
        stats = {c["column"]: c["unequal_cnt"] for c in cmp.column_stats}
        out = {
            "matched": int(cmp.intersect_rows.shape[0]),
            "only_a": int(cmp.df1_unq_rows.shape[0]),
            "only_b": int(cmp.df2_unq_rows.shape[0]),
            **{f"changed_{c}": int(stats.get(c, -1)) for c in COLUMNS},
        }
    else:
        raise SystemExit(f"unknown implementation {impl}")
    done = time.perf_counter()
    return {"seconds": done - started, "query_seconds": done - opened, "peak_mb": peak_rss_mb(), "result": out}


def main(argv=None) -> int:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--worker":
        print(json.dumps(run_worker(*sys.argv[2:5])))
        return 0
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=2_000_000, help="rows in A (B has about as many)")
    p.add_argument("--repeat", type=int, default=3, help="runs per implementation (the median is reported)")
    p.add_argument("--datacompy-max", type=int, default=10_000_000, help="skip datacompy above this many rows")
    p.add_argument("--data-dir", default=str(HERE / "data"))
    args = p.parse_args(argv)
    folder = Path(args.data_dir)
    t0 = time.perf_counter()
    a, b = make_data(folder, args.rows)
    print(
        f"data: {a.name} {a.stat().st_size / 1e6:.0f} MB, {b.name} {b.stat().st_size / 1e6:.0f} MB "
        f"({time.perf_counter() - t0:.0f} s to write or find)"
    )
    rows = {}
    impls = [i for i in IMPLS if not (i == "datacompy" and args.rows > args.datacompy_max)]
    if "datacompy" not in impls:
        print(f"datacompy          skipped (above --datacompy-max {args.datacompy_max:,} rows)")
    runs = {impl: [] for impl in impls}
    for round_ in range(args.repeat):  # round-robin: a change in the machine's load hits every implementation
        for impl in impls:
            if impl == "datacompy" and round_:
                continue  # minutes per run at scale, and it is no closer than an order of magnitude
            runs[impl].append(measure_in_subprocess(__file__, impl, folder, str(args.rows)))
    for impl in impls:
        secs = statistics.median(r["seconds"] for r in runs[impl])
        query = statistics.median(r["query_seconds"] for r in runs[impl])
        peak = max(r["peak_mb"] for r in runs[impl])
        rows[impl] = (secs, query, peak)
        print(
            f"{impl:17} total {secs:8.2f} s  comparison {query:8.2f} s  peak {peak:7.0f} MB  "
            f"{json.dumps(runs[impl][0]['result'])}"
        )
    for impl in ("engine", "engine_nosamples"):
        for base in ("duckdb_dedup", "duckdb_join", "datacompy"):
            if impl in rows and base in rows:
                extra = f" (target <= {TARGET_RATIO}x)" if base == "duckdb_dedup" else ""
                print(
                    f"{impl} / {base}: total {rows[impl][0] / rows[base][0]:.2f}x, comparison "
                    f"{rows[impl][1] / rows[base][1]:.2f}x{extra}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
