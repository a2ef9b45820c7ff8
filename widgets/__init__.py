"""Workbench desktop UI (PySide6 + pyqtgraph). Imports ``workbench``; the engine never imports this."""

from widgets import _pyside_compat  # noqa: F401  (must run before any signal is emitted; see module doc)
