"""Personal-data guard for result grids: flagged columns are masked (•••) until revealed with a reason.

Flags come from :func:`workbench.privacy.detect_pii` (run on a worker thread when a source opens; the name
rule is applied at once so nothing shows unmasked while the sample is read). A grid is registered with a
function that says which of its columns hold which source column; e.g. the Explorer's ``series`` column
holds the breakdown column's values, and a SQL console column is flagged when a flagged column of any open
table has its name. Revealing asks for a reason, which goes to the audit log; the reveal lasts for the
session only.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QLineEdit

# {grid column: (source, source column, kind)}
ColumnMap = dict[str, tuple[str, str, str]]


class PiiMasker(QObject):
    """Holds the flags and the session's reveals; keeps registered grids masked.

    Signals
    -------
    revealed(str source, str column, str reason) — the caller writes it to the audit log.
    flags_changed()
    """

    revealed = Signal(str, str, str)
    flags_changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.flags: dict[str, dict[str, dict]] = {}  # {source: {column: {"kind", "masked", "reason"}}}
        self.enabled = True
        self._revealed: set[tuple[str, str]] = set()
        self._reasons: dict[tuple[str, str], str] = {}  # why each revealed column was revealed (for copies)
        self._grids: list[tuple[object, Callable[[list[str]], ColumnMap]]] = []
        # Tests (and scripted runs) replace this: (candidates [(label, source, column)]) -> (index, reason) | None
        self.ask_reveal: Callable[[list[tuple[str, str, str]]], tuple[int, str] | None] = self._ask_reveal_dialog

    # ------------------------------------------------------------------ flags
    def set_flags(self, flags: dict) -> None:
        """Replace all flags (opening a workspace: its recorded detection and overrides)."""
        self.flags = {s: {c: dict(v) for c, v in cols.items()} for s, cols in (flags or {}).items()}
        self._revealed.clear()
        self.refresh()

    def flag_by_name(self, source) -> None:
        """Flag columns whose names look personal, before the value sample has been read."""
        from workbench.privacy import pii_kind_from_name

        cols = self.flags.setdefault(source.name, {})
        for c in source.columns:
            kind = pii_kind_from_name(c.name)
            if kind and c.name not in cols:
                cols[c.name] = {"kind": kind, "masked": True, "reason": f"column name suggests {kind}"}
        self.refresh()

    def set_findings(self, source: str, findings) -> None:
        """Detection results for one source; keeps the user's earlier decisions (``masked``) per column."""
        old = self.flags.get(source, {})
        new = {}
        for f in findings:
            masked = old.get(f.column, {}).get("masked", True)
            new[f.column] = {"kind": f.kind, "masked": masked, "reason": f.reason}
        self.flags[source] = new
        self.refresh()

    def forget(self, source: str) -> None:
        self.flags.pop(source, None)
        self.refresh()

    def kind(self, source: str, column: str) -> str | None:
        info = self.flags.get(source, {}).get(column)
        return info.get("kind") if info else None

    def is_masked(self, source: str, column: str) -> bool:
        info = self.flags.get(source, {}).get(column)
        return bool(self.enabled and info and info.get("masked", True) and (source, column) not in self._revealed)

    def flagged_by_name(self) -> dict[str, tuple[str, str]]:
        """{column name: (source, kind)} over every open source (for grids whose lineage is unknown)."""
        out = {}
        for source, cols in self.flags.items():
            for col, info in cols.items():
                out.setdefault(col, (source, info.get("kind", "")))
        return out

    # ------------------------------------------------------------------ grids
    def register(self, view, column_map: Callable[[list[str]], ColumnMap]) -> None:
        """Keep ``view`` (a ResultTable) masked; ``column_map(columns)`` maps its columns to source columns.

        Adds a "Reveal personal data…" action to the grid's context menu.
        """
        self._grids.append((view, column_map))
        view.table_model().modelReset.connect(lambda v=view: self._mask(v))
        action = QAction("Reveal personal data…", view)
        action.triggered.connect(lambda _=False, v=view: self.reveal_in(v))
        view.addAction(action)
        self._mask(view)

    def masked_columns(self, view) -> list[str]:
        return sorted(c for c, (s, col, _k) in self._map(view).items() if self.is_masked(s, col))

    def revealed_columns(self, view) -> dict[str, tuple[str, str]]:
        """{grid column: (kind, reason)} of the flagged columns a grid shows in clear because they were
        revealed this session (a copy of them is logged with the reason)."""
        out = {}
        for c, (s, col, kind) in self._map(view).items():
            if (s, col) in self._revealed and not self.is_masked(s, col):
                out[c] = (kind or "", self._reasons.get((s, col), ""))
        return out

    def grid_pii(self, view) -> dict[str, str]:
        """{grid column: kind} of the flagged columns a grid shows (for export warnings)."""
        return {c: k for c, (_s, _col, k) in self._map(view).items()}

    def refresh(self) -> None:
        for view, _ in self._grids:
            self._mask(view)
        self.flags_changed.emit()

    def _map(self, view) -> ColumnMap:
        for v, fn in self._grids:
            if v is view:
                try:
                    return fn(view.table_model().column_names())
                except Exception:
                    return {}
        return {}

    def _mask(self, view) -> None:
        view.table_model().set_masked_columns(self.masked_columns(view))

    # ------------------------------------------------------------------ reveal
    def reveal_in(self, view) -> bool:
        """Ask which masked column to reveal and why; returns whether something was revealed."""
        candidates = [
            (f"{c}  ({k or 'personal data'}, from {s}.{col})", s, col)
            for c, (s, col, k) in sorted(self._map(view).items())
            if self.is_masked(s, col)
        ]
        if not candidates:
            return False
        answer = self.ask_reveal(candidates)
        if not answer:
            return False
        index, reason = answer
        _label, source, column = candidates[index]
        return self.reveal(source, column, reason)

    def reveal(self, source: str, column: str, reason: str) -> bool:
        """Unmask ``source.column`` for this session; ``reason`` must not be blank (it is logged)."""
        if not reason or not reason.strip():
            return False
        self._revealed.add((source, column))
        self._reasons[(source, column)] = reason.strip()
        self.revealed.emit(source, column, reason.strip())
        self.refresh()
        return True

    def _ask_reveal_dialog(self, candidates):
        parent = None
        for view, _ in self._grids:
            parent = view.window()
            break
        labels = [c[0] for c in candidates]
        index = 0
        if len(labels) > 1:
            label, ok = QInputDialog.getItem(parent, "Reveal personal data", "Column to reveal:", labels, 0, False)
            if not ok:
                return None
            index = labels.index(label)
        reason, ok = QInputDialog.getText(
            parent,
            "Reveal personal data",
            f"Why do you need to see {candidates[index][2]} unmasked?\n"
            "The reason is written to the workspace's audit log.",
            QLineEdit.EchoMode.Normal,
            "",
        )
        if not ok or not reason.strip():
            return None
        return index, reason
