"""The cluster's databases and tables, shown in the Data dock while the window runs on Spark.

Databases are listed once on connect and a database's tables when it is first expanded (``SHOW DATABASES``
/ ``SHOW TABLES IN db``, each one round trip on a worker). Double-clicking a table, or typing a path the
cluster can read, asks the window to open it on the cluster.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

_KIND_ROLE = Qt.ItemDataRole.UserRole
_NAME_ROLE = Qt.ItemDataRole.UserRole + 1
_PLACEHOLDER = "…"


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


class SparkBrowser(QWidget):
    """Browse a Spark catalog through the window's QueryRunner; emits ``open_requested(location)``."""

    open_requested = Signal(str)
    error_occurred = Signal(str)

    KEY = "spark.browse"

    def __init__(self, runner, parent: QWidget | None = None):
        super().__init__(parent)
        self._runner = runner
        self.title = QLabel("Cluster")
        self.title.setObjectName("sectionTitle")
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setIndentation(14)
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("db.table or a cluster path (hdfs://, s3a://, abfss://, file:)")
        self.path_edit.setClearButtonEnabled(True)
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Open this table or path on the cluster")
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.setSpacing(6)
        layout.addWidget(self.title)
        layout.addWidget(self.tree, 1)
        layout.addLayout(row)
        self._connect_signals()

    def _connect_signals(self) -> None:
        self.tree.itemExpanded.connect(self._on_tree_item_expanded)
        self.tree.itemDoubleClicked.connect(self._on_tree_item_double_clicked)
        self.open_button.clicked.connect(self._on_open_button_clicked)
        self.path_edit.returnPressed.connect(self._on_open_button_clicked)

    def set_endpoint(self, label: str, tooltip: str = "") -> None:
        self.title.setText(f"Cluster: {label}")
        self.title.setToolTip(tooltip)

    def clear(self) -> None:
        self._runner.discard(self.KEY)
        self.tree.clear()

    def refresh(self) -> int:
        """List the databases (one query on a worker)."""
        self.tree.clear()
        loading = QTreeWidgetItem(["Loading databases…"])
        loading.setFlags(Qt.ItemFlag.NoItemFlags)
        self.tree.addTopLevelItem(loading)
        return self._runner.submit(
            f"{self.KEY}:databases",
            lambda ctx: [str(r[0]) for r in ctx.cursor.execute_native("SHOW DATABASES").fetchall()],
            on_done=self._show_databases,
            on_error=self._on_list_failed,
        )

    def _show_databases(self, names: list[str]) -> None:
        self.tree.clear()
        for name in names:
            item = QTreeWidgetItem([name])
            item.setData(0, _KIND_ROLE, "database")
            item.setData(0, _NAME_ROLE, name)
            item.setToolTip(0, f"Database {name}: expand to list its tables")
            item.addChild(QTreeWidgetItem([_PLACEHOLDER]))
            self.tree.addTopLevelItem(item)
        if not names:
            self.tree.addTopLevelItem(QTreeWidgetItem(["(no databases visible to this account)"]))

    def database_item(self, name: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, _NAME_ROLE) == name:
                return item
        return None

    def _on_tree_item_expanded(self, item: QTreeWidgetItem) -> None:
        if item.data(0, _KIND_ROLE) != "database" or item.childCount() != 1 or item.child(0).text(0) != _PLACEHOLDER:
            return
        database = item.data(0, _NAME_ROLE)
        item.child(0).setText(0, "Loading tables…")

        def list_tables(ctx, database=database):
            rows = ctx.cursor.execute_native(f"SHOW TABLES IN {_quoted(database)}").fetchall()
            # (namespace, tableName, isTemporary): the session's own temporary views are not catalog tables.
            return [str(r[1]) for r in rows if not (len(r) > 2 and r[2])]

        self._runner.submit(
            f"{self.KEY}:tables:{database}",
            list_tables,
            on_done=lambda names, item=item: self._show_tables(item, names),
            on_error=self._on_list_failed,
        )

    def _show_tables(self, item: QTreeWidgetItem, names: list[str]) -> None:
        database = item.data(0, _NAME_ROLE)
        item.takeChildren()
        for name in names:
            child = QTreeWidgetItem([name])
            child.setData(0, _KIND_ROLE, "table")
            child.setData(0, _NAME_ROLE, f"{database}.{name}")
            child.setToolTip(0, f"{database}.{name}: double-click to open on the cluster")
            item.addChild(child)
        if not names:
            empty = QTreeWidgetItem(["(no tables)"])
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            item.addChild(empty)

    def _on_list_failed(self, message: str) -> None:
        self.error_occurred.emit(f"Could not list the cluster's catalog: {message}")

    def _on_tree_item_double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.data(0, _KIND_ROLE) == "table":
            self.open_requested.emit(item.data(0, _NAME_ROLE))

    def _on_open_button_clicked(self) -> None:
        text = self.path_edit.text().strip()
        if text:
            self.open_requested.emit(text)
