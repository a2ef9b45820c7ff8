"""Desktop entry point: ``main(paths, demo)`` starts the QApplication and shows the MainWindow."""

from __future__ import annotations

import logging
import os
import sys
import traceback

log = logging.getLogger(__name__)


def ensure_utf8_locale() -> None:
    """Qt and Python misbehave under LANG=C/POSIX (ASCII file names, warnings): prefer C.UTF-8."""
    lang = os.environ.get("LC_ALL") or os.environ.get("LC_CTYPE") or os.environ.get("LANG") or ""
    if not lang or lang in ("C", "POSIX") or "utf" not in lang.lower().replace("-", ""):
        os.environ["LC_ALL"] = "C.UTF-8"
        os.environ["LANG"] = "C.UTF-8"


def install_excepthook(get_window) -> None:
    """Show unexpected exceptions in the window's banner instead of letting Qt abort the process."""
    previous = sys.excepthook

    def hook(exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            previous(exc_type, exc, tb)
            return
        log.error("Unhandled exception:\n%s", "".join(traceback.format_exception(exc_type, exc, tb)))
        from workbench.errors import WorkbenchError

        window = get_window()
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else exc_type.__name__
        text = message if issubclass(exc_type, WorkbenchError) else f"Internal error ({exc_type.__name__}): {message}"
        try:
            if window is not None:
                window.show_error(text)
            else:
                print(f"workbench: {text}", file=sys.stderr)
        except Exception:
            previous(exc_type, exc, tb)

    sys.excepthook = hook


def create_application(argv: list[str] | None = None):
    """The QApplication with our names, theme and icon (re-used when one exists, e.g. under pytest-qt)."""
    ensure_utf8_locale()
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("Workbench")
    app.setOrganizationName("Workbench")
    app.setApplicationDisplayName("Workbench")
    try:
        app.setDesktopFileName("workbench")
    except AttributeError:
        pass
    from widgets import theme
    from widgets.icons import icon

    theme.apply_theme(app)
    app.setFont(theme.default_font())
    app.setWindowIcon(icon("workbench"))
    return app


def main(paths: list[str] | None = None, demo: bool = False) -> int:
    """Start the GUI; open ``paths``, or the demo extract (written to the cache dir on first use) when ``demo``.

    Returns
    -------
    int : the Qt event loop's exit code.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from workbench import netguard

    netguard.install()  # also when started as `python -m widgets.app`, not only through the CLI
    app = create_application()
    from widgets import theme
    from widgets.main_window import MainWindow

    holder: dict = {}
    install_excepthook(lambda: holder.get("window"))
    _clean_temp_files()
    try:
        window = MainWindow()
    except Exception as exc:  # e.g. the temp dir is not writable: say so rather than crash silently
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, "Workbench cannot start", str(exc))
        return 1
    holder["window"] = window
    theme.follow_system_scheme(app, window.refresh_theme)
    window.show()
    if paths:
        window.open_paths(list(paths))
    elif demo:
        window.open_demo()
    return app.exec()


def _clean_temp_files() -> None:
    """Remove autosave temps that a killed earlier session left (never fatal: a start must not fail on it)."""
    from workbench.temp_files import clean_at_start

    try:
        removed = clean_at_start()
    except Exception:
        log.exception("Cleaning stale temp files failed")
        return
    if removed:
        log.info("Removed %d temp file(s) left by a killed session", len(removed))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:], demo=len(sys.argv) == 1))
