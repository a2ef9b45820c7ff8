"""QueryRunner: results arrive on the GUI thread, newer requests supersede older ones, cancel interrupts."""

from __future__ import annotations

import threading

from workbench.engine import run_query
from workbench.errors import SpecError

# Long enough to still be running when it is cancelled (seconds on this machine), cheap to interrupt.
LONG_SQL = "SELECT sum(a.range * b.range) FROM range(3000000) a, range(100000) b"


def _scalar(sql):
    return lambda ctx: ctx.cursor.execute(sql).fetchone()[0]


def test_result_ready_delivers_on_gui_thread(qtbot, runner):
    seen = {}

    def fn(ctx):
        seen["worker"] = threading.current_thread() is threading.main_thread()
        return run_query(ctx.cursor, "SELECT 42 AS answer").column("answer")

    with qtbot.waitSignal(runner.result_ready, timeout=10000) as blocker:
        rid = runner.submit("k", fn)
    assert blocker.args == [rid, "k", [42]]
    assert seen["worker"] is False
    assert not runner.is_busy()


def test_errors_become_failed_with_one_line(qtbot, runner):
    with qtbot.waitSignal(runner.failed, timeout=10000) as blocker:
        rid = runner.submit("k", lambda ctx: run_query(ctx.cursor, "SELECT * FROM no_such_table"))
    request_id, key, message = blocker.args
    assert (request_id, key) == (rid, "k")
    assert "no_such_table" in message and "\n" not in message

    def bad_spec(ctx):
        raise SpecError("Pick a measure first\n(details)")

    with qtbot.waitSignal(runner.failed, timeout=10000) as blocker:
        runner.submit("k", bad_spec)
    assert blocker.args[2] == "Pick a measure first"

    def bug(ctx):
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

    def slow_python(ctx):
        gate.wait(10)
        return "old"

    runner.submit("k", slow_python)
    with qtbot.waitSignal(runner.result_ready, timeout=10000):
        runner.submit("k", lambda ctx: "new")
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


# ---------------------------------------------------------------------------- task contexts
def test_task_context_callbacks_run_on_gui_thread_for_the_current_request_only(qtbot, runner):
    done, errors = [], []
    gate = threading.Event()

    def slow(ctx):
        gate.wait(10)
        return "old"

    runner.submit("k", slow, on_done=lambda r: done.append(("stale", r)))
    with qtbot.waitSignal(runner.result_ready, timeout=10000):
        runner.submit(
            "k",
            lambda ctx: ctx.cursor.execute("SELECT 5").fetchone()[0],
            on_done=lambda r: done.append((threading.current_thread() is threading.main_thread(), r)),
        )
    gate.set()
    qtbot.waitUntil(lambda: not runner._tasks, timeout=10000)
    assert done == [(True, 5)]
    with qtbot.waitSignal(runner.failed, timeout=10000):
        runner.submit("k", lambda ctx: ctx.cursor.execute("SELECT * FROM nowhere"), on_error=errors.append)
    assert len(errors) == 1 and "nowhere" in errors[0]


def test_python_work_checks_cancelled_and_stops(qtbot, runner):
    """Pure-Python work (no query to interrupt) stops at its next ``check()`` when cancelled."""
    steps, started = [], threading.Event()

    def loop(ctx):
        started.set()
        for i in range(2000):
            ctx.check()
            steps.append(i)
            ctx.progress(i / 2000)
            threading.Event().wait(0.005)
        return "finished"

    results = []
    runner.result_ready.connect(lambda *a: results.append(a))
    runner.submit("py", loop)
    assert started.wait(10)
    with qtbot.waitSignal(runner.cancelled, timeout=5000):
        runner.cancel("py")
    qtbot.waitUntil(lambda: not runner._tasks, timeout=5000)
    assert results == [] and len(steps) < 2000


def test_python_progress_is_reported(qtbot, runner):
    progress, gate = [], threading.Event()
    runner.progress.connect(lambda key, pct: progress.append((key, pct)))

    def work(ctx):
        ctx.progress(0.25)
        gate.wait(10)
        return None

    runner.submit("py", work)
    qtbot.waitUntil(lambda: ("py", 25.0) in progress, timeout=5000)
    gate.set()


def test_a_task_given_a_cursor_style_function_fails_with_a_clear_message(qtbot, runner):
    with qtbot.waitSignal(runner.failed, timeout=10000) as blocker:
        runner.submit("k", lambda cur: cur.execute("SELECT 1").fetchone())
    assert "ctx.cursor" in blocker.args[2]


def test_discard_cancels_matching_keys_silently(qtbot, runner):
    signals = []
    for sig in (runner.result_ready, runner.failed, runner.cancelled):
        sig.connect(lambda *a: signals.append(a))
    runner.submit("workspace.open", _scalar(LONG_SQL))
    runner.submit("workspace.reopen:events", _scalar(LONG_SQL))
    with qtbot.waitSignal(runner.result_ready, timeout=10000):
        runner.submit("other", _scalar("SELECT 3"))
    runner.discard("workspace.open", "workspace.reopen:")
    assert not runner.is_busy()
    qtbot.waitUntil(lambda: not runner._tasks, timeout=10000)
    assert [a[1] for a in signals] == ["other"]


# ---------------------------------------------------------------------------- shutdown ordering
def test_shutdown_leaves_the_cursor_of_a_still_running_task_to_its_worker(qtbot, qcon):
    """A task still running after shutdown's timeout keeps a working cursor; its worker closes it after."""
    from widgets.query_runner import QueryRunner

    runner = QueryRunner(qcon)
    started, release, after = threading.Event(), threading.Event(), {}
    cursors = []

    def stubborn(ctx):  # Python work that ignores cancellation for a while, then queries
        cursors.append(ctx.cursor)
        started.set()
        release.wait(10)
        try:
            after["value"] = ctx.cursor.execute("SELECT 11").fetchone()[0]
        except Exception as exc:  # noqa: BLE001 — what the race looked like: "connection already closed"
            after["error"] = repr(exc)
        return None

    runner.submit("k", stubborn)
    assert started.wait(10)
    runner.shutdown(timeout_ms=200)
    release.set()
    qtbot.waitUntil(lambda: "value" in after or "error" in after, timeout=10000)
    assert after == {"value": 11}

    # ... and the worker closed the cursor once the task was over.
    def closed():
        try:
            cursors[0].execute("SELECT 1")
        except Exception:  # noqa: BLE001
            return True
        return False

    qtbot.waitUntil(closed, timeout=10000)
