"""The Data dock: opened sources → tables → columns (type icons, row counts, file sizes) and a column profile.

Selecting a column profiles it in DuckDB on a worker thread (key ``profile``; a newer selection
supersedes the older one).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench import sql
from widgets.icons import icon, type_icon_name
from widgets.profile_view import ProfileView

ROLE_KIND = Qt.ItemDataRole.UserRole
ROLE_TABLE = Qt.ItemDataRole.UserRole + 1
ROLE_COLUMN = Qt.ItemDataRole.UserRole + 2


def human_size(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "B" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} B"


def human_rows(n: int | None) -> str:
    if n is None:
        return "rows not counted yet"
    return f"{n:,} row{'s' if n != 1 else ''}"


def _short_type(t: str) -> str:
    """Column types short enough for the tree (the tooltip has the full type)."""
    t = t.replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ").lower()
    return t if len(t) <= 12 else t[:11] + "…"


def compact_rows(n: int | None) -> str:
    """1,234 -> "1,234 rows"; 3,000,000 -> "3.0M rows" (exact count in the tooltip)."""
    if n is None:
        return "counting…"
    if n >= 10_000_000:
        return f"{n / 1e6:,.0f}M rows"
    if n >= 1_000_000:
        return f"{n / 1e6:.1f}M rows"
    return human_rows(n)


class DataPanel(QWidget):
    """Sources tree + profile. Constructed as DataPanel(runner, catalog).

    Signals
    -------
    error_occurred(str), status_message(str), table_activated(str) (double-click / "Explore"),
    sql_requested(str) ("Query in SQL console"), close_requested(str), open_file_requested(),
    open_folder_requested(), open_demo_requested(), column_selected(str table, str column).
    """

    error_occurred = Signal(str)
    status_message = Signal(str)
    table_activated = Signal(str)
    sql_requested = Signal(str)
    close_requested = Signal(str)
    open_file_requested = Signal()
    open_folder_requested = Signal()
    open_demo_requested = Signal()
    column_selected = Signal(str, str)
    profile_ready = Signal(object)

    PROFILE_KEY = "profile"

    def __init__(self, runner, catalog, parent=None):
        super().__init__(parent)
        self._runner = runner
        self._catalog = catalog
        self._profile_request: int | None = None
        self._row_counts: dict[str, int] = {}
        self._ambiguous: set[str] = set()  # location names shared by two open sources (shown with their folder)

        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter columns…")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Name", "Details"])
        self.tree.setUniformRowHeights(True)
        self.tree.setIndentation(14)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.setAlternatingRowColors(False)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)

        self.empty = QWidget()
        el = QVBoxLayout(self.empty)
        el.setContentsMargins(16, 24, 16, 16)
        el.setSpacing(10)
        msg = QLabel("No data open.\n\nOpen Parquet or CSV files, a folder of them, or drop them on the window.")
        msg.setObjectName("emptyState")
        msg.setWordWrap(True)
        msg.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.open_file_button = QPushButton(icon("open-file"), "Open File…")
        self.open_folder_button = QPushButton(icon("open-folder"), "Open Folder…")
        self.open_demo_button = QPushButton(icon("chart"), "Open the demo extract")
        el.addWidget(msg)
        for b in (self.open_file_button, self.open_folder_button, self.open_demo_button):
            el.addWidget(b)
        el.addStretch(1)

        self.profile = ProfileView()

        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(6, 6, 6, 0)
        tl.setSpacing(6)
        tl.addWidget(self.search)
        tl.addWidget(self.tree, 1)
        tl.addWidget(self.empty, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        # The profile scrolls, so the splitter can give the tree of sources most of the dock's height.
        self.profile_scroll = QScrollArea()
        self.profile_scroll.setWidget(self.profile)
        self.profile_scroll.setWidgetResizable(True)
        self.profile_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.profile_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.splitter.addWidget(self.profile_scroll)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(150)
        self._connect_signals()
        self.set_sources([])

    def _connect_signals(self) -> None:
        self.tree.currentItemChanged.connect(self._on_tree_current_item_changed)
        self.tree.itemDoubleClicked.connect(self._on_tree_item_double_clicked)
        self.tree.customContextMenuRequested.connect(self._on_tree_context_menu_requested)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self._search_timer.timeout.connect(self._apply_search)
        self.open_file_button.clicked.connect(self.open_file_requested)
        self.open_folder_button.clicked.connect(self.open_folder_requested)
        self.open_demo_button.clicked.connect(self.open_demo_requested)
        self._runner.result_ready.connect(self._on_runner_result_ready)
        self._runner.failed.connect(self._on_runner_failed)

    def sizeHint(self) -> QSize:  # noqa: N802 — the dock's initial width
        return QSize(350, 700)

    # ------------------------------------------------------------------ public
    def set_sources(self, sources) -> None:
        """Rebuild the tree: one node per opened location, its table, the table's columns."""
        expanded = {self._item_key(it) for it in self._iter_items() if it.isExpanded()}
        self.tree.clear()
        self.tree.setVisible(bool(sources))
        self.search.setVisible(bool(sources))
        self.empty.setVisible(not sources)
        # Two locations with the same file name (events.parquet from two folders) show their folder too.
        names = [Path(s.location).name for s in sources]
        self._ambiguous = {n for n in names if names.count(n) > 1}
        for source in sources:
            self._add_source(source, expanded)
        for source in sources:
            if source.row_count is None and source.name not in self._row_counts:
                self._count_rows(source.name)
        self._apply_search()
        if not sources:
            self.profile.show_message("Select a column to see its profile.")

    def select_column(self, table: str, column: str) -> bool:
        """Select (and so profile) a column, as a click would."""
        for item in self._iter_items():
            if (
                item.data(0, ROLE_KIND) == "column"
                and item.data(0, ROLE_TABLE) == table
                and item.data(0, ROLE_COLUMN) == column
            ):
                self.tree.setCurrentItem(item)
                self.tree.scrollToItem(item)
                return True
        return False

    def table_item(self, table: str) -> QTreeWidgetItem | None:
        for item in self._iter_items():
            if item.data(0, ROLE_KIND) == "table" and item.data(0, ROLE_TABLE) == table:
                return item
        return None

    # ------------------------------------------------------------------ tree building
    def _add_source(self, source, expanded: set) -> None:
        location = Path(source.location)
        is_folder = len(source.files) > 1 or location.is_dir()
        label = location.name or source.location
        if label in self._ambiguous and location.parent.name:
            label = f"{location.parent.name}/{label}"
        src = QTreeWidgetItem([label, self._source_details(source)])
        src.setIcon(0, icon("open-folder" if is_folder else "open-file"))
        src.setData(0, ROLE_KIND, "source")
        src.setData(0, ROLE_TABLE, source.name)
        tip = [
            source.location,
            f"{source.kind.upper()} · {len(source.files)} file(s) · {human_size(source.size_bytes)}",
        ]
        if source.skipped_files:
            tip.append(f"Skipped {len(source.skipped_files)} other file(s)")
        src.setToolTip(0, "\n".join(tip))
        src.setToolTip(1, "\n".join(tip))
        self.tree.addTopLevelItem(src)

        rows = source.row_count if source.row_count is not None else self._row_counts.get(source.name)
        tbl = QTreeWidgetItem([source.name, compact_rows(rows)])
        tbl.setIcon(0, icon("table"))
        tbl.setData(0, ROLE_KIND, "table")
        tbl.setData(0, ROLE_TABLE, source.name)
        tbl.setToolTip(
            0,
            f"Table {sql.ident(source.name)}: {human_rows(rows)}, {len(source.columns)} columns\n"
            "Double-click to explore it; right-click for more",
        )
        tbl.setToolTip(1, tbl.toolTip(0))
        src.addChild(tbl)
        for col in source.columns:
            item = QTreeWidgetItem([col.name, _short_type(col.type)])
            item.setForeground(1, self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
            item.setIcon(0, icon(type_icon_name(col.type)))
            item.setData(0, ROLE_KIND, "column")
            item.setData(0, ROLE_TABLE, source.name)
            item.setData(0, ROLE_COLUMN, col.name)
            tip = f"{col.name}\n{col.type}{'' if col.nullable else ' NOT NULL'}"
            if col.name in source.hive_columns:
                tip += "\nhive partition column (from folder names)"
            item.setToolTip(0, tip)
            item.setToolTip(1, tip)
            tbl.addChild(item)
        src.setExpanded(True)
        tbl.setExpanded(len(source.columns) <= 200 or self._item_key(tbl) in expanded)

    @staticmethod
    def _source_details(source) -> str:
        n = len(source.files)
        return f"{n} files · {human_size(source.size_bytes)}" if n > 1 else human_size(source.size_bytes)

    def _iter_items(self):
        stack = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        while stack:
            item = stack.pop()
            yield item
            stack.extend(item.child(i) for i in range(item.childCount()))

    @staticmethod
    def _item_key(item) -> tuple:
        return (item.data(0, ROLE_KIND), item.data(0, ROLE_TABLE), item.data(0, ROLE_COLUMN))

    def _apply_search(self) -> None:
        needle = self.search.text().strip().lower()
        for item in self._iter_items():
            if item.data(0, ROLE_KIND) == "column":
                item.setHidden(bool(needle) and needle not in item.text(0).lower())
            elif item.data(0, ROLE_KIND) == "table" and needle:
                item.setExpanded(True)

    # ------------------------------------------------------------------ slots
    def _on_tree_current_item_changed(self, current, _previous) -> None:
        if current is None or current.data(0, ROLE_KIND) != "column":
            return
        table, column = current.data(0, ROLE_TABLE), current.data(0, ROLE_COLUMN)
        self.column_selected.emit(table, column)
        self.profile.show_message("Profiling…", title=column)

        def fn(ctx, table=table, column=column):
            from workbench.analysis.profile import ColumnProfileView

            return ColumnProfileView(table, column).run(ctx.cursor).value

        self._profile_request = self._runner.submit(self.PROFILE_KEY, fn)

    def _on_tree_item_double_clicked(self, item, _column) -> None:
        if item.data(0, ROLE_KIND) in ("table", "source"):
            self.table_activated.emit(item.data(0, ROLE_TABLE))

    def _on_tree_context_menu_requested(self, pos) -> None:
        item = self.tree.itemAt(pos)
        if item is None:
            return
        table = item.data(0, ROLE_TABLE)
        column = item.data(0, ROLE_COLUMN)
        menu = QMenu(self)
        menu.addAction(icon("chart"), "Explore", lambda: self.table_activated.emit(table))
        if column:
            menu.addAction(
                icon("sql"),
                "Query in SQL console",
                lambda: self.sql_requested.emit(
                    f"SELECT {sql.ident(column)}, count(*) AS n\nFROM {sql.ident(table)}\nGROUP BY ALL\nORDER BY n DESC\nLIMIT 100"
                ),
            )
        else:
            menu.addAction(
                icon("sql"),
                "Query in SQL console",
                lambda: self.sql_requested.emit(f"SELECT *\nFROM {sql.ident(table)}\nLIMIT 100"),
            )
        menu.addSeparator()
        menu.addAction(icon("close"), "Close table", lambda: self.close_requested.emit(table))
        menu.exec(self.tree.viewport().mapToGlobal(pos))

    def _count_rows(self, name: str) -> None:
        self._runner.submit(
            f"rowcount:{name}", lambda ctx, name=name: self._catalog.count_rows(name, cursor=ctx.cursor)
        )

    def _on_runner_result_ready(self, request_id: int, key: str, result) -> None:
        if key == self.PROFILE_KEY and request_id == self._profile_request:
            self.profile.show_profile(result)
            self.profile_ready.emit(result)
        elif key.startswith("rowcount:"):
            name = key.split(":", 1)[1]
            self._row_counts[name] = int(result)
            item = self.table_item(name)
            if item is not None:
                item.setText(1, compact_rows(int(result)))
                item.setToolTip(1, human_rows(int(result)))

    def _on_runner_failed(self, request_id: int, key: str, message: str) -> None:
        if key == self.PROFILE_KEY and request_id == self._profile_request:
            self.profile.show_message(f"Cannot profile this column: {message}")
        elif key.startswith("rowcount:"):
            self.status_message.emit(f"Could not count rows: {message}")
