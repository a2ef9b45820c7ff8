"""The main window: menus, the Data dock, the panel tabs, the status bar and the error banner.

MainWindow owns the engine connection, the catalog and the QueryRunner, builds the panels and wires their
signals together; panels never hold each other.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.catalog import CSV_SUFFIXES, PARQUET_SUFFIXES, Catalog
from workbench.engine import connect
from widgets import theme
from widgets.banner import Banner
from widgets.data_panel import DataPanel
from widgets.icons import icon
from widgets.query_runner import QueryRunner

log = logging.getLogger(__name__)

DEFAULT_SIZE = (1400, 900)
PROGRESS_DELAY_MS = 300
RECENT_LIMIT = 10
DOCK_WIDTH = 340  # wide enough for "reports_submitted  integer"; kept in QSettings once resized

# Central tabs: (title, module, class). Panels that are not installed (or not written yet) are skipped.
PANELS = (
    ("Explorer", "widgets.explorer_panel", "ExplorerPanel"),
    ("SQL", "widgets.sql_console", "SqlConsole"),
    ("Anomalies", "widgets.anomaly_panel", "AnomalyPanel"),
    ("Experiments", "widgets.experiment_panel", "ExperimentPanel"),
    ("Impact", "widgets.impact_panel", "ImpactPanel"),
    ("Reconcile", "widgets.reconcile_panel", "ReconcilePanel"),
    ("Checks", "widgets.checks_panel", "ChecksPanel"),
    ("Dashboard", "widgets.dashboard_panel", "DashboardPanel"),
)

FILE_FILTER = "Data files (*.parquet *.parq *.pq *.csv *.tsv *.csv.gz *.tsv.gz);;All files (*)"


def group_paths(paths: list[str]) -> list[list[str]]:
    """How dropped/selected paths become tables: folders alone; files of one kind together."""
    groups: list[list[str]] = []
    parquet, csv = [], []
    for p in paths:
        low = p.lower()
        if os.path.isdir(p):
            groups.append([p])
        elif low.endswith(PARQUET_SUFFIXES):
            parquet.append(p)
        elif low.endswith(CSV_SUFFIXES):
            csv.append(p)
        else:
            groups.append([p])  # opened alone so its own error message names it
    for files in (parquet, csv):
        if files:
            groups.append(files)
    return groups


class MainWindow(QMainWindow):
    """The Workbench window.

    Parameters
    ----------
    con : an engine connection (a new one from ``workbench.engine.connect`` when None; owned then).
    settings : QSettings for geometry, dock state and recent files (tests pass a temporary one).
    """

    sources_changed = Signal(list)
    source_opened = Signal(object)
    open_failed = Signal(str)

    def __init__(self, con=None, settings: QSettings | None = None, parent=None, demo_rows: int | None = None):
        super().__init__(parent)
        self._owns_con = con is None
        self.con = con if con is not None else connect()
        self.settings = settings if settings is not None else QSettings()
        self.catalog = Catalog(self.con)
        self.runner = QueryRunner(self.con, self, before_task=self._check_sources_unchanged)
        self._open_counter = 0
        self._demo_rows = demo_rows
        self._closed = False
        self._demo_waiting: set[str] = set()  # demo tables still opening; then the Explorer shows the demo metric
        self.panels: dict[str, QWidget] = {}

        self.setWindowTitle("Workbench")
        self.setWindowIcon(icon("workbench"))
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        self.banner = Banner()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        central = QWidget()
        cl = QVBoxLayout(central)
        cl.setContentsMargins(8, 6, 8, 0)
        cl.setSpacing(6)
        cl.addWidget(self.banner)
        cl.addWidget(self.tabs, 1)
        self.setCentralWidget(central)

        self.data_panel = DataPanel(self.runner, self.catalog)
        self.data_dock = QDockWidget("Data", self)
        self.data_dock.setObjectName("dataDock")
        self.data_dock.setWidget(self.data_panel)
        self.data_dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.data_dock)
        self.resizeDocks([self.data_dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)

        self._build_panels()
        self._build_status_bar()
        self._build_menus()
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_DELAY_MS)
        self._cancel_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self._cancel_shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
        self._connect_signals()
        self._wire_panels()
        from widgets.workspace_controller import WorkspaceController  # workspaces, audit, exports (issue 6)

        self.workspace = WorkspaceController(self)
        from widgets.dashboard_wiring import wire_dashboard  # after the controller: edits go to its audit log

        wire_dashboard(self)
        from widgets.spark_mode import SparkMode  # File ▸ Connect to Spark…, the cluster browser, the indicator

        self.spark = SparkMode(self)
        self._restore_settings()

    # ------------------------------------------------------------------ construction
    @property
    def explorer(self):
        return self.panels.get("Explorer")

    @property
    def sql_console(self):
        return self.panels.get("SQL")

    def _build_panels(self) -> None:
        for title, module_name, class_name in PANELS:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    continue
                log.exception("Panel %s cannot be imported", title)
                continue
            except Exception:  # a broken optional panel must not take the app down
                log.exception("Panel %s cannot be imported", title)
                continue
            cls = getattr(module, class_name, None)
            if cls is None:
                continue
            try:
                panel = cls(self.runner, self.catalog)
            except Exception:
                log.exception("Panel %s failed to start", title)
                continue
            self.add_panel(title, panel)

    def add_panel(self, title: str, panel: QWidget) -> None:
        """Add a panel as a tab and wire its standard signals (error_occurred, status_message)."""
        self.panels[title] = panel
        self.tabs.addTab(panel, title)
        if hasattr(panel, "error_occurred"):
            panel.error_occurred.connect(self.show_error)
        if hasattr(panel, "status_message"):
            panel.status_message.connect(self._on_panel_status_message)
        if hasattr(panel, "query_finished"):
            panel.query_finished.connect(self._on_panel_query_finished)
        if hasattr(panel, "sql_requested"):
            panel.sql_requested.connect(self._on_data_panel_sql_requested)
        if hasattr(panel, "rows_requested"):
            panel.rows_requested.connect(self._on_panel_rows_requested)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        bar.setSizeGripEnabled(True)
        self.rows_label = QLabel("")
        self.time_label = QLabel("")
        self.busy_label = QLabel("Ready")
        self.busy_label.setMinimumWidth(70)
        self.progress_widget = QWidget()
        pl = QHBoxLayout(self.progress_widget)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.setSpacing(6)
        self.progress_bar = QProgressBar()
        self.progress_bar.setFixedWidth(160)
        self.progress_bar.setMaximumHeight(16)
        self.progress_bar.setTextVisible(False)
        self.progress_cancel = QPushButton(icon("stop"), "Cancel")
        self.progress_cancel.setToolTip("Stop the running query (Esc)")
        self.progress_cancel.setFlat(True)
        pl.addWidget(self.progress_bar)
        pl.addWidget(self.progress_cancel)
        self.progress_widget.hide()
        bar.addPermanentWidget(self.rows_label)
        bar.addPermanentWidget(self.time_label)
        bar.addPermanentWidget(self.progress_widget)
        bar.addPermanentWidget(self.busy_label)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        file_menu = mb.addMenu("&File")
        self.action_open_file = QAction(icon("open-file"), "Open &File…", self)
        self.action_open_file.setShortcut(QKeySequence.StandardKey.Open)
        self.action_open_folder = QAction(icon("open-folder"), "Open F&older…", self)
        self.action_open_folder.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.action_open_demo = QAction(icon("chart"), "Open &Demo Extract", self)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.insertAction(self.recent_menu.menuAction(), self.action_open_file)
        file_menu.insertAction(self.recent_menu.menuAction(), self.action_open_folder)
        file_menu.insertAction(self.recent_menu.menuAction(), self.action_open_demo)
        file_menu.addSeparator()
        self.file_menu = file_menu
        self.workspace_separator = file_menu.addSeparator()
        self.action_quit = QAction("&Quit", self)
        self.action_quit.setShortcut(QKeySequence.StandardKey.Quit)
        self.action_quit.setMenuRole(QAction.MenuRole.QuitRole)
        file_menu.addAction(self.action_quit)

        view = mb.addMenu("&View")
        self.view_menu = view
        toggle = self.data_dock.toggleViewAction()
        toggle.setText("&Data Panel")
        toggle.setShortcut(QKeySequence("Ctrl+Shift+D"))
        view.addAction(toggle)
        view.addSeparator()
        for i, title in enumerate(self.panels):
            action = QAction(title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            action.triggered.connect(lambda _=False, t=title: self.show_panel(t))
            view.addAction(action)
        view.addSeparator()
        theme_menu = view.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions = {}
        for mode, label in (("system", "Follow System"), ("light", "Light"), ("dark", "Dark")):
            action = QAction(label, self, checkable=True)
            action.triggered.connect(lambda _=False, m=mode: self.set_theme(m))
            group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[mode] = action
        self.action_reset_layout = QAction("Reset &Layout", self)
        view.addAction(self.action_reset_layout)
        self.action_full_screen = QAction("&Full Screen", self, checkable=True)
        self.action_full_screen.setShortcut(QKeySequence.StandardKey.FullScreen)
        view.addAction(self.action_full_screen)

        help_menu = mb.addMenu("&Help")
        self.action_shortcuts = QAction("&Keyboard Shortcuts", self)
        self.action_about = QAction("&About Workbench", self)
        self.action_about.setMenuRole(QAction.MenuRole.AboutRole)
        help_menu.addAction(self.action_shortcuts)
        help_menu.addAction(self.action_about)

    def _connect_signals(self) -> None:
        self.action_open_file.triggered.connect(self.open_file_dialog)
        self.action_open_folder.triggered.connect(self.open_folder_dialog)
        self.action_open_demo.triggered.connect(self.open_demo)
        self.action_quit.triggered.connect(self.close)
        self.action_reset_layout.triggered.connect(self.reset_layout)
        self.action_full_screen.toggled.connect(self._on_action_full_screen_toggled)
        self.action_about.triggered.connect(self.show_about)
        self.action_shortcuts.triggered.connect(self.show_shortcuts)
        self.recent_menu.aboutToShow.connect(self._rebuild_recent_menu)
        self.progress_cancel.clicked.connect(self.cancel_queries)
        self._cancel_shortcut.activated.connect(self.cancel_queries)
        self._progress_timer.timeout.connect(self._on_progress_timer_timeout)
        self.runner.busy_changed.connect(self._on_runner_busy_changed)
        self.runner.progress.connect(self._on_runner_progress)
        self.runner.result_ready.connect(self._on_runner_result_ready)
        self.runner.failed.connect(self._on_runner_failed)
        self.runner.finished.connect(self._on_runner_finished)
        dp = self.data_panel
        dp.error_occurred.connect(self.show_error)
        dp.status_message.connect(self._on_panel_status_message)
        dp.open_file_requested.connect(self.open_file_dialog)
        dp.open_folder_requested.connect(self.open_folder_dialog)
        dp.open_demo_requested.connect(self.open_demo)
        dp.table_activated.connect(self._on_data_panel_table_activated)
        dp.sql_requested.connect(self._on_data_panel_sql_requested)
        dp.close_requested.connect(self.close_table)

    def _wire_panels(self) -> None:
        """Connect panels to each other through their signals (a panel never holds another)."""
        explorer, anomalies = self.explorer, self.panels.get("Anomalies")
        if explorer is None or anomalies is None:
            return
        if hasattr(anomalies, "follow_explorer") and hasattr(explorer, "result_ready"):
            explorer.result_ready.connect(lambda result: anomalies.follow_explorer(result.spec))
        chart = explorer.chart
        if hasattr(chart, "anomalies_toggled") and hasattr(anomalies, "set_metric_spec"):
            chart.anomalies_toggled.connect(self._on_explorer_anomalies_toggled)
        if hasattr(anomalies, "detection_ready") and hasattr(chart, "set_anomalies"):
            anomalies.detection_ready.connect(chart.set_anomalies)
        if hasattr(anomalies, "zoom_requested"):
            anomalies.zoom_requested.connect(lambda x0, x1: chart.plot_item.setXRange(x0, x1))
        if hasattr(anomalies, "filter_requested"):
            anomalies.filter_requested.connect(self._on_anomalies_filter_requested)
        if hasattr(anomalies, "annotations_changed") and hasattr(chart, "set_annotations"):
            anomalies.annotations_changed.connect(chart.set_annotations)
        impact = self.panels.get("Impact")
        if impact is not None and hasattr(anomalies, "impact_requested"):
            anomalies.impact_requested.connect(self._on_anomalies_impact_requested)

    def _on_explorer_anomalies_toggled(self, on: bool) -> None:
        spec = self.explorer.last_spec
        if on and spec is not None:
            self.panels["Anomalies"].set_metric_spec(spec)

    def _on_anomalies_impact_requested(self, request: dict) -> None:
        self.panels["Impact"].open_for(**request)
        self.show_panel("Impact")

    def _on_anomalies_filter_requested(self, filters) -> None:
        for f in filters or ():
            self.explorer.add_filter(f)
        self.show_panel("Explorer")

    # ------------------------------------------------------------------ settings
    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self._default_geometry()
        state = s.value("window/state")
        if state is not None:
            self.restoreState(state)
        # Docks only take a size once the window is laid out; the width is kept on its own too, so a
        # saved state from an older version with a cramped dock does not stick.
        width = s.value("window/dockWidth")
        try:
            width = max(240, min(int(width), 700)) if width is not None else DOCK_WIDTH
        except (TypeError, ValueError):
            width = DOCK_WIDTH
        QTimer.singleShot(0, lambda: self.resizeDocks([self.data_dock], [width], Qt.Orientation.Horizontal))
        mode = str(s.value("view/theme", "system"))
        self.theme_actions.get(mode, self.theme_actions["system"]).setChecked(True)
        if mode != "system" and QApplication.instance() is not None:
            self.set_theme(mode)
        for key, splitter in self._panel_splitters():
            state = s.value(key)
            if state is not None:
                splitter.restoreState(state)
        console = self.sql_console
        if console is not None and hasattr(console, "set_history"):
            try:
                console.set_history(json.loads(str(s.value("sql/history", "[]"))))
            except (ValueError, TypeError):
                pass

    def _panel_splitters(self) -> list:
        """(settings key, QSplitter) for every panel that exposes splitters() (positions the user set)."""
        out = []
        for name, panel in self.panels.items():
            if hasattr(panel, "splitters"):
                out += [(f"layout/{name}/{key}", sp) for key, sp in panel.splitters().items()]
        return out

    def _default_geometry(self) -> None:
        w, h = DEFAULT_SIZE
        screen = self.screen().availableGeometry() if self.screen() else None
        if screen is not None:
            w, h = min(w, int(screen.width() * 0.95)), min(h, int(screen.height() * 0.92))
        self.resize(w, h)
        if screen is not None:
            self.move(screen.center().x() - w // 2, screen.center().y() - h // 2)

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        if self.data_dock.isVisible() and not self.data_dock.isFloating():
            s.setValue("window/dockWidth", self.data_dock.width())
        for key, splitter in self._panel_splitters():
            s.setValue(key, splitter.saveState())
        console = self.sql_console
        if console is not None and hasattr(console, "history"):
            s.setValue("sql/history", json.dumps(console.history()[:50]))
        s.sync()

    def recent_files(self) -> list[list[str]]:
        """Recently opened locations, newest first; each entry is the list of paths opened together."""
        try:
            items = json.loads(str(self.settings.value("recent/files", "[]")))
        except (ValueError, TypeError):
            return []
        return [list(map(str, i)) for i in items if isinstance(i, list) and i]

    def _add_recent(self, paths: list[str]) -> None:
        entry = [str(Path(p).resolve()) if "*" not in p else p for p in paths]
        items = [i for i in self.recent_files() if i != entry]
        items.insert(0, entry)
        self.settings.setValue("recent/files", json.dumps(items[:RECENT_LIMIT]))

    def _rebuild_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        items = self.recent_files()
        if not items:
            menu.addAction("No recent files").setEnabled(False)
            return
        for i, entry in enumerate(items):
            label = Path(entry[0]).name if len(entry) == 1 else f"{Path(entry[0]).name} + {len(entry) - 1} more"
            action = menu.addAction(f"&{i + 1}  {label}" if i < 9 else label)
            action.setToolTip("\n".join(entry))
            action.setStatusTip(entry[0])
            action.triggered.connect(lambda _=False, e=entry: self.open_paths([e] if len(e) > 1 else e, grouped=True))
        menu.addSeparator()
        menu.addAction("Clear Recent", lambda: self.settings.setValue("recent/files", "[]"))

    # ------------------------------------------------------------------ opening data
    def open_file_dialog(self) -> None:
        start = str(self.settings.value("recent/dir", str(Path.home())))
        files, _ = QFileDialog.getOpenFileNames(self, "Open Parquet or CSV files", start, FILE_FILTER)
        if files:
            self.settings.setValue("recent/dir", str(Path(files[0]).parent))
            self.open_paths(files)

    def open_folder_dialog(self) -> None:
        start = str(self.settings.value("recent/dir", str(Path.home())))
        folder = QFileDialog.getExistingDirectory(self, "Open a folder of Parquet or CSV files", start)
        if folder:
            self.settings.setValue("recent/dir", str(Path(folder).parent))
            self.open_paths([folder])

    def open_paths(self, paths, grouped: bool = False) -> list[int]:
        """Open files/folders on a worker thread; files of one kind opened together become one table.

        ``grouped=True`` means ``paths`` is already a list of groups (lists of paths).
        """
        if not grouped:
            # A workspace file (command line, drag-and-drop) opens as a workspace, not as a data file.
            from workbench.workspace import SUFFIX

            paths = [os.fspath(p) for p in paths]
            for p in [p for p in paths if p.lower().endswith(SUFFIX)]:
                self.workspace.open_workspace(p)
            paths = [p for p in paths if not p.lower().endswith(SUFFIX)]
            if not paths:
                return []
        groups = paths if grouped else group_paths([os.fspath(p) for p in paths])
        return [
            self._open_group([os.fspath(p) for p in g] if isinstance(g, (list, tuple)) else [os.fspath(g)])
            for g in groups
        ]

    def _open_group(self, group: list[str]) -> int:
        self._open_counter += 1
        key = f"open:{self._open_counter}"
        name = Path(group[0]).name + (f" + {len(group) - 1} more" if len(group) > 1 else "")
        self.statusBar().showMessage(f"Opening {name}…")
        spark = getattr(self, "spark", None)
        if spark is not None and spark.active and len(group) == 1:  # on Spark, the cluster reads the path
            return spark.open_location(group[0])
        target = group if len(group) > 1 else group[0]
        return self.runner.submit(
            key,
            lambda ctx, target=target, group=group: (
                group,
                self.catalog.open(target, cursor=ctx.cursor, cancelled=ctx.cancelled),
            ),
        )

    def open_demo(self) -> int:
        """Write the demo extract to the user cache dir on first use, then open it."""
        self.statusBar().showMessage("Preparing the demo extract (first run only, a few seconds)…")

        def fn(ctx):
            from workbench import demo

            kwargs = {"rows": self._demo_rows} if self._demo_rows else {}
            out = (
                demo.default_demo_dir()
                if not self._demo_rows
                else demo.default_demo_dir().with_name(f"demo-{self._demo_rows}")
            )
            return demo.ensure_demo(out, **kwargs)

        return self.runner.submit("demo", fn)

    def close_table(self, name: str) -> None:
        if name in self.catalog:
            self.catalog.close(name)
            self._sources_changed()
            self.statusBar().showMessage(f"Closed {name}", 4000)

    def _sources_changed(self) -> None:
        """Tell every panel; one panel per event-loop turn so the window keeps answering meanwhile."""
        sources = self.catalog.sources
        self.data_panel.set_sources(sources)
        for panel in self.panels.values():
            if hasattr(panel, "set_sources"):
                QTimer.singleShot(0, lambda p=panel, s=sources: self._panel_set_sources(p, s))
        self.sources_changed.emit(sources)

    def _panel_set_sources(self, panel, sources) -> None:
        if self._closed:
            return
        try:
            panel.set_sources(sources)
        except Exception as exc:  # one broken panel must not hide the data from the others
            log.exception("set_sources failed")
            self.show_error(f"Internal error in a panel: {exc}")

    # ------------------------------------------------------------------ runner feedback
    def _check_sources_unchanged(self, key: str) -> None:
        """Worker thread, before each task: refuse to analyse files replaced since they were opened
        (one os.stat per file). Opening, the demo and workspace/audit bookkeeping are not analyses."""
        if not key.startswith(("open:", "demo", "workspace.", "audit.")):
            self.catalog.check_unchanged()

    def _on_runner_result_ready(self, request_id: int, key: str, result) -> None:
        if key.startswith("open:"):
            group, source = result
            if not key.startswith("open:spark:"):  # a cluster table is not a file to reopen locally
                self._add_recent(group)
            self._sources_changed()
            rows = f"{source.row_count:,} rows" if source.row_count is not None else "CSV"
            self.statusBar().showMessage(f"Opened {source.name}: {rows}, {len(source.columns)} columns", 8000)
            if source.skipped_files:
                names = ", ".join(Path(f).name for f in source.skipped_files[:3])
                more = f" and {len(source.skipped_files) - 3} more" if len(source.skipped_files) > 3 else ""
                self.banner.show_message(
                    f"Opened {source.name}; skipped {len(source.skipped_files)} file(s) that are not "
                    f"{source.kind.upper()}: {names}{more}",
                    "warning",
                )
            elif source.notes:  # e.g. a CSV that is not UTF-8, read as Latin-1
                self.banner.show_message(f"Opened {source.name}: {' '.join(source.notes)}", "info")
            # After the panels received the new sources (queued one per event-loop turn in _sources_changed).
            QTimer.singleShot(0, lambda s=source: self._on_source_ready(s))
        elif key == "demo":
            paths = result
            self._demo_waiting = {Path(paths.events).stem, Path(paths.experiment).stem}
            self.open_paths([[str(paths.events)], [str(paths.experiment)]], grouped=True)

    def _on_source_ready(self, source) -> None:
        if self._closed:
            return
        explorer = self.explorer
        if explorer is not None and hasattr(explorer, "set_table") and source.name in self.catalog:
            explorer.set_table(source.name)
            self.show_panel("Explorer")
        if source.name in self._demo_waiting:
            self._demo_waiting.discard(source.name)
            if not self._demo_waiting:
                self._show_demo_metric()
        self.source_opened.emit(source)

    def _show_demo_metric(self) -> None:
        """Land the demo on its story: reports per hour on ``events`` (the BR spike is visible)."""
        explorer = self.explorer
        if explorer is None or "events" not in self.catalog or not hasattr(explorer, "set_measure"):
            return
        try:
            explorer.set_table("events")
            explorer.set_measure("sum", "reports")
            explorer.set_grain("hour")
        except Exception:  # the demo's columns changed: the plain table view is still fine
            log.exception("Demo metric not shown")
        self.show_panel("Explorer")

    def _on_runner_failed(self, request_id: int, key: str, message: str) -> None:
        if key.startswith("open:"):
            self.statusBar().clearMessage()
            self.show_error(message)
            self.open_failed.emit(message)
        elif key == "demo":
            self.show_error(f"Could not write the demo extract: {message}")

    def _on_runner_busy_changed(self, busy: bool) -> None:
        if busy:
            self.busy_label.setText("● Running")
            self.busy_label.setStyleSheet("color: #d9822b;")
            self._progress_timer.start()
        else:
            self.busy_label.setText("Ready")
            self.busy_label.setStyleSheet("")
            self._progress_timer.stop()
            self.progress_widget.hide()
            if self.statusBar().currentMessage().endswith("…"):
                self.statusBar().clearMessage()

    def _on_progress_timer_timeout(self) -> None:
        if self.runner.is_busy():
            self.progress_bar.setRange(0, 0)  # indeterminate until DuckDB reports a percentage
            self.progress_widget.show()

    def _on_runner_progress(self, key: str, percent: float) -> None:
        if percent < 0:
            self.progress_bar.setRange(0, 0)
        else:
            self.progress_bar.setRange(0, 100)
            self.progress_bar.setValue(int(percent))

    def _on_runner_finished(self, request_id: int, key: str, seconds: float) -> None:
        if key.startswith(("rowcount:",)):
            return
        self.time_label.setText(f"Query: {seconds * 1000:,.0f} ms" if seconds < 10 else f"Query: {seconds:,.1f} s")

    def _on_panel_query_finished(self, rows: int, seconds: float) -> None:
        self.rows_label.setText(f"Rows: {rows:,}")

    def _on_panel_status_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    def cancel_queries(self) -> None:
        if self.runner.is_busy():
            self.runner.cancel()
            self.statusBar().showMessage("Cancelled", 4000)

    def show_error(self, message: str) -> None:
        """Show an error in the non-modal banner (the app keeps working)."""
        self.banner.show_message(str(message), "error")

    # ------------------------------------------------------------------ panel wiring
    def show_panel(self, title: str) -> None:
        panel = self.panels.get(title)
        if panel is not None:
            self.tabs.setCurrentWidget(panel)

    def _on_data_panel_table_activated(self, name: str) -> None:
        explorer = self.explorer
        if explorer is not None and hasattr(explorer, "set_table"):
            explorer.set_table(name)
            self.show_panel("Explorer")

    def _on_panel_rows_requested(self, text: str) -> None:
        """Drill to rows: run the query in the SQL console (its masking, row cap and audit entry apply)."""
        console = self.sql_console
        if console is not None:
            console.set_sql(text)
            self.show_panel("SQL")
            console.run()

    def _on_data_panel_sql_requested(self, text: str) -> None:
        console = self.sql_console
        if console is not None:
            console.set_sql(text)
            self.show_panel("SQL")

    # ------------------------------------------------------------------ view
    def set_theme(self, mode: str) -> None:
        app = QApplication.instance()
        if app is None:
            return
        theme.apply_theme(app, mode)
        self.settings.setValue("view/theme", mode)
        self.refresh_theme()

    def refresh_theme(self) -> None:
        """Re-tint icons and charts after a palette change."""
        for panel in self.panels.values():
            if hasattr(panel, "refresh_theme"):
                panel.refresh_theme()
        self.setWindowIcon(icon("workbench"))
        self.action_open_file.setIcon(icon("open-file"))
        self.action_open_folder.setIcon(icon("open-folder"))

    def reset_layout(self) -> None:
        self.data_dock.setFloating(False)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.data_dock)
        self.data_dock.show()
        self.resizeDocks([self.data_dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)

    def _on_action_full_screen_toggled(self, on: bool) -> None:
        self.showFullScreen() if on else self.showNormal()

    def show_about(self) -> None:
        from workbench.backend import engine_version
        from workbench.version import version_string

        QMessageBox.about(
            self,
            "About Workbench",
            f"<h3>Workbench {version_string()}</h3>"
            "<p>Offline analyst workbench for local Parquet and CSV extracts: metrics, anomalies and "
            "experiments, computed in an embedded DuckDB. Nothing leaves this machine.</p>"
            f"<p style='color:gray'>{engine_version()} · Qt {self._qt_version()}</p>",
        )

    @staticmethod
    def _qt_version() -> str:
        from PySide6 import __version__

        return __version__

    def show_shortcuts(self) -> None:
        rows = [
            ("Ctrl+O", "Open file(s)"),
            ("Ctrl+Shift+O", "Open folder"),
            ("Ctrl+Enter", "Run SQL"),
            ("Esc", "Cancel running queries"),
            ("Ctrl+1 … 4", "Switch panel"),
            ("Ctrl+Shift+D", "Show/hide Data panel"),
            ("Ctrl+C", "Copy selected cells as TSV"),
            ("Double-click chart", "Reset zoom"),
        ]
        html = (
            "<table cellpadding=4>" + "".join(f"<tr><td><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows) + "</table>"
        )
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setText(html)
        box.setModal(False)
        box.show()

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)
        else:
            self.show_error("Only local files and folders can be opened (Workbench never reads from the network)")

    # ------------------------------------------------------------------ shutdown
    def closeEvent(self, event) -> None:  # noqa: N802
        if not self._closed and not self.workspace.confirm_close():
            event.ignore()  # the user chose Cancel in "Save changes?"
            return
        if not self._closed:
            self._closed = True
            self.workspace.shutdown()
            try:
                self.save_settings()
            except Exception:
                log.exception("Could not save settings")
            for panel in self.panels.values():
                if hasattr(panel, "shutdown"):
                    try:
                        panel.shutdown()
                    except Exception:
                        log.exception("Panel shutdown failed")
            self.spark.shutdown()
            self.runner.shutdown()
            if self._owns_con:
                try:
                    self.con.close()
                except Exception:
                    pass
        super().closeEvent(event)
