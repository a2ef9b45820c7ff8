"""Saved Explorer views (bookmarks) of the workspace, listed in the Data dock; a click restores one."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QToolButton

from widgets.icons import icon
from widgets.named_list import NamedItemList


def view_summary(view) -> str:
    """ "sum(reports) by country per day · country=BR · Last 30 days" for a SavedView."""
    spec = view.spec or {}
    measure = spec.get("measure") or {}
    agg, col, den = measure.get("agg", "count"), measure.get("column"), measure.get("denominator")
    label = "count(*)" if agg == "count" else (f"ratio({col}, {den})" if agg == "ratio" else f"{agg}({col})")
    parts = [f"{label}{' by ' + spec['breakdown'] if spec.get('breakdown') else ''} per {spec.get('grain', 'day')}"]
    filters = spec.get("filters") or []
    if filters:
        parts.append(f"{len(filters)} filter{'s' if len(filters) != 1 else ''}")
    rng = (view.chart or {}).get("range")
    if rng:
        parts.append(rng)
    return f"{spec.get('table', '?')}: " + " · ".join(parts)


class SavedViewsList(NamedItemList):
    """The bookmarks list.

    Signals
    -------
    view_activated(str name), save_requested(), delete_requested(str name).
    """

    view_activated = Signal(str)
    save_requested = Signal()

    def __init__(self, parent=None):
        self.add_button = QToolButton()
        self.add_button.setText("Save view")
        self.add_button.setIcon(icon("chart"))
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.add_button.setAutoRaise(True)
        self.add_button.setToolTip("Bookmark what the Explorer shows now (Ctrl+D)")
        super().__init__(
            "Saved views",
            "None yet: set up the Explorer, then Save view (Ctrl+D).",
            "Click a view to restore it in the Explorer",
            "Delete the selected saved view",
            header_buttons=(self.add_button,),
            parent=parent,
        )
        self.add_button.clicked.connect(self.save_requested)
        self.set_views([])
        # Never squeezed below the header and two lines by the dock's splitter.
        self.setMinimumHeight(self.add_button.sizeHint().height() + 2 * self.fontMetrics().height() + 24)

    def set_views(self, views) -> None:
        self._fill(
            [("chart", v.name, view_summary(v) + (f"\n{v.description}" if v.description else "")) for v in views]
        )

    def _activate(self, name: str) -> None:
        self.view_activated.emit(name)
