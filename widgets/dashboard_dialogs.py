"""Dialogs of the Dashboard tab: add a tile, edit the metrics file, start a board from a template.

Every save writes the metrics file (YAML, the same shape as hand-written ones) and emits an audit entry
through the panel's ``audit_event`` signal.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
)

from widgets.theme import monospace_font
from workbench.errors import WorkbenchError
from workbench.metrics_layer.model import TileDef


def add_tile_actions(menu, panel, metrics_file, catalog) -> None:
    """Fill the "Add tile" menu: one submenu per tile type, one entry per metric."""
    for kind, label in (
        ("kpi", "KPI"),
        ("chart", "Chart"),
        ("leaderboard", "Leaderboard"),
        ("pivot", "Pivot"),
        ("table", "Table"),
    ):
        sub = menu.addMenu(label)
        for name, metric in metrics_file.metrics.items():
            action = sub.addAction(metric.title if metric.label else name)
            action.triggered.connect(lambda _c=False, kind=kind, name=name: _add(panel, kind, name, catalog))
    note = menu.addAction("Text note")
    note.triggered.connect(lambda: _add_text(panel))


def _dimension_choices(panel, metric_name: str, catalog) -> list[str]:
    metric = panel.metrics_file.metric(metric_name)
    for source in catalog.sources:
        if source.name == metric.source or Path(source.location).stem == Path(metric.source).stem:
            return [c.name for c in source.columns if c.is_text or c.is_boolean]
    return []


def _add(panel, kind: str, name: str, catalog) -> None:
    dims = _dimension_choices(panel, name, catalog)
    by = rows = columns = None
    if kind in ("chart", "leaderboard", "table", "pivot"):
        by, ok = QInputDialog.getItem(
            panel, "Add tile", "Rows by" if kind == "pivot" else "Break down by", dims or [""], 0, True
        )
        if not ok or (kind != "chart" and not by):
            return
        by = by or None
    if kind == "pivot":
        columns, ok = QInputDialog.getItem(
            panel, "Add tile", "Columns by", [d for d in dims if d != by] or [""], 0, True
        )
        if not ok or not columns:
            return
        rows, by = by, None
    tile = TileDef(
        type=kind,
        metric=None if kind == "table" else name,
        metrics=(name,) if kind == "table" else (),
        by=by,
        rows=rows,
        columns=columns,
    )
    panel.add_tile(tile)


def _add_text(panel) -> None:
    text, ok = QInputDialog.getMultiLineText(panel, "Add a note", "Text")
    if ok and text.strip():
        panel.add_tile(TileDef(type="text", text=text.strip()))


def save_board(panel) -> None:
    """Write the panel's board (tiles as arranged) into its metrics file."""
    from workbench.metrics_layer.write import save_metrics

    mf, board = panel.metrics_file, panel.board
    boards = [b for b in mf.dashboards if b.name != board.name]
    position = next((i for i, b in enumerate(mf.dashboards) if b.name == board.name), len(boards))
    boards.insert(position, board)
    new = dataclasses.replace(mf, dashboards=tuple(boards))
    try:
        path = save_metrics(new)
    except OSError as exc:
        panel.error_occurred.emit(f"Cannot save {mf.path}: {exc.strerror or exc}")
        return
    panel.metrics_file = new
    panel.audit_event.emit(
        "metrics_file_saved",
        {"path": str(path), "dashboard": board.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()},
    )
    panel.status_message.emit(f"Saved {board.name} to {path.name}")


class MetricsEditor(QDialog):
    """The metrics file as YAML text: Validate points at the line of each problem; Save writes the file."""

    def __init__(self, panel):
        super().__init__(panel)
        from workbench.metrics_layer.write import dump_metrics

        self.panel = panel
        self.setWindowTitle(f"Metrics: {panel.metrics_file.path.name}")
        self.resize(760, 620)
        self.text = QPlainTextEdit()
        self.text.setFont(monospace_font())
        path = panel.metrics_file.path
        try:
            self.text.setPlainText(path.read_text(encoding="utf-8"))
        except OSError:
            self.text.setPlainText(dump_metrics(panel.metrics_file))
        self.problems = QLabel("")
        self.problems.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.validate_button = buttons.addButton("Validate", QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.problems)
        layout.addWidget(buttons)
        self.validate_button.clicked.connect(self.validate)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)

    def validate(self):
        from workbench.metrics_layer import check_text

        mf, errors = check_text(self.text.toPlainText(), self.panel.metrics_file.path)
        if errors:
            self.problems.setText("\n".join(str(e) for e in errors))
            self._go_to_line(errors[0].line)
        else:
            self.problems.setText(f"Valid: {len(mf.metrics)} metrics, {len(mf.dashboards)} dashboards")
        return mf

    def _go_to_line(self, line: int) -> None:
        if line < 1:
            return
        block = self.text.document().findBlockByLineNumber(line - 1)
        cursor = QTextCursor(block)
        cursor.select(QTextCursor.SelectionType.LineUnderCursor)
        self.text.setTextCursor(cursor)

    def save(self) -> None:
        mf = self.validate()
        if mf is None:
            return
        text = self.text.toPlainText()
        path = self.panel.metrics_file.path
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        try:
            _atomic_write(path, text)
        except OSError as exc:
            self.problems.setText(f"Cannot save {path}: {exc.strerror or exc}")
            return
        before = self.panel.metrics_file.metrics
        changed = sorted(n for n in set(before) | set(mf.metrics) if before.get(n) != mf.metrics.get(n))
        self.panel.audit_event.emit(
            "metrics_edited",
            {
                "path": str(path),
                "metrics_changed": changed,
                "sha256_before": hashlib.sha256(old.encode("utf-8")).hexdigest(),
                "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            },
        )
        self.panel.set_metrics_file(mf, self.panel.board.name if self.panel.board else None)
        self.accept()


def _atomic_write(path: Path, text: str) -> None:
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class TemplateWizard(QDialog):
    """Pick a template and a table; each role gets a column (guessed from the names, correctable)."""

    def __init__(self, panel):
        super().__init__(panel)
        from workbench.metrics_layer.templates import TEMPLATES

        self.panel = panel
        self.setWindowTitle("New board from a template")
        self.template_combo = QComboBox()
        self.template_combo.addItems(list(TEMPLATES))
        self.table_combo = QComboBox()
        self.table_combo.addItems([s.name for s in panel.catalog.sources])
        self.description = QLabel("")
        self.description.setWordWrap(True)
        self.form = QFormLayout()
        self.role_combos: dict[str, QComboBox] = {}
        top = QFormLayout()
        top.addRow("Template", self.template_combo)
        top.addRow("Table", self.table_combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create board…")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.description)
        layout.addWidget(QLabel("Columns for each role (leave a role empty to skip its metrics):"))
        layout.addLayout(self.form)
        layout.addWidget(buttons)
        self.template_combo.currentTextChanged.connect(lambda _t: self._fill_roles())
        self.table_combo.currentTextChanged.connect(lambda _t: self._fill_roles())
        buttons.accepted.connect(self.create)
        buttons.rejected.connect(self.reject)
        self._fill_roles()

    def template(self):
        from workbench.metrics_layer.templates import TEMPLATES

        return TEMPLATES[self.template_combo.currentText()]

    def _columns(self) -> dict[str, str]:
        name = self.table_combo.currentText()
        if not name or name not in self.panel.catalog:
            return {}
        out = {}
        for c in self.panel.catalog.get(name).columns:
            out[c.name] = "time" if c.is_temporal else ("numeric" if c.is_numeric or c.is_boolean else "dimension")
        return out

    def _fill_roles(self) -> None:
        from workbench.metrics_layer.templates import guess_mapping

        while self.form.rowCount():
            self.form.removeRow(0)
        self.role_combos = {}
        template, columns = self.template(), self._columns()
        self.description.setText(template.description)
        guess = guess_mapping(template, columns)
        for role in template.roles:
            combo = QComboBox()
            combo.addItem("")
            combo.addItems([c for c, kind in columns.items() if kind == role.kind])
            combo.setCurrentText(guess.get(role.name) or "")
            self.form.addRow(role.label, combo)
            self.role_combos[role.name] = combo

    def mapping(self) -> dict[str, str | None]:
        return {role: (combo.currentText() or None) for role, combo in self.role_combos.items()}

    def create(self, path: str | None = None) -> bool:
        from workbench.metrics_layer.templates import build_template
        from workbench.metrics_layer.write import save_metrics

        table = self.table_combo.currentText()
        if not table:
            QMessageBox.information(self, "No table", "Open a data file first: the template maps onto its columns.")
            return False
        source = self.panel.catalog.get(table)
        if path is None:
            start = str(Path(source.location).parent / "metrics.yml")
            path, _ = QFileDialog.getSaveFileName(self, "Save the metrics file", start, "Metrics (*.yml)")
            if not path:
                return False
        import os

        relative = os.path.relpath(source.location, Path(path).parent)
        try:
            mf = build_template(self.template(), self.mapping(), source=relative, path=path)
            save_metrics(mf, path)
        except (WorkbenchError, OSError) as exc:
            QMessageBox.warning(self, "Cannot create the board", str(exc))
            return False
        self.panel.audit_event.emit(
            "metrics_file_created",
            {"path": str(Path(path).resolve()), "template": self.template().name, "mapping": self.mapping()},
        )
        self.panel.set_metrics_file(mf)
        self.accept()
        return True
