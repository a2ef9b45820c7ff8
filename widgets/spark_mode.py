"""The window's Spark mode: File ▸ Connect to Spark… / Disconnect, the cluster browser in the Data dock and
the status-bar indicator of where queries run.

Connected, the window's QueryRunner and Catalog use the :class:`SparkConnection` (each task gets its own
``SparkCursor``; cancel interrupts that cursor's tagged Spark job), so every panel runs its unchanged
analyses on the cluster. The local tables are set aside, not closed: Disconnect brings them back with the
local DuckDB connection, exactly as they were.
"""

from __future__ import annotations

import itertools
import logging
import threading

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel

from widgets.spark_browser import SparkBrowser
from widgets.spark_connect_dialog import SparkConnectDialog, release_connection

log = logging.getLogger(__name__)

LOCAL_LABEL = "Local DuckDB"
OPEN_KEY = "open:spark:"  # the window's "open:" handling (status, panels, Explorer) applies to these too


class SparkMode(QObject):
    """Holds the Spark connection of one window (``window`` is a :class:`MainWindow`).

    Signals
    -------
    mode_changed(bool): True once the window runs on Spark, False when it is back on local DuckDB.
    """

    mode_changed = Signal(bool)

    def __init__(self, window, profiles_file=None):
        super().__init__(window)
        self.window = window
        self.connection = None
        self.remote = None
        self.database = ""
        self._profiles_file = profiles_file
        self._local = None  # (connection, verify_checksums, taken sources) while on Spark
        self._open_ids = itertools.count(1)
        self.dialog: SparkConnectDialog | None = None

        self.action_connect = QAction("Connect to &Spark…", window)
        self.action_connect.setStatusTip("Run the analyses on an Apache Spark cluster (Spark Connect)")
        self.action_disconnect = QAction("&Disconnect from Spark", window)
        self.action_disconnect.setEnabled(False)
        menu = window.file_menu
        menu.insertAction(window.workspace_separator, self.action_connect)
        menu.insertAction(window.workspace_separator, self.action_disconnect)
        menu.insertSeparator(window.workspace_separator)

        self.engine_label = QLabel(LOCAL_LABEL)
        self.engine_label.setObjectName("engineIndicator")
        self.engine_label.setToolTip("Queries run in the embedded DuckDB on this machine; nothing leaves it")
        window.statusBar().insertPermanentWidget(0, self.engine_label)

        self.browser = SparkBrowser(window.runner)
        self.browser.hide()
        window.data_panel.splitter.insertWidget(0, self.browser)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.action_connect.triggered.connect(self.show_dialog)
        self.action_disconnect.triggered.connect(self.disconnect)
        self.browser.open_requested.connect(self.open_location)
        self.browser.error_occurred.connect(self.window.show_error)

    @property
    def active(self) -> bool:
        return self.connection is not None

    # ------------------------------------------------------------------ connecting
    def show_dialog(self) -> SparkConnectDialog:
        """Open the (non-modal) Connect dialog; a successful Connect switches the window to Spark."""
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        dialog = SparkConnectDialog(self.window, profiles_file=self._profiles_file)
        dialog.attempted.connect(self._on_dialog_attempted)
        dialog.connected.connect(self.enter)
        dialog.finished.connect(self._on_dialog_finished)
        self.dialog = dialog
        dialog.show()
        return dialog

    def _on_dialog_finished(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None

    def _on_dialog_attempted(self, action: str, endpoint: str) -> None:
        self._audit(action, endpoint=endpoint)

    def enter(self, connection, remote, database: str = "") -> None:
        """Run the window on ``connection``; the local tables are set aside until :meth:`disconnect`."""
        window = self.window
        if self.active:
            self._leave_spark()
        window.runner.cancel()
        catalog = window.catalog
        self._local = (window.runner.connection, catalog.verify_checksums, catalog.take_sources())
        window.runner.set_connection(connection)
        catalog.con = connection
        catalog.verify_checksums = False  # the cluster reads the files; there is nothing to checksum here
        self.connection, self.remote, self.database = connection, remote, database
        host, port = remote.endpoint
        self.engine_label.setText(f"Spark: sc://{host}:{port}")
        self.engine_label.setToolTip(
            f"Queries run on the Spark cluster at {remote.display()}; only aggregates and capped samples come back"
        )
        self.engine_label.setStyleSheet("color: #d9822b; font-weight: 600;")
        self.action_disconnect.setEnabled(True)
        self.browser.set_endpoint(f"{host}:{port}" + (f" · {database}" if database else ""), remote.display())
        self.browser.show()
        window._sources_changed()
        self.browser.refresh()
        window.statusBar().showMessage(f"Connected to {remote.display()}: analyses now run on the cluster", 8000)
        self.mode_changed.emit(True)

    def open_location(self, location: str) -> int | None:
        """Open a catalog table or a cluster path on the cluster (a worker task, like opening a file)."""
        if not self.active:
            self.window.show_error("Connect to Spark first (File ▸ Connect to Spark…)")
            return None
        from workbench.backend.spark.sources import open_on_cluster

        catalog = self.window.catalog
        self.window.statusBar().showMessage(f"Opening {location} on the cluster…")
        return self.window.runner.submit(
            f"{OPEN_KEY}{next(self._open_ids)}",
            lambda ctx: ([location], open_on_cluster(catalog, location, cursor=ctx.cursor)),
        )

    def disconnect(self) -> None:
        """Back to local DuckDB with the local tables as they were; the cluster's session is ended."""
        if not self.active:
            return
        remote = self.remote
        self._leave_spark()
        self._audit("spark_disconnect", endpoint=remote.display())
        self.window._sources_changed()
        self.window.statusBar().showMessage("Disconnected from Spark: analyses run in local DuckDB again", 8000)
        self.mode_changed.emit(False)

    def _leave_spark(self) -> None:
        window = self.window
        window.runner.discard("")  # every pending task belongs to the cluster session that is ending
        catalog = window.catalog
        catalog.take_sources()  # the cluster's temporary views end with its session
        local_con, verify, taken = self._local
        window.runner.set_connection(local_con)
        catalog.con = local_con
        catalog.verify_checksums = verify
        catalog.put_sources(taken)
        connection = self.connection
        self.connection, self.remote, self.database, self._local = None, None, "", None
        # Ending the server-side session is a network round trip: never on the GUI thread.
        threading.Thread(target=release_connection, args=(connection,), name="spark-release", daemon=True).start()
        self.browser.clear()
        self.browser.hide()
        self.engine_label.setText(LOCAL_LABEL)
        self.engine_label.setToolTip("Queries run in the embedded DuckDB on this machine; nothing leaves it")
        self.engine_label.setStyleSheet("")
        self.action_disconnect.setEnabled(False)

    def shutdown(self) -> None:
        if self.dialog is not None:
            self.dialog.reject()
        if self.active:
            connection, self.connection = self.connection, None
            threading.Thread(target=release_connection, args=(connection,), name="spark-release", daemon=True).start()

    def _audit(self, action: str, **details) -> None:
        workspace = getattr(self.window, "workspace", None)
        if workspace is None:
            return
        try:
            workspace.audit.append_later(action, **details)
        except Exception:  # the audit log's own failures are reported by its panel; connecting goes on
            log.exception("Could not write %s to the audit log", action)
