"""The command line loads only what a command needs: --version nothing heavy, schema and sql no pandas.

Import cost, not speed, is what is checked here (speed is measured by bench/bench_cli_startup.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_parquet

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from workbench.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(m for m in ("pandas", "scipy", "statsmodels", "duckdb", "sqlglot", "numpy",
                                                             "PySide6") if m in sys.modules)}))
"""


def _run(tmp_path, *argv) -> dict:
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        WORKBENCH_CONFIG_DIR=str(tmp_path / "c"),
        WORKBENCH_DATA_DIR=str(tmp_path / "d"),
    )
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_version_imports_nothing_heavy(tmp_path):
    out = _run(tmp_path, "--version")
    assert out["code"] == 0 and out["modules"] == []


@pytest.mark.parametrize("argv", [("schema",), ("sql", "SELECT count(*) FROM ev")])
def test_schema_and_sql_skip_pandas(tmp_path, argv):
    path = write_parquet(tmp_path / "ev.parquet", "SELECT range AS i FROM range(10)")
    out = _run(tmp_path, argv[0], path, *argv[1:])
    assert out["code"] == 0 and "pandas" not in out["modules"] and "duckdb" in out["modules"]
    assert "sqlglot" not in out["modules"]  # only rendering for another dialect or parsing needs it
    assert "numpy" not in out["modules"]  # rows are written as DuckDB returns them
