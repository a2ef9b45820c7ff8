"""Parquet page-checksum verification (workbench/parquet_check.py) on a large file, next to what opening
costs without it, a DuckDB scan of the same file and pyarrow's own CRC-checked read.

    python bench/bench_checksums.py [--rows 20000000] [--data DIR]

The file is written once with pyarrow (``write_page_checksum=True``, snappy, 1 MiB pages) into --data
(default: a temp folder) and reused. Timings are wall-clock, printed, never asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.catalog import Catalog  # noqa: E402
from workbench.engine import connect  # noqa: E402
from workbench.parquet_check import verify_file  # noqa: E402


def _write(path: Path, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    with pq.ParquetWriter(
        path,
        pa.schema(
            [("ts", pa.timestamp("us")), ("country", pa.string()), ("views", pa.int64()), ("score", pa.float64())]
        ),
        write_page_checksum=True,
        compression="snappy",
    ) as writer:
        step = 1_000_000
        for lo in range(0, rows, step):
            n = min(step, rows - lo)
            writer.write_table(
                pa.table(
                    {
                        "ts": pa.array(
                            np.datetime64("2024-01-01") + (np.arange(lo, lo + n) * 1_000_000).astype("timedelta64[us]")
                        ),
                        "country": pa.array(np.array(["BR", "US", "DE", "IN", "FR"])[rng.integers(0, 5, n)]),
                        "views": pa.array(rng.integers(0, 1000, n)),
                        "score": pa.array(rng.random(n)),
                    }
                ),
                row_group_size=n,
            )


def _best(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--data", default=None)
    args = ap.parse_args()
    folder = Path(args.data or tempfile.gettempdir()) / "wb_bench_checksums"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"crc_{args.rows}.parquet"
    if not path.exists():
        t = time.perf_counter()
        _write(path, args.rows)
        print(f"wrote {path} in {time.perf_counter() - t:.1f} s")
    size_mb = path.stat().st_size / 1e6
    con = connect()
    report = verify_file(con.cursor(), str(path))
    verify_s = _best(lambda: verify_file(con.cursor(), str(path)))
    open_plain = _best(lambda: Catalog(con, verify_checksums=False).open(str(path)))
    open_checked = _best(lambda: Catalog(con).open(str(path)))
    scan_s = _best(lambda: con.execute(f"SELECT count(*), sum(views), sum(score) FROM '{path}'").fetchall())
    catalog = Catalog(con, verify_checksums=False)
    catalog.open(str(path))
    n_checks = 10_000
    identity_s = _best(lambda: [catalog.check_unchanged() for _ in range(n_checks)], repeats=1) / n_checks
    print(
        f"{args.rows:,} rows, {size_mb:.0f} MB, {report.pages_verified:,} pages in {report.column_chunks} column chunks"
    )
    print(f"  verify page CRCs          {verify_s:6.2f} s  ({size_mb / verify_s:,.0f} MB/s)")
    print(f"  open without the check    {open_plain:6.2f} s")
    print(f"  open with the check       {open_checked:6.2f} s  (+{open_checked - open_plain:.2f} s)")
    print(f"  DuckDB count+sum scan     {scan_s:6.2f} s  (verify / scan = {verify_s / scan_s:.1f}x)")
    print(f"  identity re-check before an analysis (Catalog.check_unchanged)  {identity_s * 1e6:.1f} µs per file")
    try:
        import pyarrow.parquet as pq

        pa_s = _best(lambda: pq.read_table(path, page_checksum_verification=True), repeats=1)
        print(f"  pyarrow read_table with page_checksum_verification=True  {pa_s:6.2f} s (decodes every value)")
    except ImportError:
        print("  pyarrow not installed: its CRC-checked read not measured")
    con.close()


if __name__ == "__main__":
    main()
