"""The same analyses through a local Spark Connect server as through DuckDB (issue: Spark backend).

One module holds every test that needs Spark: it skips, saying why, when Java or the Spark client is
absent. CI installs both (``.ci/run``), so CI is not among the places it skips.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import run_cli

HERE = Path(__file__).resolve().parent
TOKEN = "workbench-test-token"

pytestmark = pytest.mark.spark


def _skip_reason() -> str | None:
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (the Spark tests start a local Spark Connect server; apt-get install openjdk-17-jre-headless)"
    try:
        import pyspark  # noqa: F401
        import pyspark.sql.connect  # noqa: F401
    except ImportError:
        return "pyspark[connect] is not installed (pip install -e '.[dev]')"
    return None


def _free_port() -> int:
    # Bound, not connected: the network guard only refuses connects.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def spark_remote():
    reason = _skip_reason()
    if reason:
        if os.environ.get("WORKBENCH_REQUIRE_SPARK"):
            pytest.fail(f"WORKBENCH_REQUIRE_SPARK is set but {reason}")
        pytest.skip(reason)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "spark_server.py"), str(port), TOKEN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=open(os.environ.get("WORKBENCH_SPARK_LOG", os.devnull), "w"),
        text=True,
    )
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        proc.kill()
        pytest.fail(f"the local Spark Connect server did not start (exit {proc.poll()})")
    yield f"sc://localhost:{port}/;token={TOKEN}"
    proc.stdin.close()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("spark_demo")
    code, _, err = _cli_plain("demo", "--out", out, "--rows", "20000")
    assert code == 0, err
    return out


def _cli_plain(*argv):
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=HERE.parents[1],
        timeout=600,
    )
    return proc.returncode, proc.stdout, proc.stderr


def both(capsys, remote, *argv):
    """(duckdb output, spark output) of the same command, both parsed as JSON."""
    code_d, out_d, err_d = run_cli(capsys, *argv)
    assert code_d == 0, err_d
    code_s, out_s, err_s = run_cli(capsys, *argv, "--engine", "spark", "--remote", remote)
    assert code_s == 0, err_s
    return json.loads(out_d), json.loads(out_s)


def test_schema_is_the_same(capsys, spark_remote, demo_dir):
    duck, spark = both(capsys, spark_remote, "schema", demo_dir / "events.parquet", "--format", "json")
    assert [c["name"] for c in duck["columns"]] == [c["name"] for c in spark["columns"]]


@pytest.mark.parametrize("measure", ["sum(reports)", "count(*)", "mean(sla_days)", "ratio(reports, views)"])
def test_metric_series_is_the_same(capsys, spark_remote, demo_dir, measure):
    duck, spark = both(
        capsys,
        spark_remote,
        "metric",
        demo_dir / "events.parquet",
        "--measure",
        measure,
        "--grain",
        "day",
        "--format",
        "json",
    )
    _assert_same_rows(duck["rows"], spark["rows"])


def _assert_same_rows(duck_rows: list[dict], spark_rows: list[dict], rel: float = 1e-9) -> None:
    """Same rows in the same order: keys and text exactly, numbers to ``rel`` (exact for integers)."""
    assert len(duck_rows) == len(spark_rows)
    for d, s in zip(duck_rows, spark_rows):
        assert d.keys() == s.keys()
        for key in d:
            if isinstance(d[key], float) or isinstance(s[key], float):
                assert s[key] == pytest.approx(d[key], rel=rel, nan_ok=True), (key, d, s)
            else:
                assert s[key] == d[key], (key, d, s)
