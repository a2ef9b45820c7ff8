"""Command-line start-up: ``workbench --version`` and ``metric`` / ``sql`` / ``schema`` as whole processes,
against a plain DuckDB script doing the same work.

Each command runs in a fresh interpreter (``python -m workbench ...`` with this checkout first on the path);
the plain script imports duckdb and runs the equivalent query. Medians of ``--runs``; the ratio is
workbench / plain (target: ``--version`` <= 0.3 s, the others <= 1.3x). The extract is written once to
bench/data/cli_startup (git-ignored).

    .venv/bin/python bench/bench_cli_startup.py [--rows 10000000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data" / "cli_startup"


def write_extract(rows: int) -> Path:
    path = DATA / f"events_{rows}.parquet"
    if path.exists():
        return path
    import duckdb

    DATA.mkdir(parents=True, exist_ok=True)
    duckdb.connect().execute(
        f"COPY (SELECT TIMESTAMP '2024-01-01' + INTERVAL (i * 90 * 86400 // {rows}) SECOND AS ts, "
        "['BR','US','DE','IN','FR'][1 + i % 5] AS country, (i * 7919) % 13 AS views "
        f"FROM range({rows}) t(i)) TO '{path}' (FORMAT parquet)"
    )
    return path


def plain(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def cases(path: Path) -> list[tuple[str, list[str], list[str] | None]]:
    wb = [sys.executable, "-m", "workbench"]
    scan = f"read_parquet('{path}')"
    return [
        ("--version", wb + ["--version"], None),
        (
            "metric",
            wb + ["metric", str(path), "--measure", "sum(views)", "--grain", "day"],
            plain(
                "import duckdb,sys\n"
                f"rows=duckdb.connect().sql(\"SELECT date_trunc('day', ts) AS bucket, sum(views) FROM {scan} "
                'GROUP BY ALL ORDER BY 1").fetchall()\n'
                "sys.stdout.write(''.join(f'{b},{v}\\n' for b, v in rows))"
            ),
        ),
        (
            "sql",
            wb + ["sql", str(path), f"SELECT country, sum(views) AS v FROM {path.stem} GROUP BY ALL ORDER BY 1"],
            plain(
                "import duckdb,sys\n"
                f'rows=duckdb.connect().sql("SELECT country, sum(views) AS v FROM {scan} GROUP BY ALL ORDER BY 1")'
                ".fetchall()\nsys.stdout.write(''.join(f'{c},{v}\\n' for c, v in rows))"
            ),
        ),
        (
            "schema",
            wb + ["schema", str(path)],
            plain(
                "import duckdb\ncon=duckdb.connect()\n"
                f'print(con.sql("DESCRIBE SELECT * FROM {scan}").fetchall())\n'
                f"print(con.sql(\"SELECT sum(num_rows) FROM parquet_file_metadata('{path}')\").fetchall())"
            ),
        ),
    ]


def wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    path = write_extract(args.rows)
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        WORKBENCH_CONFIG_DIR=str(DATA / "config"),
        WORKBENCH_DATA_DIR=str(DATA / "home"),
    )
    # An installed Workbench has its .pyc files (pip compiles them); with this set, every run of a checkout
    # would compile its modules again and time the compiler, not the start-up.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    print(f"{args.rows:,} rows, median of {args.runs} runs (whole processes, warm page cache)")
    print(f"{'command':<10} {'workbench':>10} {'plain duckdb':>13} {'ratio':>7}")
    for name, cmd, baseline in cases(path):
        wall(cmd, env)  # warm-up: page cache and .pyc files
        ours = statistics.median(wall(cmd, env) for _ in range(args.runs))
        if baseline is None:
            print(f"{name:<10} {ours:>9.3f}s {'':>13} {'':>7}  (target <= 0.300 s)")
            continue
        wall(baseline, env)
        theirs = statistics.median(wall(baseline, env) for _ in range(args.runs))
        print(f"{name:<10} {ours:>9.3f}s {theirs:>12.3f}s {ours / theirs:>6.2f}x  (target <= 1.30x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
