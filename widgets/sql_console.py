"""SQL console: a read-only query editor with run (Ctrl+Enter) / cancel, results grid, history, inline errors.

Only queries run here (SELECT, WITH, FROM, DESCRIBE, SUMMARIZE, SHOW, EXPLAIN): the console is for looking
at the extracts, never for changing them or the engine's settings. Results are capped at ``MAX_ROWS`` so a
``SELECT *`` over 50M rows cannot exhaust memory; the grid fetches rows lazily.

Queries run on the console's own restricted database (:mod:`workbench.console_db`), which can read the
opened tables and nothing else. It is rebuilt on a worker whenever the open tables change; a query typed
while that is under way runs as soon as the new database is ready.
"""

from __future__ import annotations

import re
import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeySequence, QShortcut, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench import sql
from workbench.backend import ENGINE_ERRORS, Cursor, translate_error
from workbench.console_db import CONSOLE_MEMORY_SHARE, console_db_for, sources_key
from workbench.errors import QueryError
from workbench.protection.masked_views import check_console_query
from workbench.readonly import check_read_only
from workbench.result import Result
from widgets.icons import icon
from widgets.table_model import ResultTable
from widgets.theme import is_dark, monospace_font

MAX_ROWS = 100_000
HISTORY_LIMIT = 100
_KEYWORDS = (
    "select from where group by order having limit offset with as and or not in is null like ilike between "
    "case when then else end join left right inner outer full cross on using union all distinct except "
    "intersect asc desc nulls first last over partition window qualify describe summarize show explain "
    "count sum avg min max cast true false interval date timestamp filter within pivot unpivot"
).split()


def run_read_only(cur: Cursor, text: str, max_rows: int = MAX_ROWS):
    """Run one read-only statement and return ``(result, truncated)`` (a :class:`workbench.result.Result`).

    Raises
    ------
    QueryError for anything that is not a single query, and for errors DuckDB reports.
    """
    kind = check_read_only(text)
    try:
        relation = cur.sql(text)
        if relation is None:
            raise QueryError("The statement returned no result")
        table = Result.from_relation(relation.limit(max_rows + 1) if kind == "SELECT" else relation)
    except ENGINE_ERRORS as exc:  # a cancel arrives as QueryCancelled, which the runner reports as cancelled
        raise translate_error(exc) from exc
    truncated = table.num_rows > max_rows
    return (table.slice(0, max_rows) if truncated else table), truncated


class SqlHighlighter(QSyntaxHighlighter):
    """Keywords, strings, numbers and comments, in colours that read on light and dark backgrounds."""

    def __init__(self, document):
        super().__init__(document)
        self._rules: list[tuple[re.Pattern, QTextCharFormat]] = []
        self.refresh_colors()

    def refresh_colors(self) -> None:
        dark = is_dark()

        def fmt(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
            f = QTextCharFormat()
            f.setForeground(QColor(color))
            if bold:
                f.setFontWeight(QFont.Weight.DemiBold)
            f.setFontItalic(italic)
            return f

        self._rules = [
            (
                re.compile(r"\b(" + "|".join(_KEYWORDS) + r")\b", re.IGNORECASE),
                fmt("#7aa2f7" if dark else "#0b57b3", bold=True),
            ),
            (re.compile(r"\b\d+(\.\d+)?\b"), fmt("#e0af68" if dark else "#9a5b00")),
            (re.compile(r"'(?:[^']|'')*'"), fmt("#9ece6a" if dark else "#1a7f37")),
            (re.compile(r'"(?:[^"]|"")*"'), fmt("#bb9af7" if dark else "#8250df")),
            (re.compile(r"--[^\n]*"), fmt("#6e7681" if dark else "#6e7781", italic=True)),
        ]
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:  # noqa: N802
        for pattern, f in self._rules:
            for m in pattern.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), f)


class SqlConsole(QWidget):
    """The SQL tab.

    Signals
    -------
    error_occurred(str) — not used for query errors (they are shown inline); status_message(str);
    query_finished(int rows, float seconds).
    """

    error_occurred = Signal(str)
    status_message = Signal(str)
    query_finished = Signal(int, float)

    KEY = "sql"
    DB_KEY = "sql:restrict"  # building the restricted database

    def __init__(self, runner, catalog, parent=None):
        super().__init__(parent)
        self._runner = runner
        self._catalog = catalog
        self._request: int | None = None
        self._db = None  # the current ConsoleDB, None until the first one is built
        self._retired: list = []  # earlier ConsoleDBs, closed once no query runs on them
        self._db_key: tuple | None = None  # the sources key _db was built for
        self._building: tuple | None = None  # sources key of the database being built
        self._db_request: int | None = None
        self._pending: str | None = None  # a query waiting for the database
        self._history: list[str] = []
        self._started = 0.0
        self._last_sql = ""

        self.editor = QPlainTextEdit()
        self.editor.setObjectName("sqlEditor")
        self.editor.setFont(monospace_font())
        self.editor.setPlaceholderText(
            "SELECT * FROM <table> LIMIT 100    — Ctrl+Enter runs the query (or the selected text)"
        )
        self.editor.setTabStopDistance(self.editor.fontMetrics().horizontalAdvance(" ") * 4)
        self._highlighter = SqlHighlighter(self.editor.document())

        self.run_button = QPushButton(icon("run"), "Run")
        self.run_button.setToolTip("Run the query, or the selected text (Ctrl+Enter)")
        self.cancel_button = QPushButton(icon("stop"), "Cancel")
        self.cancel_button.setToolTip("Stop the running query (Esc)")
        self.cancel_button.setEnabled(False)
        self.info_label = QLabel("Read-only: queries on the opened tables only.")
        self.info_label.setObjectName("hint")

        self.history_list = QListWidget()
        self.history_list.setToolTip("Double-click to load a previous query")
        self.history_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.history_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.history_list.setWordWrap(False)
        self.history_list.setFont(monospace_font())

        self.error_label = QLabel()
        self.error_label.setObjectName("inlineError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.results = ResultTable()
        self.footer = QLabel("")
        self.footer.setObjectName("hint")

        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addSpacing(12)
        buttons.addWidget(self.info_label)
        buttons.addStretch(1)

        history_box = QWidget()
        hl = QVBoxLayout(history_box)
        hl.setContentsMargins(0, 0, 0, 0)
        hl.setSpacing(4)
        title = QLabel("History")
        title.setObjectName("sectionTitle")
        hl.addWidget(title)
        hl.addWidget(self.history_list)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.editor)
        top.addWidget(history_box)
        top.setStretchFactor(0, 4)
        top.setStretchFactor(1, 1)
        top.setSizes([900, 260])

        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.setSpacing(6)
        bl.addWidget(self.error_label)
        bl.addWidget(self.results, 1)
        bl.addWidget(self.footer)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([260, 480])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        layout.addLayout(buttons)
        layout.addWidget(self.splitter, 1)

        self._run_shortcuts = [
            QShortcut(QKeySequence("Ctrl+Return"), self.editor),
            QShortcut(QKeySequence("Ctrl+Enter"), self.editor),
        ]
        self._connect_signals()
        self._ensure_database()

    def _connect_signals(self) -> None:
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        for shortcut in self._run_shortcuts:
            shortcut.activated.connect(self.run)
        self.history_list.itemActivated.connect(self._on_history_list_item_activated)
        self._runner.result_ready.connect(self._on_runner_result_ready)
        self._runner.failed.connect(self._on_runner_failed)
        self._runner.cancelled.connect(self._on_runner_cancelled)

    # ------------------------------------------------------------------ public
    def set_sources(self, sources) -> None:
        """Rebuild the restricted database for the open tables; offer a starter query when the editor is empty."""
        self._ensure_database()
        if sources and not self.editor.toPlainText().strip():
            self.editor.setPlainText(f"SELECT *\nFROM {sql.ident(sources[-1].name)}\nLIMIT 100")

    @property
    def last_sql(self) -> str:
        """The text of the last query run (what ``query_finished`` reports on)."""
        return self._last_sql

    def set_sql(self, text: str) -> None:
        self.editor.setPlainText(text)
        self.editor.setFocus()

    def history(self) -> list[str]:
        return list(self._history)

    def set_history(self, items) -> None:
        self._history = [str(i) for i in (items or []) if str(i).strip()][:HISTORY_LIMIT]
        self._refresh_history()

    def run(self) -> int | None:
        """Run the selected text, or the whole editor; returns the request id."""
        cursor = self.editor.textCursor()
        text = cursor.selectedText().replace("\u2029", "\n") if cursor.hasSelection() else self.editor.toPlainText()
        text = text.strip().rstrip(";").strip()
        if not text:
            return None
        self._last_sql = text
        self._add_history(text)
        self.error_label.hide()
        self.footer.setText("Running…")
        self.cancel_button.setEnabled(True)
        self._started = time.perf_counter()
        if self._ensure_database():
            self._pending = None
            self._request = self._submit_query(text)
        else:
            self._pending = text
            self._request = self._db_request
        return self._request

    def _submit_query(self, text: str) -> int:
        """Run ``text`` on the current restricted database. While personal data is masked in the views, the
        opened files themselves are readable there too, so the query may then name only the views."""
        catalog = self._catalog

        def task(ctx):
            check_console_query(catalog, text)
            return run_read_only(ctx.cursor, text)

        return self._runner.submit(self.KEY, task, con=self._db.con)

    def cancel(self) -> None:
        if self._pending is not None:
            self._pending = None
            self._runner.cancel(self.DB_KEY)
        self._runner.cancel(self.KEY)

    # ------------------------------------------------------------------ restricted database
    def _ensure_database(self) -> bool:
        """True when the current database matches the open tables; otherwise start building one."""
        sources = self._catalog.sources
        key = sources_key(sources, getattr(self._catalog, "view_masks", None))
        if self._db is not None and self._db_key == key:
            return True
        if self._building != key:
            self._building = key
            self._db_request = self._runner.submit(
                self.DB_KEY, lambda ctx, s=sources: console_db_for(ctx.cursor, s, CONSOLE_MEMORY_SHARE)
            )
        return False

    def _on_database_ready(self, db) -> None:
        self._db_key, self._building = self._building, None
        if self._db is not None:
            self._retired.append(self._db)
        self._db = db
        self._close_retired()
        files = "\n".join(db.allowed_paths[:20]) + (
            f"\n… and {len(db.allowed_paths) - 20} more" if len(db.allowed_paths) > 20 else ""
        )
        self.info_label.setToolTip(
            "Queries here can read only the files of the opened tables"
            + (f":\n{files}" if files else " (none is open)")
            + "\nEvery other file on this machine is refused."
        )
        if db.unavailable:
            names = ", ".join(sorted(db.unavailable))
            self.status_message.emit(
                f"Not available in the SQL console: {names} ({next(iter(db.unavailable.values()))})"
            )
        if self._pending is not None:
            text, self._pending = self._pending, None
            if self._ensure_database():  # still current: run what the user asked for
                self._request = self._submit_query(text)
            else:
                self._pending = text

    def _close_retired(self) -> None:
        if self._runner.is_busy(self.KEY):
            return
        for db in self._retired:
            db.close()
        self._retired.clear()

    def _database_failed(self, message: str) -> None:
        self._building = None
        if self._pending is not None:
            self._pending = None
            self._show_error(f"The SQL console could not be prepared: {message}")

    # ------------------------------------------------------------------ slots
    def _on_history_list_item_activated(self, item: QListWidgetItem) -> None:
        self.editor.setPlainText(item.data(Qt.ItemDataRole.UserRole))

    def _on_runner_result_ready(self, request_id: int, key: str, result) -> None:
        if key == self.DB_KEY:
            self._on_database_ready(result)
            return
        if key != self.KEY or request_id != self._request:
            return
        self._close_retired()
        table, truncated = result
        seconds = time.perf_counter() - self._started
        self.results.set_table(table)
        rows = table.num_rows
        text = f"{rows:,} row{'s' if rows != 1 else ''} · {table.num_columns} column{'s' if table.num_columns != 1 else ''} · {seconds * 1000:,.0f} ms"
        if truncated:
            text = f"First {rows:,} rows shown (add a LIMIT or aggregate to see the rest) · {seconds * 1000:,.0f} ms"
        self.footer.setText(text)
        self.cancel_button.setEnabled(False)
        self.status_message.emit(text)
        self.query_finished.emit(rows, seconds)

    def _on_runner_failed(self, request_id: int, key: str, message: str) -> None:
        if key == self.DB_KEY:
            self._database_failed(message)
            return
        if key != self.KEY or request_id != self._request:
            return
        self._close_retired()
        self._show_error(self._explain_missing_table(message))

    def _explain_missing_table(self, message: str) -> str:
        """A table the console database could not register (its file vanished) is missing there: say why."""
        for name, reason in self._db.unavailable.items() if self._db is not None else ():
            if re.search(rf"\bname \"?{re.escape(name)}\"? does not exist", message):
                return reason
        return message

    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()
        self.footer.setText("Query failed")
        self.cancel_button.setEnabled(False)

    def _on_runner_cancelled(self, request_id: int, key: str) -> None:
        if key == self.DB_KEY:
            self._building = None
            if self._pending is None:
                return
            self._pending = None
        elif key != self.KEY or request_id != self._request:
            return
        self.footer.setText("Query cancelled")
        self.cancel_button.setEnabled(False)

    # ------------------------------------------------------------------ helpers
    def _add_history(self, text: str) -> None:
        if text in self._history:
            self._history.remove(text)
        self._history.insert(0, text)
        del self._history[HISTORY_LIMIT:]
        self._refresh_history()

    def _refresh_history(self) -> None:
        self.history_list.clear()
        for text in self._history:
            code = [ln for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("--")]
            item = QListWidgetItem(" ".join(" ".join(code or [text]).split()))
            item.setData(Qt.ItemDataRole.UserRole, text)
            item.setToolTip(text)
            self.history_list.addItem(item)

    def refresh_theme(self) -> None:
        self._highlighter.refresh_colors()
