"""A local Spark Connect server for the modules that need Spark (engine parity and the desktop app).

Import ``spark_remote`` (a module-scoped fixture) and ``spark_skip_reason`` from here. The server runs in its
own process (``tests/workbench/spark_server.py``): starting it uses local sockets, which the network guard
of the test process would refuse. ``WORKBENCH_SPARK_TEST_REMOTE`` reuses a server already running.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parent / "workbench" / "spark_server.py"
TOKEN = os.environ.get("WORKBENCH_SPARK_TEST_TOKEN", "workbench-test-token")


def spark_skip_reason() -> str | None:
    """Why the Spark tests cannot run here, or None when Java and the Spark client are installed."""
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (the Spark tests start a local Spark Connect server; apt-get install openjdk-17-jre-headless)"
    try:
        import pyspark  # noqa: F401
        import pyspark.sql.connect  # noqa: F401
    except ImportError:
        return "pyspark[connect] is not installed (pip install -e '.[dev]')"
    return None


def free_port() -> int:
    # Bound, not connected: the network guard only refuses connects.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


START_TIMEOUT_S = 120


def _start_server():
    """(process, port, "") of a started server, or (None, port, why) when it did not say READY in time."""
    import tempfile
    import threading

    port = free_port()
    log = tempfile.NamedTemporaryFile("w+", prefix="spark_server_", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [sys.executable, str(SERVER), str(port), TOKEN],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(START_TIMEOUT_S)
    if lines and lines[0].startswith("READY"):
        return proc, port, ""
    proc.kill()
    proc.wait(timeout=30)
    log.flush()
    tail = Path(log.name).read_text(errors="replace").strip().splitlines()[-5:]
    return None, port, f"exit {proc.returncode}; server log ends: {' | '.join(tail)[-600:]}"


@pytest.fixture(scope="module")
def spark_remote():
    """``sc://localhost:PORT/;token=...`` of a local Spark Connect server (skips, saying why, without one)."""
    reason = spark_skip_reason()
    if reason:
        if os.environ.get("WORKBENCH_REQUIRE_SPARK"):
            pytest.fail(f"WORKBENCH_REQUIRE_SPARK is set but {reason}")
        pytest.skip(reason)
    if os.environ.get("WORKBENCH_SPARK_TEST_REMOTE"):  # a server already running (developer machines)
        yield os.environ["WORKBENCH_SPARK_TEST_REMOTE"]
        return
    proc, port, problem = None, 0, ""
    for _attempt in range(2):  # a JVM that fails to come up once (a busy machine) gets one more try
        proc, port, problem = _start_server()
        if proc is not None:
            break
    if proc is None:
        if os.environ.get("WORKBENCH_REQUIRE_SPARK"):
            pytest.fail(f"the local Spark Connect server did not start: {problem}")
        pytest.skip(f"the local Spark Connect server did not start: {problem}")
    yield f"sc://localhost:{port}/;token={TOKEN}"
    proc.stdin.close()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
