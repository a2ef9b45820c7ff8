"""QueryRunner: runs engine calls off the GUI thread; the latest request per key wins.

Why it looks like this (see DESIGN.md §3):

* DuckDB 2.0 refuses concurrent use of one connection, so every task gets its own ``con.cursor()``,
  created and closed on the GUI thread, used only by its worker.
* ``cursor.interrupt()`` sent before ``execute`` starts is lost, so a cancelled task is interrupted again
  every ~50 ms until it reports back.
* Results travel back through a QObject that lives on the GUI thread (queued signal), and a result whose
  request id is no longer the current one for its key is dropped: a slow old query can never overwrite
  the answer to a newer one.
* A task's function receives a :class:`TaskContext` (its cursor, ``cancelled()`` / ``check()``,
  ``progress(fraction)``), so pure-Python work and file hashing stop on cancel too, and a cancelled open
  never adds its table (``Catalog.open(..., cancelled=ctx.cancelled)``).
* ``shutdown`` never closes the cursor of a task that is still running: that task's worker closes it
  when it ends.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from workbench.backend import ENGINE_ERRORS, Cursor, is_cancel, translate_error
from workbench.errors import QueryCancelled, WorkbenchError

log = logging.getLogger(__name__)

INTERRUPT_INTERVAL_MS = 50
PROGRESS_INTERVAL_MS = 100


class TaskContext:
    """What a task's function receives: its own cursor, a cancel flag and a progress reporter.

    ``cursor`` is used by this task only (DuckDB refuses one connection from two threads); long Python work
    calls ``check()`` (or tests ``cancelled()``) between steps, so Esc stops it as well as a query; and
    ``progress(fraction)`` reports how far pure-Python work got (queries report through the cursor).
    """

    __slots__ = ("key", "_cursor", "_cancel_event", "_fraction")

    def __init__(self, key: str, cursor: Cursor, cancel_event: threading.Event):
        self.key = key
        self._cursor = cursor
        self._cancel_event = cancel_event
        self._fraction: float | None = None

    @property
    def cursor(self) -> Cursor:
        return self._cursor

    def cancelled(self) -> bool:
        """Whether the task was cancelled or superseded (its result will be dropped)."""
        return self._cancel_event.is_set()

    def check(self) -> None:
        """Raise :class:`QueryCancelled` when the task was cancelled: a cheap checkpoint for Python loops."""
        if self._cancel_event.is_set():
            raise QueryCancelled("Cancelled")

    def progress(self, fraction: float) -> None:
        """Report progress of Python work as a fraction in [0, 1] (shown instead of the cursor's progress)."""
        self._fraction = min(1.0, max(0.0, float(fraction)))

    @property
    def reported_progress(self) -> float | None:
        return self._fraction

    def __getattr__(self, name: str):
        # Tasks used to receive the cursor itself: say what changed instead of a bare AttributeError.
        raise AttributeError(
            f"TaskContext has no attribute {name!r}: a task receives a context, run queries on ctx.cursor"
        )


@dataclass
class _Task:
    request_id: int
    key: str
    fn: Callable[[TaskContext], object]
    cursor: Cursor
    on_done: Callable[[object], None] | None = None
    on_error: Callable[[str], None] | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    started: threading.Event = field(default_factory=threading.Event)
    submitted_at: float = field(default_factory=time.perf_counter)
    last_progress: float | None = None
    # Shutdown hand-over: whoever comes second (worker finishing, or shutdown giving up on it) closes the cursor.
    lock: threading.Lock = field(default_factory=threading.Lock)
    worker_done: bool = False
    orphaned: bool = False
    context: TaskContext = field(init=False)

    def __post_init__(self) -> None:
        self.context = TaskContext(self.key, self.cursor, self.cancel_event)


class _Relay(QObject):
    """Lives on the GUI thread; workers emit through it so slots run on the GUI thread."""

    task_done = Signal(int, str, object)  # request_id, outcome ("ok" | "error" | "cancelled"), payload


class _Worker(QRunnable):
    def __init__(self, task: _Task, relay: _Relay):
        super().__init__()
        self.setAutoDelete(True)
        self._task = task
        self._relay = relay

    def run(self) -> None:  # worker thread
        task = self._task
        if task.cancel_event.is_set():
            self._report("cancelled", None)
            return
        task.started.set()
        try:
            result = task.fn(task.context)
        except QueryCancelled:
            self._report("cancelled", None)
            return
        except WorkbenchError as exc:
            outcome, payload = "error", _one_line(str(exc)) or type(exc).__name__
        except ENGINE_ERRORS as exc:  # a task that ran a query without translating its errors
            if is_cancel(exc):
                self._report("cancelled", None)
                return
            outcome, payload = "error", str(translate_error(exc))
        except MemoryError:
            outcome, payload = "error", "Out of memory: narrow the query (filters, a shorter range or a coarser grain)"
        except Exception as exc:  # a bug, not bad input: keep the app alive, log the traceback
            log.error("Query task %s failed:\n%s", task.key, traceback.format_exc())
            outcome, payload = "error", f"Internal error ({type(exc).__name__}): {_one_line(str(exc))}"
        else:
            outcome, payload = "ok", result
        if task.cancel_event.is_set():
            outcome, payload = "cancelled", None  # whatever it produced is stale now
        self._report(outcome, payload)

    def _report(self, outcome: str, payload: object) -> None:
        task = self._task
        with task.lock:
            task.worker_done = True
            orphaned = task.orphaned
        if orphaned:
            # The runner shut down while this task was still running and left its cursor to us: the cursor
            # is closed only now that nothing uses it, and nobody is listening for the result.
            QueryRunner._close_cursor(task)
            return
        try:
            self._relay.task_done.emit(task.request_id, outcome, payload)
        except RuntimeError:  # the runner (and its relay) were deleted meanwhile
            QueryRunner._close_cursor(task)


def _checked_first(check: Callable[[str], None], key: str, fn: Callable, cursor):
    check(key)
    return fn(cursor)


def _one_line(text: str) -> str:
    lines = [line.strip() for line in str(text).strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


class QueryRunner(QObject):
    """Run ``fn(context)`` on worker threads; per key, a newer submit supersedes the older one.

    Parameters
    ----------
    con : the engine connection; each task gets a fresh ``con.cursor()`` in its :class:`TaskContext`.
    parent : optional Qt parent.

    Signals
    -------
    result_ready(request_id, key, result), failed(request_id, key, message), cancelled(request_id, key),
    progress(key, percent) (-1 when unknown), busy_changed(busy),
    finished(request_id, key, seconds) (extra: emitted for every current request that ended, any outcome).
    """

    result_ready = Signal(int, str, object)
    failed = Signal(int, str, str)
    cancelled = Signal(int, str)
    progress = Signal(str, float)
    busy_changed = Signal(bool)
    finished = Signal(int, str, float)

    def __init__(
        self,
        con: Cursor,
        parent: QObject | None = None,
        max_threads: int = 4,
        before_task: Callable[[str], None] | None = None,
    ):
        super().__init__(parent)
        self._con = con
        # before_task(key) runs on the worker before each task; a WorkbenchError from it fails the task
        # (MainWindow re-checks that the open files were not replaced, see Catalog.check_unchanged).
        self._before_task = before_task
        self._ids = itertools.count(1)
        self._pool = QThreadPool(self)
        # Superseded tasks may still be winding down while their successor starts: allow a few at once.
        self._pool.setMaxThreadCount(max_threads)
        self._relay = _Relay(self)
        self._tasks: dict[int, _Task] = {}  # every task not yet reported back (current or superseded)
        self._current: dict[str, int] = {}  # key -> request id whose result will be delivered
        self._busy = False
        self._closed = False
        self._interrupt_timer = QTimer(self)
        self._interrupt_timer.setInterval(INTERRUPT_INTERVAL_MS)
        self._progress_timer = QTimer(self)
        self._progress_timer.setInterval(PROGRESS_INTERVAL_MS)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self._relay.task_done.connect(self._on_relay_task_done)
        self._interrupt_timer.timeout.connect(self._on_interrupt_timer_timeout)
        self._progress_timer.timeout.connect(self._on_progress_timer_timeout)

    # ------------------------------------------------------------------ public API
    def submit(
        self,
        key: str,
        fn: Callable[[TaskContext], object],
        on_done: Callable[[object], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        con: Cursor | None = None,
    ) -> int:
        """Run ``fn(context)`` on a worker thread; supersedes any pending request with the same key.

        Parameters
        ----------
        key : requests with the same key supersede each other (the latest wins).
        fn : called on a worker with a :class:`TaskContext`; queries run on ``context.cursor``.
        on_done, on_error : called on the GUI thread with the result (or the one-line message) when this
            request is still the current one for its key; stale, cancelled and superseded requests call neither.
        con : another database for the task's cursor (the SQL console's restricted one), so cancel and
            progress reach the cursor the query really runs on.

        Returns
        -------
        int : the request id, echoed by the signals.
        """
        if self._closed:  # late timers of closing panels: accept and drop silently
            return next(self._ids)
        previous = self._current.pop(key, None)
        if previous is not None:
            self._cancel_task(previous)
        request_id = next(self._ids)
        if self._before_task is not None:
            fn = functools.partial(_checked_first, self._before_task, key, fn)
        task = _Task(
            request_id=request_id,
            key=key,
            fn=fn,
            cursor=(self._con if con is None else con).cursor(),
            on_done=on_done,
            on_error=on_error,
        )
        self._tasks[request_id] = task
        self._current[key] = request_id
        self._pool.start(_Worker(task, self._relay))
        if not self._progress_timer.isActive():
            self._progress_timer.start()
        self._update_busy()
        return request_id

    def set_connection(self, con: Cursor) -> None:
        """Run later tasks on ``con`` (the window switching engine); running tasks keep the cursor they have."""
        self._con = con

    @property
    def connection(self) -> Cursor:
        return self._con

    def cancel(self, key: str | None = None) -> None:
        """Cancel the pending request for ``key`` (all keys when None); emits ``cancelled`` for each."""
        keys = list(self._current) if key is None else [key]
        for k in keys:
            request_id = self._current.pop(k, None)
            if request_id is None:
                continue
            self._cancel_task(request_id)
            self.cancelled.emit(request_id, k)
            self._emit_finished(request_id, k)
        self._update_busy()

    def discard(self, *prefixes: str) -> None:
        """Cancel, silently, every current request whose key starts with one of ``prefixes``.

        Like a supersede: no signal is emitted and no callback is called. A workspace being replaced uses
        this so that its late tasks (opening files) can neither deliver nor add tables to the new catalog.
        """
        for key in [k for k in self._current if k.startswith(prefixes)]:
            self._cancel_task(self._current.pop(key))
        self._update_busy()

    def is_busy(self, key: str | None = None) -> bool:
        """Whether a current (not superseded, not cancelled) request is pending for ``key`` (any key when None)."""
        return bool(self._current) if key is None else key in self._current

    def current_request(self, key: str) -> int | None:
        """The request id whose result will be delivered for ``key``, if any."""
        return self._current.get(key)

    def elapsed(self, key: str) -> float | None:
        """Seconds since the current request for ``key`` was submitted (None when idle)."""
        request_id = self._current.get(key)
        if request_id is None or request_id not in self._tasks:
            return None
        return time.perf_counter() - self._tasks[request_id].submitted_at

    def shutdown(self, timeout_ms: int = 5000) -> None:
        """Cancel everything and wait for the workers (call from ``closeEvent``).

        Later ``submit`` calls return an id but run nothing and emit nothing. A task still running when
        ``timeout_ms`` is up keeps its cursor: its worker closes it when it ends (closing a cursor under a
        running query from another thread is not safe).
        """
        self._closed = True
        self.cancel(None)
        deadline = time.perf_counter() + timeout_ms / 1000
        while self._tasks and time.perf_counter() < deadline:
            for task in list(self._tasks.values()):
                self._interrupt(task)
            if self._pool.waitForDone(INTERRUPT_INTERVAL_MS):
                break
        for request_id in list(self._tasks):
            task = self._tasks.pop(request_id)
            with task.lock:
                running = not task.worker_done
                task.orphaned = running
            if not running:
                self._close_cursor(task)
        self._interrupt_timer.stop()
        self._progress_timer.stop()

    # ------------------------------------------------------------------ internals
    def _cancel_task(self, request_id: int) -> None:
        task = self._tasks.get(request_id)
        if task is None:
            return
        task.cancel_event.set()
        self._interrupt(task)
        if not self._interrupt_timer.isActive():
            self._interrupt_timer.start()

    @staticmethod
    def _interrupt(task: _Task) -> None:
        try:
            task.cursor.interrupt()
        except Exception:  # a closed cursor: nothing left to stop
            pass

    def _emit_finished(self, request_id: int, key: str) -> None:
        task = self._tasks.get(request_id)
        if task is not None:
            self.finished.emit(request_id, key, time.perf_counter() - task.submitted_at)

    @Slot()
    def _on_interrupt_timer_timeout(self) -> None:
        pending = [t for t in self._tasks.values() if t.cancel_event.is_set()]
        for task in pending:
            self._interrupt(task)
        if not pending:
            self._interrupt_timer.stop()

    @Slot()
    def _on_progress_timer_timeout(self) -> None:
        if not self._current:
            self._progress_timer.stop()
            return
        for key, request_id in list(self._current.items()):
            task = self._tasks.get(request_id)
            if task is None or not task.started.is_set():
                continue
            fraction = task.context.reported_progress
            if fraction is not None:
                percent = 100.0 * fraction
            else:
                try:
                    percent = float(task.cursor.query_progress())
                except Exception:
                    percent = -1.0
            if percent != task.last_progress:
                task.last_progress = percent
                self.progress.emit(key, percent)

    @Slot(int, str, object)
    def _on_relay_task_done(self, request_id: int, outcome: str, payload: object) -> None:
        task = self._tasks.pop(request_id, None)
        if task is None:
            return
        self._close_cursor(task)
        if self._current.get(task.key) != request_id:
            return  # superseded or cancelled: the result is stale, drop it
        del self._current[task.key]
        seconds = time.perf_counter() - task.submitted_at
        if outcome == "ok":
            self._call(task.on_done, payload, task.key)
            self.result_ready.emit(request_id, task.key, payload)
        elif outcome == "error":
            self._call(task.on_error, str(payload), task.key)
            self.failed.emit(request_id, task.key, str(payload))
        else:  # interrupted without our asking (e.g. DuckDB itself); report it as a cancel
            self.cancelled.emit(request_id, task.key)
        self.finished.emit(request_id, task.key, seconds)
        self._update_busy()

    @staticmethod
    def _call(callback: Callable[[object], None] | None, value: object, key: str) -> None:
        if callback is None:
            return
        try:
            callback(value)
        except Exception:  # a bug in a panel's handler must not stop the other listeners
            log.error("Handler of task %s failed:\n%s", key, traceback.format_exc())

    @staticmethod
    def _close_cursor(task: _Task) -> None:
        try:
            task.cursor.close()
        except Exception:
            pass

    def _update_busy(self) -> None:
        busy = bool(self._current)
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)
