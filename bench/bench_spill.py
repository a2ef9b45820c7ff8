"""Spill benchmark: queries that need several times the memory limit finish by spilling to the temp dir.

    python bench/bench_spill.py [--rows 10000000] [--memory-limit 256MB] [--data DIR]

A deterministic extract (unique 32-character keys, so nothing aggregates away) is written once with DuckDB.
Each query runs through ``workbench.engine.connect`` with a small ``memory_limit``, then once more on the SQL
console's restricted database (external access off: the spill folder is its only writable place), and
once with a generous limit to check the answers agree. A sampler thread records the largest size the
spill folder reached and the process's peak RSS. Timings are wall-clock and printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
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
            size = 0
            for entry in os.scandir(self.folder):
                try:
                    size += entry.stat().st_size
                except OSError:
                    pass
            self.peak_spill = max(self.peak_spill, size)
            self.peak_rss = max(self.peak_rss, me.memory_info().rss)
            self._done.wait(0.05)

    def stop(self) -> None:
        self._done.set()
        self.join()


def timed(cur, sql: str, spill_dir: Path):
    sampler = Sampler(spill_dir)
    sampler.start()
    t0 = time.perf_counter()
    try:
        result = cur.execute(sql).fetchall()
    finally:
        seconds = time.perf_counter() - t0
        sampler.stop()
    return result, seconds, sampler


def mib(n: int) -> str:
    return f"{n / 1024**2:,.0f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--memory-limit", default="256MB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "workbench-bench-spill")
    args = parser.parse_args()

    extract = args.data / f"spill_{args.rows}.parquet"
    write_extract(extract, args.rows)
    spill = Path(tempfile.mkdtemp(prefix="spill-", dir=args.data))
    print(f"extract: {args.rows:,} rows, {mib(extract.stat().st_size)} Parquet; memory_limit {args.memory_limit}, "
          f"{args.threads} threads; spill folder {spill}")

    small = connect(EngineSettings(memory_limit=args.memory_limit, threads=args.threads, temp_directory=str(spill)))
    catalog = Catalog(small)
    catalog.open(str(extract), name="data")
    console = open_console_db(catalog.sources, ConsoleSettings.of(small))
    big_spill = Path(tempfile.mkdtemp(prefix="nospill-", dir=args.data))
    big = connect(EngineSettings(memory_limit="64GB", threads=args.threads, temp_directory=str(big_spill)))
    Catalog(big).open(str(extract), name="data")

    print(f"{'query':<22} {'connection':<20} {'seconds':>8} {'peak spill':>12} {'peak RSS':>10}  same answer")
    for label, sql in QUERIES.items():
        answers = {}
        for where, db in (("engine", small), ("console (restricted)", console.con)):
            try:
                answers[where] = (*timed(db.cursor(), sql, spill), None)
            except duckdb.Error as exc:
                answers[where] = (None, 0.0, None, str(exc).splitlines()[0])
        # The generous run last: RSS only grows, so running it first would hide the limited runs' footprint.
        reference, ref_s, ref_sampler = timed(big.cursor(), sql, big_spill)
        for where, (result, seconds, sampler, error) in answers.items():
            if error:
                print(f"{label:<22} {where:<20} FAILED: {error}")
                continue
            print(f"{label:<22} {where:<20} {seconds:8.1f} {mib(sampler.peak_spill):>12} "
                  f"{mib(sampler.peak_rss):>10}  {result == reference}")
        print(f"{label:<22} {'no limit (64GB)':<20} {ref_s:8.1f} {mib(ref_sampler.peak_spill):>12} "
              f"{mib(ref_sampler.peak_rss):>10}  (reference)")
    console.close()
    small.close()
    big.close()
    left = [p.name for p in spill.iterdir()]
    print(f"spill folder after closing: {len(left)} file(s) left")


if __name__ == "__main__":
    main()
