"""QueryRunner: results arrive on the GUI thread, newer requests supersede older ones, cancel interrupts."""

from __future__ import annotations

import threading

from workbench.engine import run_query
from workbench.errors import SpecError

# Long enough to still be running when it is cancelled (seconds on this machine), cheap to interrupt.
LONG_SQL = "SELECT sum(a.range * b.range) FROM range(3000000) a, range(100000) b"


def _scalar(sql):
    return lambda cur: cur.execute(sql).fetchone()[0]


def test_result_ready_delivers_on_gui_thread(qtbot, runner):
    seen = {}

    def fn(cur):
        seen["worker"] = threading.current_thread() is threading.main_thread()
        return run_query(cur, "SELECT 42 AS answer").column("answer")

    with qtbot.waitSignal(runner.result_ready, timeout=10000) as blocker:
        rid = runner.submit("k", fn)
    assert blocker.args == [rid, "k", [42]]
    assert seen["worker"] is False
    assert not runner.is_busy()


def test_errors_become_failed_with_one_line(qtbot, runner):
    with qtbot.waitSignal(runner.failed, timeout=10000) as blocker:
        rid = runner.submit("k", lambda cur: run_query(cur, "SELECT * FROM no_such_table"))
    request_id, key, message = blocker.args
    assert (request_id, key) == (rid, "k")
    assert "no_such_table" in message and "\n" not in message

    def bad_spec(cur):
        raise SpecError("Pick a measure first\n(details)")

    with qtbot.waitSignal(runner.failed, timeout=10000) as blocker:
        runner.submit("k", bad_spec)
    assert blocker.args[2] == "Pick a measure first"

    def bug(cur):
        raise ZeroDivisionError("boom")

    with qtbot.waitSignal(runner.failed, timeout=10000) as blocker:
        runner.submit("k", bug)
    assert "ZeroDivisionError" in blocker.args[2]


def test_cancel_interrupts_a_long_query(qtbot, runner):
    results = []
    runner.result_ready.connect(lambda *a: results.append(a))
    with qtbot.waitSignal(runner.busy_changed, timeout=5000) as busy:
        rid = runner.submit("long", _scalar(LONG_SQL))
    assert busy.args == [True]
    assert runner.is_busy("long")
    with qtbot.waitSignal(runner.cancelled, timeout=5000) as blocker:
        runner.cancel("long")
    assert blocker.args == [rid, "long"]
    assert not runner.is_busy()
    # The worker really stops (interrupted, not left running in the background).
    qtbot.waitUntil(lambda: not runner._tasks, timeout=10000)
    assert results == []


def test_newer_request_supersedes_and_stale_result_is_dropped(qtbot, runner):
    results, cancelled = [], []
    runner.result_ready.connect(lambda rid, key, res: results.append((rid, key, res)))
    runner.cancelled.connect(lambda rid, key: cancelled.append(rid))
    first = runner.submit("chart", _scalar(LONG_SQL))
    with qtbot.waitSignal(runner.result_ready, timeout=10000):
        second = runner.submit("chart", _scalar("SELECT 7"))
    assert results == [(second, "chart", 7)]
    qtbot.waitUntil(lambda: not runner._tasks, timeout=10000)  # the first was interrupted, not finished
    assert first not in [r[0] for r in results]
    assert cancelled == []  # superseding is silent; the newer request's signals tell the story


def test_stale_fast_result_dropped_when_superseded_before_delivery(qtbot, runner):
    gate = threading.Event()
    results = []
    runner.result_ready.connect(lambda rid, key, res: results.append(res))

    def slow_python(cur):
        gate.wait(10)
        return "old"

    runner.submit("k", slow_python)
    with qtbot.waitSignal(runner.result_ready, timeout=10000):
        runner.submit("k", lambda cur: "new")
    gate.set()
    qtbot.waitUntil(lambda: not runner._tasks, timeout=10000)
    assert results == ["new"]


def test_keys_are_independent(qtbot, runner):
    results = {}
    runner.result_ready.connect(lambda rid, key, res: results.__setitem__(key, res))
    runner.submit("a", _scalar("SELECT 1"))
    runner.submit("b", _scalar("SELECT 2"))
    qtbot.waitUntil(lambda: len(results) == 2, timeout=10000)
    assert results == {"a": 1, "b": 2}


def test_cancel_all_and_shutdown(qtbot, runner):
    runner.submit("a", _scalar(LONG_SQL))
    runner.submit("b", _scalar(LONG_SQL))
    with qtbot.waitSignal(runner.busy_changed, timeout=5000, check_params_cb=lambda b: b is False):
        runner.cancel()
    runner.shutdown()
    assert not runner._tasks
    runner.submit("a", _scalar("SELECT 1"))  # after shutdown: accepted, never run
    assert not runner._tasks and not runner.is_busy()


def test_progress_reported_while_running(qtbot, runner):
    progress = []
    runner.progress.connect(lambda key, pct: progress.append((key, pct)))
    runner.submit("p", _scalar(LONG_SQL))
    qtbot.waitUntil(lambda: bool(progress), timeout=10000)
    runner.cancel("p")
    assert progress[0][0] == "p"
    assert -1.0 <= progress[0][1] <= 100.0
