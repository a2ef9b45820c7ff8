"""The questions the workspace controller asks (open/save paths, recover, save changes, names, relocate,
report). The controller calls them through its ``ask_*`` attributes, so tests and scripts can answer
instead."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox

from widgets.report_dialog import ReportDialog, ReportRequest

WBK_FILTER = "Workbench workspace (*.wbk);;All files (*)"
DATA_FILTER = "Data files (*.parquet *.parq *.pq *.csv *.tsv *.csv.gz);;All files (*)"


class WorkspaceDialogs:
    """Modal dialogs over ``ctl.window``, reading the current workspace from ``ctl.ws``."""

    def __init__(self, ctl):
        self.ctl = ctl

    @property
    def _window(self):
        return self.ctl.window

    def open_path(self) -> str | None:
        settings = self.ctl.settings
        start = str(settings.value("recent/workspace_dir", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self._window, "Open workspace", start, WBK_FILTER)
        if path:
            settings.setValue("recent/workspace_dir", str(Path(path).parent))
        return path or None

    def save_path(self) -> str | None:
        settings, ws = self.ctl.settings, self.ctl.ws
        start = str(settings.value("recent/workspace_dir", str(Path.home())))
        name = ws.name if ws.name != "Untitled" else "analysis"
        path, _ = QFileDialog.getSaveFileName(
            self._window, "Save workspace", str(Path(start) / f"{name}.wbk"), WBK_FILTER
        )
        if path:
            settings.setValue("recent/workspace_dir", str(Path(path).parent))
        return path or None

    def recover(self, recovery) -> bool:
        answer = QMessageBox.question(
            self._window,
            "Recover unsaved changes?",
            f"{recovery.workspace_path.name if recovery.workspace_path else 'This workspace'} has changes that were "
            f"autosaved {when(recovery.written_at)} but never saved (Workbench did not close cleanly).\n\n"
            "Recover them? (No discards the autosave.)",
        )
        return answer == QMessageBox.StandardButton.Yes

    def pick_recovery(self, recs: list):
        """Which of several autosaves to recover; None when cancelled."""
        labels = [
            f"{r.workspace_path.name if r.workspace_path else 'Untitled'} — autosaved {when(r.written_at)}"
            for r in recs
        ]
        label, ok = QInputDialog.getItem(self._window, "Recover unsaved workspace", "Which one?", labels, 0, False)
        return recs[labels.index(label)] if ok else None

    def save_changes(self) -> str:
        box = QMessageBox(self._window)
        box.setWindowTitle("Save changes?")
        box.setText(f"Save the changes to workspace “{self.ctl.ws.name}”?")
        box.setInformativeText("Your saved views, notes and annotations are lost if you don't save them.")
        box.setStandardButtons(
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(
            QMessageBox.StandardButton(answer), "cancel"
        )

    def _text(self, title: str, label: str, default: str) -> str | None:
        text, ok = QInputDialog.getText(self._window, title, label, text=default)
        return text.strip() if ok and text.strip() else None

    def result_name(self, default: str) -> str | None:
        return self._text("Add to report", "Name in the evidence report:", default)

    def rename_result(self, name: str) -> str | None:
        return self._text("Rename result", "New name in the evidence report:", name)

    def view_name(self, default: str) -> str | None:
        return self._text("Save view", "Name of this view:", default)

    def relocate(self, name: str, folder: bool) -> str | None:
        ws = self.ctl.ws
        start = str(Path(ws.path).parent) if ws.path else str(Path.home())
        if folder:
            path = QFileDialog.getExistingDirectory(self._window, f"Where are the files of {name} now?", start)
        else:
            path, _ = QFileDialog.getOpenFileName(self._window, f"Where is {name} now?", start, DATA_FILTER)
        return path or None

    def report(self, views) -> ReportRequest | None:
        ws = self.ctl.ws
        base = Path(ws.path).parent if ws.path else Path.home()
        default = str(base / f"{ws.name}-evidence.html")
        dialog = ReportDialog(
            views,
            f"Evidence report — {ws.name}",
            default,
            ws.settings.suppression_k,
            self._window,
            results=ws.saved_results,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.request()


def when(iso: str) -> str:
    """An autosave's time as a person says it: "at 14:05" today, else "on 2026-12-01 14:05"."""
    try:
        t = dt.datetime.fromisoformat(iso).astimezone()
    except (TypeError, ValueError):
        return "earlier"
    today = dt.datetime.now().astimezone().date()
    return f"at {t:%H:%M}" if t.date() == today else f"on {t:%Y-%m-%d %H:%M}"
