"""The Checks view: data-quality rules on one opened table, pass / warn / fail, failing rows one click away.

Rules are typed one per line in the command line's spelling (``not_null(user_id)``, ``between(amount, 0,
100)``, …) or loaded from a YAML checks file; a starter set is suggested from the table's columns. Run
evaluates them all in one scan on the QueryRunner (``checks.run``); clicking a rule fetches its failing
rows (``checks.rows``). "Add to report" keeps the recipe (rules included) in the workspace; the evidence
report shows it as a data-quality section.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from widgets.form_splitter import form_splitter
from widgets.reconcile_rows import SideBySideRows
from widgets.theme import tint
from workbench.analysis.checks import ChecksRun
from workbench.errors import WorkbenchError

RUN_KEY = "checks.run"
ROWS_KEY = "checks.rows"
ROWS_LIMIT = 200
_TINT = {"pass": "good", "warn": "warning", "fail": "bad"}


def suggested_rules(source) -> list[str]:
    """A starter set from the columns: a row count, the id-like column unique and not null, no daily gaps in
    the first time column, no NULL in the first text column."""

    def q(name: str) -> str:
        simple = name.replace("_", "a").isalnum() and name.strip() == name
        return name if simple else '"' + name.replace('"', '""') + '"'

    rules = ["row_count(1, )"]
    names = source.column_names
    ident = next((n for n in names if n.lower() in ("id", "event_id", "user_id", "key", "uuid")), None)
    if ident:
        rules += [f"not_null({q(ident)})", f"unique({q(ident)})"]
    if source.time_columns:
        t = source.time_columns[0]
        rules += [f"not_null({q(t)})", f"no_gaps({q(t)}, day)"]
    text = next((c.name for c in source.columns if c.is_text and c.name != ident), None)
    if text:
        rules.append(f"not_null({q(text)})")
    return rules


class ChecksPanel(QWidget):
    """Data-quality checks of one table (see the module docstring)."""

    error_occurred = Signal(str)
    status_message = Signal(str)
    result_ready = Signal(object)  # AnalysisResult of a ChecksRun
    rows_ready = Signal(int)  # index of the rule whose failing rows are on screen
    add_to_report_requested = Signal()

    def __init__(self, runner, catalog, parent=None):
        super().__init__(parent)
        self.runner, self.catalog = runner, catalog
        self.result = None
        self.view: ChecksRun | None = None
        self._sources: dict = {}
        self._run_request = self._rows_request = None
        self._build_ui()
        self._connect_signals()

    def _build_ui(self) -> None:
        self.table_combo = QComboBox()
        self.rules_edit = QPlainTextEdit()
        self.rules_edit.setPlaceholderText(
            "one rule per line, e.g.\nnot_null(user_id)\nunique(event_id)\n"
            "between(amount, 0, 1000)\nfreshness(ts, 2 days)\nno_gaps(ts, day)"
        )
        self.load_button, self.suggest_button = QPushButton("Load YAML…"), QPushButton("Suggest")
        self.run_button, self.cancel_button = QPushButton("Run checks"), QPushButton("Cancel")
        self.run_button.setDefault(True)
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)
        self.report_button = QPushButton("Add to report")
        self.report_button.setEnabled(False)
        box = QGroupBox("Rules")
        blay = QVBoxLayout(box)
        top = QHBoxLayout()
        top.addWidget(QLabel("Table"))
        top.addWidget(self.table_combo, 1)
        blay.addLayout(top)
        blay.addWidget(self.rules_edit, 1)
        tools = QHBoxLayout()
        tools.addWidget(self.suggest_button)
        tools.addWidget(self.load_button)
        tools.addStretch(1)
        blay.addLayout(tools)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(box, 1)
        row = QHBoxLayout()
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        row.addWidget(self.run_button)
        lay.addLayout(row)
        lay.addWidget(self.progress)
        lay.addWidget(self.report_button)

        self.verdict = QLabel("Pick a table, write or suggest rules, then Run checks.")
        self.verdict.setWordWrap(True)
        self.results = QTableWidget(0, 4)
        self.results.setHorizontalHeaderLabels(["Status", "Rule", "Failing rows", "Detail"])
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.verticalHeader().setVisible(False)
        self.results.horizontalHeader().setStretchLastSection(True)
        self.rows_note = QLabel("Click a rule to see its failing rows.")
        self.rows = SideBySideRows()
        lower = QWidget()
        llay = QVBoxLayout(lower)
        llay.setContentsMargins(0, 0, 0, 0)
        llay.addWidget(self.rows_note)
        llay.addWidget(self.rows, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.results)
        split.addWidget(lower)
        split.setSizes([380, 420])
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.addWidget(self.verdict)
        rlay.addWidget(split, 1)
        self._set_banner("info")
        self.splitter = form_splitter(self, left, right, 360)

    def splitters(self) -> dict:
        return {"form": self.splitter}

    def refresh_theme(self) -> None:
        self._set_banner(getattr(self, "_banner_level", "info"))
        if self.result is not None:
            self._fill_results(self.result.value)

    def _connect_signals(self) -> None:
        self.table_combo.currentTextChanged.connect(self._on_table_combo_changed)
        self.suggest_button.clicked.connect(self.suggest)
        self.load_button.clicked.connect(self._on_load_button_clicked)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(lambda: self.runner.cancel(RUN_KEY))
        self.report_button.clicked.connect(self.add_to_report_requested)
        self.results.cellClicked.connect(lambda r, _c: self.show_failing_rows(r))
        self.runner.result_ready.connect(self._on_runner_result_ready)
        self.runner.failed.connect(self._on_runner_failed)
        self.runner.cancelled.connect(self._on_runner_cancelled)
        self.runner.progress.connect(self._on_runner_progress)

    # ----- form ---------------------------------------------------------------------------------------
    def set_sources(self, sources) -> None:
        self._sources = {s.name: s for s in sources}
        current = self.table_combo.currentText()
        with QSignalBlocker(self.table_combo):
            self.table_combo.clear()
            self.table_combo.addItems(list(self._sources))
            if current in self._sources:
                self.table_combo.setCurrentText(current)
        if self.table_combo.currentText() != current:
            self._on_table_combo_changed(self.table_combo.currentText())

    def _on_table_combo_changed(self, name: str) -> None:
        if name in self._sources and not self.rules_edit.toPlainText().strip():
            self.suggest()

    def suggest(self) -> None:
        source = self._sources.get(self.table_combo.currentText())
        if source is not None:
            self.rules_edit.setPlainText("\n".join(suggested_rules(source)))

    def _on_load_button_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load checks", "", "YAML checks (*.yml *.yaml);;All files (*)")
        if path:
            self.load_rules_file(path)

    def load_rules_file(self, path: str) -> None:
        from workbench.checks import load_checks_file

        try:
            rules, _table = load_checks_file(path)
        except WorkbenchError as exc:
            self._show_error(str(exc))
            return
        self.rules_edit.setPlainText("\n".join(r.text for r in rules))

    def current_view(self) -> ChecksRun:
        from workbench.checks import parse_rule

        table = self.table_combo.currentText()
        if not table:
            raise WorkbenchError("Open an extract first (File ▸ Open), then pick it here")
        lines = [ln.strip() for ln in self.rules_edit.toPlainText().splitlines()]
        rules = []
        for n, line in enumerate(lines, 1):
            if line and not line.startswith("#"):
                try:
                    rules.append(parse_rule(line))
                except WorkbenchError as exc:
                    raise WorkbenchError(f"Line {n}: {exc}") from None
        if not rules:
            raise WorkbenchError("Write at least one rule (or press Suggest)")
        as_of = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0).isoformat()
        return ChecksRun(table, tuple(rules), as_of=as_of)

    def restore_recipe(self, recipe: dict) -> bool:
        view = ChecksRun.from_dict(recipe)
        if view.table not in self._sources:
            self._show_error(f"Open {view.table} first: the checks were run on it")
            return False
        with QSignalBlocker(self.table_combo):
            self.table_combo.setCurrentText(view.table)
        self.rules_edit.setPlainText("\n".join(r.text for r in view.rules))
        self._submit(view)
        return True

    # ----- running ------------------------------------------------------------------------------------
    def run(self) -> None:
        try:
            view = self.current_view()
        except WorkbenchError as exc:
            self._show_error(str(exc))
            return
        self._submit(view)

    def _submit(self, view: ChecksRun) -> None:
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.status_message.emit("Running checks…")
        self._run_request = self.runner.submit(RUN_KEY, lambda ctx: view.run(ctx.cursor, cancelled=ctx.cancelled))

    def show_failing_rows(self, index: int) -> None:
        """Fetch the failing rows of rule ``index`` (its sample query, up to 200 rows)."""
        if self.result is None or not 0 <= index < len(self.result.value):
            return
        res = self.result.value[index]
        with QSignalBlocker(self.results):
            self.results.selectRow(index)
        if not res.failing_rows:
            self.rows.set_rows(pd.DataFrame(), [])
            self.rows_note.setText(f"{res.rule.text}: no failing rows")
            self.rows_ready.emit(index)
            return
        if res.sample_sql is None:  # a rule about the whole table: its observation is the "row"
            self.rows.set_rows(pd.DataFrame(res.sample), [])
            self.rows_note.setText(f"{res.rule.text}: {res.message}")
            self.rows_ready.emit(index)
            return
        from workbench.engine import run_query

        query = f"{res.sample_sql} LIMIT {ROWS_LIMIT}"
        self._rows_index = index
        self.rows_note.setText("loading…")
        self._rows_request = self.runner.submit(ROWS_KEY, lambda ctx: run_query(ctx.cursor, query).to_pandas())

    def _on_runner_progress(self, key: str, fraction: float) -> None:
        if key == RUN_KEY and fraction >= 0:
            self.progress.setValue(int(round(fraction * 100)))

    def _finish(self) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)

    def _on_runner_result_ready(self, request_id: int, key: str, result) -> None:
        if key == RUN_KEY and request_id == self._run_request:
            self._finish()
            self.show_result(result)
        elif key == ROWS_KEY and request_id == self._rows_request:
            res = self.result.value[self._rows_index]
            self.rows.set_rows(result, [])
            more = f" (first {ROWS_LIMIT})" if len(result) >= ROWS_LIMIT else ""
            self.rows_note.setText(f"{res.rule.text}: {res.failing_rows:,} failing · {len(result):,} shown{more}")
            self.rows_ready.emit(self._rows_index)

    def _on_runner_failed(self, request_id: int, key: str, message: str) -> None:
        if (key == RUN_KEY and request_id == self._run_request) or (
            key == ROWS_KEY and request_id == self._rows_request
        ):
            self._finish()
            self._show_error(message)

    def _on_runner_cancelled(self, request_id: int, key: str) -> None:
        if key == RUN_KEY and request_id == self._run_request:
            self._finish()
            self.verdict.setText("Checks cancelled.")
            self._set_banner("info")

    def show_result(self, result) -> None:
        self.result, self.view = result, result.analysis
        results = result.value
        failed = sum(r.status == "fail" for r in results)
        warned = sum(r.status == "warn" for r in results)
        self.verdict.setText(
            f"{self.view.table}: {len(results) - failed - warned} passed, {warned} warned, {failed} failed"
        )
        self._set_banner("bad" if failed else ("warning" if warned else "good"))
        self._fill_results(results)
        self.rows.set_rows(pd.DataFrame(), [])
        self.rows_note.setText("Click a rule to see its failing rows.")
        self.report_button.setEnabled(True)
        self.status_message.emit("Checks done")
        self.result_ready.emit(result)

    def _fill_results(self, results) -> None:
        self.results.setRowCount(len(results))
        for r, res in enumerate(results):
            bg, fg = tint(_TINT[res.status])
            status = QTableWidgetItem(res.status.upper())
            status.setBackground(QColor(bg))
            status.setForeground(QColor(fg))
            status.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            count = QTableWidgetItem(f"{res.failing_rows:,}")
            count.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            rule, detail = QTableWidgetItem(res.rule.text), QTableWidgetItem(res.message)
            rule.setToolTip(res.rule.text)
            detail.setToolTip(res.message)
            for c, item in enumerate((status, rule, count, detail)):
                self.results.setItem(r, c, item)
        self.results.resizeColumnsToContents()
        self.results.setColumnWidth(1, min(self.results.columnWidth(1), 300))

    def _show_error(self, message: str) -> None:
        self.verdict.setText(message)
        self._set_banner("error")
        self.error_occurred.emit(message)

    def _set_banner(self, level: str) -> None:
        self._banner_level = level
        bg, fg = tint(level)
        self.verdict.setStyleSheet(f"QLabel {{ background: {bg}; color: {fg}; border-radius: 6px; padding: 8px; }}")
