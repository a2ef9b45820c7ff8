"""A table model over query results (``workbench.result.Result`` or pandas): lazy, sortable, copyable as TSV.

Cells are converted to Python lazily, one block of rows per column at a time, and rows are exposed to the
view in chunks (``canFetchMore``/``fetchMore``), so a million-row result opens instantly. No pyarrow: the
columns are NumPy arrays (the bundle leaves pyarrow out).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QAction, QFont, QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from workbench import number_format
from workbench.result import Result

FETCH_CHUNK = 1000
_BLOCK = 512
MASK = "•••"


def format_value(value, show_midnight: bool = False) -> str:
    """How a cell reads in a grid (the raw value is what gets copied). Midnight timestamps read as dates
    unless ``show_midnight`` (a column that also holds other times of day, e.g. hourly buckets)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, decimal.Decimal)):
        return number_format.grid(value)  # the one formatter the axes and reports share
    if isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ")
        return text[:-9] if text.endswith(" 00:00:00") and value.tzinfo is None and not show_midnight else text
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value):,} bytes>"
    return str(value)


def copy_text(value) -> str:
    """A cell as TSV text: unformatted, tabs/newlines flattened so the grid shape survives a paste."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value)) if not math.isnan(value) else "NaN"
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


class ResultTableModel(QAbstractTableModel):
    """Read-only model over a :class:`~workbench.result.Result` (pandas frames are converted on the way in)."""

    def __init__(self, table=None, parent=None):
        super().__init__(parent)
        self._table = Result.empty()
        self._loaded = 0
        self._blocks: dict[tuple[int, int], list] = {}
        self._masked: set[str] = set()
        self._numeric: list[bool] = []
        self._times_of_day: dict[int, bool] = {}  # per timestamp column: holds times other than midnight
        self._order = None  # after a header sort: original row position of each row (NumPy array)
        if table is not None:
            self.set_table(table)

    # ------------------------------------------------------------------ data in
    def set_table(self, table) -> None:
        """Replace the contents with a Result or a pandas DataFrame (an Arrow table also works; None clears)."""
        table = Result.coerce(table)
        self.beginResetModel()
        self._table = table
        self._loaded = min(table.num_rows, FETCH_CHUNK)
        self._blocks.clear()
        self._order = None
        self._numeric = [table.is_numeric(c) for c in range(table.num_columns)]
        self._times_of_day = {}
        self.endResetModel()

    def set_masked_columns(self, names) -> None:
        """Columns whose values are shown as ••• (PII masking); copying is masked too."""
        self._masked = set(names or ())
        if self._table.num_columns:
            self.dataChanged.emit(self.index(0, 0), self.index(max(self._loaded - 1, 0), self._table.num_columns - 1))

    @property
    def table(self) -> Result:
        return self._table

    @property
    def total_rows(self) -> int:
        return self._table.num_rows

    def column_names(self) -> list[str]:
        return list(self._table.column_names)

    def masked_columns(self) -> list[str]:
        return [c for c in self._table.column_names if c in self._masked]

    def source_rows(self, rows=None) -> list[int]:
        """Positions in the table as it was set (before header sorts) of ``rows`` (all rows when None)."""
        rows = range(self._table.num_rows) if rows is None else rows
        if self._order is None:
            return list(rows)
        return [int(self._order[r]) for r in rows]

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt naming)
        return 0 if parent.isValid() else self._loaded

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else self._table.num_columns

    def canFetchMore(self, parent=QModelIndex()) -> bool:  # noqa: N802
        return not parent.isValid() and self._loaded < self._table.num_rows

    def fetchMore(self, parent=QModelIndex()) -> None:  # noqa: N802
        if parent.isValid():
            return
        remaining = self._table.num_rows - self._loaded
        n = min(FETCH_CHUNK, remaining)
        if n <= 0:
            return
        self.beginInsertRows(QModelIndex(), self._loaded, self._loaded + n - 1)
        self._loaded += n
        self.endInsertRows()

    def raw_value(self, row: int, col: int):
        """The Python value of a cell (None for NULL)."""
        block = row // _BLOCK
        key = (col, block)
        values = self._blocks.get(key)
        if values is None:
            values = self._table.column(col, block * _BLOCK, _BLOCK)
            if len(self._blocks) > 4096:
                self._blocks.clear()
            self._blocks[key] = values
        return values[row - block * _BLOCK]

    def _has_times_of_day(self, col: int) -> bool:
        """Whether a timestamp column holds times other than midnight (judged on its first rows, once)."""
        if col not in self._times_of_day:
            sample = (self.raw_value(r, col) for r in range(min(self.rowCount(), 2000)))
            self._times_of_day[col] = any(isinstance(v, dt.datetime) and v.time() != dt.time(0) for v in sample)
        return self._times_of_day[col]

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if self._table.column_names[col] in self._masked:
                return MASK
            value = self.raw_value(row, col)
            if role == Qt.ItemDataRole.ToolTipRole:
                text = copy_text(value)
                return text if len(text) > 40 else None
            return format_value(value, show_midnight=isinstance(value, dt.datetime) and self._has_times_of_day(col))
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if self._numeric[col]:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if self.raw_value(row, col) is None:
                return QGuiApplication.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
            return None
        if role == Qt.ItemDataRole.FontRole:
            if self.raw_value(row, col) is None:
                font = QFont()
                font.setItalic(True)
                return font
            return None
        if role == Qt.ItemDataRole.UserRole:
            return self.raw_value(row, col)
        return None

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if section >= self._table.num_columns:
                return None
            if role == Qt.ItemDataRole.DisplayRole:
                return self._table.column_names[section]
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{self._table.column_names[section]}  ({self._table.types[section]})"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if column < 0 or column >= self._table.num_columns:
            return
        indices = self._table.sort_indices(column, descending=order == Qt.SortOrder.DescendingOrder)
        if indices is None:
            return  # lists/structs have no order; leave the grid as it is
        self.layoutAboutToBeChanged.emit()
        self._table = self._table.take(indices)
        self._order = indices if self._order is None else self._order[indices]
        self._blocks.clear()
        self.layoutChanged.emit()

    # ------------------------------------------------------------------ export
    def to_tsv(self, rows: list[int] | None = None, columns: list[int] | None = None, headers: bool = True) -> str:
        """TSV text of the given rows/columns (all rows, including not-yet-fetched ones, when None)."""
        columns = list(range(self._table.num_columns)) if columns is None else columns
        rows = range(self._table.num_rows) if rows is None else rows
        names = self._table.column_names
        lines = []
        if headers:
            lines.append("\t".join(copy_text(names[c]) for c in columns))
        for r in rows:
            lines.append(
                "\t".join(MASK if names[c] in self._masked else copy_text(self.raw_value(r, c)) for c in columns)
            )
        return "\n".join(lines) + "\n"


ArrowTableModel = ResultTableModel  # the old name (it wrapped a pyarrow.Table before)


def frame_tsv(table, headers: bool = True) -> str:
    """TSV text of a whole Result (or Arrow table) or pandas frame, cells written as a grid copy writes them."""
    if hasattr(table, "itertuples"):  # pandas
        names = [str(c) for c in table.columns]
        rows = table.itertuples(index=False, name=None)
    else:
        table = Result.coerce(table)
        names = table.column_names
        rows = iter(table.rows())
    lines = ["\t".join(copy_text(n) for n in names)] if headers else []
    for row in rows:
        lines.append("\t".join(copy_text(_plain(v)) for v in row))
    return "\n".join(lines) + "\n"


def _plain(value):
    """pandas scalars as the Python values a grid holds (NaN/NaT -> empty, Timestamp -> datetime)."""
    if value is None:
        return None
    try:
        if value != value:  # NaN, NaT, pd.NA raise or compare unequal
            return None
    except (TypeError, ValueError):
        return None
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


class ResultTable(QTableView):
    """A results grid: sortable by header click, Ctrl+C copies the selection as TSV.

    ``copy_filter`` (None by default: plain copies) lets the owner of the grid guard what is copied without
    the grid knowing why: ``copy_filter(view, rows, columns, headers) -> str | None`` gets the selected row
    and column positions (None = all) and returns the TSV to put on the clipboard (None: copy nothing).
    The workspace installs one that applies small-cell suppression and masking and logs the copy.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.copy_filter = None
        self._model = ResultTableModel(parent=self)
        self.setModel(self._model)
        # Keep the query's own order until the user clicks a header.
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(True)
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setWordWrap(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        vheader = self.verticalHeader()
        vheader.setDefaultSectionSize(self.fontMetrics().height() + 8)
        vheader.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self._copy = QAction("Copy", self)
        self._copy.setShortcut(QKeySequence.StandardKey.Copy)
        self._copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self._copy_headers = QAction("Copy with headers", self)
        self._copy_all = QAction("Copy all rows", self)
        for action in (self._copy, self._copy_headers, self._copy_all):
            self.addAction(action)
        self._copy.triggered.connect(lambda: self.copy_selection(headers=False))
        self._copy_headers.triggered.connect(lambda: self.copy_selection(headers=True))
        self._copy_all.triggered.connect(self.copy_all)
        header.sectionClicked.connect(lambda _section: header.setSortIndicatorShown(True))

    def table_model(self) -> ResultTableModel:
        return self._model

    def set_table(self, table) -> None:
        """Show a new result; column widths fit the header and the first rows (capped)."""
        header = self.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.blockSignals(False)
        header.setSortIndicatorShown(False)
        self._model.set_table(table)
        self._fit_columns()

    def _fit_columns(self) -> None:
        fm = self.fontMetrics()
        model = self._model
        sample = min(model.rowCount(), 60)
        for c in range(min(model.columnCount(), 60)):  # 2,000 columns: only measure the first few
            texts = [str(model.headerData(c, Qt.Orientation.Horizontal))]
            texts += [model.data(model.index(r, c)) or "" for r in range(sample)]
            width = max(fm.horizontalAdvance(t) for t in texts) + 28
            self.setColumnWidth(c, max(60, min(width, 320)))

    def selection_tsv(self, headers: bool = False) -> str:
        indexes = self.selectedIndexes()
        if not indexes:
            return ""
        rows = sorted({i.row() for i in indexes})
        cols = sorted({i.column() for i in indexes})
        return self.copy_tsv(rows, cols, headers=headers)

    def copy_tsv(self, rows: list[int] | None = None, columns: list[int] | None = None, headers: bool = True) -> str:
        """The text a copy of these rows/columns puts on the clipboard (through ``copy_filter`` if set)."""
        if self.copy_filter is None:
            return self._model.to_tsv(rows, columns, headers=headers)
        return self.copy_filter(self, rows, columns, headers) or ""

    def copy_selection(self, headers: bool = False) -> None:
        text = self.selection_tsv(headers=headers)
        if text:
            QGuiApplication.clipboard().setText(text)

    def copy_all(self) -> None:
        text = self.copy_tsv()
        if text:
            QGuiApplication.clipboard().setText(text)
