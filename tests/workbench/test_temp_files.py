"""Temp files of a save killed mid-write (and DuckDB spill files of dead processes) are removed at the next
start; those of running processes and other people's files are never touched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from workbench.engine import EngineSettings, connect
from workbench.temp_files import STALE_AFTER_S, clean_at_start, clean_atomic_temps, clean_spill_files
from workbench.workspace import atomic_write, load

ROOT = Path(__file__).resolve().parents[2]

# Saves a workspace-sized payload through atomic_write, and hangs once half of it is written.
_SAVER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from workbench.workspace import atomic_write

    def writer(tmp):
        with open(tmp, "wb") as fh:
            fh.write(b"x" * 1_500_000)
            fh.flush()
            print("writing", flush=True)
            time.sleep(120)
            fh.write(b"y" * 1_500_000)

    atomic_write(Path(sys.argv[1]), writer)
""")


def _start_saver(target: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SAVER, str(target)],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=str(ROOT),
    )
    assert proc.stdout.readline().strip() == b"writing"
    return proc


def _temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stdout.close()


def test_a_save_killed_mid_write_leaves_a_temp_that_the_next_open_removes(tmp_path):
    target = tmp_path / "analysis.wbk"
    target.write_text('{"old": true}')
    proc = _start_saver(target)
    _kill(proc)
    (leftover,) = _temps(tmp_path)
    assert f"wbtmp-{proc.pid}-" in leftover and (tmp_path / leftover).stat().st_size == 1_500_000
    assert target.read_text() == '{"old": true}'  # the kill never damages the saved file
    try:
        load(target)  # opening the workspace is "the next start" for its folder
    except Exception:
        pass  # the fixture is not a real workspace; only the clean-up matters here
    assert _temps(tmp_path) == []


def test_a_running_save_is_left_alone_and_the_next_save_cleans_a_dead_one(tmp_path):
    target = tmp_path / "report.html"
    dead = _start_saver(target)
    _kill(dead)
    alive = _start_saver(target)  # its save already removed the dead one's temp...
    try:
        assert [f"wbtmp-{alive.pid}-" in n for n in _temps(tmp_path)] == [True]
        atomic_write(target, lambda tmp: tmp.write_bytes(b"<html></html>"))  # ...and ours keeps its live one
        remaining = _temps(tmp_path)
        assert remaining == [n for n in remaining if f"wbtmp-{alive.pid}-" in n] and len(remaining) == 1
        assert target.read_bytes() == b"<html></html>"
    finally:
        _kill(alive)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_only_our_names_are_removed(tmp_path):
    dead = _dead_pid()
    ours = tmp_path / f".data.csv.wbtmp-{dead}-abc123.tmp"
    mine = tmp_path / f".data.csv.wbtmp-{os.getpid()}-def456.tmp"  # this process: still writing it
    someone_elses = [
        tmp_path / "data.csv.tmp",
        tmp_path / f".data.csv.{dead}.tmp",
        tmp_path / "notes.tmp",
        tmp_path / f".other.wbtmp-{dead}.tmp",
    ]
    for p in [ours, mine, *someone_elses]:
        p.write_text("x")
    assert clean_atomic_temps(tmp_path) == [ours]
    assert all(p.exists() for p in [mine, *someone_elses])


def test_old_temps_count_as_abandoned_and_old_style_names_only_when_old_and_beside_their_target(tmp_path):
    mine = tmp_path / f".a.wbk.wbtmp-{os.getpid()}-x1.tmp"
    legacy = tmp_path / ".a.wbk.k3j_9zq1.tmp"
    orphan_legacy = tmp_path / ".gone.wbk.k3j_9zq1.tmp"  # its target does not exist: not provably ours
    (tmp_path / "a.wbk").write_text("{}")
    for p in (mine, legacy, orphan_legacy):
        p.write_text("x")
    assert clean_atomic_temps(tmp_path) == []  # all fresh
    later = time.time() + STALE_AFTER_S + 60
    assert sorted(clean_atomic_temps(tmp_path, now=later)) == sorted([mine, legacy])
    assert orphan_legacy.exists()


def test_target_name_limits_the_cleanup(tmp_path):
    dead = _dead_pid()
    a = tmp_path / f".a.wbk.wbtmp-{dead}-x.tmp"
    b = tmp_path / f".b.wbk.wbtmp-{dead}-x.tmp"
    a.write_text("x")
    b.write_text("x")
    assert clean_atomic_temps(tmp_path, "a.wbk") == [a]
    assert b.exists()


def test_autosave_temps_are_cleaned_at_app_start(tmp_path):
    dead = _dead_pid()
    leftover = tmp_path / f".untitled-s1.wbk.recovery.wbtmp-{dead}-q.tmp"
    leftover.write_text("x")
    assert clean_at_start(tmp_path) == [leftover]


@pytest.fixture
def spill(tmp_path):
    folder = tmp_path / "spill"
    folder.mkdir()
    return folder


def test_spill_files_of_dead_processes_are_removed_when_a_connection_opens(spill):
    dead = _dead_pid()
    theirs = [spill / f"duckdb_temp_{dead}_0_owner", spill / f"duckdb_temp_{dead}_0_storage_DEFAULT-0.tmp"]
    live = spill / f"duckdb_temp_{os.getpid()}_7_storage_S64K-0.tmp"
    unrelated = spill / "keep-me.tmp"
    for p in [*theirs, live, unrelated]:
        p.write_bytes(b"\0" * 1024)
    old = time.time() - 10 * STALE_AFTER_S  # age alone never condemns a spill file: the pid decides
    os.utime(live, (old, old))
    con = connect(EngineSettings(memory_limit="256MB", temp_directory=str(spill)))
    con.close()
    assert not any(p.exists() for p in theirs)
    assert live.exists() and unrelated.exists()


def test_a_reused_pid_does_not_protect_an_older_spill_file(spill):
    # The parent process is running, but it started after the file was written: the file is someone else's.
    import psutil

    stale = spill / f"duckdb_temp_{os.getppid()}_0_storage_DEFAULT-0.tmp"
    stale.write_bytes(b"\0")
    before = psutil.Process(os.getppid()).create_time() - 3600
    os.utime(stale, (before, before))
    assert clean_spill_files(spill) == [stale]


def test_console_spill_folders_of_dead_processes_are_removed(spill):
    dead = _dead_pid()
    theirs = spill / f"console-{dead}-abc_123"
    (theirs / "sub").mkdir(parents=True)
    (theirs / "sub" / "duckdb_temp_1_0_owner").write_text("")
    mine = spill / f"console-{os.getpid()}-xyz"
    mine.mkdir()
    lookalike = spill / f"console-{dead}-notes.txt"  # a file, not a folder of ours
    lookalike.write_text("keep")
    assert clean_spill_files(spill) == [theirs]
    assert mine.exists() and lookalike.exists()


def test_a_demo_write_removes_scratch_files_of_a_killed_one(tmp_path):
    from workbench import demo

    dead = _dead_pid()
    scratch = [tmp_path / f".{demo.EVENTS_FILE}.{dead}.tmp", tmp_path / f".{demo.EVENTS_FILE}.{dead}.part00003"]
    other = tmp_path / f".{demo.EVENTS_FILE}.{dead}.partial"  # not the scratch pattern
    for p in [*scratch, other]:
        p.write_bytes(b"\0" * 2048)
    demo.write_demo(tmp_path, rows=1000, users=100)
    assert not any(p.exists() for p in scratch)
    assert other.exists() and (tmp_path / demo.EVENTS_FILE).exists()
