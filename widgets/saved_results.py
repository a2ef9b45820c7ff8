"""Anomaly and experiment results kept for the evidence report ("Add to report"), listed in the Data dock
under the saved views: a click opens the result's panel with its settings; right-click renames or deletes."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import QMenu

from widgets.icons import icon
from widgets.named_list import NamedItemList
from widgets.report_items import result_summary

KIND_TEXT = {
    "anomaly": "Anomalies",
    "experiment": "Experiments",
    "impact": "Impact",
    "reconcile": "Reconcile",
    "checks": "Checks",
}


class SavedResultsList(NamedItemList):
    """The report results list.

    Signals
    -------
    result_activated(str name), rename_requested(str name), delete_requested(str name).
    """

    result_activated = Signal(str)
    rename_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(
            "Report results",
            "None yet: Add to report in the Anomalies or Experiments panel keeps a result here "
            "for File ▸ Export Evidence Report.",
            "Click a result to open its panel with its settings; right-click to rename or delete",
            "Delete the selected result",
            parent=parent,
        )
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._on_list_context_menu_requested)
        self.set_results([])

    def set_results(self, results) -> None:
        """``results``: the workspace's saved_results ({"name", "kind", "recipe", "description", ...})."""
        entries = []
        for r in results:
            kind = r.get("kind")
            tip = f"{r.get('name')}\n{KIND_TEXT.get(kind, kind)} panel · {result_summary(r)}"  # the name may be elided
            if r.get("created"):
                tip += f"\nadded {r['created']}"
            if r.get("description"):
                tip += f"\n{r['description']}"
            entries.append(("warning" if kind == "anomaly" else "compare", r.get("name", "?"), tip))
        self._fill(entries)
        # Up to three results visible without scrolling; the dock's splitter may not squeeze them further.
        rows = self.list.sizeHintForRow(0) if results else self.fontMetrics().height()
        self.setMinimumHeight(self.delete_button.sizeHint().height() + max(2, min(len(results), 3)) * rows + 28)

    def context_menu(self, name: str) -> QMenu:
        """The right-click menu of one result (Open, Rename…, Delete); built separately so tests can trigger
        its actions without a modal popup."""
        menu = QMenu(self)
        menu.addAction("Open in its panel", lambda: self.result_activated.emit(name))
        menu.addAction("Rename…", lambda: self.rename_requested.emit(name))
        menu.addSeparator()
        menu.addAction(icon("close"), "Delete", lambda: self.delete_requested.emit(name))
        return menu

    def _activate(self, name: str) -> None:
        self.result_activated.emit(name)

    def _on_list_context_menu_requested(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        self.list.setCurrentItem(item)
        menu = self.context_menu(item.data(Qt.ItemDataRole.UserRole))
        menu.exec(self.list.viewport().mapToGlobal(pos))
        menu.deleteLater()
