"""The Dashboard tab: a board of tiles over defined metrics, computed in shared scans.

One bar sets the board's range, grain, comparison and filters; clicking a leaderboard or pivot value adds a
cross-filter that every tile follows (chips below the bar remove them). Tiles can be added, removed, moved
and resized; "Save board" writes the metrics file. A refresh plans the scans (one task), then runs one task
per scan (QueryRunner keys ``dashboard:scan:N``), so tiles draw as their scan finishes and each can be
cancelled. A watched folder refreshes the board when files appear or change, and a new alert badge raises a
desktop notification.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widgets.dashboard_tiles import TileFrame
from workbench.errors import WorkbenchError
from workbench.metrics import GRAINS, Filter
from workbench.metrics_layer.model import COMPARES, DashboardDef, MetricsFile, TileDef

GRID_COLUMNS = 4
RANGES = ("As defined", "Last 7 days", "Last 28 days", "Last 90 days", "Custom")
WATCH_INTERVAL_MS = 2000


class DashboardPanel(QWidget):
    """Signals: ``open_in_explorer`` / ``open_in_anomalies`` (a MetricSpec), ``audit_event`` (action,
    details), ``board_computed`` (the tile dicts, once every scan is in), ``error_occurred``,
    ``status_message``, ``alert_fired`` (tile title, alert dict)."""

    error_occurred = Signal(str)
    status_message = Signal(str)
    open_in_explorer = Signal(object)
    open_in_anomalies = Signal(object)
    audit_event = Signal(str, dict)
    board_computed = Signal(list)
    alert_fired = Signal(str, dict)

    def __init__(self, runner, catalog, parent=None):
        super().__init__(parent)
        self.runner, self.catalog = runner, catalog
        self.metrics_file: MetricsFile | None = None
        self.board: DashboardDef | None = None
        self.cross_filters: list[Filter] = []
        self.plan = None
        self.tiles: list[dict | None] = []
        self.frames: list[TileFrame] = []
        self._scan_results: list = []
        self._generation = 0
        self._scan_keys: list[str] = []
        self._alerted: set[tuple] = set()
        self.watcher = None
        self.rules_path: str | None = None  # alert rules whose firings badge the tiles of their metrics
        self._watch_timer = QTimer(self)
        self._watch_timer.setInterval(WATCH_INTERVAL_MS)
        self._build()
        self._connect_signals()

    # ------------------------------------------------------------------ construction
    def _build(self) -> None:
        self.file_label = QLabel("No metrics file: open one, or start from a template")
        self.open_button = QPushButton("Open metrics…")
        self.template_button = QPushButton("New from template…")
        self.edit_button = QPushButton("Edit metrics…")
        self.save_button = QPushButton("Save board")
        self.board_combo = QComboBox()
        self.board_combo.setMinimumWidth(180)
        top = QHBoxLayout()
        for w in (self.file_label,):
            top.addWidget(w, 1)
        for w in (self.board_combo, self.open_button, self.template_button, self.edit_button, self.save_button):
            top.addWidget(w)
        self.range_combo = QComboBox()
        self.range_combo.addItems(RANGES)
        self.start_edit, self.end_edit = QDateEdit(), QDateEdit()
        for edit in (self.start_edit, self.end_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.grain_combo = QComboBox()
        self.grain_combo.addItems(GRAINS)
        self.compare_combo = QComboBox()
        self.compare_combo.addItems(COMPARES)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filters for every tile, e.g. platform != web; country in BR,MX")
        self.refresh_button = QPushButton("Refresh")
        bar = QHBoxLayout()
        for label, w in (
            ("Range", self.range_combo),
            ("", self.start_edit),
            ("→", self.end_edit),
            ("Grain", self.grain_combo),
            ("Compare", self.compare_combo),
            ("Filters", self.filter_edit),
        ):
            if label:
                bar.addWidget(QLabel(label))
            bar.addWidget(w, 1 if w is self.filter_edit else 0)
        bar.addWidget(self.refresh_button)
        self.chips = QHBoxLayout()
        self.chips_label = QLabel("")
        self.add_button = QToolButton()
        self.add_button.setText("Add tile")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_menu = QMenu(self)
        self.add_button.setMenu(self.add_menu)
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        export_menu = QMenu(self)
        self.export_actions = {fmt: export_menu.addAction(f"Board as {fmt.upper()}…") for fmt in ("pdf", "html", "png")}
        self.export_button.setMenu(export_menu)
        self.rules_button = QPushButton("Alert rules…")
        self.rules_button.setToolTip("Rules (JSON) that name this file's metrics: a firing badges their tiles")
        self.watch_button = QPushButton("Watch folder…")
        self.watch_button.setCheckable(True)
        row3 = QHBoxLayout()
        row3.addWidget(self.chips_label)
        row3.addLayout(self.chips)
        row3.addStretch(1)
        for w in (self.add_button, self.export_button, self.rules_button, self.watch_button):
            row3.addWidget(w)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setSpacing(10)
        for column in range(GRID_COLUMNS):  # equal columns, so a width-2 tile is twice a width-1 tile
            self.grid.setColumnStretch(column, 1)
            self.grid.setColumnMinimumWidth(column, 160)
        scroll = QScrollArea()
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid_host)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(bar)
        layout.addLayout(row3)
        layout.addWidget(scroll, 1)
        self._set_enabled(False)

    def _connect_signals(self) -> None:
        self.open_button.clicked.connect(self.choose_metrics_file)
        self.template_button.clicked.connect(self.start_from_template)
        self.edit_button.clicked.connect(self.edit_metrics)
        self.save_button.clicked.connect(self.save_board)
        self.board_combo.currentTextChanged.connect(self._on_board_combo_changed)
        self.range_combo.currentTextChanged.connect(self._on_range_combo_changed)
        self.refresh_button.clicked.connect(self.refresh)
        self.filter_edit.returnPressed.connect(self.refresh)
        self.grain_combo.activated.connect(lambda _i: self.refresh())
        self.compare_combo.activated.connect(lambda _i: self.refresh())
        self.add_menu.aboutToShow.connect(self._rebuild_add_menu)
        for fmt, action in self.export_actions.items():
            action.triggered.connect(lambda _c=False, fmt=fmt: self.export_dialog(fmt))
        self.watch_button.toggled.connect(self._on_watch_button_toggled)
        self.rules_button.clicked.connect(self.choose_rules_file)
        self._watch_timer.timeout.connect(self._on_watch_timer_timeout)

    def _set_enabled(self, on: bool) -> None:
        for w in (
            self.edit_button,
            self.save_button,
            self.board_combo,
            self.range_combo,
            self.grain_combo,
            self.compare_combo,
            self.filter_edit,
            self.refresh_button,
            self.add_button,
            self.export_button,
            self.rules_button,
            self.watch_button,
        ):
            w.setEnabled(on)

    # ------------------------------------------------------------------ metrics file and board
    def choose_metrics_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a metrics file", "", "Metrics (*.yml *.yaml);;All files (*)")
        if path:
            self.load_metrics_file(path)

    def load_metrics_file(self, path: str | Path, board: str | None = None) -> bool:
        from workbench.metrics_layer import load_metrics

        try:
            mf = load_metrics(path)
        except WorkbenchError as exc:
            self.error_occurred.emit(str(exc))
            return False
        self.set_metrics_file(mf, board)
        return True

    def set_metrics_file(self, mf: MetricsFile, board: str | None = None) -> None:
        self.metrics_file = mf
        self.file_label.setText(f"{mf.path.name}: {len(mf.metrics)} metrics")
        self.file_label.setToolTip(str(mf.path))
        self._set_enabled(True)
        names = [b.name for b in mf.dashboards] or ["(new board)"]
        self.board_combo.blockSignals(True)
        self.board_combo.clear()
        self.board_combo.addItems(names)
        self.board_combo.blockSignals(False)
        chosen = board if board in names else names[0]
        self.board_combo.setCurrentText(chosen)
        self._on_board_combo_changed(chosen)

    def _on_board_combo_changed(self, name: str) -> None:
        if self.metrics_file is None or not name:
            return
        found = [b for b in self.metrics_file.dashboards if b.name == name]
        board = found[0] if found else DashboardDef(name="Board", last=dt.timedelta(days=7), last_text="7 days")
        self.set_board(board)

    def set_board(self, board: DashboardDef, refresh: bool = True) -> None:
        self.board = board
        self.cross_filters = []
        for combo, value in ((self.grain_combo, board.grain), (self.compare_combo, board.compare)):
            combo.setCurrentText(value)
        self.range_combo.blockSignals(True)
        self.range_combo.setCurrentText("As defined")
        self.range_combo.blockSignals(False)
        self._on_range_combo_changed("As defined", refresh=False)
        self.filter_edit.setText("; ".join(board.filter_texts))
        self._rebuild_grid()
        if refresh:
            self.refresh()

    def effective_board(self) -> DashboardDef:
        """The board with the bar's range, grain, comparison and filters (what a refresh computes)."""
        from workbench.metrics_layer.parse import parse_span

        board = self.board
        choice = self.range_combo.currentText()
        changes: dict = {
            "grain": self.grain_combo.currentText(),
            "compare": self.compare_combo.currentText(),
            "filter_texts": tuple(t.strip() for t in self.filter_edit.text().split(";") if t.strip()),
        }
        if choice.startswith("Last "):
            span = choice[5:]
            changes.update(last=parse_span(span), last_text=span, start=None, end=None)
        elif choice == "Custom":
            start = self.start_edit.date().toPython()
            end = self.end_edit.date().toPython()
            changes.update(
                last=None, start=dt.datetime.combine(start, dt.time()), end=dt.datetime.combine(end, dt.time())
            )
        for text in changes["filter_texts"]:
            Filter.parse(text)  # a clear message now rather than from the worker
        return dataclasses.replace(board, **changes)

    def _on_range_combo_changed(self, choice: str, refresh: bool = True) -> None:
        custom = choice == "Custom"
        for edit in (self.start_edit, self.end_edit):
            edit.setEnabled(custom)
        if self.board is not None and self.board.start is not None and not custom:
            self.start_edit.setDate(QDate(self.board.start.date()))
            self.end_edit.setDate(QDate(self.board.end.date()))
        elif self.plan is not None and not custom:
            self.start_edit.setDate(QDate(self.plan.window.start.date()))
            self.end_edit.setDate(QDate(self.plan.window.end.date()))
        if refresh:
            self.refresh()

    # ------------------------------------------------------------------ the grid
    def _rebuild_grid(self) -> None:
        for frame in self.frames:
            self.grid.removeWidget(frame)
            frame.deleteLater()
        self.frames = []
        row = col = 0
        for index, tile_def in enumerate(self.board.tiles if self.board else ()):
            frame = TileFrame(tile_def)
            width = max(1, min(tile_def.width, GRID_COLUMNS))
            if col + width > GRID_COLUMNS:
                row, col = row + 1, 0
            self.grid.addWidget(frame, row, col, max(1, tile_def.height), width)
            col += width
            self._connect_tile(frame, index)
            self.frames.append(frame)
        self.tiles = [None] * len(self.frames)

    def _connect_tile(self, frame: TileFrame, index: int) -> None:
        frame.cross_filter_requested.connect(self.add_cross_filters)
        frame.open_requested.connect(lambda where, i=index: self.open_tile(i, where))
        frame.move_requested.connect(lambda step, i=index: self.move_tile(i, step))
        frame.resize_requested.connect(lambda width, i=index: self.resize_tile(i, width))
        frame.remove_requested.connect(lambda i=index: self.remove_tile(i))
        frame.cancel_requested.connect(lambda i=index: self.cancel_tile(i))

    def _edit_tiles(self, tiles: list[TileDef], what: str) -> None:
        self.board = dataclasses.replace(self.board, tiles=tuple(tiles))
        self.audit_event.emit("dashboard_edited", {"dashboard": self.board.name, "change": what})
        self._rebuild_grid()
        self.refresh()

    def add_tile(self, tile: TileDef) -> None:
        self._edit_tiles([*self.board.tiles, tile], f"added {tile.type} {', '.join(tile.metric_names)}")

    def remove_tile(self, index: int) -> None:
        tiles = list(self.board.tiles)
        gone = tiles.pop(index)
        self._edit_tiles(tiles, f"removed {gone.type} {', '.join(gone.metric_names)}")

    def move_tile(self, index: int, step: int) -> None:
        tiles = list(self.board.tiles)
        target = index + step
        if not 0 <= target < len(tiles):
            return
        tiles[index], tiles[target] = tiles[target], tiles[index]
        self._edit_tiles(tiles, f"moved tile {index + 1} to {target + 1}")

    def resize_tile(self, index: int, width: int) -> None:
        tiles = list(self.board.tiles)
        tiles[index] = dataclasses.replace(tiles[index], width=width)
        self._edit_tiles(tiles, f"tile {index + 1} width {width}")

    def _rebuild_add_menu(self) -> None:
        self.add_menu.clear()
        if self.metrics_file is None:
            return
        from widgets.dashboard_dialogs import add_tile_actions

        add_tile_actions(self.add_menu, self, self.metrics_file, self.catalog)

    # ------------------------------------------------------------------ cross-filters
    def add_cross_filters(self, pairs: list) -> None:
        for column, value in pairs:
            f = Filter(column, "=", value)
            if f not in self.cross_filters:
                self.cross_filters = [c for c in self.cross_filters if c.column != column] + [f]
        self._rebuild_chips()
        self.refresh()

    def remove_cross_filter(self, f: Filter) -> None:
        self.cross_filters = [c for c in self.cross_filters if c != f]
        self._rebuild_chips()
        self.refresh()

    def _rebuild_chips(self) -> None:
        while self.chips.count():
            w = self.chips.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.chips_label.setText("Cross-filters:" if self.cross_filters else "")
        for f in self.cross_filters:
            chip = QPushButton(f"{f.label}  ✕")
            chip.setFlat(True)
            chip.setToolTip("Remove this cross-filter")
            chip.clicked.connect(lambda _c=False, f=f: self.remove_cross_filter(f))
            self.chips.addWidget(chip)

    # ------------------------------------------------------------------ computing
    def refresh(self, reopen: bool = False) -> int | None:
        """Plan the scans and run them; tiles draw as each scan finishes."""
        if self.metrics_file is None or self.board is None:
            return None
        try:
            board = self.effective_board()
        except WorkbenchError as exc:
            self.error_occurred.emit(str(exc))
            return None
        from workbench.dashboard.board import plan_board

        self._generation += 1
        generation = self._generation
        for key in self._scan_keys:
            self.runner.cancel(key)
        self._scan_keys = []
        for frame in self.frames:
            frame.set_busy(frame.tile_def.type != "text")
        mf, cross, catalog, rules = self.metrics_file, tuple(self.cross_filters), self.catalog, self.rules_path

        def plan_task(ctx):
            plan = plan_board(ctx.cursor, catalog, mf, board, cross_filters=cross, reopen=reopen)
            if rules:
                from workbench.metrics_layer.rules import evaluate_for_board

                plan.alerts = evaluate_for_board(ctx.cursor, catalog, rules, mf)
            return plan

        return self.runner.submit(
            "dashboard:plan",
            plan_task,
            on_done=lambda plan: self._on_plan_ready(generation, plan),
            on_error=self._on_failed,
        )

    def _on_plan_ready(self, generation: int, plan) -> None:
        if generation != self._generation:
            return
        from workbench.dashboard.board import tiles_by_scan
        from workbench.dashboard.scans import run_scan
        from workbench.dashboard.tiles import build_tile

        self.plan = plan
        if self.range_combo.currentText() != "Custom":  # show what a relative range resolved to
            for edit, when in ((self.start_edit, plan.window.start), (self.end_edit, plan.window.end)):
                edit.blockSignals(True)
                edit.setDate(QDate(when.date()))
                edit.blockSignals(False)
        self._scan_results = [None] * len(plan.scans)
        self.tiles = [None] * len(plan.tiles)
        for index, ref in enumerate(plan.tiles):
            if ref.error or ref.tile.type == "text":
                self._show_tile(index, build_tile(plan, index, self._scan_results))
        groups = tiles_by_scan(plan)

        def task(ctx, i):
            result = run_scan(ctx.cursor, plan.scans[i], plan.window)
            ctx.check()
            return result, {
                t: build_tile(plan, t, [result if j == i else None for j in range(len(plan.scans))], alerts=plan.alerts)
                for t in groups[i]
            }

        for i in range(len(plan.scans)):
            key = f"dashboard:scan:{i}"
            self._scan_keys.append(key)
            self.runner.submit(
                key,
                lambda ctx, i=i: task(ctx, i),
                on_done=lambda out, i=i: self._on_scan_ready(generation, i, out),
                on_error=lambda message, i=i: self._on_scan_failed(generation, i, message),
            )
        if not plan.scans:
            self._maybe_finished()

    def _on_scan_ready(self, generation: int, i: int, out) -> None:
        if generation != self._generation:
            return
        from workbench.dashboard.tiles import build_tile

        result, tiles = out
        self._scan_results[i] = result
        for index, tile in tiles.items():
            self._show_tile(index, tile)
        for index, ref in enumerate(self.plan.tiles):  # tiles reading several scans, once all are in
            if self.tiles[index] is None and ref.scans and all(self._scan_results[j] for j in ref.scans):
                self._show_tile(index, build_tile(self.plan, index, self._scan_results, alerts=self.plan.alerts))
        self._maybe_finished()

    def _on_scan_failed(self, generation: int, i: int, message: str) -> None:
        if generation != self._generation:
            return
        for index, ref in enumerate(self.plan.tiles):
            if i in ref.scans:
                self.frames[index].set_busy(False)
                self.frames[index].set_message(message)

    def _on_failed(self, message: str) -> None:
        for frame in self.frames:
            frame.set_busy(False)
        self.error_occurred.emit(message)

    def _show_tile(self, index: int, tile: dict) -> None:
        from workbench.dashboard.suppress import suppress_tile

        self.tiles[index] = tile
        if index < len(self.frames):
            self.frames[index].set_tile(suppress_tile(tile, self._screen_k())[0])
        alert = tile.get("alert")
        if alert:
            key = (tile.get("metric") and str(tile["metric"]), alert.get("bucket"), alert.get("source"))
            if key not in self._alerted:
                self._alerted.add(key)
                self.alert_fired.emit(tile.get("label") or str(tile.get("metric")), alert)

    def _maybe_finished(self) -> None:
        if all(t is not None for t in self.tiles):
            self.status_message.emit(
                f"Board {self.board.name}: {len(self.tiles)} tiles from {len(self.plan.scans)} shared scan(s)"
            )
            self.board_computed.emit(list(self.tiles))

    def _screen_k(self) -> int | None:
        """The workspace's k when it asks for small cells to be withheld on screen too (else None)."""
        controller = getattr(self.window(), "workspace", None)
        settings = getattr(getattr(controller, "ws", None), "settings", None)
        if settings is None or not getattr(settings, "suppress_on_screen", False):
            return None
        return settings.suppression_k

    def cancel_tile(self, index: int) -> None:
        if self.plan is None or index >= len(self.plan.tiles):
            return
        for i in set(self.plan.tiles[index].scans):
            self.runner.cancel(f"dashboard:scan:{i}")
            for t, ref in enumerate(self.plan.tiles):
                if i in ref.scans and self.tiles[t] is None:
                    self.frames[t].set_busy(False)
                    self.frames[t].set_message("Cancelled: Refresh to compute it again")

    def open_tile(self, index: int, where: str) -> None:
        from workbench.dashboard.board import tile_spec

        if self.plan is None:
            return
        try:
            spec = tile_spec(self.plan, index, tuple(self.cross_filters))
        except WorkbenchError as exc:
            self.error_occurred.emit(str(exc))
            return
        (self.open_in_anomalies if where == "anomalies" else self.open_in_explorer).emit(spec)

    # ------------------------------------------------------------------ saving, editing, exporting, watching
    def save_board(self) -> None:
        from widgets.dashboard_dialogs import save_board

        save_board(self)

    def edit_metrics(self) -> None:
        from widgets.dashboard_dialogs import MetricsEditor

        if self.metrics_file is not None:
            MetricsEditor(self).exec()

    def start_from_template(self) -> None:
        from widgets.dashboard_dialogs import TemplateWizard

        TemplateWizard(self).exec()

    def export_dialog(self, fmt: str) -> None:
        from widgets.dashboard_export import export_board_dialog

        export_board_dialog(self, fmt)

    def choose_rules_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Alert rules", "", "Rules (*.json);;All files (*)")
        if path:
            self.set_rules_file(path)

    def set_rules_file(self, path: str | Path | None) -> None:
        self.rules_path = str(path) if path else None
        self.rules_button.setText(f"Rules: {Path(path).name}" if path else "Alert rules…")
        self.refresh()

    def _on_watch_button_toggled(self, on: bool) -> None:
        if not on:
            self.stop_watching()
            return
        folder = QFileDialog.getExistingDirectory(
            self, "Watch a folder for new data", str(self.metrics_file.path.parent) if self.metrics_file else ""
        )
        if folder:
            self.watch_folder(folder)
        else:
            self.watch_button.setChecked(False)

    def watch_folder(self, folder: str | Path) -> None:
        """Refresh the board whenever files in ``folder`` appear, change or go (polled; no extra service)."""
        from workbench.watch import FolderWatcher

        self.watcher = FolderWatcher(folder)
        self.watcher.poll()
        self.watch_button.blockSignals(True)
        self.watch_button.setChecked(True)
        self.watch_button.blockSignals(False)
        self.watch_button.setText(f"Watching {Path(folder).name}")
        self._watch_timer.start()
        self.audit_event.emit("folder_watched", {"folder": str(Path(folder).resolve())})

    def stop_watching(self) -> None:
        self._watch_timer.stop()
        self.watcher = None
        self.watch_button.setText("Watch folder…")

    def _on_watch_timer_timeout(self) -> None:
        if self.watcher is None:
            return
        changes = self.watcher.poll()
        if changes:
            self.status_message.emit(f"{len(changes)} file(s) changed in {self.watcher.folder.name}: refreshing")
            self.refresh(reopen=True)

    def state(self) -> dict:
        """What a workspace stores: the metrics file, the board and its bar, the cross-filters."""
        if self.metrics_file is None:
            return {}
        return {
            "metrics_path": str(self.metrics_file.path),
            "board": self.board.name if self.board else None,
            "range": self.range_combo.currentText(),
            "grain": self.grain_combo.currentText(),
            "compare": self.compare_combo.currentText(),
            "filters": self.filter_edit.text(),
            "cross_filters": [[f.column, f.value] for f in self.cross_filters],
            "rules_path": self.rules_path,
            "board_def": self.board.to_dict() if self.board else None,  # tiles as arranged, saved or not
        }

    def restore(self, state: dict) -> None:
        if not state or not state.get("metrics_path"):
            return
        if not self.load_metrics_file(state["metrics_path"], state.get("board")):
            return
        if state.get("board_def"):
            board = self._board_from_dict(state["board_def"])
            if board is not None:
                self.set_board(board, refresh=False)
        self.cross_filters = [Filter(c, "=", v) for c, v in state.get("cross_filters") or []]
        self._rebuild_chips()
        for combo, key in ((self.range_combo, "range"), (self.grain_combo, "grain"), (self.compare_combo, "compare")):
            if state.get(key):
                combo.setCurrentText(state[key])
        self.filter_edit.setText(state.get("filters") or "")
        self.rules_path = state.get("rules_path")
        self.refresh()

    def _board_from_dict(self, d: dict) -> DashboardDef | None:
        """A board as a workspace stored it, checked like a board in the file (None when it no longer fits)."""
        import yaml

        from workbench.metrics_layer import parse_text

        doc = self.metrics_file.to_dict()
        doc["dashboards"] = [d]
        try:
            return parse_text(yaml.safe_dump(doc, sort_keys=False), self.metrics_file.path).dashboards[0]
        except WorkbenchError as exc:
            self.error_occurred.emit(f"The workspace's board no longer fits the metrics file: {exc}")
            return None

    def refresh_theme(self) -> None:
        for frame in self.frames:
            frame.refresh_theme()

    def shutdown(self) -> None:
        self._watch_timer.stop()
        for key in [*self._scan_keys, "dashboard:plan"]:
            self.runner.cancel(key)
