"""The Reconcile panel: do two opened tables agree?

Left: A, B, the mode (rows matched on a key, or totals by dimensions), the key (or dimensions) and the
compared columns (or measures) as tick lists, tolerances and text options, Run / Cancel with progress.
Right: the verdict, bars per bucket (matched, only in A, only in B, duplicated keys, changed per column),
and the rows of the chosen bucket side by side with the changed cells highlighted. "Add to report" keeps
the recipe for the evidence report; "Export differences…" writes the bucket's rows through the workspace's
export guard (masking, personal-data warning, stamp, audit entry).

Work runs on the QueryRunner: ``reconcile.run`` (the comparison) and ``reconcile.rows`` (a bucket's rows).
"""

from __future__ import annotations

import pandas as pd
from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from widgets.form_splitter import form_splitter
from widgets.reconcile_bars import BucketBars
from widgets.reconcile_rows import SideBySideRows
from workbench.analysis.reconcile import ReconcileView
from workbench.errors import WorkbenchError
from workbench.reconcile.aggregate import AggregateSpec
from workbench.reconcile.keyed import ReconcileSpec
from workbench.reconcile.schema import CompareOptions

RUN_KEY = "reconcile.run"
ROWS_KEY = "reconcile.rows"
KEYED, TOTALS = "Rows matched on a key", "Totals by dimensions"
KEY_GUESSES = ("id", "key", "event_id", "user_id", "uuid", "pk")


class ReconcilePanel(QWidget):
    """Reconciliation of two tables (see the module docstring)."""

    error_occurred = Signal(str)
    status_message = Signal(str)
    result_ready = Signal(object)  # AnalysisResult of a ReconcileView
    rows_ready = Signal(str)  # the bucket whose rows are on screen
    add_to_report_requested = Signal()

    def __init__(self, runner, catalog, parent=None):
        super().__init__(parent)
        self.runner, self.catalog = runner, catalog
        self.result = None  # the last AnalysisResult
        self.view: ReconcileView | None = None
        self.bucket: str | None = None
        self.export_hook = None  # set by the workspace: export(frame, path) under its privacy rules
        self._sources: dict = {}
        self._run_request = self._rows_request = None
        self._build_ui()
        self._connect_signals()

    # ----- layout -------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.a_combo, self.b_combo, self.mode_combo = QComboBox(), QComboBox(), QComboBox()
        self.mode_combo.addItems([KEYED, TOTALS])
        self.key_list, self.column_list = QListWidget(), QListWidget()
        self.key_list.setMinimumHeight(110)
        self.column_list.setMinimumHeight(140)
        self.abs_tol, self.rel_tol = QDoubleSpinBox(), QDoubleSpinBox()
        for spin, tip in (
            (self.abs_tol, "numbers this close are equal"),
            (self.rel_tol, "numbers within this fraction of the larger one are equal (0.01 = 1 %)"),
        ):
            spin.setDecimals(6)
            spin.setRange(0, 1e12)
            spin.setToolTip(tip)
        self.rel_tol.setSingleStep(0.001)
        self.ignore_case, self.trim = QCheckBox("ignore case"), QCheckBox("trim whitespace")
        self.suggestions = QLabel("")
        self.suggestions.setWordWrap(True)
        self.run_button, self.cancel_button = QPushButton("Reconcile"), QPushButton("Cancel")
        self.run_button.setDefault(True)
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setVisible(False)
        self.report_button, self.export_button = QPushButton("Add to report"), QPushButton("Export differences…")
        self.report_button.setEnabled(False)
        self.export_button.setEnabled(False)

        box = QGroupBox("Compare")
        form = QFormLayout(box)
        form.addRow("A", self.a_combo)
        form.addRow("B", self.b_combo)
        form.addRow("Mode", self.mode_combo)
        self.key_label, self.columns_label = QLabel("Key"), QLabel("Columns")
        form.addRow(self.key_label, self.key_list)
        form.addRow(self.columns_label, self.column_list)
        form.addRow("Abs. tolerance", self.abs_tol)
        form.addRow("Rel. tolerance", self.rel_tol)
        texts = QHBoxLayout()
        texts.addWidget(self.ignore_case)
        texts.addWidget(self.trim)
        form.addRow("Text", texts)
        left = QWidget()
        lay = QVBoxLayout(left)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(box)
        lay.addWidget(self.suggestions)
        row = QHBoxLayout()
        row.addWidget(self.cancel_button)
        row.addStretch(1)
        row.addWidget(self.run_button)
        lay.addLayout(row)
        lay.addWidget(self.progress)
        row2 = QHBoxLayout()
        row2.addWidget(self.report_button)
        row2.addWidget(self.export_button)
        lay.addLayout(row2)
        lay.addStretch(1)

        self.verdict = QLabel("Open two extracts, pick A, B and the key, then Reconcile.")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.bars = BucketBars()
        self.bars.setMinimumHeight(200)
        self.bucket_combo = QComboBox()
        self.rows_note = QLabel("")
        self.rows = SideBySideRows()
        lower = QWidget()
        llay = QVBoxLayout(lower)
        llay.setContentsMargins(0, 0, 0, 0)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Rows of"))
        pick.addWidget(self.bucket_combo, 1)
        pick.addWidget(self.rows_note, 2)
        llay.addLayout(pick)
        llay.addWidget(self.rows, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.bars)
        split.addWidget(lower)
        split.setSizes([300, 500])
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.addWidget(self.verdict)
        rlay.addWidget(split, 1)
        self._set_banner("info")
        self.splitter = form_splitter(self, left, right, 340)

    def splitters(self) -> dict:
        return {"form": self.splitter}

    def refresh_theme(self) -> None:
        self._set_banner(getattr(self, "_banner_level", "info"))
        self.bars.refresh_theme()
        if self.rows.frame is not None and len(self.rows.frame):
            self.rows.set_rows(self.rows.frame, [c for c in self.rows.frame.columns if c.startswith("changed: ")])

    def _connect_signals(self) -> None:
        self.a_combo.currentTextChanged.connect(self._on_tables_changed)
        self.b_combo.currentTextChanged.connect(self._on_tables_changed)
        self.mode_combo.currentTextChanged.connect(self._on_tables_changed)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(lambda: self.runner.cancel(RUN_KEY))
        self.report_button.clicked.connect(self.add_to_report_requested)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.bars.bucket_clicked.connect(self.show_bucket)
        self.key_list.itemChanged.connect(self._on_key_list_item_changed)
        self.bucket_combo.activated.connect(lambda i: self.show_bucket(self.bucket_combo.itemData(i)))
        self.runner.result_ready.connect(self._on_runner_result_ready)
        self.runner.failed.connect(self._on_runner_failed)
        self.runner.cancelled.connect(self._on_runner_cancelled)
        self.runner.progress.connect(self._on_runner_progress)

    # ----- form ---------------------------------------------------------------------------------------
    def set_sources(self, sources) -> None:
        self._sources = {s.name: s for s in sources}
        names = list(self._sources)
        for combo, default in ((self.a_combo, 0), (self.b_combo, 1)):
            current = combo.currentText()
            with QSignalBlocker(combo):
                combo.clear()
                combo.addItems(names)
                if current in self._sources:
                    combo.setCurrentText(current)
                elif names:
                    combo.setCurrentIndex(min(default, len(names) - 1))
        self._on_tables_changed()

    def _on_tables_changed(self, *_):
        a, b = self._sources.get(self.a_combo.currentText()), self._sources.get(self.b_combo.currentText())
        keyed = self.mode_combo.currentText() == KEYED
        self.key_label.setText("Key" if keyed else "Dimensions")
        self.columns_label.setText("Columns" if keyed else "Measures")
        if a is None or b is None:
            return
        in_b = {c.name: c for c in b.columns}
        common = [c for c in a.columns if c.name in in_b]
        ticked_keys = set(self.checked(self.key_list))
        key_guess = next((c.name for c in common if c.name.lower() in KEY_GUESSES), None)
        self.key_list.clear()
        for c in common:
            on = c.name in ticked_keys if ticked_keys else (c.name == key_guess if keyed else False)
            self._add_item(self.key_list, c.name, f"{c.name}  ({c.type})", on)
        self.column_list.clear()
        for c in common:
            if keyed:
                self._add_item(self.column_list, c.name, f"{c.name}  ({c.type} / {in_b[c.name].type})", True)
            elif c.is_numeric and in_b[c.name].is_numeric:
                self._add_item(self.column_list, c.name, c.name, True)
        from workbench.reconcile.schema import suggest_mapping

        self._on_key_list_item_changed()
        pairs = suggest_mapping({c.name: c.type for c in a.columns}, {c.name: c.type for c in b.columns})
        self.suggestions.setText("Renamed in B? " + ", ".join(f"{x} → {y}" for x, y, _ in pairs) if pairs else "")

    def _on_key_list_item_changed(self, *_):
        """A key column is not compared: hide it from the column list (in key mode)."""
        keys = set(self.checked(self.key_list)) if self.mode_combo.currentText() == KEYED else set()
        for i in range(self.column_list.count()):
            item = self.column_list.item(i)
            item.setHidden(item.data(Qt.ItemDataRole.UserRole) in keys)

    @staticmethod
    def _add_item(widget: QListWidget, name: str, label: str, checked: bool) -> None:
        item = QListWidgetItem(label)
        item.setData(Qt.ItemDataRole.UserRole, name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        widget.addItem(item)

    @staticmethod
    def checked(widget: QListWidget) -> list[str]:
        return [
            widget.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(widget.count())
            if widget.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_checked(self, widget: QListWidget, names) -> None:
        wanted = set(names)
        for i in range(widget.count()):
            item = widget.item(i)
            item.setCheckState(
                Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in wanted else Qt.CheckState.Unchecked
            )

    def current_view(self) -> ReconcileView:
        """The recipe the form describes (raises WorkbenchError when incomplete)."""
        a, b = self.a_combo.currentText(), self.b_combo.currentText()
        if not a or not b:
            raise WorkbenchError("Open two extracts first (File ▸ Open), then pick A and B")
        opts = CompareOptions(
            self.abs_tol.value(), self.rel_tol.value(), self.ignore_case.isChecked(), self.trim.isChecked()
        )
        if self.mode_combo.currentText() == TOTALS:
            measures = self.checked(self.column_list)
            if not measures:
                raise WorkbenchError("Tick at least one measure (a numeric column in both tables)")
            return ReconcileView(
                aggregate=AggregateSpec(a, b, tuple(measures), tuple(self.checked(self.key_list)), opts)
            )
        key = self.checked(self.key_list)
        if not key:
            raise WorkbenchError("Tick the key column(s) that identify a row in both tables")
        columns = [c for c in self.checked(self.column_list) if c not in key]
        return ReconcileView(keyed=ReconcileSpec(a, b, tuple(key), columns=tuple(columns), options=opts))

    def restore_recipe(self, recipe: dict) -> bool:
        """Fill the form from a saved recipe and run it."""
        view = ReconcileView.from_dict(recipe)
        spec = view.keyed or view.aggregate
        for name in (spec.table_a, spec.table_b):
            if name not in self._sources:
                self._show_error(f"Open {name} first: the reconciliation was computed on it")
                return False
        with QSignalBlocker(self.a_combo), QSignalBlocker(self.b_combo), QSignalBlocker(self.mode_combo):
            self.a_combo.setCurrentText(spec.table_a)
            self.b_combo.setCurrentText(spec.table_b)
            self.mode_combo.setCurrentText(KEYED if view.keyed else TOTALS)
        self.key_list.clear()
        self._on_tables_changed()
        self.set_checked(self.key_list, spec.key if view.keyed else spec.dims)
        if view.keyed:
            self.set_checked(self.column_list, spec.columns or [c for c in self.checked(self.column_list)])
        else:
            self.set_checked(self.column_list, spec.measures)
        self.abs_tol.setValue(spec.options.abs_tol)
        self.rel_tol.setValue(spec.options.rel_tol)
        self.ignore_case.setChecked(spec.options.ignore_case)
        self.trim.setChecked(spec.options.trim)
        self.run()
        return True

    # ----- running ------------------------------------------------------------------------------------
    def run(self) -> None:
        try:
            view = self.current_view()
        except WorkbenchError as exc:
            self._show_error(str(exc))
            return
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.status_message.emit("Reconciling…")
        self._pending_view = view
        self._run_request = self.runner.submit(RUN_KEY, lambda ctx: view.run(ctx.cursor, cancelled=ctx.cancelled))

    def show_bucket(self, bucket: str | None) -> None:
        """Fetch and show the rows of ``bucket`` (only_a, only_b, changed, changed:COL, duplicates_a/b)."""
        if not bucket or self.view is None or self.view.keyed is None:
            return
        from workbench.reconcile.drill import bucket_rows

        spec = self.view.keyed
        self.bucket = bucket
        index = self.bucket_combo.findData(bucket)
        if index >= 0:
            with QSignalBlocker(self.bucket_combo):
                self.bucket_combo.setCurrentIndex(index)
        self.rows_note.setText("loading…")
        self._rows_request = self.runner.submit(ROWS_KEY, lambda ctx: bucket_rows(ctx.cursor, spec, bucket))

    def _changes_first(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Key columns, then the A/B pairs of the columns with the most changes (the bucket's column first),
        so the highlighted cells are in view."""
        value = self.result.value if self.result is not None else None
        if value is None or not hasattr(value, "columns") or not isinstance(value.columns, tuple):
            return frame
        changed = {c.name: c.changed for c in value.columns}
        if self.bucket and self.bucket.startswith("changed:"):
            changed[self.bucket.split(":", 1)[1]] = float("inf")
        pairs = sorted(changed, key=lambda c: -changed[c])
        ordered = [c for c in frame.columns if not str(c).startswith(("A: ", "B: ", "changed: "))]
        for name in pairs:
            ordered += [c for c in (f"A: {name}", f"B: {name}") if c in frame.columns]
        ordered += [c for c in frame.columns if c not in ordered]
        return frame[ordered]

    def _on_runner_progress(self, key: str, fraction: float) -> None:
        if key == RUN_KEY and fraction >= 0:
            self.progress.setValue(int(round(fraction * 100)))

    def _finish_run(self) -> None:
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setVisible(False)

    def _on_runner_result_ready(self, request_id: int, key: str, result) -> None:
        if key == RUN_KEY and request_id == self._run_request:
            self._finish_run()
            self.show_result(result)
        elif key == ROWS_KEY and request_id == self._rows_request:
            frame, flags, _sql = result
            self.rows.set_rows(self._changes_first(frame), flags)
            self.rows_note.setText(
                f"{len(frame):,} row(s) shown"
                + (" (first 500)" if len(frame) >= 500 else "")
                + (" · changed cells highlighted" if flags else "")
            )
            self.export_button.setEnabled(len(frame) > 0)
            self.rows_ready.emit(self.bucket or "")

    def _on_runner_failed(self, request_id: int, key: str, message: str) -> None:
        if key == RUN_KEY and request_id == self._run_request:
            self._finish_run()
            self._show_error(message)
        elif key == ROWS_KEY and request_id == self._rows_request:
            self.rows_note.setText("")
            self._show_error(message)

    def _on_runner_cancelled(self, request_id: int, key: str) -> None:
        if key == RUN_KEY and request_id == self._run_request:
            self._finish_run()
            self.verdict.setText("Reconciliation cancelled.")
            self._set_banner("info")

    def show_result(self, result) -> None:
        """Draw a reconciliation: verdict, bars, the bucket list (and the first differing bucket's rows)."""
        self.result, self.view = result, result.analysis
        value = result.value
        self.report_button.setEnabled(True)
        with QSignalBlocker(self.bucket_combo):
            self.bucket_combo.clear()
        self.rows.set_rows(pd.DataFrame(), [])
        self.rows_note.setText("")
        self.export_button.setEnabled(False)
        if self.view.aggregate is not None:
            self._show_totals(result)
        else:
            self._show_keyed(value)
        self.status_message.emit("Reconciliation done")
        self.result_ready.emit(result)

    def _show_keyed(self, value) -> None:
        agree = not value.differs
        text = (
            f"{'AGREE' if agree else 'DIFFER'} — {value.matched:,} matched, {value.only_a:,} only in A, "
            f"{value.only_b:,} only in B, {value.rows_changed:,} matched rows changed"
            f" (A {value.rows_a:,} rows, B {value.rows_b:,} rows)"
        )
        if value.duplicate_keys_a or value.duplicate_keys_b:
            text += (
                f". Duplicated keys: A {value.duplicate_keys_a:,}, B {value.duplicate_keys_b:,} "
                "(left out of the matching)"
            )
        s = value.schema
        if s.only_a or s.only_b:
            text += f". Columns only in A: {', '.join(s.only_a) or '—'}; only in B: {', '.join(s.only_b) or '—'}"
        self.verdict.setText(text)
        self._set_banner("good" if agree else "warning")
        buckets = [
            ("changed", "matched", value.matched, "matched"),
            ("only_a", "only in A", value.only_a, "only_a"),
            ("only_b", "only in B", value.only_b, "only_b"),
        ]
        if value.duplicate_keys_a or value.duplicate_keys_b:
            buckets += [
                ("duplicates_a", "dup. keys A", value.duplicate_keys_a, "duplicates"),
                ("duplicates_b", "dup. keys B", value.duplicate_keys_b, "duplicates"),
            ]
        buckets += [(f"changed:{c.name}", f"Δ {c.name}", c.changed, "changed") for c in value.columns]
        self.bars.set_buckets(buckets)
        with QSignalBlocker(self.bucket_combo):
            for bucket, label, count, _ in buckets:
                shown = "changed rows (any column)" if bucket == "changed" else label
                self.bucket_combo.addItem(f"{shown}  ({count:,})", bucket)
        first = next((b for b, _, n, _ in buckets[1:] if n), None) or ("changed" if value.rows_changed else None)
        if first:
            self.show_bucket(first)

    def _show_totals(self, result) -> None:
        value = result.value
        self.verdict.setText(
            f"{'DIFFER' if value.differs else 'AGREE'} — {value.groups:,} groups, "
            f"{value.groups_differing:,} differ (differing groups first)"
        )
        self._set_banner("warning" if value.differs else "good")
        self.bars.set_buckets(
            [
                ("", "groups agree", value.groups - value.groups_differing, "matched"),
                ("", "groups differ", value.groups_differing, "changed"),
            ]
        )
        frame = value.frame
        flags = []
        view = frame.copy()
        for m in value.spec.measures:
            view[f"changed: {m}"] = frame["differs"]
            flags.append(f"changed: {m}")
        view = view.rename(
            columns={f"{m}_a": f"A: {m}" for m in value.spec.measures}
            | {f"{m}_b": f"B: {m}" for m in value.spec.measures}
        )
        self.rows.set_rows(view, flags)
        self.rows_note.setText(f"{len(frame):,} group(s)")
        self.export_button.setEnabled(len(frame) > 0)

    # ----- export -------------------------------------------------------------------------------------
    def differences_frame(self):
        """The rows on screen as exported (without the highlight flags)."""
        frame = self.rows.frame
        return frame[[c for c in frame.columns if not str(c).startswith("changed: ")]]

    def _on_export_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export differences", "differences.csv", "CSV (*.csv);;Parquet (*.parquet);;Excel workbook (*.xlsx)"
        )
        if path:
            self.export_differences(path)

    def export_differences(self, path) -> bool:
        if self.export_hook is None:
            self._show_error("Exports go through the workspace (stamp, masking, audit log): none is attached")
            return False
        return bool(self.export_hook(self.differences_frame(), path))

    # ----- banner -------------------------------------------------------------------------------------
    def _show_error(self, message: str) -> None:
        self.verdict.setText(message)
        self._set_banner("error")
        self.error_occurred.emit(message)

    def _set_banner(self, level: str) -> None:
        from widgets.theme import tint

        self._banner_level = level
        bg, fg = tint(level)
        self.verdict.setStyleSheet(f"QLabel {{ background: {bg}; color: {fg}; border-radius: 6px; padding: 8px; }}")
