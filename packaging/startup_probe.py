"""Opt-in start-up probe: ``WORKBENCH_STARTUP_PROBE=report.json workbench`` records when the main window was
shown and when the demo (or the given files) finished opening, then the resident memory once idle, writes
them as JSON and quits. Used by bench/bench_startup.py for both the bundle and ``python -m workbench``;
support can use it on a user's machine too. Without the variable nothing here is imported.

Environment:
    WORKBENCH_STARTUP_PROBE           where to write the JSON report (wall-clock ``time.time()`` stamps)
    WORKBENCH_STARTUP_PROBE_SOURCES   tables to wait for (default 2: the demo's events + experiment)
    WORKBENCH_STARTUP_PROBE_IDLE_MS   how long to stay idle before measuring memory (default 2000)
    WORKBENCH_STARTUP_PROBE_TIMEOUT_MS  give up (report an error) after this long (default 120000)
    WORKBENCH_STARTUP_PROBE_SHOTS     a folder: once idle, show each panel tab in turn and save the window
                                      as <panel>.png there (to look at what a build really renders)
"""

from __future__ import annotations

import json
import os
import time

_marks: dict[str, float] = {}


def install() -> None:
    """Wrap MainWindow so its first show and the opened tables are time-stamped (call before the GUI starts)."""
    _marks["probe_installed"] = time.time()
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    import widgets.main_window as main_window

    expected = int(os.environ.get("WORKBENCH_STARTUP_PROBE_SOURCES", "2"))
    idle_ms = int(os.environ.get("WORKBENCH_STARTUP_PROBE_IDLE_MS", "2000"))
    timeout_ms = int(os.environ.get("WORKBENCH_STARTUP_PROBE_TIMEOUT_MS", "120000"))
    original_init = main_window.MainWindow.__init__

    class ShowFilter(QObject):
        def eventFilter(self, obj, event):  # noqa: N802 (Qt API)
            if event.type() == QEvent.Type.Show and "window_shown" not in _marks:
                _marks["window_shown"] = time.time()
            return False

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        _marks["window_created"] = time.time()
        self._probe_filter = ShowFilter(self)
        self.installEventFilter(self._probe_filter)
        opened = []

        def on_opened(source):
            opened.append(source.name)
            if len(opened) == expected:
                _marks["sources_opened"] = time.time()
                QTimer.singleShot(0, lambda: _wait_idle(self, idle_ms))

        self.source_opened.connect(on_opened)
        self.open_failed.connect(lambda message: _finish(self, error=message))
        # Demo mode: writing the demo extract can fail before anything is opened (e.g. no usable cache dir).
        self.runner.failed.connect(lambda _id, key, message: key == "demo" and _finish(self, error=message))
        QTimer.singleShot(timeout_ms, lambda: _finish(self, error=f"timed out after {timeout_ms} ms"))

    def _wait_idle(window, remaining_ms):
        if window.runner.is_busy():  # panels still computing their first view
            QTimer.singleShot(50, lambda: _wait_idle(window, remaining_ms))
            return
        if "first_view_ready" not in _marks:
            _marks["first_view_ready"] = time.time()
        shots = os.environ.get("WORKBENCH_STARTUP_PROBE_SHOTS")
        if shots:
            QTimer.singleShot(remaining_ms, lambda: _screenshots(window, shots, list(window.panels)))
        else:
            QTimer.singleShot(remaining_ms, lambda: _finish(window))

    def _screenshots(window, folder, titles):
        if not titles:
            _finish(window)
            return
        title = titles[0]
        window.show_panel(title)

        def grab():
            if window.runner.is_busy():  # the panel is still computing its view
                QTimer.singleShot(100, grab)
                return
            os.makedirs(folder, exist_ok=True)
            window.grab().save(os.path.join(folder, f"{title.lower().replace(' ', '_')}.png"))
            _marks[f"shot_{title}"] = time.time()
            _screenshots(window, folder, titles[1:])

        QTimer.singleShot(1500, grab)

    def _finish(window, error: str | None = None):
        if "finished" in _marks:
            return
        _marks["finished"] = time.time()
        report = {"marks": dict(_marks), "error": error, "pid": os.getpid()}
        try:
            import resource

            import psutil

            report["rss_idle_bytes"] = psutil.Process().memory_info().rss
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
            report["peak_rss_bytes"] = max(peak, report["rss_idle_bytes"])
        except Exception as exc:  # psutil/resource missing (Windows): report the rest
            report["memory_error"] = str(exc)
        with open(os.environ["WORKBENCH_STARTUP_PROBE"], "w") as f:
            json.dump(report, f)
        window.close()
        QApplication.quit()

    main_window.MainWindow.__init__ = init
