"""The workspace's actions and menus: File ▸ New / Open / Recent / Save / Save As / Recover / Export /
Evidence report / Settings, the Edit menu (undo, redo, save view), View ▸ Notes and Audit."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

RECENT_LIMIT = 10
EXPORT_FORMATS = (
    ("csv", "Table as &CSV…"),
    ("parquet", "Table as &Parquet…"),
    ("xlsx", "Table as &Excel…"),
    ("png", "Chart as P&NG…"),
    ("svg", "Chart as &SVG…"),
)


class WorkspaceMenus:
    """Creates the actions on ``ctl.window`` and puts them in its menus; ``connect()`` wires them to ``ctl``."""

    def __init__(self, ctl):
        self.ctl = ctl
        self._build_actions()
        self._build_menus()

    def _build_actions(self) -> None:
        w, ctl = self.ctl.window, self.ctl
        self.action_new = QAction("&New Workspace", w)
        self.action_new.setShortcut(QKeySequence.StandardKey.New)
        self.action_open = QAction("Open &Workspace…", w)
        self.action_open.setShortcut(QKeySequence("Ctrl+Alt+O"))
        self.action_save = QAction("&Save Workspace", w)
        self.action_save.setShortcut(QKeySequence.StandardKey.Save)
        self.action_save_as = QAction("Save Workspace &As…", w)
        self.action_save_as.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.action_recover = QAction("Recover &Unsaved Workspace…", w)
        self.action_recover.setVisible(False)
        self.action_settings = QAction("Workspace Se&ttings…", w)
        self.action_report = QAction("Export Evidence &Report…", w)
        self.action_report.setShortcut(QKeySequence("Ctrl+Shift+E"))
        self.export_actions: dict[str, QAction] = {fmt: QAction(label, w) for fmt, label in EXPORT_FORMATS}
        self.action_save_view = QAction("Save &View…", w)
        self.action_save_view.setShortcut(QKeySequence("Ctrl+D"))
        self.action_notes = ctl.notes_dock.toggleViewAction()
        self.action_notes.setText("&Notes")
        self.action_notes.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.action_audit = QAction("Audit", w)
        if ctl.history is not None:
            self.action_undo = ctl.history.stack.createUndoAction(w, "&Undo")
            self.action_undo.setShortcuts([QKeySequence("Ctrl+Z")])
            self.action_redo = ctl.history.stack.createRedoAction(w, "&Redo")
            self.action_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        else:
            self.action_undo = self.action_redo = None

    def _build_menus(self) -> None:
        w = self.ctl.window
        fm: QMenu = w.file_menu
        first = fm.actions()[0] if fm.actions() else None
        self.recent_ws_menu = QMenu("Recent &Workspaces", fm)
        for item in (
            self.action_new,
            self.action_open,
            self.recent_ws_menu.menuAction(),
            self.action_save,
            self.action_save_as,
            self.action_recover,
        ):
            fm.insertAction(first, item)
        fm.insertSeparator(first)
        anchor = getattr(w, "workspace_separator", None)
        self.export_menu = QMenu("&Export", fm)
        for fmt in ("csv", "parquet", "xlsx"):
            self.export_menu.addAction(self.export_actions[fmt])
        self.export_menu.addSeparator()
        for fmt in ("png", "svg"):
            self.export_menu.addAction(self.export_actions[fmt])
        for item in (self.export_menu.menuAction(), self.action_report, self.action_settings):
            fm.insertAction(anchor, item)
        self.edit_menu = QMenu("&Edit", w.menuBar())
        if self.action_undo is not None:
            self.edit_menu.addAction(self.action_undo)
            self.edit_menu.addAction(self.action_redo)
            self.edit_menu.addSeparator()
        self.edit_menu.addAction(self.action_save_view)
        view_menu = getattr(w, "view_menu", None)
        w.menuBar().insertMenu(view_menu.menuAction() if view_menu else None, self.edit_menu)
        if view_menu is not None:
            actions = view_menu.actions()
            view_menu.insertAction(actions[1] if len(actions) > 1 else None, self.action_notes)
            theme_i = next((i for i, a in enumerate(actions) if a.menu() is not None), None)
            before = actions[theme_i - 1] if theme_i else None
            self.action_audit.setShortcut(QKeySequence(f"Ctrl+{len(w.panels)}"))
            view_menu.insertAction(before, self.action_audit)

    def connect(self) -> None:
        ctl = self.ctl
        self.action_new.triggered.connect(ctl.new_workspace)
        self.action_open.triggered.connect(lambda: ctl.open_workspace())
        self.action_save.triggered.connect(ctl.save)
        self.action_save_as.triggered.connect(ctl.save_as)
        self.action_recover.triggered.connect(ctl.recover_unsaved)
        self.action_settings.triggered.connect(ctl.edit_settings)
        self.action_report.triggered.connect(ctl.export_report_interactive)
        self.action_save_view.triggered.connect(ctl.save_view_interactive)
        self.action_audit.triggered.connect(lambda: ctl.window.show_panel("Audit"))
        for fmt, action in self.export_actions.items():
            action.triggered.connect(lambda _=False, f=fmt: ctl.reports.export(f))
        self.recent_ws_menu.aboutToShow.connect(self.rebuild_recent_menu)

    # ------------------------------------------------------------------ recent workspaces
    def recent_workspaces(self) -> list[str]:
        try:
            items = json.loads(str(self.ctl.settings.value("recent/workspaces", "[]")))
        except (ValueError, TypeError):
            return []
        return [str(i) for i in items if isinstance(i, str)]

    def add_recent(self, path: Path) -> None:
        entry = str(Path(path).resolve())
        items = [i for i in self.recent_workspaces() if i != entry]
        self.ctl.settings.setValue("recent/workspaces", json.dumps(([entry] + items)[:RECENT_LIMIT]))

    def rebuild_recent_menu(self) -> None:
        menu = self.recent_ws_menu
        menu.clear()
        items = self.recent_workspaces()
        if not items:
            menu.addAction("No recent workspaces").setEnabled(False)
            return
        for i, path in enumerate(items):
            action = menu.addAction(f"&{i + 1}  {Path(path).name}" if i < 9 else Path(path).name)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _=False, p=path: self.ctl.open_workspace(p))
        menu.addSeparator()
        menu.addAction("Clear Recent", lambda: self.ctl.settings.setValue("recent/workspaces", "[]"))
