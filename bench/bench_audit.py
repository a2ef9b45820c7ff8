"""Audit log cost: signed appends (fsync each), verify (hash + Ed25519 check per entry), checkpoints, and
`verify_against` with several checkpoint files. Prints, never asserts.

    python bench/bench_audit.py [--entries 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("WORKBENCH_CONFIG_DIR", str(Path(tmp) / "config"))
        from workbench.audit import AuditLog, verify
        from workbench.audit_checkpoint import verify_against

        log = AuditLog(Path(tmp) / "bench.audit.jsonl", version="bench")
        t0 = time.perf_counter()
        log.query_run("SELECT 0", rows=1)  # includes creating the key
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        files = []
        for i in range(1, args.entries):
            log.query_run(f"SELECT {i} FROM data WHERE country = 'IS'", rows=i, source="users")
            if i % (args.entries // 5) == 0:
                f = Path(tmp) / f"cp{i}.provenance.json"
                f.write_text(json.dumps({"audit_checkpoint": log.checkpoint()}))
                files.append(f)
        append = (time.perf_counter() - t0) / (args.entries - 1)
        t0 = time.perf_counter()
        for _ in range(20):
            log.checkpoint()
        checkpoint = (time.perf_counter() - t0) / 20
        t0 = time.perf_counter()
        result = verify(log.path)
        verify_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        against = verify_against(log.path, files)
        against_s = time.perf_counter() - t0
        size = log.path.stat().st_size
        print(f"entries {result.entries:,}, log {size / 1e6:.1f} MB ({size / result.entries:.0f} bytes/entry)")
        print(f"first append (creates the key): {first * 1e3:.1f} ms")
        print(f"append (signed, fsynced):       {append * 1e3:.2f} ms/entry")
        print(f"checkpoint:                     {checkpoint * 1e3:.2f} ms")
        print(
            f"verify:                         {verify_s:.2f} s ({verify_s / result.entries * 1e6:.0f} µs/entry) "
            f"ok={result.ok}"
        )
        print(f"verify --against {len(files)} files:      {against_s:.2f} s ok={against.ok}")


if __name__ == "__main__":
    main()
