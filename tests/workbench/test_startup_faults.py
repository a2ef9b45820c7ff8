"""Launching under bad conditions: unknown flags, paths that don't exist, an unusable home/config/temp
directory, a corrupt settings file. Each must give a clear message or a sensible fallback, never a crash.

Everything runs in a subprocess (the real entry point, fresh interpreter). The GUI cases start the real
desktop app offscreen with packaging/startup_probe.py, which writes a report once the window has opened
the files (or failed to) and then quits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE_CODE = "import startup_probe, runpy; startup_probe.install(); runpy.run_module('workbench', run_name='__main__')"


def _env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "QT_", "WORKBENCH_"))}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(
        HOME=str(home),
        LANG="C.UTF-8",
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "packaging")]),
    )
    env.update(overrides)
    return env


def _cli(args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "workbench", *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout
    )


def _gui(
    args: list[str], env: dict[str, str], report: Path, sources: int = 1
) -> tuple[subprocess.CompletedProcess, dict]:
    env = env | {
        "WORKBENCH_STARTUP_PROBE": str(report),
        "WORKBENCH_STARTUP_PROBE_SOURCES": str(sources),
        "WORKBENCH_STARTUP_PROBE_IDLE_MS": "200",
    }
    proc = subprocess.run(
        [sys.executable, "-c", PROBE_CODE, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert report.exists(), f"the app exited {proc.returncode} without opening a window:\n{proc.stderr[-2000:]}"
    return proc, json.loads(report.read_text())


@pytest.fixture
def small_parquet(tmp_path):
    import duckdb

    path = tmp_path / "small.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts, i % 5 AS views "
        f"FROM range(200) t(i)) TO '{path}' (FORMAT parquet)"
    )
    con.close()
    return path


def _unusable_dir(tmp_path: Path, name: str) -> Path:
    """A path no one can create folders under, root included (chmod does not stop root): a regular file."""
    blocker = tmp_path / name
    blocker.write_text("not a directory")
    return blocker


# --- command line --------------------------------------------------------------------------------------


def test_unknown_flag_is_one_clear_line(tmp_path):
    proc = _cli(["--frobnicate"], _env(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.strip() == "workbench: unrecognized arguments: --frobnicate (see 'workbench --help')"


def test_unknown_command_is_one_clear_line(tmp_path):
    proc = _cli(["frobnicate"], _env(tmp_path))
    assert proc.returncode == 2
    assert "invalid choice: 'frobnicate'" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_nonexistent_path_on_the_command_line(tmp_path):
    missing = tmp_path / "nowhere" / "events.parquet"
    proc = _cli(["schema", str(missing)], _env(tmp_path))
    assert proc.returncode == 2
    assert str(missing) in proc.stderr or "events.parquet" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_unusable_home_and_temp_dirs_fall_back(tmp_path, small_parquet):
    # HOME and TMPDIR are files: no config, cache or temp folder can be made there; spill files and the
    # cache fall back to the system temp dir.
    env = _env(
        tmp_path, HOME=str(_unusable_dir(tmp_path, "home-file")), TMPDIR=str(_unusable_dir(tmp_path, "tmp-file"))
    )
    proc = _cli(["schema", str(small_parquet)], env)
    assert proc.returncode == 0, proc.stderr
    assert "views" in proc.stdout


def test_self_test_passes_without_a_usable_home(tmp_path):
    env = _env(
        tmp_path, HOME=str(_unusable_dir(tmp_path, "home-file")), TMPDIR=str(_unusable_dir(tmp_path, "tmp-file"))
    )
    proc = _cli(["--self-test"], env, timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("workbench self-test: OK")


# --- desktop app ---------------------------------------------------------------------------------------


def _unusable_home_env(tmp_path: Path) -> dict[str, str]:
    return _env(
        tmp_path,
        HOME=str(_unusable_dir(tmp_path, "home-file")),
        XDG_CONFIG_HOME=str(_unusable_dir(tmp_path, "config-file")),
        XDG_CACHE_HOME=str(_unusable_dir(tmp_path, "cache-file")),
    )


def test_gui_starts_with_unusable_home_and_config(tmp_path, small_parquet):
    proc, report = _gui(["open", str(small_parquet)], _unusable_home_env(tmp_path), tmp_path / "report.json")
    assert report["error"] is None, report
    assert "sources_opened" in report["marks"]
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_gui_with_unusable_home_raises_no_unhandled_exception(tmp_path, small_parquet):
    proc, report = _gui(["open", str(small_parquet)], _unusable_home_env(tmp_path), tmp_path / "report.json")
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]


def test_gui_starts_with_a_corrupt_settings_file(tmp_path, small_parquet):
    config = tmp_path / "config"
    for folder in ("Workbench", "workbench"):
        (config / folder).mkdir(parents=True)
        for name in ("Workbench.conf", "workbench.conf"):
            (config / folder / name).write_bytes(
                b'[General\x00\xff\xfe]\ngeometry=@ByteArray(\x01\x02\x03\ngarbage="unterminated\n\xff' * 50
            )
    env = _env(tmp_path, XDG_CONFIG_HOME=str(config))
    proc, report = _gui(["open", str(small_parquet)], env, tmp_path / "report.json")
    assert report["error"] is None, report
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


def test_gui_reports_a_nonexistent_path_and_keeps_running(tmp_path):
    missing = tmp_path / "nowhere" / "events.parquet"
    proc, report = _gui(["open", str(missing)], _env(tmp_path), tmp_path / "report.json")
    assert report["error"] and "events.parquet" in report["error"]
    assert "window_shown" in report["marks"]  # the window came up and showed the message
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
