"""Spill benchmark: queries that need several times the memory limit finish by spilling to the temp dir.

    python bench/bench_spill.py [--rows 10000000] [--memory-limit 256MB] [--data DIR]

A deterministic extract (unique 32-character keys, so nothing aggregates away) is written once with DuckDB.
Each query runs through ``workbench.engine.connect`` with a small ``memory_limit``, then on the SQL console's
restricted database (external access off: its private spill folder is its only writable place), and with a
generous limit to check the answers agree — each run in a fresh process. A sampler thread records the
largest size the spill folder reached and the process's peak RSS. Timings are wall-clock and printed,
never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.catalog import Catalog  # noqa: E402
from workbench.console_db import ConsoleSettings, open_console_db  # noqa: E402
from workbench.engine import EngineSettings, connect  # noqa: E402

QUERIES = {
    # A hash aggregate with one group per row: the table is far bigger than the limit.
    "group by 1 row/group": "SELECT count(*) AS groups, sum(n) AS rows, round(sum(total), 3) AS total "
    "FROM (SELECT s, count(*) AS n, sum(v) AS total FROM data GROUP BY s)",
    # A full sort of every row (a window needs all of it ordered), reduced to a checksum.
    "sort all rows": "SELECT count(*) AS rows, max(rn) AS last, min(s) AS first "
    "FROM (SELECT s, row_number() OVER (ORDER BY s, id) AS rn FROM data)",
}


def write_extract(path: Path, rows: int) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT i AS id, md5(i::VARCHAR) AS s, (i * 7919) % 1000 / 10.0 AS v
                       FROM range({int(rows)}) t(i)) TO '{tmp}' (FORMAT parquet)""")
    con.close()
    os.replace(tmp, path)


class Sampler(threading.Thread):
    """Largest spill-folder size and RSS seen while a query runs."""

    def __init__(self, folder: Path):
        super().__init__(daemon=True)
        self.folder, self.peak_spill, self.peak_rss = folder, 0, 0
        self._done = threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._done.is_set():
            self.peak_spill = max(self.peak_spill, folder_size(self.folder))
            self.peak_rss = max(self.peak_rss, me.memory_info().rss)
            self._done.wait(0.05)

    def stop(self) -> None:
        self._done.set()
        self.join()


def folder_size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


def run_case(extract: Path, query: str, where: str, memory_limit: str, threads: int, spill: Path) -> dict:
    """One query on one kind of connection, in this (fresh) process: answer, seconds, peak spill and RSS."""
    limit = "64GB" if where == "no limit" else memory_limit
    con = connect(EngineSettings(memory_limit=limit, threads=threads, temp_directory=str(spill)))
    catalog = Catalog(con)
    catalog.open(str(extract), name="data")
    console = open_console_db(catalog.sources, ConsoleSettings.of(con)) if where == "console" else None
    cur = (console.con if console else con).cursor()
    sampler = Sampler(spill)
    sampler.start()
    t0 = time.perf_counter()
    try:
        answer, error = [list(map(str, row)) for row in cur.execute(QUERIES[query]).fetchall()], None
    except duckdb.Error as exc:
        answer, error = None, str(exc).splitlines()[0]
    seconds = time.perf_counter() - t0
    sampler.stop()
    cur.close()
    if console:
        console.close()
    con.close()
    return {
        "answer": answer,
        "error": error,
        "seconds": seconds,
        "spill": sampler.peak_spill,
        "rss": sampler.peak_rss,
        "left": folder_size(spill),
    }


def mib(n: int) -> str:
    return f"{n / 1024**2:,.0f} MiB"


WHERE = {"engine": "engine", "console": "console (restricted)", "no limit": "no limit (64GB)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--memory-limit", default="256MB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "workbench-bench-spill")
    parser.add_argument("--case", nargs=2, metavar=("QUERY", "WHERE"), help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()

    extract = args.data / f"spill_{args.rows}.parquet"
    if args.case:
        spill = Path(tempfile.mkdtemp(prefix="spill-", dir=args.data))
        print(json.dumps(run_case(extract, *args.case, args.memory_limit, args.threads, spill)))
        shutil.rmtree(spill, ignore_errors=True)
        return
    write_extract(extract, args.rows)
    print(
        f"extract: {args.rows:,} rows, {mib(extract.stat().st_size)} Parquet; memory_limit {args.memory_limit}, "
        f"{args.threads} threads; each run in a fresh process (peak RSS is that process's)"
    )
    print(f"{'query':<22} {'connection':<20} {'seconds':>8} {'peak spill':>12} {'peak RSS':>10}  same answer")
    for query in QUERIES:
        rows = {}
        for where in WHERE:  # each in its own process, so one run's memory high-water mark does not leak into the next
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--rows",
                    str(args.rows),
                    "--memory-limit",
                    args.memory_limit,
                    "--threads",
                    str(args.threads),
                    "--data",
                    str(args.data),
                    "--case",
                    query,
                    where,
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            rows[where] = json.loads(out.stdout.strip().splitlines()[-1])
        reference = rows["no limit"]["answer"]
        for where, r in rows.items():
            if r["error"]:
                print(f"{query:<22} {WHERE[where]:<20} FAILED: {r['error']}")
                continue
            same = "(reference)" if where == "no limit" else str(r["answer"] == reference)
            print(
                f"{query:<22} {WHERE[where]:<20} {r['seconds']:8.1f} {mib(r['spill']):>12} {mib(r['rss']):>10}  "
                f"{same}; spill left after close: {mib(r['left'])}"
            )


if __name__ == "__main__":
    main()
