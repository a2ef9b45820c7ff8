"""The Impact panel: did a launch that was never A/B tested change a metric, by how much, how sure?

Left: the form — table, time column, measure (anything ``workbench metric`` accepts), grain, unit column,
treated units (a pick list with their row counts), start date, method. Right: the verdict sentence, then
tabs — treated vs counterfactual (synthetic control, else the controls' average shifted to the treated
pre-period level) with the start marked, the gap, the event-study plot, the placebo spaghetti plot, the
donor weights and the diagnostics with what to do.

Everything is one engine call, ``run_impact``, submitted to the QueryRunner (key ``impact.readout``); the
unit pick list and the data's time range come from a second task (``impact.units``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from PySide6.QtCore import QDate, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from widgets.form_splitter import form_splitter
from widgets.impact_charts import COUNTERFACTUAL_COLOR, TREATED_COLOR, EventStudyChart, SeriesChart
from workbench.causal import GRAINS, METHODS
from workbench.analysis.impact import ImpactReadout
from workbench.causal.panel import ImpactSpec, unit_sizes
from workbench.errors import WorkbenchError
from workbench.metrics import Measure, MetricSpec, time_bounds

READOUT_KEY = "impact.readout"
UNITS_KEY = "impact.units"
UNIT_GUESSES = ("country", "region", "state", "market", "platform", "unit")


def _guess(names, candidates):
    low = {n.lower(): n for n in names}
    return next((low[c] for c in candidates if c in low), None)


def _units_and_range(cur, table: str, unit: str, time_column: str | None):
    sizes = unit_sizes(cur, table, unit)
    lo, hi = time_bounds(cur, MetricSpec(table=table, time_column=time_column)) if time_column else (None, None)
    return sizes, lo, hi


class ImpactPanel(QWidget):
    """Policy-impact readout panel (see module docstring)."""

    error_occurred = Signal(str)
    status_message = Signal(str)
    result_ready = Signal(object)  # ImpactResult
    add_to_report_requested = Signal()  # keep the analysis in the workspace for the evidence report

    def __init__(self, runner, catalog, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.catalog = catalog
        self.result = None
        self.last_spec: ImpactSpec | None = None
        self._sources: dict = {}
        self._units_request = self._readout_request = None
        self._build_ui()
        self._connect_signals()

    # ----- layout -------------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.table_combo, self.time_combo, self.unit_combo = QComboBox(), QComboBox(), QComboBox()
        self.measure_combo = QComboBox()
        self.measure_combo.setEditable(True)
        self.measure_combo.setToolTip("count(*), sum(COL), mean(COL), ratio(NUM, DEN), … as in the Explorer")
        self.grain_combo = QComboBox()
        self.grain_combo.addItems(list(GRAINS))
        self.grain_combo.setCurrentText("day")
        self.treated_list = QListWidget()
        self.treated_list.setToolTip("Tick the units the change applied to; the rest are controls")
        self.treated_list.setMinimumHeight(140)
        self.start_edit = QDateEdit()
        self.start_edit.setCalendarPopup(True)
        self.start_edit.setDisplayFormat("yyyy-MM-dd")
        self.method_combo = QComboBox()
        self.method_combo.addItems(list(METHODS))
        self.method_combo.setCurrentText("all")
        self.run_button = QPushButton("Run analysis")
        self.run_button.setDefault(True)
        self.report_button = QPushButton("Add to report")
        self.report_button.setToolTip("Keep this analysis in the workspace for File ▸ Export Evidence Report…")
        self.report_button.setEnabled(False)

        form_box = QGroupBox("Change to evaluate")
        form = QFormLayout(form_box)
        form.addRow("Table", self.table_combo)
        form.addRow("Time", self.time_combo)
        form.addRow("Measure", self.measure_combo)
        form.addRow("Grain", self.grain_combo)
        form.addRow("Unit", self.unit_combo)
        form.addRow("Treated", self.treated_list)
        form.addRow("Start", self.start_edit)
        form.addRow("Method", self.method_combo)
        left = QWidget()
        llay = QVBoxLayout(left)
        llay.setContentsMargins(0, 0, 0, 0)
        llay.addWidget(form_box)
        row = QHBoxLayout()
        row.addWidget(self.report_button)
        row.addStretch(1)
        row.addWidget(self.run_button)
        llay.addLayout(row)
        llay.addStretch(1)

        self.verdict = QLabel(
            "Pick a table, the measure and the unit column, tick the treated units and the start "
            "date, then Run analysis."
        )
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._set_banner("info")
        self.main_chart = SeriesChart(
            "Treated vs counterfactual", "Run the analysis to see the treated units against their counterfactual."
        )
        self.gap_chart = SeriesChart(
            "Gap: treated minus counterfactual", "Run the analysis to see the gap.", zero_line=True
        )
        self.event_chart = EventStudyChart()
        self.placebo_chart = SeriesChart(
            "Placebos: every donor treated in turn (grey) vs the treated gap",
            "The placebo plot needs a synthetic control (controls and one start).",
            zero_line=True,
        )
        self.weights_table = QTableWidget(0, 2)
        self.weights_table.setHorizontalHeaderLabels(["Donor", "Weight"])
        self.weights_table.verticalHeader().setVisible(False)
        self.weights_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.weights_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.diagnostics = QTextBrowser()
        charts = QSplitter(Qt.Orientation.Vertical)
        charts.addWidget(self.main_chart)
        charts.addWidget(self.gap_chart)
        self.tabs = QTabWidget()
        self.tabs.addTab(charts, "Treated vs counterfactual")
        self.tabs.addTab(self.event_chart, "Event study")
        self.tabs.addTab(self.placebo_chart, "Placebos")
        self.tabs.addTab(self.weights_table, "Weights")
        self.tabs.addTab(self.diagnostics, "Diagnostics")
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        rlay.addWidget(self.verdict)
        rlay.addWidget(self.tabs, 1)

        self.splitter = form_splitter(self, left, right, 330)

    def splitters(self) -> dict:
        """Splitters whose positions MainWindow saves in QSettings (name -> QSplitter)."""
        return {"form": self.splitter}

    def refresh_theme(self) -> None:
        self._set_banner(getattr(self, "_banner_level", "info"))

    def _connect_signals(self) -> None:
        self.table_combo.currentTextChanged.connect(self._on_table_combo_changed)
        self.unit_combo.currentTextChanged.connect(self._on_unit_combo_changed)
        self.time_combo.currentTextChanged.connect(self._on_unit_combo_changed)
        self.run_button.clicked.connect(self.run)
        self.report_button.clicked.connect(self.add_to_report_requested)
        self.runner.result_ready.connect(self._on_runner_result_ready)
        self.runner.failed.connect(self._on_runner_failed)

    # ----- sources and form ---------------------------------------------------------------------------
    def set_sources(self, sources) -> None:
        """Offer the opened tables; keep the current one when it is still open."""
        self._sources = {s.name: s for s in sources}
        current = self.table_combo.currentText()
        with QSignalBlocker(self.table_combo):
            self.table_combo.clear()
            self.table_combo.addItems(list(self._sources))
            if current in self._sources:
                self.table_combo.setCurrentText(current)
            elif self._sources:
                best = next(
                    (n for n, s in self._sources.items() if s.time_columns and _guess(s.column_names, UNIT_GUESSES)),
                    None,
                )
                self.table_combo.setCurrentText(best or next(iter(self._sources)))
        if self.table_combo.currentText() != current:
            self._on_table_combo_changed(self.table_combo.currentText())

    def _on_table_combo_changed(self, name: str) -> None:
        source = self._sources.get(name)
        if source is None:
            return
        numeric = [c.name for c in source.columns if c.is_numeric and not c.is_temporal]
        measures = ["count(*)"] + [f"sum({c})" for c in numeric] + [f"mean({c})" for c in numeric]
        if "violations" in numeric and "views" in numeric:
            measures.insert(1, "ratio(violations, views)")
        with QSignalBlocker(self.measure_combo):
            self.measure_combo.clear()
            self.measure_combo.addItems(measures)
        with QSignalBlocker(self.time_combo):
            self.time_combo.clear()
            self.time_combo.addItems(source.time_columns)
        categorical = [c.name for c in source.columns if not c.is_temporal and not c.is_numeric] or source.column_names
        with QSignalBlocker(self.unit_combo):
            self.unit_combo.clear()
            self.unit_combo.addItems(categorical)
            g = _guess(categorical, UNIT_GUESSES)
            if g:
                self.unit_combo.setCurrentText(g)
        self._on_unit_combo_changed()

    def _on_unit_combo_changed(self, *_):
        table, unit = self.table_combo.currentText(), self.unit_combo.currentText()
        if not table or not unit:
            return
        tcol = self.time_combo.currentText() or None
        self._units_request = self.runner.submit(UNITS_KEY, lambda ctx: _units_and_range(ctx.cursor, table, unit, tcol))

    def _fill_units(self, sizes: pd.DataFrame, lo, hi) -> None:
        ticked = set(self.treated_units())
        self.treated_list.clear()
        for unit, n in zip(sizes["unit"], sizes["n_rows"]):
            item = QListWidgetItem(f"{unit}  ({int(n):,} rows)")
            item.setData(Qt.ItemDataRole.UserRole, str(unit))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if str(unit) in ticked else Qt.CheckState.Unchecked)
            self.treated_list.addItem(item)
        if lo is not None and hi is not None:
            lo_d, hi_d = pd.Timestamp(lo).date(), pd.Timestamp(hi).date()
            self.start_edit.setDateRange(QDate(lo_d.year, lo_d.month, lo_d.day), QDate(hi_d.year, hi_d.month, hi_d.day))
            mid = (pd.Timestamp(lo) + (pd.Timestamp(hi) - pd.Timestamp(lo)) / 2).date()
            if not getattr(self, "_start_chosen", False):
                self.start_edit.setDate(QDate(mid.year, mid.month, mid.day))
        pending, self._pending = getattr(self, "_pending", None), None
        if pending is not None:
            self.set_treated(*pending)

    def treated_units(self) -> list[str]:
        return [
            self.treated_list.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.treated_list.count())
            if self.treated_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def open_for(
        self, table: str, unit: str, treated, start, time_column: str | None = None, measure: str | None = None
    ) -> None:
        """Pre-fill the form (e.g. from an anomaly incident: its segment as the treated unit, its start as the
        start). The treated units are ticked once the unit list has loaded on the worker."""
        if table not in self._sources:
            self._show_error(f"Open {table} first, then ask again")
            return
        self._pending = (list(treated), start)
        with QSignalBlocker(self.table_combo):
            self.table_combo.setCurrentText(table)
        self._on_table_combo_changed(table)
        with QSignalBlocker(self.unit_combo), QSignalBlocker(self.time_combo):
            if self.unit_combo.findText(unit) < 0:
                self.unit_combo.addItem(unit)
            self.unit_combo.setCurrentText(unit)
            if time_column:
                self.time_combo.setCurrentText(time_column)
        if measure:
            self.measure_combo.setCurrentText(measure)
        self._on_unit_combo_changed()

    def set_treated(self, units, start=None) -> None:
        """Tick ``units`` (e.g. an anomaly incident's segment) and set the start date."""
        wanted = {str(u) for u in units}
        for i in range(self.treated_list.count()):
            item = self.treated_list.item(i)
            item.setCheckState(
                Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in wanted else Qt.CheckState.Unchecked
            )
        if start is not None:
            d = pd.Timestamp(start).date()
            self._start_chosen = True
            self.start_edit.setDate(QDate(d.year, d.month, d.day))

    def spec(self) -> ImpactSpec:
        """The ImpactSpec the form describes (raises WorkbenchError when incomplete)."""
        if not self.table_combo.currentText():
            raise WorkbenchError("Open a table first (File ▸ Open), then pick it here")
        if not self.time_combo.currentText():
            raise WorkbenchError("This table has no DATE or TIMESTAMP column to use as time")
        if not self.treated_units():
            raise WorkbenchError("Tick at least one treated unit")
        return ImpactSpec(
            table=self.table_combo.currentText(),
            time_column=self.time_combo.currentText(),
            measure=Measure.parse(self.measure_combo.currentText()),
            grain=self.grain_combo.currentText(),
            unit=self.unit_combo.currentText(),
            treated=tuple(self.treated_units()),
            start=self.start_edit.date().toString("yyyy-MM-dd"),
            method=self.method_combo.currentText(),
        )

    def run(self) -> None:
        """Validate the form and submit the analysis to the QueryRunner."""
        try:
            spec = self.spec()
        except WorkbenchError as exc:
            self._show_error(str(exc))
            return
        self.last_spec = spec
        self.run_button.setEnabled(False)
        self.status_message.emit("Estimating the impact…")
        self._readout_request = self.runner.submit(READOUT_KEY, lambda ctx: ImpactReadout(spec).run(ctx.cursor).value)

    # ----- results ------------------------------------------------------------------------------------
    def _on_runner_result_ready(self, request_id: int, key: str, result) -> None:
        if key == UNITS_KEY and request_id == self._units_request:
            self._fill_units(*result)
        elif key == READOUT_KEY and request_id == self._readout_request:
            self.run_button.setEnabled(True)
            self.show_result(result)

    def _on_runner_failed(self, request_id: int, key: str, message: str) -> None:
        if key == READOUT_KEY and request_id == self._readout_request:
            self.run_button.setEnabled(True)
            self._show_error(message)
        elif key == UNITS_KEY and request_id == self._units_request:
            self.treated_list.clear()
            self._show_error(message)

    def show_result(self, result) -> None:
        """Draw an ImpactResult: verdict, charts, weights and diagnostics."""
        self.result = result
        doc = result.doc
        warn = any(d["severity"] == "warning" for d in doc.get("diagnostics", []))
        n_warn = sum(1 for d in doc.get("diagnostics", []) if d["severity"] == "warning")
        self.verdict.setText(
            doc["verdict"] + (f"  ({n_warn} warning{'s' if n_warn != 1 else ''}: see Diagnostics)" if n_warn else "")
        )
        self._set_banner("warning" if warn else "info")
        self._draw_series(result)
        self.event_chart.set_rows(doc.get("event_study", []))
        self._draw_weights(doc.get("synthetic", {}).get("weights", {}))
        self._draw_diagnostics(doc)
        self.report_button.setEnabled(True)
        self.status_message.emit("Impact estimated")
        self.result_ready.emit(result)

    def _draw_series(self, result) -> None:
        doc, extras = result.doc, result.extras
        synth = extras.get("synthetic")
        if synth is not None:
            periods, treated, counter = synth["periods"], synth["treated"], synth["synthetic"]
            label = "synthetic control"
        elif "its" in doc:
            s = extras["series"]
            its_rows = {r["period"]: r["predicted"] for r in doc["its"]["series"]}
            periods, treated = s["periods"], s["treated"]
            counter = np.array([its_rows.get(f"{p:%Y-%m-%d}", np.nan) for p in periods], float)
            label = "projection (ITS)"
        else:
            s = extras["series"]
            periods, treated, counter = s["periods"], s["treated"], s["counterfactual"]
            label = "controls' average (shifted to the treated pre-period level)"
        start = extras["series"]["start"]
        gap = np.asarray(treated, float) - np.asarray(counter, float)
        self.main_chart.set_series(
            periods, [("treated", treated, TREATED_COLOR, 2), (label, counter, COUNTERFACTUAL_COLOR, 2)], start=start
        )
        self.gap_chart.set_series(periods, [("gap", gap, TREATED_COLOR, 2)], start=start)
        if synth is not None:
            self.placebo_chart.set_series(
                periods,
                [("treated gap", gap, TREATED_COLOR, 3)],
                start=start,
                background=list(synth["placebo_gaps"].values()),
            )
        else:
            self.placebo_chart.set_series([], [])

    def _draw_weights(self, weights: dict) -> None:
        rows = sorted(weights.items(), key=lambda kv: -kv[1])
        self.weights_table.setRowCount(len(rows))
        for r, (donor, w) in enumerate(rows):
            self.weights_table.setItem(r, 0, QTableWidgetItem(donor))
            item = QTableWidgetItem(f"{w:.3f}")
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            self.weights_table.setItem(r, 1, item)

    def _draw_diagnostics(self, doc: dict) -> None:
        from html import escape

        parts = []
        for d in doc.get("diagnostics", []):
            parts.append(
                f"<p><b>{escape(d['severity'].capitalize())}:</b> {escape(d['message'])}<br>"
                f"<i>What to do:</i> {escape(d['what_to_do'])}</p>"
            )
        for s in doc.get("skipped", []):
            parts.append(f"<p><b>Not computed:</b> {escape(s)}</p>")
        self.diagnostics.setHtml("".join(parts) or "<p>No warnings for this design.</p>")

    def _show_error(self, message: str) -> None:
        self.verdict.setText(message)
        self._set_banner("error")
        self.error_occurred.emit(message)

    def _set_banner(self, level: str) -> None:
        from widgets.theme import tint

        self._banner_level = level
        bg, fg = tint(level)
        self.verdict.setStyleSheet(f"QLabel {{ background: {bg}; color: {fg}; border-radius: 6px; padding: 8px; }}")
