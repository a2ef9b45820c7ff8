"""The standalone bundle leaves pyarrow (and OpenSSL) out: every run-time path must work without them.

Each check runs in a fresh interpreter where ``import pyarrow`` (and ``_hashlib``, as in the bundle) raise
ImportError, so an optional import degrades and a hard one fails the test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path


ROOT = Path(__file__).resolve().parents[2]

BLOCK = (
    "import sys\n"
    "for _m in ('pyarrow', '_hashlib'):\n"
    "    sys.modules[_m] = None  # import raises ImportError, as in the bundle\n"
)


def _run(code: str, tmp_path: Path, timeout: int = 240) -> subprocess.CompletedProcess:
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "QT_QPA"))}
    env.update(HOME=str(home), TMPDIR=str(tmp), LANG="C.UTF-8", QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)
    return subprocess.run(
        [sys.executable, "-c", BLOCK + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=timeout,
    )


def test_blocker_really_blocks(tmp_path):
    proc = _run("import pyarrow\n", tmp_path)
    assert proc.returncode != 0 and "pyarrow" in proc.stderr


def test_self_test_with_window_runs_without_pyarrow(tmp_path):
    proc = _run(
        """
        from workbench.cli import main
        code = main(["--self-test", "--strict", "--verbose"])
        assert 'pyarrow' not in {k for k, v in sys.modules.items() if v is not None}
        raise SystemExit(code)
    """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "workbench self-test: OK" in proc.stdout
    assert re.search(r"window \d+x\d+ rendered", proc.stdout), proc.stdout


def test_engine_grid_exports_and_cli_without_pyarrow(tmp_path):
    proc = _run(
        f"""
        import datetime as dt, json, io, contextlib
        from pathlib import Path
        import numpy as np, pandas as pd
        out = Path({str(tmp_path)!r}) / "work"
        out.mkdir()

        from workbench import demo
        from workbench.catalog import Catalog
        from workbench.engine import EngineSettings, connect, run_query
        paths = demo.write_demo(out / "demo", rows=60_000, seed=7, users=3_000)
        con = connect(EngineSettings())
        cat = Catalog(con)
        src = cat.open(str(paths.events))
        assert src.row_count == 60_000
        # REQUIRED columns survive the DuckDB writer
        req = dict(con.execute("SELECT name, repetition_type FROM parquet_schema(?)", [str(paths.events)]).fetchall())
        assert req["views"] == "REQUIRED" and req["sla_days"] == "OPTIONAL", req

        r = run_query(con.cursor(), f"SELECT country, sum(views) AS v, max(event_time) AS t, "
                                    f"any_value(sla_days) FILTER (WHERE false) AS nothing "
                                    f"FROM {{src.name}} GROUP BY ALL ORDER BY v DESC")
        rows = r.to_pylist()
        assert rows and isinstance(rows[0]["v"], int) and isinstance(rows[0]["t"], dt.datetime)
        assert rows[0]["nothing"] is None
        frame = r.to_pandas()
        assert list(frame.columns) == ["country", "v", "t", "nothing"] and len(frame) == len(rows)

        # the SQL console and its grid: sort, TSV copy
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from PySide6.QtCore import Qt
        from widgets.sql_console import run_read_only
        from widgets.table_model import ResultTable
        table, truncated = run_read_only(con.cursor(), f"SELECT * FROM {{src.name}}", max_rows=5000)
        assert truncated and table.num_rows == 5000
        view = ResultTable()
        view.set_table(table)
        model = view.table_model()
        col = model.column_names().index("sla_days")
        model.sort(col, Qt.SortOrder.DescendingOrder)
        values = [model.raw_value(i, col) for i in range(table.num_rows)]
        present = [v for v in values if v is not None]
        assert present == sorted(present, reverse=True) and values[-1] is None
        assert model.to_tsv().count("\\n") == 5001
        view.set_table(pd.DataFrame({{"s": ["b", None, "a"], "n": [1, 2, None]}}))
        model.sort(0, Qt.SortOrder.AscendingOrder)
        assert [model.raw_value(i, 0) for i in range(3)] == ["a", "b", None]

        # exports: CSV, Parquet (stamp in key/value metadata), XLSX, PNG; provenance read back
        from workbench.export import Provenance, export_table, read_provenance, stamp_png
        stamp = Provenance(workspace="no-pyarrow", generated_at="2026-01-01T00:00:00Z", user="t", app_version="0")
        df = pd.DataFrame({{"day": pd.date_range("2026-01-01", periods=4), "country": ["US", "DE", None, "FR"],
                           "users": [12, 3, 40, 50], "rate": [0.5, np.nan, 0.25, 1.0]}})
        for ext in ("csv", "parquet", "xlsx"):
            res = export_table(df, out / f"t.{{ext}}", provenance=stamp)
            assert read_provenance(res.path)["workspace"] == "no-pyarrow", ext
        back = con.execute("SELECT * FROM read_parquet(?)", [str(out / "t.parquet")]).df()
        assert back["users"].tolist() == [12, 3, 40, 50] and back["country"].isna().sum() == 1
        res = export_table(df.fillna({{"country": "XX"}}), out / "s.parquet", provenance=stamp, k=10, count_column="users")
        assert res.suppression.n_primary == 1

        # workbench sql streams CSV and JSON
        from workbench.cli import main
        for fmt in ("csv", "json"):
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                assert main(["sql", str(paths.events), "SELECT country, count(*) AS n FROM data GROUP BY 1 ORDER BY 1",
                             "--format", fmt]) == 0
            text = buf.getvalue()
            assert ("country,n" in text) if fmt == "csv" else json.loads(text)[0]["n"] > 0, text[:200]
        print("engine paths OK")
    """,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "engine paths OK" in proc.stdout
