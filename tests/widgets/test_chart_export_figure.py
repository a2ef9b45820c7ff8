"""Exported charts carry what is needed to read them: title, filters, range, legend and the comparison key."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from tests.widgets.test_workspace_ui import _open, _until_result, make_window  # noqa: F401 (fixture)
from workbench.metrics import Filter


def _compared_view(qtbot, w, events_parquet):
    _open(qtbot, w, events_parquet)
    ex = w.explorer
    ex.set_measure("sum", "views")
    ex.set_breakdown("country")
    ex.add_filter(Filter("views", ">=", "1"))
    ex.set_compare(True, "day")
    _until_result(qtbot, ex, lambda s: s.breakdown == "country" and s.compare and s.filters)
    qtbot.waitUntil(lambda: ex.chart.is_showing_chart() and any(s.dashed for s in ex.chart.series()), timeout=10000)
    return ex


def test_svg_and_png_exports_carry_title_filters_legend_and_comparison(qtbot, make_window, events_parquet, tmp_path):
    w = make_window()
    ex = _compared_view(qtbot, w, events_parquet)
    svg = w.workspace.exporter.export("svg", tmp_path / "chart.svg").path.read_text(encoding="utf-8")
    for text in (
        "sum(views) by country per day",
        "Filters: views &gt;= 1",
        "Table: events",
        "Range: All data",
        "Compared with: the day before",
        "- - -  the day before",
        ">BR<",
        ">US<",
        ">DE<",
        ">IN<",
    ):
        assert text in svg, text

    # Hide a series: it leaves the legend of the next export too.
    ex.chart.set_series_visible("BR", False)
    png_path = w.workspace.exporter.export("png", tmp_path / "chart.png").path
    image = QImage(str(png_path))
    plot = ex.chart.plot_widget
    assert image.width() > plot.width() and image.height() > plot.height() + 60  # header and legend around it
    svg = w.workspace.exporter.export("svg", tmp_path / "chart2.svg").path.read_text(encoding="utf-8")
    assert ">BR<" not in svg and ">US<" in svg


def test_chart_png_button_writes_the_figure(qtbot, make_window, events_parquet, tmp_path, monkeypatch):
    w = make_window()
    ex = _compared_view(qtbot, w, events_parquet)
    target = tmp_path / "button.png"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), "PNG image (*.png)"))
    qtbot.mouseClick(ex.chart.png_button, Qt.MouseButton.LeftButton)  # the workspace's guarded export
    qtbot.waitUntil(target.exists, timeout=10000)
    image = QImage(str(target))
    assert not image.isNull() and image.height() > ex.chart.plot_widget.height() + 60
