"""Write the seeded fuzz corpus in this folder: small files that once crashed Workbench or were misread.

    python tests/workbench/data/fuzz/make_corpus.py

Each file is odd or damaged in one way; tests/workbench/test_fuzz_corpus.py runs every one through the
commands that read it and checks for a result or one clear error line, never a traceback. The output is
deterministic (fixed seeds) and committed, so the suite does not depend on pyarrow to rebuild it.
"""

from __future__ import annotations

import random
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent


def parquet(name: str, select: str) -> bytes:
    path = HERE / name
    con = duckdb.connect()
    con.execute(f"COPY ({select}) TO '{path}' (FORMAT parquet)")
    con.close()
    return path.read_bytes()


def main() -> None:
    events = "SELECT TIMESTAMP '{start}' + INTERVAL (i) HOUR AS ts, ['a','b'][1 + i % 2] AS d, i % 7 AS v FROM range(300) t(i)"
    parquet("year_9999.parquet", events.format(start="9999-12-19 00:00:00"))
    parquet("year_1.parquet", events.format(start="0001-01-01 00:00:00"))
    parquet("zero_rows.parquet", "SELECT TIMESTAMP '2024-01-01' AS ts, 'a' AS d, 1 AS v FROM range(0)")
    parquet(
        "nan_sum.parquet",
        "SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts, 'a' AS d, "
        "CASE WHEN i = 5 THEN 'nan'::DOUBLE WHEN i = 9 THEN 'inf'::DOUBLE ELSE 1.0 END AS v FROM range(100) t(i)",
    )
    for name, value in (("nan", "'nan'::DOUBLE"), ("inf", "'-inf'::DOUBLE"), ("huge", "1e308")):
        parquet(
            f"experiment_{name}.parquet",
            "SELECT i AS user_id, CASE WHEN i % 2 = 0 THEN 'control' ELSE 'treatment' END AS arm, "
            f"CASE WHEN i IN (2, 3) THEN {value} ELSE i % 10 END AS x FROM range(400) t(i)",
        )
    good = parquet("_good.parquet", events.format(start="2024-01-01 00:00:00"))
    (HERE / "_good.parquet").unlink()
    (HERE / "bad_magic.parquet").write_bytes(b"PAR0" + good[4:])
    (HERE / "truncated.parquet").write_bytes(good[: len(good) // 2])
    rnd = random.Random(9)
    for k in range(3):  # byte flips in pages and footer (DuckDB's writer stores no page CRCs)
        data = bytearray(good)
        pos = rnd.randrange(4, len(data) - 8)
        data[pos] ^= 1 << rnd.randrange(8)
        (HERE / f"flipped_{k}.parquet").write_bytes(bytes(data))

    (HERE / "ragged.csv").write_text("a,b,c\n1,2,3\n4,5\n6,7,8,9\n10,11,12\n")
    (HERE / "ragged_late.csv").write_text("a,b,c\n" + "".join(f"{i},{i},{i}\n" for i in range(50)) + "7,8\n")
    (HERE / "latin1.csv").write_bytes(
        "ts,city,v\n2024-01-01 00:00:00,Zürich,1\n2024-01-02 00:00:00,Málaga,2\n".encode("latin-1")
    )
    (HERE / "utf16.csv").write_bytes("ts,city,v\n2024-01-01 00:00:00,Zürich,1\n".encode("utf-16"))
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "header_only.csv").write_text("ts,v\n")

    deep = "[" * 5000
    (HERE / "deep_spec.json").write_text(deep)
    (HERE / "deep_object_rules.json").write_text('{"rules": ' + '{"a": ' * 3000)
    (HERE / "latin1_spec.json").write_bytes('{"arms": ["café", "thé"], "control_arm": "café"}'.encode("latin-1"))
    (HERE / "list_spec.json").write_text("[1, 2, 3]")
    (HERE / "bad_types_rules.json").write_text(
        '{"rules": [{"name": 1, "source": "x.parquet", "metric": {"measure": '
        '"count(*)"}, "lookback": "soon", "conditions": [{"type": "threshold", '
        '"value": "high"}]}, 7]}'
    )
    (HERE / "deep.wbk").write_text(deep)
    (HERE / "latin1.wbk").write_bytes('{"schema_version": 1, "name": "café"}'.encode("latin-1"))
    (HERE / "truncated.wbk").write_text('{"schema_version": 1, "name": "w", "sources": [')
    (HERE / "deep_line.audit.log").write_text(deep + "\n")
    (HERE / "binary.audit.log").write_bytes(bytes(random.Random(5).randrange(256) for _ in range(300)))


if __name__ == "__main__":
    main()
