"""The results grid model: lazy rows, sorting, TSV copy, formatting, masking."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
from PySide6.QtCore import Qt

from widgets.table_model import FETCH_CHUNK, ArrowTableModel, ResultTable, format_value


def test_lazy_fetch_exposes_rows_in_chunks(qtbot):
    model = ArrowTableModel(pa.table({"i": list(range(FETCH_CHUNK * 2 + 5))}))
    assert model.rowCount() == FETCH_CHUNK
    assert model.canFetchMore()
    model.fetchMore()
    model.fetchMore()
    assert model.rowCount() == FETCH_CHUNK * 2 + 5
    assert not model.canFetchMore()
    assert model.data(model.index(FETCH_CHUNK * 2 + 4, 0)) == f"{FETCH_CHUNK * 2 + 4:,}"


def test_sort_and_nulls_last(qtbot):
    model = ArrowTableModel(pd.DataFrame({"name": ["b", None, "a"], "n": [2.5, 1.0, None]}))
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert [model.raw_value(r, 0) for r in range(3)] == ["a", "b", None]
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert [model.raw_value(r, 1) for r in range(3)] == [2.5, 1.0, None]
    assert model.data(model.index(2, 1)) == "NULL"


def test_tsv_copy_is_raw_and_shape_safe(qtbot):
    ts = dt.datetime(2024, 1, 2, 3, 4, 5)
    model = ArrowTableModel(pa.table({"a\tb": ["x\ty", None], "n": [1234567, 2], "t": [ts, ts]}))
    text = model.to_tsv()
    lines = text.splitlines()
    assert lines[0] == "a b\tn\tt"
    assert lines[1] == "x y\t1234567\t2024-01-02 03:04:05"
    assert lines[2] == "\t2\t2024-01-02 03:04:05"


def test_result_table_copies_selection(qtbot):
    from PySide6.QtGui import QGuiApplication

    view = ResultTable()
    qtbot.addWidget(view)
    view.set_table(pa.table({"a": [1, 2, 3], "b": ["x", "y", "z"]}))
    view.selectAll()
    view.copy_selection(headers=True)
    assert QGuiApplication.clipboard().text() == "a\tb\n1\tx\n2\ty\n3\tz\n"


def test_masked_columns_never_show_values(qtbot):
    model = ArrowTableModel(pa.table({"email": ["a@b.c"], "n": [1]}))
    model.set_masked_columns({"email"})
    assert model.data(model.index(0, 0)) == "•••"
    assert "a@b.c" not in model.to_tsv()


def test_format_value():
    assert format_value(None) == "NULL"
    assert format_value(1234.0) == "1,234"
    assert format_value(0.000123456) == "0.000123456"
    assert format_value(12.5) == "12.5"
    assert format_value(dt.date(2024, 1, 1)) == "2024-01-01"
    assert format_value(float("nan")) == "NaN"


def test_midnight_reads_as_a_date_only_in_a_column_of_dates():
    import datetime as dt

    import pandas as pd
    from PySide6.QtCore import Qt

    from widgets.table_model import ArrowTableModel

    hourly = ArrowTableModel(pd.DataFrame({"t": [dt.datetime(2026, 8, 3, h) for h in range(3)]}))
    assert [hourly.data(hourly.index(r, 0), Qt.ItemDataRole.DisplayRole) for r in range(3)] == [
        "2026-08-03 00:00:00",
        "2026-08-03 01:00:00",
        "2026-08-03 02:00:00",
    ]
    daily = ArrowTableModel(pd.DataFrame({"t": [dt.datetime(2026, 8, d) for d in (3, 4)]}))
    assert daily.data(daily.index(0, 0), Qt.ItemDataRole.DisplayRole) == "2026-08-03"
