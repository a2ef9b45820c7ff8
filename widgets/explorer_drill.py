"""Drill to rows from the Explorer: right-click a chart point, a leaderboard row or a grid cell → "Show rows".

The rows query (:func:`workbench.drill.rows_query`) is built on a worker for the result on screen and handed
on as SQL text (``rows_requested``); the main window runs it in the SQL console, so the rows get the
console's masking, row cap and audit entry.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from workbench.drill import OTHER, DrillTarget, rows_query

SHOW_ROWS = "Show rows"


def _from_epoch(x: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(x, dt.timezone.utc).replace(tzinfo=None)


class ExplorerDrill(QObject):
    """Context menus on the Explorer's chart, leaderboard and grid. Signal: rows_requested(str sql)."""

    rows_requested = Signal(str)

    KEY = "explorer.drill"

    def __init__(self, explorer, runner):
        super().__init__(explorer)
        self._explorer = explorer
        self._runner = runner
        self._request: int | None = None
        self.chart_menu: QMenu | None = None
        explorer.chart.context_requested.connect(self._on_chart_context_requested)
        explorer.leaderboard.rows_requested.connect(self._on_leaderboard_rows_requested)
        self._grid_action = QAction(SHOW_ROWS, explorer.results)
        self._grid_action.setToolTip("Open the rows behind this cell's bucket and series in the SQL console")
        self._grid_action.triggered.connect(self._on_grid_action_triggered)
        explorer.results.insertAction(
            explorer.results.actions()[0] if explorer.results.actions() else None, self._grid_action
        )
        runner.result_ready.connect(self._on_runner_result_ready)
        runner.failed.connect(self._on_runner_failed)

    # ------------------------------------------------------------------ targets
    def show_rows(self, target: DrillTarget) -> int | None:
        """Build the rows query for ``target`` under the result on screen; ``rows_requested`` follows."""
        result = self._explorer.last_result
        if result is None:
            return None
        spec, start, end = result.spec, result.start, result.end
        self._request = self._runner.submit(self.KEY, lambda ctx: rows_query(ctx.cursor, spec, target, start, end))
        return self._request

    def target_for_series(self, bucket: dt.datetime | None, series: str | None) -> DrillTarget:
        result = self._explorer.last_result
        breakdown = result.spec.breakdown if result is not None else None
        if not breakdown or series is None:
            return DrillTarget(bucket=bucket)
        others = tuple(n for n in result.series_names if n != OTHER) if series == OTHER else ()
        return DrillTarget(bucket=bucket, column=breakdown, value=series, others=others)

    # ------------------------------------------------------------------ chart
    def _on_chart_context_requested(self, x: float, y: float, screen_pos) -> None:
        bucket, series = self._explorer.chart.nearest_point(x, y)
        target = self.target_for_series(_from_epoch(bucket), series)
        result = self._explorer.last_result
        menu = QMenu(self._explorer)
        action = menu.addAction(f"{SHOW_ROWS} — {target.describe(result.spec.grain if result else 'bucket')}")
        action.triggered.connect(lambda _=False, t=target: self.show_rows(t))
        self.chart_menu = menu
        menu.popup(screen_pos)

    # ------------------------------------------------------------------ leaderboard
    def _on_leaderboard_rows_requested(self, dimension: str, value) -> None:
        self.show_rows(DrillTarget(column=dimension, value=value))

    # ------------------------------------------------------------------ grid
    def grid_target(self, row: int) -> DrillTarget | None:
        """The bucket and series of grid row ``row`` (the view's order)."""
        model = self._explorer.results.table_model()
        if model is None or row < 0 or row >= model.total_rows:
            return None
        names = model.column_names()
        bucket = model.raw_value(row, names.index("bucket")) if "bucket" in names else None
        series = model.raw_value(row, names.index("series")) if "series" in names else None
        if bucket is not None:
            bucket = pd.Timestamp(bucket).to_pydatetime()
        return self.target_for_series(bucket, None if series is None else str(series))

    def _on_grid_action_triggered(self, _checked=False) -> None:
        target = self.grid_target(self._explorer.results.currentIndex().row())
        if target is not None:
            self.show_rows(target)

    # ------------------------------------------------------------------ runner
    def _on_runner_result_ready(self, request_id: int, key: str, text) -> None:
        if key == self.KEY and request_id == self._request:
            self.rows_requested.emit(text)

    def _on_runner_failed(self, request_id: int, key: str, message: str) -> None:
        if key == self.KEY and request_id == self._request:
            self._explorer.error_occurred.emit(f"Cannot show these rows: {message}")
