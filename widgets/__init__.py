"""Workbench desktop UI (PySide6 + pyqtgraph). Imports ``workbench``; the engine never imports this."""
