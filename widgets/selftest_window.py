"""The window step of ``workbench --self-test``: the real main window, offscreen, checked for a picture.

Kept in ``widgets`` because it drives Qt; ``workbench.cli.selftest`` imports it by name.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, qInstallMessageHandler

from widgets.app import create_application
from widgets.main_window import MainWindow
from workbench.engine import EngineSettings, connect


def render_and_check(
    groups: list[list[str]],
    root: Path,
    size: tuple[int, int],
    timeout_ms: int,
    min_colours: int,
    min_non_background: float,
    qt_messages: list[str],
) -> str:
    """Open ``groups`` of files in a real MainWindow (offscreen), wait until its queries are done, and check
    the picture is not blank. Returns a summary and collects Qt's messages in ``qt_messages`` (kept for the
    verbose report even when a check fails); raises AssertionError on any failure."""
    # Qt's platform warnings ("This plugin does not support propagateSizeHints()") are noise here; keep
    # them for the verbose report instead of printing them between the summary lines.
    previous_handler = qInstallMessageHandler(lambda mode, context, message: qt_messages.append(message))
    app = create_application()
    errors = _ErrorLog()
    logging.getLogger().addHandler(errors)
    spill = root / "spill-gui"
    spill.mkdir()
    con = connect(EngineSettings(memory_limit="512MB", temp_directory=str(spill)))
    settings = QSettings(str(root / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(con=con, settings=settings)
    try:
        window.resize(*size)
        window.show()
        window.open_paths(groups, grouped=True)
        clock = QElapsedTimer()
        clock.start()
        # Let panels react to the opened tables (their queries run on worker threads), then settle.
        while clock.elapsed() < timeout_ms and (len(window.catalog.sources) < len(groups) or window.runner.is_busy()):
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            _check_banner(window)
        if window.runner.is_busy() or len(window.catalog.sources) < len(groups):
            raise AssertionError(f"the window did not finish opening the demo within {timeout_ms // 1000} s")
        for _ in range(5):
            app.processEvents()
        _check_banner(window)
        if errors.messages:  # e.g. "Panel Experiments failed to start": the window hides it, we must not
            raise AssertionError(errors.messages[0])
        image = window.grab().toImage()
        if os.environ.get("WORKBENCH_SELFTEST_SCREENSHOT"):  # for a person checking what was rendered
            image.save(os.environ["WORKBENCH_SELFTEST_SCREENSHOT"])
        colours, share = picture_stats(image)
        if colours < min_colours or share < min_non_background:
            raise AssertionError(f"the window looks blank ({colours} colours, {share:.1%} non-background pixels)")
        return f"{image.width()}x{image.height()} rendered, {len(window.panels)} panels, {colours} colours"
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()
        con.close()
        qInstallMessageHandler(previous_handler)
        logging.getLogger().removeHandler(errors)


class _ErrorLog(logging.Handler):
    """Collects ERROR records (a panel that failed to start, a query task that crashed) without printing."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage().strip().splitlines()[0]
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            message += f": {type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
        self.messages.append(message)


def _check_banner(window) -> None:
    banner = window.banner
    level = banner.level() if callable(banner.level) else banner.level
    if banner.isVisible() and level == "error":
        text = banner.text() if callable(banner.text) else banner.text
        raise AssertionError(f"the window shows an error: {text}")


def picture_stats(image) -> tuple[int, float]:
    """Distinct colours in a sample of the picture, and the share of sampled pixels unlike the most common one."""
    from collections import Counter

    step = max(1, min(image.width(), image.height()) // 150)
    counts = Counter(image.pixel(x, y) for y in range(0, image.height(), step) for x in range(0, image.width(), step))
    total = sum(counts.values())
    if not total:
        return 0, 0.0
    return len(counts), 1.0 - counts.most_common(1)[0][1] / total
