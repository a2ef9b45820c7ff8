"""Run one measurement in a fresh interpreter (no warm caches or imports shared between implementations)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def measure_in_subprocess(script: str, impl: str, path: Path, arg: str) -> dict:
    """``python SCRIPT --worker IMPL PATH ARG``; returns the JSON object its last stdout line holds."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, script, "--worker", impl, str(path), arg],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{impl}/{arg} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
