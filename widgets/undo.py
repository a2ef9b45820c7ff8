"""Undo / redo of Explorer changes (QUndoStack).

The Explorer announces every query it runs with ``spec_changed``; each announcement whose controls differ
from the last one becomes an undo step (before → after). Undoing sets the controls back, which makes the
Explorer run again and announce the restored spec; since that equals the state we just applied, it is not
recorded again. Steps are recorded after the Explorer's own debounce, so dragging through five grains
quickly is one step.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from workbench.errors import WorkbenchError
from workbench.panel_state import ExplorerState

log = logging.getLogger(__name__)


def describe(before: ExplorerState | None, after: ExplorerState) -> str:
    """A short label for the Edit menu ("Undo grain day → week")."""
    if before is None:
        return "Explorer change"
    a, b = before.spec.to_dict(), after.spec.to_dict()
    if a.get("table") != b.get("table"):
        return f"table {b.get('table')}"
    for key, label in (
        ("grain", "grain"),
        ("breakdown", "breakdown"),
        ("time_column", "time column"),
        ("compare", "comparison"),
        ("top_n", "top-N"),
    ):
        if a.get(key) != b.get(key):
            return f"{label} {a.get(key)} → {b.get(key)}"
    if a.get("measure") != b.get("measure"):
        return "measure"
    if a.get("filters") != b.get("filters"):
        return "filters"
    if before.range != after.range:
        return f"range {after.range}"
    return "Explorer change"


class _ExplorerCommand(QUndoCommand):
    def __init__(self, history: "ExplorerHistory", before: ExplorerState, after: ExplorerState):
        super().__init__(describe(before, after))
        self._history = history
        self._before = before
        self._after = after
        self._first = True  # pushed after the fact: the change is already on screen

    def redo(self) -> None:
        if self._first:
            self._first = False
            return
        self._history.apply(self._after)

    def undo(self) -> None:
        self._history.apply(self._before)


class ExplorerHistory(QObject):
    """Records Explorer states on a QUndoStack. ``stack.undo()`` / ``stack.redo()`` restore them.

    Signals
    -------
    error_occurred(str) when a state cannot be restored (its table was closed).
    """

    error_occurred = Signal(str)

    def __init__(self, explorer, parent=None):
        super().__init__(parent)
        self.explorer = explorer
        self.stack = QUndoStack(self)
        self.stack.setUndoLimit(200)
        self._current: ExplorerState | None = None
        explorer.spec_changed.connect(self._on_explorer_spec_changed)

    @property
    def current(self) -> ExplorerState | None:
        return self._current

    def clear(self) -> None:
        """Forget the history (new or opened workspace)."""
        self.stack.clear()
        self._current = None

    def apply(self, state: ExplorerState, *, zoom: bool = False) -> None:
        """Restore a state without recording it as a new step (``zoom``: also its saved zoom)."""
        self._current = state
        try:
            self.explorer.restore(state, zoom=zoom)
        except WorkbenchError as exc:
            self.error_occurred.emit(str(exc))

    def _on_explorer_spec_changed(self, spec) -> None:
        state = self.explorer.state(spec)
        if state is None:
            return
        if self._current is None:
            self._current = state
            return
        if state.key() == self._current.key():
            return
        before, self._current = self._current, state
        self.stack.push(_ExplorerCommand(self, before, state))
