"""Anomalies panel: detect incidents in a metric, explain one by dimension, size it, mark events.

Everything heavy runs through the QueryRunner (keys ``anomaly.detect`` and ``anomaly.explain``; a newer
request supersedes the older one). Detector settings re-run detection after a 250 ms debounce.

Signals (MainWindow wires them; the panel never holds another panel)
-------
error_occurred(str), status_message(str)
detection_ready(object Detection)         -> e.g. ``explorer.chart.set_anomalies(detection)``
incident_selected(object Incident)
zoom_requested(float x0, float x1)        -> epoch seconds; ``explorer.chart.plot_item.setXRange(x0, x1)``
explanation_ready(object RootCause)
filter_requested(object list[Filter])     -> add the culprit as filters in the Explorer
impact_requested(object dict)             -> "Was this a launch?": open Impact with the segment as treated unit
annotations_changed(object list[Annotation]) -> draw on every chart (``AnomalyOverlay.set_annotations``)
add_to_report_requested()                 -> the workspace keeps the current result for the evidence report
                                             (``last_detect_args`` / ``last_explain_args`` say how it was computed)
"""

from __future__ import annotations

import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import QDateTime, QSignalBlocker, Qt, QTimer, QTimeZone, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from widgets.elide_delegate import MiddleElideDelegate
from widgets.anomaly_incidents import IncidentModel, SegmentModel
from widgets.anomaly_overlay import Annotation, AnomalyOverlay, epoch_seconds
from widgets.anomaly_root_cause import AnomaliesRootCauseMixin
from widgets.anomaly_state import AnomaliesStateMixin

DEBOUNCE_MS = 250
GRAIN_CHOICES = ("auto", "raw", "minute", "5min", "15min", "30min", "hour", "day", "week", "month", "quarter", "year")
NONE = "(none)"
EMPTY_TEXT = "Open a table with a time column, pick a measure, then press Detect."


def model_text(detection, s: int) -> str:
    """'Model: ...' (and the grain "auto" chose, with its reason) for series ``s`` of a detection."""
    why = detection.reasons[s] if s < len(detection.reasons) else detection.baselines[s]
    grain = f" · Grain: {detection.grain_reason}" if detection.grain_reason else ""
    return f"Model: {why}{grain}"


def _compute_detection(ctx, spec, grain: str, params):
    from workbench.analysis.anomalies import AnomalyDetection

    # Reports and replays run the same analysis; ctx.check between its query and the (pure Python)
    # detection: a cancel after the query must not wait for the detectors.
    return AnomalyDetection(spec, grain, params).compute(ctx.cursor, check=ctx.check).detection


def _detect_result(ctx, frame, grain: str, params):
    from workbench.anomaly.detect import detect_frame

    if frame is None or frame.empty:
        from workbench.errors import SpecError

        raise SpecError("The chart has no data to detect on")
    ctx.check()
    return detect_frame(frame, params, grain=grain)


class AnomalyPanel(AnomaliesStateMixin, AnomaliesRootCauseMixin, QWidget):
    error_occurred = Signal(str)
    status_message = Signal(str)
    detection_ready = Signal(object)
    incident_selected = Signal(object)
    zoom_requested = Signal(float, float)
    explanation_ready = Signal(object)
    filter_requested = Signal(object)
    impact_requested = Signal(object)  # {table, unit, treated, start, time_column, measure}
    annotations_changed = Signal(object)
    add_to_report_requested = Signal()

    DETECT_KEY = "anomaly.detect"
    EXPLAIN_KEY = "anomaly.explain"

    def __init__(self, runner, catalog, parent=None):
        super().__init__(parent)
        self._runner = runner
        self._catalog = catalog
        self._sources: dict = {}
        self._filters: tuple = ()
        self._detect_request: int | None = None
        self._explain_request: int | None = None
        self.detection = None
        self.explanation = None
        self.annotations: list[Annotation] = []
        # The form follows the Explorer's metric until the user edits it (follow_explorer).
        self._follows_explorer = True
        self._explorer_spec = None
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._build()
        self._connect_signals()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.source_combo = QComboBox()
        self.time_combo = QComboBox()
        self.measure_edit = QLineEdit("count(*)")
        self.measure_edit.setToolTip("count(*), sum(COL), count_distinct(COL), ratio(NUM, DEN), mean(COL) ...")
        self.grain_combo = QComboBox()
        self.grain_combo.addItems(GRAIN_CHOICES)
        self.breakdown_combo = QComboBox()
        metric_box = QGroupBox("Metric")
        form = QFormLayout(metric_box)
        form.addRow("Table", self.source_combo)
        form.addRow("Time", self.time_combo)
        form.addRow("Measure", self.measure_edit)
        form.addRow("Grain", self.grain_combo)
        form.addRow("Break down by", self.breakdown_combo)

        from workbench.anomaly.params import DIRECTIONS, METHODS

        self.method_combo = QComboBox()
        self.method_combo.addItems([m for m in METHODS if m != "threshold"])
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.0, 50.0)
        self.threshold_spin.setSingleStep(0.5)
        self.threshold_spin.setSpecialValueText("default")
        self.threshold_spin.setToolTip("Band half-width in robust standard deviations (lower = more sensitive)")
        self.direction_combo = QComboBox()
        self.direction_combo.addItems(DIRECTIONS)
        self.min_volume_spin = QDoubleSpinBox()
        self.min_volume_spin.setRange(0.0, 1e12)
        self.min_volume_spin.setDecimals(0)
        self.detect_button = QPushButton("Detect")
        self.report_button = QPushButton("Add to report")
        self.report_button.setToolTip(
            "Keep this detection (and the root cause shown) in the workspace for File ▸ Export Evidence Report…"
        )
        det_box = QGroupBox("Detector")
        dform = QFormLayout(det_box)
        dform.addRow("Method", self.method_combo)
        dform.addRow("Sensitivity (σ)", self.threshold_spin)
        dform.addRow("Direction", self.direction_combo)
        dform.addRow("Min volume", self.min_volume_spin)
        buttons = QHBoxLayout()
        buttons.addWidget(self.detect_button)
        buttons.addWidget(self.report_button)
        dform.addRow(buttons)

        controls = QVBoxLayout()
        controls.addWidget(metric_box)
        controls.addWidget(det_box)
        controls.addStretch(1)
        controls.setContentsMargins(0, 0, 0, 0)
        controls_host = QWidget()
        controls_host.setLayout(controls)
        controls_host.setMaximumWidth(330)

        self.preview = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0)})
        self.preview_item = self.preview.getPlotItem()
        self.preview_item.setDownsampling(auto=True, mode="peak")
        self.preview_item.setClipToView(True)
        self.preview_item.showGrid(x=True, y=True, alpha=0.15)
        self.preview_item.setMenuEnabled(False)
        self.preview.setMinimumHeight(200)
        self.preview_line = pg.PlotDataItem(pen=pg.mkPen("#1f77b4", width=1.4), connect="finite")
        self.preview_item.addItem(self.preview_line)
        self.overlay = AnomalyOverlay(self.preview_item)

        self.summary = QLabel("")
        self.summary.setObjectName("hint")
        # Which model "auto" chose for the series on the chart, and why (a user must be able to check it).
        self.model_label = QLabel("")
        self.model_label.setObjectName("hint")
        self.model_label.setWordWrap(True)
        self.empty_state = QLabel(EMPTY_TEXT)
        self.empty_state.setObjectName("emptyState")
        self.empty_state.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_state.setWordWrap(True)
        self.empty_state.setMinimumHeight(200)
        self.incident_model = IncidentModel(self)
        self.incident_view = QTableView()
        self.incident_view.setModel(self.incident_model)
        self.incident_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.incident_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # Every column in view: numbers sized to content, the segment takes the rest (elided; tooltips say all).
        inc_header = self.incident_view.horizontalHeader()
        inc_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        inc_header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        inc_header.setMaximumSectionSize(150)
        self.incident_view.verticalHeader().hide()

        # Root cause tab
        self.dims_list = QListWidget()
        self.dims_list.setMaximumHeight(56)
        self.baseline_combo = QComboBox()
        from workbench.anomaly.root_cause import BASELINES

        self.baseline_combo.addItems(BASELINES)
        self.explain_button = QPushButton("Explain selected incident")
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.segment_model = SegmentModel(self)
        self.segment_view = QTableView()
        self.segment_view.setModel(self.segment_model)
        self.segment_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.segment_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        # The segment label takes the room left by the numbers (elided; full text in its tooltip).
        seg_header = self.segment_view.horizontalHeader()
        seg_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        seg_header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.segment_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self._elide = MiddleElideDelegate(self)  # both ends of a segment label stay readable
        self.segment_view.setItemDelegateForColumn(0, self._elide)
        self.incident_view.setItemDelegateForColumn(2, self._elide)
        self.segment_view.verticalHeader().hide()
        self.bars = pg.PlotWidget()
        self.bars.setMinimumHeight(150)
        self.bars_item = self.bars.getPlotItem()
        self.bars_item.setMenuEnabled(False)
        self.bars_item.showGrid(x=True, alpha=0.15)
        self.bars_item.setTitle("Root cause: expected (grey) vs actual (blue)", size="8pt")
        self.filter_button = QPushButton("Add as filter")
        self.filter_button.setEnabled(False)
        self.launch_button = QPushButton("Was this a launch?")
        self.launch_button.setToolTip(
            "Open Impact with this segment as the treated unit and the incident's start as "
            "the start: did a change there cause it, against the other values?"
        )
        self.launch_button.setEnabled(False)
        rc = QWidget()
        rcl = QVBoxLayout(rc)
        rcl.setContentsMargins(6, 6, 6, 6)
        # Dimensions flow left to right and wrap: every checkbox visible, no horizontal scrollbar.
        self.dims_list.setFlow(QListView.Flow.LeftToRight)
        self.dims_list.setWrapping(True)
        self.dims_list.setResizeMode(QListView.ResizeMode.Adjust)
        self.dims_list.setSpacing(2)
        self.dims_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        top = QHBoxLayout()
        top.addWidget(QLabel("Dimensions"), 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.dims_list, 1)
        rcl.addLayout(top)
        run_row = QHBoxLayout()
        run_row.addWidget(QLabel("Baseline"))
        run_row.addWidget(self.baseline_combo)
        run_row.addStretch(1)
        run_row.addWidget(self.explain_button)
        rcl.addLayout(run_row)
        verdict_row = QHBoxLayout()
        verdict_row.addWidget(self.verdict, 1)
        verdict_row.addWidget(self.launch_button, 0, Qt.AlignmentFlag.AlignBottom)
        verdict_row.addWidget(self.filter_button, 0, Qt.AlignmentFlag.AlignBottom)
        rcl.addLayout(verdict_row)
        rcl.addWidget(self.segment_view, 1)

        # Annotations tab
        self.annotation_list = QListWidget()
        self.annotation_time = QDateTimeEdit()
        self.annotation_time.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.annotation_time.setTimeZone(QTimeZone.utc())
        self.annotation_time.setCalendarPopup(True)
        self.annotation_label = QLineEdit()
        self.annotation_label.setPlaceholderText("e.g. v31.2 release")
        self.annotation_add = QPushButton("Mark")
        self.annotation_remove = QPushButton("Remove")
        an = QWidget()
        anl = QVBoxLayout(an)
        row = QHBoxLayout()
        row.addWidget(self.annotation_time)
        row.addWidget(self.annotation_label, 1)
        row.addWidget(self.annotation_add)
        anl.addLayout(row)
        anl.addWidget(self.annotation_list, 1)
        rb = QHBoxLayout()
        rb.addStretch(1)
        rb.addWidget(self.annotation_remove)
        anl.addLayout(rb)

        self.tabs = QTabWidget()
        self.tabs.addTab(rc, "Root cause")
        self.tabs.addTab(an, "Annotations")

        # Form and chart on top; incidents and root cause below across the full width (the form is short,
        # so nothing sits in an empty column under it).
        self.lower_split = QSplitter(Qt.Orientation.Horizontal)
        inc_host = QWidget()
        il = QVBoxLayout(inc_host)
        il.setContentsMargins(0, 0, 0, 0)
        self.incidents_label = QLabel("Incidents (most severe first)")
        il.addWidget(self.incidents_label)
        il.addWidget(self.incident_view, 1)
        # Few incidents fit in a short table: the root-cause bars use the rest of this column, at a width
        # where segment labels are readable.
        self.left_split = QSplitter(Qt.Orientation.Vertical)
        self.left_split.addWidget(inc_host)
        self.left_split.addWidget(self.bars)
        self.left_split.setSizes([170, 280])
        self.lower_split.addWidget(self.left_split)
        self.lower_split.addWidget(self.tabs)
        self.lower_split.setStretchFactor(0, 2)
        self.lower_split.setStretchFactor(1, 3)
        self.lower_split.setSizes([430, 570])
        chart_host = QWidget()
        cl = QVBoxLayout(chart_host)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self.summary)
        cl.addWidget(self.model_label)
        cl.addWidget(self.empty_state, 1)
        cl.addWidget(self.preview, 1)
        self.preview.hide()  # empty axes with 0..1 ticks look broken: a sentence until the first detection
        self.summary.hide()
        self.model_label.hide()
        self.bars.hide()
        upper = QWidget()
        ul = QHBoxLayout(upper)
        ul.setContentsMargins(0, 0, 0, 0)
        ul.addWidget(controls_host)
        ul.addWidget(chart_host, 1)
        self.main_split = QSplitter(Qt.Orientation.Vertical)
        self.main_split.addWidget(upper)
        self.main_split.addWidget(self.lower_split)
        self.main_split.setStretchFactor(0, 1)
        self.main_split.setStretchFactor(1, 1)
        self.main_split.setSizes([350, 480])
        layout = QVBoxLayout(self)
        layout.addWidget(self.main_split)
        self.refresh_theme()

    def splitters(self) -> dict:
        """Splitters whose positions MainWindow saves in QSettings (name -> QSplitter)."""
        return {"main": self.main_split, "lower": self.lower_split, "left": self.left_split}

    def refresh_theme(self) -> None:
        """Chart colours from the app palette (MainWindow calls this after a theme change)."""
        from PySide6.QtGui import QColor

        from widgets.theme import colors

        c = colors()
        for widget, item in ((self.preview, self.preview_item), (self.bars, self.bars_item)):
            widget.setBackground(QColor(c["base"]))
            for name in ("bottom", "left"):
                ax = item.getAxis(name)
                ax.setPen(pg.mkPen(QColor(c["disabled"])))
                ax.setTextPen(pg.mkPen(QColor(c["text"])))
        if self.explanation is not None:
            self._draw_bars(self.explanation)  # bar labels take the text colour

    def _connect_signals(self) -> None:
        self._runner.result_ready.connect(self._on_runner_result_ready)
        self._runner.failed.connect(self._on_runner_failed)
        self._debounce.timeout.connect(self.run_detection)
        self.detect_button.clicked.connect(self.run_detection)
        self.report_button.clicked.connect(self.add_to_report_requested)
        self.source_combo.currentIndexChanged.connect(self._on_source_combo_changed)
        for w in (self.method_combo, self.direction_combo, self.grain_combo, self.breakdown_combo, self.time_combo):
            w.currentIndexChanged.connect(self._schedule)
        self.threshold_spin.valueChanged.connect(self._schedule)
        self.min_volume_spin.valueChanged.connect(self._schedule)
        self.measure_edit.editingFinished.connect(self._schedule)
        for w in (self.source_combo, self.time_combo, self.grain_combo, self.breakdown_combo):
            w.activated.connect(self._on_form_edited)  # activated: only a user's pick, never setCurrentText
        self.measure_edit.textEdited.connect(self._on_form_edited)
        self.incident_view.selectionModel().selectionChanged.connect(self._on_incident_selection_changed)
        self.explain_button.clicked.connect(self.explain_selected)
        self.segment_view.selectionModel().selectionChanged.connect(self._on_segment_selection_changed)
        self.filter_button.clicked.connect(self._on_filter_button_clicked)
        self.launch_button.clicked.connect(self._on_launch_button_clicked)
        self.annotation_add.clicked.connect(self._on_annotation_add_clicked)
        self.annotation_remove.clicked.connect(self._on_annotation_remove_clicked)

    # ------------------------------------------------------------------ sources and specs
    def set_sources(self, sources: list) -> None:
        """Called by MainWindow when the catalog changes."""
        self._sources = {s.name: s for s in sources}
        current = self.source_combo.currentText()
        with QSignalBlocker(self.source_combo):
            self.source_combo.clear()
            self.source_combo.addItems(list(self._sources))
            if current in self._sources:
                self.source_combo.setCurrentText(current)
        self._fill_columns()
        if self._follows_explorer and self._explorer_spec is not None:
            self.follow_explorer(self._explorer_spec)

    def follow_explorer(self, spec) -> None:
        """Default the form to the Explorer's metric (table, time column, measure, filters, grain) until the
        user edits the form; nothing is detected until they press Detect."""
        self._explorer_spec = spec
        if not self._follows_explorer or spec is None or spec.table not in self._sources:
            return
        if not self.isVisible():  # applied when the tab is shown: no combo rebuilds after every Explorer result
            self._follow_pending = True
            return
        self._follow_pending = False
        self.set_metric_spec_silently(spec)
        if self.detection is None:
            self.empty_state.setText(
                f"Press Detect to look for anomalies in {spec.measure.label} per {spec.grain} "
                f"on {spec.table} (the Explorer's metric)."
            )

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if getattr(self, "_follow_pending", False):
            self.follow_explorer(self._explorer_spec)

    @property
    def follows_explorer(self) -> bool:
        """True while the form still mirrors the Explorer (no user edit yet)."""
        return self._follows_explorer

    def _on_form_edited(self, *_) -> None:
        self._follows_explorer = False

    def _fill_columns(self) -> None:
        source = self._sources.get(self.source_combo.currentText())
        with QSignalBlocker(self.time_combo), QSignalBlocker(self.breakdown_combo):
            self.time_combo.clear()
            self.breakdown_combo.clear()
            self.breakdown_combo.addItem(NONE)
            self.dims_list.clear()
            if source is None:
                return
            times = [c.name for c in source.columns if c.is_temporal] or [c.name for c in source.columns]
            self.time_combo.addItems(times)
            for c in source.columns:
                if c.is_text or c.is_boolean:
                    self.breakdown_combo.addItem(c.name)
                    item = QListWidgetItem(c.name)
                    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                    item.setCheckState(Qt.CheckState.Checked if self.dims_list.count() < 4 else Qt.CheckState.Unchecked)
                    self.dims_list.addItem(item)

    def set_metric_spec(self, spec) -> None:
        """Follow the Explorer: same table, time column, measure, filters and breakdown; then detect."""
        if spec.table not in self._sources:
            return
        if spec.table != self.source_combo.currentText():
            self.set_detection(None)  # another table's incidents and root cause do not describe this one
            self.clear_explanation()
        with QSignalBlocker(self.source_combo):
            self.source_combo.setCurrentText(spec.table)
        self._fill_columns()
        with (
            QSignalBlocker(self.time_combo),
            QSignalBlocker(self.breakdown_combo),
            QSignalBlocker(self.grain_combo),
            QSignalBlocker(self.measure_edit),
        ):
            if spec.time_column:
                self.time_combo.setCurrentText(spec.time_column)
            self.measure_edit.setText(spec.measure.label)
            self.grain_combo.setCurrentText(spec.grain)
            self.breakdown_combo.setCurrentText(spec.breakdown or NONE)
        self._filters = tuple(spec.filters)
        self._schedule()

    def set_metric_result(self, result) -> int | None:
        """Detect on the Explorer's own result (same series, no new query): wire ``explorer.result_ready``
        here while the chart's Anomalies toggle is on."""
        self.set_metric_spec_silently(result.spec)
        frame, grain, params = result.frame, result.spec.grain, self.current_params()
        self.last_detect_args = (result.spec, grain, params)
        self._detect_request = self._runner.submit(
            self.DETECT_KEY,
            lambda ctx, frame=frame, grain=grain, params=params: _detect_result(ctx, frame, grain, params),
        )
        return self._detect_request

    def set_metric_spec_silently(self, spec) -> None:
        if spec.table in self._sources:
            self.set_metric_spec(spec)
            self._debounce.stop()

    def current_spec(self):
        from workbench.metrics import Measure, MetricSpec

        table = self.source_combo.currentText()
        if not table:
            return None
        breakdown = self.breakdown_combo.currentText()
        grain = self.grain_combo.currentText()
        return MetricSpec(
            table=table,
            measure=Measure.parse(self.measure_edit.text() or "count(*)"),
            time_column=self.time_combo.currentText() or None,
            grain=grain if grain not in ("auto", "raw") else "day",
            filters=self._filters,
            breakdown=None if breakdown in ("", NONE) else breakdown,
        )

    def current_params(self):
        from workbench.anomaly.params import DetectorParams

        thr = self.threshold_spin.value()
        return DetectorParams(
            method=self.method_combo.currentText(),
            threshold=thr if thr > 0 else None,
            direction=self.direction_combo.currentText(),
            min_volume=self.min_volume_spin.value(),
        )

    # ------------------------------------------------------------------ detection
    def _schedule(self, *_) -> None:
        self._debounce.start()

    def _on_source_combo_changed(self, *_) -> None:
        self._filters = ()
        self._fill_columns()
        # Results belong to the inputs that produced them: another table's incidents and root cause go, and
        # the measure must name this table's columns before anything runs.
        self.set_detection(None)
        self.clear_explanation()
        self._fit_measure_to_table()
        self._schedule()

    def _fit_measure_to_table(self) -> None:
        """Keep the measure when its columns exist in the chosen table, else fall back to count(*)."""
        from workbench.metrics import Measure

        source = self._sources.get(self.source_combo.currentText())
        if source is None:
            return
        names = {c.name for c in source.columns}
        try:
            fits = set(Measure.parse(self.measure_edit.text() or "count(*)").columns) <= names
        except Exception:  # a half-typed or foreign measure: it cannot run on this table either
            fits = False
        if not fits:
            with QSignalBlocker(self.measure_edit):
                self.measure_edit.setText("count(*)")

    def run_detection(self) -> int | None:
        """Submit detection for the current controls (the debounce calls this)."""
        self._debounce.stop()
        try:
            spec, params = self.current_spec(), self.current_params()
        except Exception as exc:  # SpecError from a half-typed measure: say so, do not crash
            self.error_occurred.emit(str(exc))
            return None
        if spec is None:
            return None
        grain = self.grain_combo.currentText()
        self.last_detect_args = (spec, grain, params)
        self.status_message.emit("Detecting anomalies…")
        self._detect_request = self._runner.submit(
            self.DETECT_KEY,
            lambda ctx, spec=spec, grain=grain, params=params: _compute_detection(ctx, spec, grain, params),
        )
        return self._detect_request

    def set_detection(self, detection, metric_label: str = "") -> None:
        """Show a detection (also usable without the runner, e.g. from the Explorer's own result)."""
        if detection is not self.detection:
            self.clear_explanation()  # the root cause explained an incident of the previous detection
        self.detection = detection
        label = metric_label or self.measure_edit.text()
        self.incident_model.set_incidents(detection.incidents if detection else [], label)
        self.incidents_label.setText(
            f"Incidents in {label} (most severe first)" if detection is not None else "Incidents (most severe first)"
        )
        if detection is None:
            self.overlay.clear()
            self.preview_line.setData([], [])
            self.preview.hide()
            self.summary.hide()
            self.model_label.hide()
            self.empty_state.show()
            return
        self.empty_state.hide()
        self.summary.show()
        self.model_label.show()
        self.preview.show()
        n_flag = int(detection.flags.sum())
        notes = f" — {'; '.join(detection.notes[:2])}" if detection.notes else ""
        self.summary.setText(
            f"{label}: {len(detection.incidents)} incident(s), {n_flag} flagged point(s) over "
            f"{len(detection.names)} series ({detection.baselines[0]}){notes}"
        )
        self._draw_series(detection.names[0])
        self.detection_ready.emit(detection)

    def _draw_series(self, name: str) -> None:
        det = self.detection
        s = det.names.index(name)
        self.preview_line.setData(epoch_seconds(det.index), det.actual[:, s])
        self.overlay.set_detection(det, {name: "#1f77b4"}, series=[name])
        self.overlay.set_annotations(self.annotations)
        self.preview_item.setTitle(str(name), size="9pt")
        self.preview_item.enableAutoRange()
        self.model_label.setText(model_text(det, s))

    # ------------------------------------------------------------------ incidents
    def selected_incident(self):
        rows = self.incident_view.selectionModel().selectedRows()
        return self.incident_model.incident(rows[0].row()) if rows else None

    def select_incident(self, row: int) -> None:
        self.incident_view.selectRow(row)

    def _on_incident_selection_changed(self, *_) -> None:
        inc = self.selected_incident()
        if inc is None:
            return
        if self.detection is not None and inc.series in self.detection.names:
            self._draw_series(inc.series)
        x0, x1 = self.overlay.zoom_to(inc)
        self.incident_selected.emit(inc)
        self.zoom_requested.emit(x0, x1)

    # ------------------------------------------------------------------ annotations
    def set_annotations(self, annotations: list[Annotation]) -> None:
        self.annotations = list(annotations)
        with QSignalBlocker(self.annotation_list):
            self.annotation_list.clear()
            for a in self.annotations:
                when = pd.Timestamp(a.x, unit="s").strftime("%Y-%m-%d %H:%M")
                self.annotation_list.addItem(f"{when}  {a.label}")
        self.overlay.set_annotations(self.annotations)
        self.annotations_changed.emit(list(self.annotations))

    def add_annotation(self, when, label: str) -> None:
        self.set_annotations(self.annotations + [Annotation.at(when, label or "event")])

    def _on_annotation_add_clicked(self) -> None:
        when = self.annotation_time.dateTime().toUTC().toString("yyyy-MM-ddTHH:mm:ss")
        self.add_annotation(when, self.annotation_label.text().strip())
        self.annotation_label.clear()

    def _on_annotation_remove_clicked(self) -> None:
        row = self.annotation_list.currentRow()
        if 0 <= row < len(self.annotations):
            self.set_annotations(self.annotations[:row] + self.annotations[row + 1 :])

    # ------------------------------------------------------------------ runner
    def _on_runner_result_ready(self, request_id: int, key: str, result) -> None:
        if key == self.DETECT_KEY and request_id == self._detect_request:
            self.set_detection(result)
            if result.index.size:
                self.annotation_time.setDateTime(
                    QDateTime.fromSecsSinceEpoch(int(epoch_seconds(result.index[-1:])[0]), QTimeZone.utc())
                )
            self.status_message.emit(f"{len(result.incidents)} incident(s)")
        elif key == self.EXPLAIN_KEY and request_id == self._explain_request:
            self.set_explanation(result)
            self.status_message.emit(result.verdict)

    def _on_runner_failed(self, request_id: int, key: str, message: str) -> None:
        if (key == self.DETECT_KEY and request_id == self._detect_request) or (
            key == self.EXPLAIN_KEY and request_id == self._explain_request
        ):
            if key == self.DETECT_KEY and self.detection is None:
                self.empty_state.setText(f"No detection: {message}")
            self.error_occurred.emit(message)

    def shutdown(self) -> None:
        self._debounce.stop()
