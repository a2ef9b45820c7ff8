"""The Experiments panel: compare the arms of an experiment on a user-level table.

Left: the form (table, unit, arm, control arm, metrics with type / covariate / direction / guardrail /
margin, segment, assignment time, correction). Right: a health banner (SRM, units in several arms,
missing covariates), then tabs — Results (colour-coded table + forest plot), Over time (cumulative lift
with sequential bands), Segments (table + forest plot, exploratory), Power (MDE calculator).

The whole readout is one analysis, ``ExperimentReadout(spec).run`` (:func:`run_experiment`), submitted to the QueryRunner (key
``experiments.readout``); the panel only draws what comes back.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import WorkbenchError
from workbench.analysis.readout import ExperimentReadout
from workbench.experiments import ExperimentSpec
from workbench.experiments.summary import readout_csv, readout_text
from workbench.experiments.sufficient import arm_values
from widgets.experiments_health import health_and_verdicts
from widgets.experiments_suggest import infer_direction
from widgets.experiments_columns import CiBarDelegate, ColumnChooser
from widgets.experiment_guess import best_experiment_table, guess_arm, guess_unit
from widgets.experiment_state import ExperimentsStateMixin
from widgets.experiments_cumulative import CumulativeChart

from widgets.experiments_forest import ForestPlot
from widgets.experiments_metrics import MetricsEditor
from widgets.experiments_power import PowerCalculator
from widgets.experiments_results import RESULT_COLUMNS, SEGMENT_COLUMNS, ExperimentsResultsMixin
from widgets.experiments_results import COLUMN_MAX as COLUMN_MAX  # re-exported: the tests read the caps here
from widgets.experiments_results import COLUMN_MAX_DEFAULT as COLUMN_MAX_DEFAULT  # re-exported, likewise
from widgets.form_splitter import form_splitter

CUM_NOTE_EMPTY = "Pick an assignment time column to see results day by day."
CUM_NOTE = (
    "Each point uses the units assigned up to that day. Blue band: always-valid (sequential) 95% interval — "
    "safe to check every day; call a result only when the band leaves 0. Orange dashed lines: the ordinary "
    "fixed-horizon 95% CI — valid once, at the planned end date; checking it daily and stopping at the first "
    "'significant' day inflates false positives well past 5%, which is why the band is wider."
)

READOUT_KEY = "experiments.readout"
SUGGEST_KEY = "experiments.suggest"
ARMS_KEY = "experiments.arms"
NONE = "(none)"


def _protected_readout(cur, spec, policy):
    """The readout with the workspace's protection applied on the worker: segments with fewer than k units in
    an arm are withheld, as on the command line. A whole arm below k is still shown here (the evidence report
    suppresses its cells); the command line refuses such a readout."""
    readout = ExperimentReadout(spec).run(cur).value
    if policy is None or not policy.active:
        return readout
    from workbench.experiments.readout import Readout
    from workbench.protection.readout_cells import protect_readout

    data, _hidden = protect_readout(readout.data, policy, refuse_small_arms=False)
    return Readout(data, readout.sql)


class ExperimentPanel(ExperimentsStateMixin, ExperimentsResultsMixin, QWidget):
    """Experiment readout panel (see module docstring)."""

    error_occurred = Signal(str)
    status_message = Signal(str)
    readout_ready = Signal(object)
    add_to_report_requested = Signal()  # keep the readout in the workspace for the evidence report

    def __init__(self, runner, catalog, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.catalog = catalog
        self.readout = None
        self.copy_filter = None  # see copy_readout
        self.export_hook = None  # see export_csv / export_png
        self.last_spec = None  # the ExperimentSpec of the last readout run
        self.policy_provider = None  # () -> the workspace's ProtectionPolicy, applied to every readout
        self._sources: dict = {}
        self._pending_state = None  # an ExperimentsState restored before its table was listed
        self._arms_request = self._readout_request = None
        self._table_picked = False  # set when the user chooses a table themselves
        self._build_ui()
        self._connect_signals()

    # ----- layout -------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.table_combo, self.unit_combo, self.arm_combo = QComboBox(), QComboBox(), QComboBox()
        self.control_combo = QComboBox()
        self.segment_combo, self.time_combo = QComboBox(), QComboBox()
        self.correction_combo = QComboBox()
        self.correction_combo.addItems(["bh", "holm", "bonferroni", "none"])
        self.correction_combo.setToolTip(
            "Multiple-testing correction across metrics × arms: Benjamini-Hochberg (FDR), Holm or Bonferroni (FWER)"
        )
        self.tuning_spin = QDoubleSpinBox()
        self.tuning_spin.setRange(10, 1e9)
        self.tuning_spin.setDecimals(0)
        self.tuning_spin.setValue(5000)
        self.tuning_spin.setToolTip(
            "Sequential tuning parameter n*: the total sample size where the always-valid interval is tightest"
        )
        self.metrics = MetricsEditor()
        self.add_metric_button = QPushButton("Add metric")
        self.remove_metric_button = QPushButton("Remove")
        self.suggest_button = QPushButton("Suggest metrics")
        self.suggest_button.setToolTip(
            "Add the table's numeric outcome columns: 0/1 columns as proportions, the rest as "
            "means, pre_X as the CUPED covariate of X; ratios are left to you"
        )
        self.run_button = QPushButton("Run readout")
        self.run_button.setDefault(True)
        self.copy_button = QPushButton("Copy readout")
        self.csv_button = QPushButton("Export CSV…")
        self.png_button = QPushButton("Export PNG…")
        self.report_button = QPushButton("Add to report")
        self.report_button.setToolTip("Keep this readout in the workspace for File ▸ Export Evidence Report…")
        for b in (self.copy_button, self.csv_button, self.png_button, self.report_button):
            b.setEnabled(False)

        form_box = QGroupBox("Experiment")
        form = QFormLayout(form_box)
        form.addRow("Table", self.table_combo)
        form.addRow("Unit id", self.unit_combo)
        form.addRow("Arm column", self.arm_combo)
        form.addRow("Control arm", self.control_combo)
        form.addRow("Segment", self.segment_combo)
        form.addRow("Assignment time", self.time_combo)
        form.addRow("Correction", self.correction_combo)
        form.addRow("Sequential n*", self.tuning_spin)
        metric_box = QGroupBox("Metrics")
        mlay = QVBoxLayout(metric_box)
        mlay.addWidget(self.metrics)
        self.direction_hint = QLabel("")
        self.direction_hint.setObjectName("hint")
        self.direction_hint.setWordWrap(True)
        self.direction_hint.setVisible(False)
        mlay.addWidget(self.direction_hint)
        row = QHBoxLayout()
        row.addWidget(self.add_metric_button)
        row.addWidget(self.remove_metric_button)
        row.addStretch(1)
        row.addWidget(self.suggest_button)
        mlay.addLayout(row)
        left = QWidget()
        llay = QVBoxLayout(left)
        llay.setContentsMargins(0, 0, 0, 0)
        llay.addWidget(form_box)
        llay.addWidget(metric_box)
        self.metrics.setMinimumHeight(160)
        self.metrics.setMaximumHeight(320)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.run_button)
        llay.addLayout(buttons)
        llay.addStretch(1)
        # Export actions sit with the results (a row above the tabs), so the form column can stay narrow.
        self.export_bar = QWidget()
        ebar = QHBoxLayout(self.export_bar)
        ebar.setContentsMargins(0, 0, 0, 2)
        ebar.setSpacing(4)
        from widgets.icons import icon

        for b, text, name, tip in (
            (self.copy_button, "Copy", "copy", "Copy the readout as text"),
            (self.csv_button, "CSV", "export", "Export the readout as CSV…"),
            (self.png_button, "PNG", "export", "Export the results as PNG…"),
            (self.report_button, "Add to report", None, None),
        ):
            b.setText(text)
            b.setFlat(True)
            if name:
                b.setIcon(icon(name))
            if tip:
                b.setToolTip(tip)
            ebar.addWidget(b)

        self.verdict_banner = QLabel("")  # guardrail verdicts, apart from the split's health below
        self.verdict_banner.setObjectName("verdictBanner")
        self.verdict_banner.setWordWrap(True)
        self.verdict_banner.setVisible(False)
        self.health = QLabel("Pick a table, the unit and arm columns, add metrics, then Run readout.")
        self.health.setWordWrap(True)
        self.health.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._set_health_style("info")

        self.results = QTableWidget(0, len(RESULT_COLUMNS))
        self._setup_table(self.results, RESULT_COLUMNS)
        # Decision columns in view at 1400 px; the rest on the header's right-click menu. A CI bar in the row.
        self.column_chooser = ColumnChooser(self.results, RESULT_COLUMNS)
        self.ci_delegate = CiBarDelegate(self.results)
        self.results.setItemDelegateForColumn(RESULT_COLUMNS.index("95% CI (Δ %)"), self.ci_delegate)
        self.results.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 16)
        self.forest = ForestPlot()
        results_tab = QSplitter(Qt.Orientation.Vertical)
        results_tab.addWidget(self.results)
        results_tab.addWidget(self.forest)
        results_tab.setSizes([300, 260])

        self.cum_metric = QComboBox()
        self.cum_arm = QComboBox()
        self.cumulative = CumulativeChart()
        cum_tab = QWidget()
        clay = QVBoxLayout(cum_tab)
        crow = QHBoxLayout()
        crow.addWidget(QLabel("Metric"))
        crow.addWidget(self.cum_metric)
        crow.addWidget(QLabel("Arm"))
        crow.addWidget(self.cum_arm)
        crow.addStretch(1)
        self.cum_note = QLabel(CUM_NOTE_EMPTY)
        self.cum_note.setWordWrap(True)
        clay.addLayout(crow)
        clay.addWidget(self.cum_note)
        clay.addWidget(self.cumulative, 1)

        self.seg_metric = QComboBox()
        self.seg_arm = QComboBox()
        self.seg_table = QTableWidget(0, len(SEGMENT_COLUMNS))
        self._setup_table(self.seg_table, SEGMENT_COLUMNS)
        self.seg_forest = ForestPlot(
            title="Relative lift by segment (exploratory)",
            empty_text="Pick a Segment column and run the readout to see the lift by segment.",
        )
        seg_tab = QWidget()
        slay = QVBoxLayout(seg_tab)
        srow = QHBoxLayout()
        srow.addWidget(QLabel("Metric"))
        srow.addWidget(self.seg_metric)
        srow.addWidget(QLabel("Arm"))
        srow.addWidget(self.seg_arm)
        srow.addStretch(1)
        self.seg_note = QLabel(
            "Exploratory: p-values are corrected within the segment family only; confirm segment findings in a new test."
        )
        self.seg_note.setWordWrap(True)
        slay.addLayout(srow)
        slay.addWidget(self.seg_note)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.seg_table)
        split.addWidget(self.seg_forest)
        slay.addWidget(split, 1)

        self.power = PowerCalculator()
        self.tabs = QTabWidget()
        self.tabs.addTab(results_tab, "Results")
        self.tabs.addTab(cum_tab, "Over time")
        self.tabs.addTab(seg_tab, "Segments")
        self.tabs.addTab(self.power, "Power / MDE")

        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.addWidget(self.verdict_banner)
        rlay.addWidget(self.health)
        ebar.insertStretch(0, 1)
        rlay.addWidget(self.export_bar)
        rlay.addWidget(self.tabs, 1)
        self.right = right

        # The user can trade form width for results width; MainWindow keeps the position (splitters()).
        self.splitter = form_splitter(self, left, right, 320)

    def splitters(self) -> dict:
        """Splitters whose positions MainWindow saves in QSettings (name -> QSplitter)."""
        return {"form": self.splitter}

    def refresh_theme(self) -> None:
        """Re-tint the banner and the verdict rows after a light/dark switch."""
        self._set_health_style(getattr(self, "_health_level", "info"))
        if self.readout is not None:
            self._draw_results(self.readout)
            self._draw_segments()

    def _connect_signals(self) -> None:
        self.table_combo.currentTextChanged.connect(self._on_table_combo_changed)
        self.arm_combo.currentTextChanged.connect(self._on_arm_combo_changed)
        self.table_combo.activated.connect(self._on_table_combo_activated)
        self.add_metric_button.clicked.connect(lambda: self.metrics.add_metric())
        self.remove_metric_button.clicked.connect(self.metrics.remove_selected)
        self.suggest_button.clicked.connect(self.suggest_metrics)
        self.metrics.direction_answered.connect(self._update_direction_hint)
        self.run_button.clicked.connect(self.run)
        self.copy_button.clicked.connect(self.copy_readout)
        self.csv_button.clicked.connect(self._on_csv_button_clicked)
        self.png_button.clicked.connect(self._on_png_button_clicked)
        self.report_button.clicked.connect(self.add_to_report_requested)
        self.cum_metric.currentTextChanged.connect(self._draw_cumulative)
        self.cum_arm.currentTextChanged.connect(self._draw_cumulative)
        self.seg_metric.currentTextChanged.connect(self._draw_segments)
        self.seg_arm.currentTextChanged.connect(self._draw_segments)
        self.runner.result_ready.connect(self._on_runner_result_ready)
        self.runner.failed.connect(self._on_runner_failed)

    # ----- sources and form ---------------------------------------------------------------------------
    def set_sources(self, sources) -> None:
        """Offer the opened tables; keep the current one when it is still open."""
        self._sources = {s.name: s for s in sources}
        current = self.table_combo.currentText()
        # Until the user picks a table, follow the one that looks like an experiment: the first file opened
        # (often the events log) must not keep the panel once an experiment table arrives.
        best = best_experiment_table(self._sources.values())
        with QSignalBlocker(self.table_combo):
            self.table_combo.clear()
            self.table_combo.addItems(list(self._sources))
            if current in self._sources and (self._table_picked or best is None):
                self.table_combo.setCurrentText(current)
            elif self._sources:
                self.table_combo.setCurrentText(best or next(iter(self._sources)))
        if self.table_combo.currentText() != current:
            self._on_table_combo_changed(self.table_combo.currentText())
        self._apply_pending_state()

    def _on_table_combo_changed(self, name: str) -> None:
        source = self._sources.get(name)
        if source is None:
            return
        numeric = [c.name for c in source.columns if c.is_numeric or c.is_boolean]
        text_like = [c.name for c in source.columns if not c.is_temporal]
        arm = guess_arm(source.columns)
        unit = guess_unit(source.columns, arm)
        # A timestamp is never a unit or an arm; with no likely column the combo stays empty and says so.
        for combo, guess in ((self.unit_combo, unit), (self.arm_combo, arm)):
            with QSignalBlocker(combo):
                combo.clear()
                combo.addItems(text_like)
                combo.setCurrentIndex(text_like.index(guess) if guess in text_like else -1)
                combo.setPlaceholderText("choose a column")
        if arm is None:
            with QSignalBlocker(self.control_combo):
                self.control_combo.clear()
            self.health.setText(
                f"{source.name} has no column that looks like an experiment arm (arm, variant, "
                "group, treatment): choose the arm column, or pick another table."
            )
        with QSignalBlocker(self.segment_combo):
            self.segment_combo.clear()
            self.segment_combo.addItems([NONE] + text_like)
        with QSignalBlocker(self.time_combo):
            self.time_combo.clear()
            self.time_combo.addItems([NONE] + source.time_columns)
            if source.time_columns:
                self.time_combo.setCurrentText(source.time_columns[0])
        self.metrics.set_columns(numeric)
        self._on_arm_combo_changed(self.arm_combo.currentText())

    def _on_table_combo_activated(self, *_) -> None:
        self._table_picked = True

    def _on_arm_combo_changed(self, arm: str) -> None:
        table = self.table_combo.currentText()
        if not table or not arm:
            return
        self._arms_request = self.runner.submit(ARMS_KEY, lambda ctx: arm_values(ctx.cursor, table, arm))

    def spec(self) -> ExperimentSpec:
        """The ExperimentSpec the form describes (raises WorkbenchError when incomplete)."""
        seg = self.segment_combo.currentText()
        tcol = self.time_combo.currentText()
        spec = ExperimentSpec(
            table=self.table_combo.currentText(),
            unit=self.unit_combo.currentText(),
            arm=self.arm_combo.currentText(),
            control=self.control_combo.currentText(),
            metrics=tuple(self.metrics.metric_specs()),
            segment=None if seg in ("", NONE) else seg,
            time_column=None if tcol in ("", NONE) else tcol,
            correction=self.correction_combo.currentText(),
            sequential_tuning=self.tuning_spin.value(),
        )
        if not spec.table:
            raise WorkbenchError("Open a table first (File ▸ Open), then pick it here")
        spec.validate()
        return spec

    def suggest_metrics(self) -> int | None:
        """Add the table's outcome columns as metrics (types from a min/max scan on a worker)."""
        from widgets.experiments_suggest import candidate_columns, column_ranges

        source = self._sources.get(self.table_combo.currentText())
        if source is None:
            self._show_error("Open a table first (File ▸ Open), then pick it here")
            return None
        exclude = (self.unit_combo.currentText(), self.arm_combo.currentText())
        columns = candidate_columns(source, exclude)
        self._suggest_context = (source, exclude)
        self._suggest_request = self.runner.submit(
            SUGGEST_KEY, lambda ctx, t=source.name, c=columns: column_ranges(ctx.cursor, t, c)
        )
        return self._suggest_request

    def _add_suggested(self, ranges: dict) -> None:
        from widgets.experiments_suggest import suggest_metrics

        source, exclude = self._suggest_context
        present = {m.name for m in self.metrics.metric_specs()}
        added = [m for m in suggest_metrics(source, ranges, exclude) if m.name not in present]
        for m in added:
            self.metrics.set_direction_guess(self.metrics.add_metric(m), infer_direction(m.name))
        self._update_direction_hint()
        self.status_message.emit(
            f"Added {len(added)} metric(s): " + ", ".join(m.name for m in added)
            if added
            else "No more numeric outcome columns to add"
        )

    def _update_direction_hint(self, *_) -> None:
        """Ask, beside the metric list, about the directions the names leave open."""
        asked = self.metrics.asked_directions()
        self.direction_hint.setText(
            f"Is higher better for {', '.join(asked)}? Set to higher for now; pick “Better when” for each "
            "(for reports or flags, fewer is often better)."
            if asked
            else ""
        )
        self.direction_hint.setVisible(bool(asked))

    def run(self) -> None:
        """Validate the form and submit the readout to the QueryRunner."""
        try:
            spec = self.spec()
        except WorkbenchError as exc:
            self._show_error(str(exc))
            return
        self.status_message.emit("Computing experiment readout…")
        self.run_button.setEnabled(False)
        self.last_spec = spec
        policy = self.policy_provider() if self.policy_provider is not None else None
        self._readout_request = self.runner.submit(
            READOUT_KEY, lambda ctx: _protected_readout(ctx.cursor, spec, policy)
        )

    # ----- results ------------------------------------------------------------------------------------
    def _on_runner_result_ready(self, request_id: int, key: str, result) -> None:
        if key == ARMS_KEY and request_id == self._arms_request:
            current = self.control_combo.currentText()
            with QSignalBlocker(self.control_combo):
                self.control_combo.clear()
                self.control_combo.addItems(result)
                pick = current if current in result else _guess(result, ("control", "ctrl", "baseline", "a", "0"))
                if pick:
                    self.control_combo.setCurrentText(pick)
        elif key == READOUT_KEY and request_id == self._readout_request:
            self.run_button.setEnabled(True)
            self.show_readout(result.data)
        elif key == SUGGEST_KEY and request_id == getattr(self, "_suggest_request", None):
            self._add_suggested(result)

    def _on_runner_failed(self, request_id: int, key: str, message: str) -> None:
        if key == READOUT_KEY and request_id == self._readout_request:
            self.run_button.setEnabled(True)
            self._show_error(message)
        elif key == ARMS_KEY and request_id == self._arms_request:
            self.control_combo.clear()
        elif key == SUGGEST_KEY and request_id == getattr(self, "_suggest_request", None):
            self._show_error(f"Could not suggest metrics: {message}")

    def _show_error(self, message: str) -> None:
        self.verdict_banner.setVisible(False)
        self.health.setText(message)
        self._set_health_style("error")
        self.error_occurred.emit(message)

    def _set_health_style(self, level: str) -> None:
        from widgets.theme import tint

        self._health_level = level
        bg, fg = tint(level)
        self.health.setStyleSheet(f"QLabel {{ background: {bg}; color: {fg}; border-radius: 6px; padding: 8px; }}")
        bg, fg = tint("error")
        self.verdict_banner.setStyleSheet(
            f"QLabel {{ background: {bg}; color: {fg}; border-radius: 6px; padding: 8px; font-weight: 600; }}"
        )

    def show_readout(self, data: dict) -> None:
        """Draw a readout dict (the engine's JSON document) into every tab."""
        self.readout = data
        self._draw_health(data)
        self._draw_results(data)
        self._fill_pickers(data)
        self._draw_cumulative()
        self._draw_segments()
        c = data["control_arm"]
        first = next(iter(data["metrics"].values()))
        pa = first["per_arm"][c]
        var = pa.get("variance", pa.get("variance_binomial", pa.get("variance_delta")))
        self.power.set_baseline(next(iter(first["comparisons"].values())).get("control_value"), var, pa.get("n"))
        for b in (self.copy_button, self.csv_button, self.png_button, self.report_button):
            b.setEnabled(True)
        self.status_message.emit("Experiment readout ready")
        self.readout_ready.emit(data)

    def _draw_health(self, data: dict) -> None:
        """The guardrail verdict banner (hidden unless one is harmed) and the split's health line, apart."""
        health, level, verdicts = health_and_verdicts(data)
        self.health.setText(health)
        self._set_health_style(level)
        self.verdict_banner.setText(verdicts)
        self.verdict_banner.setVisible(bool(verdicts))

    def _fill_pickers(self, data: dict) -> None:
        treatments = [a for a in data["arms"] if a != data["control_arm"]]
        cum_metrics = list((data.get("cumulative") or {}).get("metrics", {}))
        shown = [v for v in (data.get("segments") or {}).get("values", []) if v.get("metrics")]  # not withheld
        seg_metrics = list(shown[0]["metrics"]) if shown else []
        for combo, items in (
            (self.cum_metric, cum_metrics),
            (self.cum_arm, treatments),
            (self.seg_metric, seg_metrics),
            (self.seg_arm, treatments),
        ):
            current = combo.currentText()
            with QSignalBlocker(combo):
                combo.clear()
                combo.addItems(items)
                if current in items:
                    combo.setCurrentText(current)

    def _draw_cumulative(self, *_):
        data = self.readout or {}
        cum = (data.get("cumulative") or {}).get("metrics", {})
        points = cum.get(self.cum_metric.currentText(), {}).get(self.cum_arm.currentText(), [])
        self.cum_note.setText(CUM_NOTE if cum else CUM_NOTE_EMPTY)
        if cum and data.get("metrics", {}).get(self.cum_metric.currentText(), {}).get("type") == "quantile":
            self.cum_note.setText(CUM_NOTE + " " + (data.get("cumulative") or {}).get("quantile_note", ""))
        self.cumulative.set_points(
            points,
            f"{self.cum_metric.currentText()} · {self.cum_arm.currentText()} vs {data.get('control_arm', '')}"
            if points
            else "",
        )

    # ----- export -------------------------------------------------------------------------------------
    def readout_text(self) -> str:
        return readout_text(self.readout) if self.readout else ""

    def copy_readout(self) -> None:
        # copy_filter(readout) -> text: the workspace installs one applying small-cell rules (and logging).
        text = self.copy_filter(self.readout) if self.copy_filter is not None and self.readout else self.readout_text()
        if not text:
            return
        QGuiApplication.clipboard().setText(text)
        self.status_message.emit("Readout copied as text")

    def export_csv(self, path: str) -> None:
        # export_hook(fmt, path) -> bool: the workspace installs one that applies the small-cell rules, stamps
        # the file with the sources' fingerprints and logs it; without a workspace the export is plain.
        if self.export_hook is not None and self.readout:
            self.export_hook("csv", path)
            return
        Path(path).write_text(readout_csv(self.readout), encoding="utf-8")
        self.status_message.emit(f"Saved {path}")

    def export_png(self, path: str) -> bool:
        if self.export_hook is not None and self.readout:
            return bool(self.export_hook("png", path))
        ok = self.right.grab().save(path, "PNG")
        if not ok:
            self._show_error(f"Could not write {path}")
        return ok

    def _on_csv_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export readout as CSV", "experiment_readout.csv", "CSV (*.csv)")
        if path:
            try:
                self.export_csv(path)
            except OSError as exc:
                self._show_error(f"Could not write {path}: {exc.strerror}")

    def _on_png_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export readout as PNG", "experiment_readout.png", "PNG (*.png)")
        if path:
            self.export_png(path)


def _guess(items, candidates) -> str | None:
    low = {str(i).lower(): i for i in items}
    for c in candidates:
        if c in low:
            return low[c]
    return None
