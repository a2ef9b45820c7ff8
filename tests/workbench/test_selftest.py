"""``workbench --self-test``: one summary line, exit 0 when healthy, non-zero with the reason otherwise, and
nothing left behind in the home or temp folders."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cli import selftest

ROOT = Path(__file__).resolve().parents[2]


def _isolated_env(tmp_path: Path) -> dict[str, str]:
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "QT_QPA"))}
    env.update(HOME=str(home), TMPDIR=str(tmp), LANG="C.UTF-8")
    env.pop("DISPLAY", None)  # the self-test must pick the offscreen platform by itself
    env.pop("WAYLAND_DISPLAY", None)
    return env


@pytest.fixture(scope="module")
def selftest_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("selftest")
    env = _isolated_env(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", "--self-test", "--verbose"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=240,
    )
    return proc, tmp_path


def test_self_test_passes_with_one_summary_line(selftest_run):
    proc, _ = selftest_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = [line for line in proc.stdout.splitlines() if line.startswith("workbench self-test:")]
    assert len(summary) == 1
    assert summary[0].startswith("workbench self-test: OK")
    assert "network guard on (probe refused), 0 attempts" in summary[0]
    assert "Traceback" not in proc.stderr
    assert "blocked network access" not in proc.stderr  # the guard's own probe is not reported as news


def test_self_test_leaves_nothing_behind(selftest_run):
    _, tmp_path = selftest_run
    leftovers = [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.name not in ("home", "tmp")]
    assert leftovers == []


def test_self_test_step_names_cover_the_issue():
    names = [name for name, _ in selftest.STEPS]
    for required in ("demo", "open", "console", "metric", "anomaly", "experiment", "window", "network"):
        assert required in names


def _args(**overrides):
    values = dict(verbose=False, strict=False, no_gui=True)
    values.update(overrides)
    return argparse.Namespace(**values)


def test_a_failing_step_exits_non_zero_and_says_what_failed(monkeypatch, capsys):
    def broken(ctx):
        raise ValueError("metric came back empty")

    monkeypatch.setattr(selftest, "STEPS", (("engine", selftest.step_engine), ("metric", broken)))
    assert selftest.run(_args()) == 1
    err = capsys.readouterr().err
    assert "metric" in err and "FAILED" in err and "metric came back empty" in err
    assert "Traceback" not in err


def test_a_skipped_step_fails_only_in_strict_mode(monkeypatch, capsys):
    def missing(ctx):
        raise selftest.Unavailable("workbench.nothing not available")

    monkeypatch.setattr(selftest, "STEPS", (("thing", missing),))
    assert selftest.run(_args()) == 0
    assert "thing skipped (workbench.nothing not available)" in capsys.readouterr().out
    assert selftest.run(_args(strict=True)) == 1


def test_network_attempt_during_self_test_fails_it(monkeypatch):
    from workbench import netguard

    fake = [netguard.BlockedAttempt("socket.connect", "198.51.100.7:443")]
    monkeypatch.setattr(netguard, "blocked_attempts", lambda: fake)
    monkeypatch.setattr(netguard, "is_installed", lambda: True)
    with pytest.raises(AssertionError, match="198.51.100.7:443"):
        selftest.step_network(None)


def test_no_writable_temp_folder_is_reported(monkeypatch, capsys):
    def no_temp(*a, **k):
        raise PermissionError(13, "Permission denied", "/tmp")

    monkeypatch.setattr(selftest.tempfile, "mkdtemp", no_temp)
    assert selftest.run(_args()) == 1
    assert "FAILED (setup:" in capsys.readouterr().err
