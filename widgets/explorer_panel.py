"""The Explorer: point-and-click metrics — table, time column, measure, grain, filters, breakdown, compare.

Every change restarts a ~200 ms debounce; then one ``metric_series`` request goes to the QueryRunner (key
``explorer.chart``; a newer request interrupts the older one). When the series arrives the leaderboard is
computed for the same time range (key ``explorer.leaderboard``). The chart, leaderboard and results grid
only ever draw what the engine returned.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import pandas as pd
from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import WorkbenchError
from workbench.metrics import GRAINS, Filter, Measure, MetricSpec
from workbench.partial_periods import incomplete_spans
from widgets.chart_view import ChartView, series_from_frame
from widgets.date_range import DateRangePicker
from widgets.explorer_leaderboard import ExplorerLeaderboardMixin
from widgets.explorer_state import ExplorerStateMixin
from widgets.sql_dialog import SqlDialog
from widgets.filter_bar import FilterBar
from widgets.icons import icon
from widgets.leaderboard_default import default_dimension
from widgets.leaderboard_view import LeaderboardView
from widgets.table_model import ResultTable

DEBOUNCE_MS = 200
AGG_LABELS = (
    ("count", "Row count"),
    ("count_distinct", "Count distinct"),
    ("sum", "Sum"),
    ("mean", "Mean"),
    ("min", "Min"),
    ("max", "Max"),
    ("median", "Median"),
    ("p90", "90th percentile"),
    ("p99", "99th percentile"),
    ("ratio", "Ratio of sums"),
)
RANGES = (
    ("All data", None),
    ("Last 24 hours", dt.timedelta(days=1)),
    ("Last 7 days", dt.timedelta(days=7)),
    ("Last 30 days", dt.timedelta(days=30)),
    ("Last 90 days", dt.timedelta(days=90)),
    ("Custom range", None),  # start/end from the date-range picker, sent as the spec's start/end
)
CUSTOM_RANGE = "Custom range"
NO_PREVIOUS_PERIOD = (
    "A previous period of the same length needs a bounded range: pick a range other than "
    "All data, or compare with a fixed offset (day, week, 4 weeks before)."
)
COMPARES = (("previous period", None), ("day before", "day"), ("week before", "week"), ("4 weeks before", "4 weeks"))
COMPLETE_TOOLTIP = (
    "Leaderboard values and changes use whole periods only: a first or last bucket that the range "
    "or the data covers only in part (hatched on the chart) is left out. Untick to include it."
)
NO_TIME_MESSAGE = (
    "{table} has no date or time column, and the Explorer draws metrics over time.\n\n"
    "Pick a column under Time that holds epoch seconds, epoch milliseconds or ISO dates, "
    "or look at this table in the SQL console."
)


def _is_numeric(col) -> bool:
    return col.is_numeric or col.is_boolean


class ExplorerPanel(ExplorerStateMixin, ExplorerLeaderboardMixin, QWidget):
    """Point-and-click metric explorer. Constructed as ExplorerPanel(runner, catalog).

    Signals
    -------
    error_occurred(str), status_message(str), query_finished(int rows, float seconds), sql_requested(str),
    spec_changed(object MetricSpec), result_ready(object MetricResult), leaderboard_ready(object Leaderboard),
    sources_ready() after each set_sources.
    """

    error_occurred = Signal(str)
    status_message = Signal(str)
    query_finished = Signal(int, float)
    sql_requested = Signal(str)
    spec_changed = Signal(object)
    result_ready = Signal(object)
    leaderboard_ready = Signal(object)
    rows_requested = Signal(str)  # "Show rows": a read-only query for the SQL console to run
    sources_ready = Signal()  # set_sources finished: the tables it lists can be selected and restored

    CHART_KEY = "explorer.chart"
    BOARD_KEY = "explorer.leaderboard"
    VALUES_KEY = "explorer.values"

    def __init__(self, runner, catalog, parent=None):
        super().__init__(parent)
        self._runner = runner
        self._catalog = catalog
        self._sources: dict = {}
        self._chart_request: int | None = None
        self._board_request: int | None = None
        self._values_request: int | None = None
        self._values_column = ""
        self._started = 0.0
        self.last_result = None
        self.last_leaderboard = None
        self.last_leaderboard_spec: MetricSpec | None = None
        self._board_spec: MetricSpec | None = None
        self._board_note = ""
        self.last_spec: MetricSpec | None = None
        self._pending_zoom: tuple[float, float] | None = None  # a restored zoom, applied to the next result

        self._build_controls()
        self.chart = ChartView()
        self.leaderboard = LeaderboardView()
        self.results = ResultTable()
        self.info = QLabel("")
        self.info.setObjectName("hint")
        self._sql_dialog: SqlDialog | None = None

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.chart)
        top.addWidget(self.leaderboard)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)
        top.setSizes([760, 300])
        top.setChildrenCollapsible(False)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        from widgets.results_area import ResultsArea

        self.results_area = ResultsArea(self.results)
        self.results_area.label_filter = lambda: self.chart.label_filter
        self.splitter.addWidget(self.results_area)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([520, 200])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        layout.addLayout(self._row1)
        layout.addLayout(self._row2)
        layout.addLayout(self._row3)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.info)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._connect_signals()
        from widgets.explorer_drill import ExplorerDrill

        self.drill = ExplorerDrill(self, runner)
        self.drill.rows_requested.connect(self.rows_requested)
        from widgets.export_actions import explorer_figure

        self.chart.figure_for_export = lambda: explorer_figure(self)
        self._update_compare_options()
        self._update_enabled()

    # ------------------------------------------------------------------ construction
    def _build_controls(self) -> None:
        self.table_combo = QComboBox()
        self.table_combo.setMinimumContentsLength(12)
        self.table_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.time_combo = QComboBox()
        self.time_combo.setMinimumContentsLength(12)
        self.time_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.time_combo.setToolTip("The column that places each row in time")
        self.agg_combo = QComboBox()
        for agg, label in AGG_LABELS:
            self.agg_combo.addItem(label, agg)
        self.column_combo = QComboBox()
        self.column_combo.setMinimumContentsLength(12)
        self.column_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.of_label = QLabel("of")
        self.per_label = QLabel("÷")
        self.denominator_combo = QComboBox()
        self.denominator_combo.setMinimumContentsLength(10)
        self.denominator_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.grain_combo = QComboBox()
        for g in GRAINS:
            self.grain_combo.addItem(g.capitalize(), g)
        self.grain_combo.setCurrentIndex(GRAINS.index("day"))
        self.range_combo = QComboBox()
        for label, _delta in RANGES:
            self.range_combo.addItem(label)
        self.range_picker = DateRangePicker()
        self.range_picker.setVisible(False)
        self.compare_check = QCheckBox("Compare with")
        self.compare_combo = QComboBox()
        for label, offset in COMPARES:
            self.compare_combo.addItem(label, offset)
        self.compare_combo.setEnabled(False)
        self.complete_check = QCheckBox("Complete periods")
        self.complete_check.setChecked(True)
        self.complete_check.setToolTip(COMPLETE_TOOLTIP)
        self.breakdown_combo = QComboBox()
        self.breakdown_combo.setMinimumContentsLength(10)
        self.breakdown_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.top_spin = QSpinBox()
        self.top_spin.setRange(1, 50)
        self.top_spin.setValue(10)
        self.top_spin.setPrefix("top ")
        self.top_spin.setToolTip("Series drawn separately; the rest are grouped as Other")
        self.sql_button = QPushButton(icon("sql"), "View SQL")
        self.sql_button.setToolTip("Show the query behind the chart")
        self.filter_bar = FilterBar()

        def labelled(text: str) -> QLabel:
            label = QLabel(text)
            label.setObjectName("fieldLabel")
            return label

        for combo in (
            self.table_combo,
            self.time_combo,
            self.column_combo,
            self.denominator_combo,
            self.breakdown_combo,
        ):
            combo.setMinimumContentsLength(7)
        self._row1 = QHBoxLayout()
        self._row1.setSpacing(6)
        for w in (
            labelled("Table"),
            self.table_combo,
            self._gap(),
            labelled("Time"),
            self.time_combo,
            self._gap(),
            labelled("Measure"),
            self.agg_combo,
            self.of_label,
            self.column_combo,
            self.per_label,
            self.denominator_combo,
        ):
            grows = isinstance(w, QComboBox) and w is not self.agg_combo
            self._row1.addWidget(w, 1 if grows else 0)
            if grows:
                w.setMaximumWidth(260)
        self._row1.addStretch(0)
        self._row2 = QHBoxLayout()
        self._row2.setSpacing(6)
        for w in (
            labelled("Grain"),
            self.grain_combo,
            self._gap(),
            labelled("Range"),
            self.range_combo,
            self._gap(),
            self.compare_check,
            self.compare_combo,
            self.complete_check,
            self._gap(),
            labelled("Break down by"),
            self.breakdown_combo,
            self.top_spin,
        ):
            self._row2.addWidget(w, 1 if w is self.breakdown_combo else 0)
        self.breakdown_combo.setMaximumWidth(260)
        self._row2.addStretch(1)
        self._row3 = QHBoxLayout()
        self._row3.setSpacing(6)
        self._row3.addWidget(self.range_picker)  # shown for "Custom range"; the filter row has the room
        self._row3.addWidget(self.filter_bar, 1)
        self._row3.addWidget(self.sql_button)

    @staticmethod
    def _gap() -> QWidget:
        w = QWidget()
        w.setFixedWidth(8)
        return w

    def _connect_signals(self) -> None:
        self.table_combo.currentIndexChanged.connect(self._on_table_combo_changed)
        for combo in (
            self.time_combo,
            self.column_combo,
            self.denominator_combo,
            self.grain_combo,
            self.range_combo,
            self.compare_combo,
            self.breakdown_combo,
        ):
            combo.currentIndexChanged.connect(self._schedule)
        self.agg_combo.currentIndexChanged.connect(self._on_agg_combo_changed)
        self.compare_check.toggled.connect(self._on_compare_check_toggled)
        self.complete_check.toggled.connect(self._on_complete_check_toggled)
        self.range_combo.currentIndexChanged.connect(self._on_range_combo_changed)
        self.range_picker.range_changed.connect(self._schedule)
        self.top_spin.valueChanged.connect(self._schedule)
        self.breakdown_combo.currentIndexChanged.connect(self._on_breakdown_combo_changed)
        self.filter_bar.filters_changed.connect(self._schedule)
        self.filter_bar.values_requested.connect(self._on_filter_bar_values_requested)
        self.leaderboard.value_clicked.connect(self._on_leaderboard_value_clicked)
        self.leaderboard.dimension_changed.connect(self._on_leaderboard_dimension_changed)
        self.sql_button.clicked.connect(self.show_sql)
        self.chart.status_message.connect(self.status_message)
        self.chart.range_selected.connect(self._on_chart_range_selected)
        self.chart.error_occurred.connect(self.error_occurred)
        self._debounce.timeout.connect(self.refresh_now)
        self._runner.result_ready.connect(self._on_runner_result_ready)
        self._runner.failed.connect(self._on_runner_failed)
        self._runner.cancelled.connect(self._on_runner_cancelled)

    # ------------------------------------------------------------------ public API
    def set_sources(self, sources) -> None:
        """Refill the table list; keeps the current table when it is still open. ``sources_ready`` follows
        even if refilling fails, so a workspace waiting for these tables is never left half-restored."""
        try:
            self._fill_sources(sources)
        finally:
            self.sources_ready.emit()

    def _fill_sources(self, sources) -> None:
        self._sources = {s.name: s for s in sources}
        current = self.table_combo.currentText()
        with QSignalBlocker(self.table_combo):
            self.table_combo.clear()
            for s in sources:
                self.table_combo.addItem(icon("table"), s.name)
        if current in self._sources:
            with QSignalBlocker(self.table_combo):
                self.table_combo.setCurrentText(current)
        elif sources:
            self.set_table(sources[0].name)
        else:
            self._clear_results("Open a file to explore it: File ▸ Open File…, or drop it on the window.")
        self._update_enabled()

    def has_tables(self, names) -> bool:
        """Whether every table in ``names`` is in the table list (set_sources delivered it)."""
        return set(names) <= set(self._sources)

    def set_table(self, name: str) -> None:
        """Select a table and reset the controls to sensible defaults for its columns."""
        if name not in self._sources:
            return
        with QSignalBlocker(self.table_combo):
            self.table_combo.setCurrentText(name)
        self._populate_columns(self._sources[name])
        self._update_enabled()
        self._schedule()

    def current_table(self) -> str:
        return self.table_combo.currentText()

    def set_time_column(self, name: str) -> None:
        self._select_data(self.time_combo, name)

    def set_measure(self, agg: str, column: str | None = None, denominator: str | None = None) -> None:
        with QSignalBlocker(self.agg_combo):
            self.agg_combo.setCurrentIndex(self.agg_combo.findData(agg))
        self._refill_measure_columns()
        if column is not None:
            self._select_data(self.column_combo, column, schedule=False)
        if denominator is not None:
            self._select_data(self.denominator_combo, denominator, schedule=False)
        self._update_measure_visibility()
        self._schedule()

    def set_grain(self, grain: str) -> None:
        self._select_data(self.grain_combo, grain)

    def set_range(self, label: str) -> None:
        self.range_combo.setCurrentText(label)

    def set_custom_range(self, start: dt.datetime | dt.date, end: dt.datetime | dt.date) -> None:
        """Show [start, end) in the date-range picker (whole days) and use it."""

        def day(v):
            return v.date() if isinstance(v, dt.datetime) else v

        end_day = day(end)
        if isinstance(end, dt.datetime) and end.time() != dt.time():
            end_day += dt.timedelta(days=1)  # a range ending mid-day still shows that day
        self.range_picker.set_days(day(start), end_day)
        self.range_combo.setCurrentText(CUSTOM_RANGE)
        self._schedule()

    def range_label(self) -> str:
        """The range picker's choice as shown ("Last 7 days", "Custom range", …)."""
        return self.range_combo.currentText()

    def is_custom_range(self) -> bool:
        return self.range_combo.currentText() == CUSTOM_RANGE

    def set_breakdown(self, column: str | None, top_n: int | None = None) -> None:
        if top_n is not None:
            with QSignalBlocker(self.top_spin):
                self.top_spin.setValue(top_n)
        self._select_data(self.breakdown_combo, column)

    def set_compare(self, on: bool, offset: str | None = None) -> None:
        with QSignalBlocker(self.compare_combo):
            self.compare_combo.setCurrentIndex(max(0, self.compare_combo.findData(offset)))
        self._update_compare_options()
        self.compare_check.setChecked(on)
        self._schedule()

    def add_filter(self, f: Filter) -> None:
        self.filter_bar.add_filter(f)

    def remove_filter(self, index: int) -> None:
        self.filter_bar.remove_filter(index)

    def filters(self) -> list[Filter]:
        return self.filter_bar.filters()

    def current_spec(self) -> MetricSpec | None:
        """The spec the controls describe (None when no table or no usable time column)."""
        table = self.table_combo.currentText()
        if not table or table not in self._sources:
            return None
        time_column = self.time_combo.currentData()
        if not time_column:
            return None
        agg = self.agg_combo.currentData()
        column = self.column_combo.currentData() if agg != "count" else None
        denominator = self.denominator_combo.currentData() if agg == "ratio" else None
        start, end = self.range_picker.bounds() if self.is_custom_range() else (None, None)
        return MetricSpec(
            table=table,
            measure=Measure(agg, column, denominator),
            time_column=time_column,
            grain=self.grain_combo.currentData(),
            filters=tuple(self.filter_bar.filters()),
            breakdown=self.breakdown_combo.currentData() or None,
            top_n=self.top_spin.value(),
            start=start,
            end=end,
            compare=self.compare_check.isChecked(),
            compare_offset=self.compare_combo.currentData() if self.compare_check.isChecked() else None,
        )

    def range_delta(self) -> dt.timedelta | None:
        return RANGES[self.range_combo.currentIndex()][1] if self.range_combo.currentIndex() >= 0 else None

    def refresh_now(self) -> int | None:
        """Submit the chart query for the current controls (skipping the debounce)."""
        self._debounce.stop()
        table = self.table_combo.currentText()
        if not table or table not in self._sources:
            return None
        if not self.time_combo.currentData():
            self._clear_results(
                NO_TIME_MESSAGE.format(table=table)
                if not self._sources[table].time_columns
                else "Choose a time column."
            )
            return None
        try:
            spec = self.current_spec()
        except WorkbenchError as exc:
            self._clear_results(str(exc))
            return None
        self.last_spec = spec
        self.spec_changed.emit(spec)
        delta = self.range_delta()
        self._started = time.perf_counter()
        self.info.setText("Computing…")
        self._chart_request = self._runner.submit(
            self.CHART_KEY, lambda ctx, spec=spec, delta=delta: _compute_chart(ctx.cursor, spec, delta)
        )
        return self._chart_request

    def show_sql(self) -> None:
        if self._sql_dialog is None:
            self._sql_dialog = SqlDialog(self)
            self._sql_dialog.open_in_console.connect(self.sql_requested)
        main = self.last_result.sql if self.last_result is not None else ""
        extra = self.last_leaderboard.sql if self.last_leaderboard is not None else ""
        self._sql_dialog.set_sql(main, extra)
        self._sql_dialog.show()
        self._sql_dialog.raise_()

    def shutdown(self) -> None:
        """Stop pending debounced work (MainWindow.closeEvent)."""
        self._debounce.stop()
        if self._sql_dialog is not None:
            self._sql_dialog.close()

    def refresh_theme(self) -> None:
        self.chart.refresh_theme()
        if self.last_result is not None:
            self._draw(self.last_result)

    # ------------------------------------------------------------------ controls
    def _populate_columns(self, source) -> None:
        temporal = [c for c in source.columns if c.is_temporal]
        others = [c for c in source.columns if not c.is_temporal and (c.is_numeric or c.is_text)]
        with QSignalBlocker(self.time_combo):
            self.time_combo.clear()
            if not temporal:
                self.time_combo.addItem("— choose a column —", None)
            for c in temporal:
                self.time_combo.addItem(icon("type-time"), c.name, c.name)
            if others:
                self.time_combo.insertSeparator(self.time_combo.count())
                for c in others:
                    kind = "epoch s/ms" if c.is_numeric else "ISO text"
                    self.time_combo.addItem(
                        icon("type-number" if c.is_numeric else "type-text"), f"{c.name}  ({kind})", c.name
                    )
            self.time_combo.setCurrentIndex(0)
        dims = [c.name for c in source.columns if not c.is_temporal and (c.is_text or c.is_boolean)]
        dims += [c.name for c in source.columns if not c.is_temporal and c.is_numeric and c.name not in dims]
        with QSignalBlocker(self.breakdown_combo):
            self.breakdown_combo.clear()
            self.breakdown_combo.addItem("(none)", None)
            for name in dims:
                self.breakdown_combo.addItem(name, name)
        self.leaderboard.set_dimensions(dims, default_dimension(source.columns, self.leaderboard.value_masked))
        with QSignalBlocker(self.agg_combo):
            self.agg_combo.setCurrentIndex(0)
        self._refill_measure_columns()
        self.filter_bar.set_columns(source.columns)
        with QSignalBlocker(self.filter_bar):
            self.filter_bar.set_filters([])
        self._update_measure_visibility()

    def _refill_measure_columns(self) -> None:
        source = self._sources.get(self.table_combo.currentText())
        if source is None:
            return
        agg = self.agg_combo.currentData()
        if agg == "count_distinct":
            names = [c.name for c in source.columns]
        else:
            names = [c.name for c in source.columns if _is_numeric(c)]
        for combo in (self.column_combo, self.denominator_combo):
            current = combo.currentData()
            with QSignalBlocker(combo):
                combo.clear()
                for n in names:
                    combo.addItem(n, n)
                if current in names:
                    combo.setCurrentIndex(names.index(current))
        if (
            agg == "ratio"
            and self.denominator_combo.count() > 1
            and self.denominator_combo.currentIndex() == self.column_combo.currentIndex()
        ):
            with QSignalBlocker(self.denominator_combo):
                self.denominator_combo.setCurrentIndex(
                    (self.column_combo.currentIndex() + 1) % self.denominator_combo.count()
                )

    def _update_measure_visibility(self) -> None:
        agg = self.agg_combo.currentData()
        needs_column = agg != "count"
        self.of_label.setVisible(needs_column)
        self.column_combo.setVisible(needs_column)
        self.per_label.setVisible(agg == "ratio")
        self.denominator_combo.setVisible(agg == "ratio")
        if needs_column and self.column_combo.count() == 0:
            self.info.setText("This table has no numeric column to aggregate; choose Row count or Count distinct.")

    def _update_enabled(self) -> None:
        has = self.table_combo.count() > 0
        for w in (
            self.table_combo,
            self.time_combo,
            self.agg_combo,
            self.column_combo,
            self.denominator_combo,
            self.grain_combo,
            self.range_combo,
            self.range_picker,
            self.compare_check,
            self.breakdown_combo,
            self.top_spin,
            self.sql_button,
            self.filter_bar,
        ):
            w.setEnabled(has)
        self.compare_combo.setEnabled(has and self.compare_check.isChecked())
        self.top_spin.setEnabled(has and bool(self.breakdown_combo.currentData()))

    def _select_data(self, combo: QComboBox, value, schedule: bool = True) -> None:
        i = combo.findData(value)
        if i < 0 and value is None:
            i = 0
        if i >= 0:
            with QSignalBlocker(combo):
                combo.setCurrentIndex(i)
        if combo is self.breakdown_combo:
            self._on_breakdown_combo_changed()
        if schedule:
            self._schedule()

    def _schedule(self, *_):
        self._debounce.start()

    # ------------------------------------------------------------------ slots
    def _on_table_combo_changed(self, *_):
        self.set_table(self.table_combo.currentText())

    def _on_agg_combo_changed(self, *_):
        self._refill_measure_columns()
        self._update_measure_visibility()
        self._schedule()

    def _on_compare_check_toggled(self, on: bool) -> None:
        self.compare_combo.setEnabled(on)
        self._schedule()

    def _on_chart_range_selected(self, x0: float, x1: float) -> None:
        """Shift+drag on the chart: the whole days it covers become the custom range."""
        start = dt.datetime.fromtimestamp(x0, dt.timezone.utc).replace(tzinfo=None)
        end = dt.datetime.fromtimestamp(x1, dt.timezone.utc).replace(tzinfo=None)
        self.set_custom_range(start.date(), end)
        s, e = self.range_picker.bounds()
        self.status_message.emit(f"Range set to {s:%Y-%m-%d} – {e - dt.timedelta(days=1):%Y-%m-%d}")

    def _on_range_combo_changed(self, *_) -> None:
        self.range_picker.setVisible(self.is_custom_range())
        self._update_compare_options()

    def _update_compare_options(self) -> None:
        """'previous period' needs a bounded range: with All data it is disabled and says why."""
        bounded = self.range_combo.currentText() != "All data"
        item = self.compare_combo.model().item(0)
        item.setEnabled(bounded)
        item.setToolTip("" if bounded else NO_PREVIOUS_PERIOD)
        self.compare_combo.setToolTip("" if bounded else NO_PREVIOUS_PERIOD)
        if not bounded and self.compare_combo.currentIndex() == 0:
            with QSignalBlocker(self.compare_combo):
                self.compare_combo.setCurrentIndex(self.compare_combo.findData("week"))
            if self.compare_check.isChecked():
                self.status_message.emit("Comparing with the week before: " + NO_PREVIOUS_PERIOD)

    def _on_breakdown_combo_changed(self, *_):
        breakdown = self.breakdown_combo.currentData()
        self.top_spin.setEnabled(bool(breakdown))
        if breakdown and breakdown != self.leaderboard.current_dimension():
            with QSignalBlocker(self.leaderboard.dimension):
                self.leaderboard.dimension.setCurrentText(breakdown)
            self.leaderboard._dimension = breakdown

    def _on_filter_bar_values_requested(self, column: str) -> None:
        table = self.table_combo.currentText()
        if not table:
            return
        from workbench.metrics import distinct_values

        self._values_column = column
        self._values_request = self._runner.submit(
            self.VALUES_KEY, lambda ctx, t=table, c=column: (c, distinct_values(ctx.cursor, t, c, limit=200))
        )

    def _on_runner_result_ready(self, request_id: int, key: str, result) -> None:
        if key == self.CHART_KEY and request_id == self._chart_request:
            seconds = time.perf_counter() - self._started
            payload, result = result, result.result
            self.last_result = result
            if result.end is not None and not self.is_custom_range() and self.range_delta() is None:
                # All data: the data's last day is what "today" means for the range presets
                self.range_picker.set_anchor((result.end - dt.timedelta(microseconds=1)).date())
            self._draw(result, payload.series, payload.display)
            n_series = len(result.series_names)
            buckets = result.frame["bucket"].nunique() if len(result.frame) else 0
            text = f"{buckets:,} {result.spec.grain}{'s' if buckets != 1 else ''} · {n_series} series · {seconds * 1000:,.0f} ms"
            if result.start is not None:
                text = f"{result.start:%Y-%m-%d %H:%M} → {result.end:%Y-%m-%d %H:%M} · " + text
            self.info.setText(text)
            self.query_finished.emit(len(result.frame), seconds)
            self._apply_pending_zoom()
            self.result_ready.emit(result)
            self._submit_leaderboard()
        elif key == self.BOARD_KEY and request_id == self._board_request:
            self._show_leaderboard(result)
        elif key == self.VALUES_KEY and request_id == self._values_request:
            column, values = result
            self.filter_bar.editor.set_values(column, values)

    def _on_runner_failed(self, request_id: int, key: str, message: str) -> None:
        if key == self.CHART_KEY and request_id == self._chart_request:
            self.last_result = None
            self._clear_results(message)
            self.error_occurred.emit(message)
        elif key == self.BOARD_KEY and request_id == self._board_request:
            self.leaderboard.clear(message)
        elif key == self.VALUES_KEY and request_id == self._values_request:
            self.filter_bar.editor.hint.setText(f"No value list: {message}")

    def _on_runner_cancelled(self, request_id: int, key: str) -> None:
        if key == self.CHART_KEY and request_id == self._chart_request:
            self.info.setText("Cancelled — change a control to run again.")

    # ------------------------------------------------------------------ drawing
    def _draw(self, result, series=None, display=None) -> None:
        spec = result.spec
        title = spec.measure.label
        if spec.breakdown:
            title += f" by {spec.breakdown}"
        title += f" per {spec.grain}"
        if series is None:
            series = series_from_frame(result.frame, spec.compare)
        partial = [(_epoch(a), _epoch(b)) for a, b in incomplete_spans(result)]
        self.chart.set_series(series, value_label=spec.measure.label, title=title, partial=partial)
        self.results_area.set_measure(spec.measure.label, spec.measure.agg)
        # The grid fills on the next event-loop turn so the GUI never does both in one long step.
        frame = display if display is not None else _display_frame(result)
        QTimer.singleShot(0, lambda r=result, f=frame: self.results.set_table(f) if self.last_result is r else None)

    def _clear_results(self, message: str) -> None:
        self.chart.show_message(message)
        self.leaderboard.clear("")
        self.results.set_table(None)
        self.info.setText("")


def _compute_chart(cur, spec: MetricSpec, delta: dt.timedelta | None):
    """Worker side: the view's analysis (a relative range resolved against the data's extent), then the chart's
    arrays. Exports and reports run the same :class:`~workbench.analysis.MetricView`."""
    from workbench.analysis.metric import MetricView

    result = MetricView(spec, delta).run(cur).value
    # Prepared here, off the GUI thread: the chart's arrays and the grid's frame.
    return ChartPayload(result, series_from_frame(result.frame, result.spec.compare), _display_frame(result))


@dataclass(frozen=True)
class ChartPayload:
    result: object
    series: list
    display: pd.DataFrame


def _epoch(t: dt.datetime) -> float:
    return t.replace(tzinfo=dt.timezone.utc).timestamp()


def _display_frame(result) -> pd.DataFrame:
    from widgets.export_actions import display_frame

    return display_frame(result)
