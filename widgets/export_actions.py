"""Exports from the Explorer, stamped and guarded: CSV / Parquet / XLSX of the results grid exactly as shown,
PNG / SVG of the chart exactly as drawn.

Every file carries the provenance stamp of :mod:`workbench.export` (workspace name, source fingerprints,
view description); tables get small-cell suppression with the workspace's k; flagged personal-data columns
raise :class:`PiiExportWarning` first and are exported only after the user confirms with a reason; every
export is written to the audit log with its SHA-256. SVG is drawn with Qt's QSvgGenerator (pyqtgraph's SVG
exporter crashes with PySide6 >= 6.11, upstream #3485).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

from workbench.errors import WorkbenchError

TABLE_FORMATS = {"csv": "CSV (*.csv)", "parquet": "Parquet (*.parquet)", "xlsx": "Excel workbook (*.xlsx)"}
IMAGE_FORMATS = {"png": "PNG image (*.png)", "svg": "SVG vector image (*.svg)"}
COUNT_AGGS = ("count", "count_distinct")


@dataclass
class ExportOutcome:
    path: Path
    sha256: str
    suppressed_cells: int = 0


def widget_png(widget: QWidget) -> bytes:
    """PNG bytes of a widget as it is drawn now."""
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    widget.grab().save(buf, "PNG")
    buf.close()
    return bytes(data)


def widget_svg(widget: QWidget, title: str = "Workbench chart") -> str:
    """SVG text of a widget drawn through QSvgGenerator (vector paths for the chart's lines and text)."""
    from PySide6.QtSvg import QSvgGenerator

    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    gen = QSvgGenerator()
    gen.setOutputDevice(buf)
    size = widget.size() if widget.width() > 0 else QSize(900, 420)
    gen.setSize(size)
    gen.setViewBox(QRect(0, 0, size.width(), size.height()))
    gen.setTitle(title)
    gen.setDescription("Exported by Workbench")
    painter = QPainter(gen)
    try:
        widget.render(painter)
    finally:
        painter.end()
    buf.close()
    return bytes(data).decode("utf-8")


def render_chart_png(result, hidden=(), size=(960, 440)) -> bytes:
    """Draw a MetricResult in an off-screen ChartView (for reports) and return PNG bytes."""
    from widgets.chart_view import ChartView, series_from_frame

    spec = result.spec
    chart = ChartView()
    try:
        chart.resize(*size)
        title = spec.measure.label + (f" by {spec.breakdown}" if spec.breakdown else "") + f" per {spec.grain}"
        chart.set_series(series_from_frame(result.frame, spec.compare), value_label=spec.measure.label, title=title)
        for g in hidden:
            chart.set_series_visible(g, False)
        chart.anomaly_button.hide()
        chart.reset_button.hide()
        chart.png_button.hide()
        chart.csv_button.hide()
        chart.layout().activate()
        return widget_png(chart)
    finally:
        chart.deleteLater()


def display_frame(result) -> pd.DataFrame:
    """The Explorer grid's table for a MetricResult: measure-named value columns, no empty columns."""
    frame = result.frame.copy()
    label = result.spec.measure.label
    if not result.spec.compare:
        frame = frame.drop(columns=["comparison_value"], errors="ignore")
    if not result.spec.breakdown:
        frame = frame.drop(columns=["series"], errors="ignore")
    if getattr(result, "incomplete", ()):  # flagged as on the chart (hatched), so a partial day is not read as a drop
        partial = frame["bucket"].isin(pd.to_datetime(list(result.incomplete)))
        frame["period"] = partial.map({True: "incomplete", False: ""})
    return frame.rename(columns={"value": label, "comparison_value": f"{label} (previous)"})


def explorer_figure(explorer):
    """The exported figure of the Explorer's chart: its title, the view's filters, range and comparison."""
    from widgets.chart_figure import describe_chart, figure_details

    result = explorer.last_result
    if result is None:
        return describe_chart(explorer.chart, explorer.chart.title.text(), [])
    details, compare = figure_details(result.spec, explorer.range_combo.currentText(), result.start, result.end)
    return describe_chart(explorer.chart, explorer.chart.title.text(), details, compare)


def view_description(explorer) -> dict:
    """What the exported table is: view, filters, grain, range, comparison, SQL."""
    result = explorer.last_result
    if result is None:
        return {}
    spec = result.spec
    return {
        "view": explorer.chart.title.text(),
        "table": spec.table,
        "measure": spec.measure.label,
        "grain": spec.grain,
        "filters": [f.label for f in spec.filters],
        "breakdown": spec.breakdown,
        "compare": spec.compare_offset or ("previous period" if spec.compare else None),
        "range": explorer.range_label(),
        "start": result.start.isoformat() if result.start else None,
        "end": result.end.isoformat() if result.end else None,
        "hidden_series": [g for g in _hidden_groups(explorer.chart)],
        "sql": result.sql,
    }


def _hidden_groups(chart) -> list[str]:
    return chart.hidden_groups()


class ExplorerExporter:
    """Writes Explorer exports. ``context()`` returns (workspace, audit log, pii masker).

    Dialogs go through replaceable callables so tests drive them: ``ask_path(fmt) -> str | None``,
    ``ask_pii_reason(message) -> str | None``, ``confirm(title, text) -> bool``.
    """

    def __init__(self, window, explorer, context: Callable):
        self.window = window
        self.explorer = explorer
        self.context = context
        self.ask_path: Callable[[str], str | None] = self._ask_path_dialog
        self.ask_pii_reason: Callable[[str], str | None] = self._ask_pii_reason_dialog
        self.confirm: Callable[[str, str], bool] = self._confirm_dialog
        self.last_dir = ""

    # ------------------------------------------------------------------ entry points (menus, buttons)
    def export_interactive(self, fmt: str) -> ExportOutcome | None:
        """Ask for a path, then export; errors go to the window's banner."""
        if self.explorer is None or self.explorer.last_result is None:
            self.window.show_error("Nothing to export yet: draw a chart in the Explorer first")
            return None
        path = self.ask_path(fmt)
        if not path:
            return None
        try:
            return self.export(fmt, path)
        except WorkbenchError as exc:
            self.window.show_error(str(exc))
            return None

    def export(self, fmt: str, path: str | os.PathLike) -> ExportOutcome | None:
        """Export in ``fmt`` to ``path`` (no path dialog). Returns None when the user declined."""
        fmt = fmt.lower()
        path = Path(path)
        if path.suffix.lower() != f".{fmt}":
            path = path.with_name(path.name + f".{fmt}")
        self.last_dir = str(path.parent)
        if fmt in TABLE_FORMATS:
            outcome = self._export_table(fmt, path)
        elif fmt in IMAGE_FORMATS:
            outcome = self._export_image(fmt, path)
        else:
            raise WorkbenchError(f"Unknown export format {fmt!r}")
        if outcome is not None:
            note = f" ({outcome.suppressed_cells} small cell(s) suppressed)" if outcome.suppressed_cells else ""
            self.window.statusBar().showMessage(
                f"Exported {outcome.path.name}{note} · sha256 {outcome.sha256[:12]}…", 10000
            )
        return outcome

    # ------------------------------------------------------------------ tables
    def table_frame(self) -> pd.DataFrame:
        """The results grid's table for the result on screen (before any on-screen suppression)."""
        return display_frame(self.explorer.last_result)

    def _export_table(self, fmt: str, path: Path) -> ExportOutcome | None:
        from workbench.export import PiiExportWarning, Provenance, export_table

        ws, audit, masker = self.context()
        result = self.explorer.last_result
        df = self.table_frame()
        prov = Provenance.from_workspace(ws, sources=[result.spec.table], description=view_description(self.explorer))
        k = ws.settings.suppression_k
        count_column = None
        applied = None
        perturbed = self.cell_key_table(ws, result)
        if perturbed is not None:  # cell-key: the perturbed table is what leaves, suppression is not re-applied
            df, table = perturbed
            applied, k = {"k": k, "mode": "cell-key", "statement": table.statement, "primary": table.hidden}, None
        if k is not None:
            if result.spec.measure.agg in COUNT_AGGS and result.spec.measure.label in df.columns:
                count_column = result.spec.measure.label
            else:
                ok = self.confirm(
                    "Export without small-cell suppression?",
                    f"Small-cell suppression (k = {k}) needs a count of units per row, and "
                    f"{result.spec.measure.label} is not a count.\n\nExport the values without suppression? "
                    "This is written to the audit log.",
                )
                if not ok:
                    return None
                audit.append(
                    "suppression_skipped",
                    path=str(path),
                    reason="measure is not a count",
                    measure=result.spec.measure.label,
                    k=k,
                )
                k = None
        pii = masker.grid_pii(self.explorer.results) if masker is not None else {}
        kwargs = dict(
            provenance=prov,
            fmt=fmt,
            k=k,
            count_column=count_column,
            pii_columns=pii,
            audit=audit,
            applied_suppression=applied,
        )
        try:
            r = export_table(df, path, **kwargs)
        except PiiExportWarning as warning:
            reason = self.ask_pii_reason(str(warning))
            if not reason:
                return None
            r = export_table(df, path, allow_pii=True, pii_reason=reason, **kwargs)
        cells = int(r.suppression.suppressed.sum()) if r.suppression is not None else 0
        self._log_release(
            ws, audit, result, r, k if applied is None else applied["k"], shown=df if applied is not None else None
        )
        return ExportOutcome(r.path, r.sha256, cells)

    def cell_key_table(self, ws, result):
        """Under a cell-key policy, (the Explorer table with perturbed counts, the engine's
        :class:`~workbench.protection.apply.ProtectedTable`); None under suppression or for other measures.
        Exports and clipboard copies both release this table."""
        from workbench.protection.apply import COUNT_AGGS as PERTURBED_AGGS
        from workbench.protection.policy import CELL_KEY, workspace_policy

        if workspace_policy(ws).mode != CELL_KEY or result.spec.measure.agg not in PERTURBED_AGGS:
            return None
        sync = getattr(getattr(self.window, "workspace", None), "protection", None)
        table = sync.protected_for(result) if sync is not None else None
        if table is None:
            raise WorkbenchError("The perturbed (cell-key) table is still being computed: export again in a moment")
        df = display_frame(result)
        label = result.spec.measure.label
        df[label] = table.frame["value"].to_numpy()
        if f"{label} (previous)" in df and "comparison_value" in table.frame:
            df[f"{label} (previous)"] = table.frame["comparison_value"].to_numpy()
        return df, table

    def _log_release(self, ws, audit, result, written, k, shown=None) -> None:
        """Record the cells this export released; warn when it differs from an earlier release by a
        group smaller than k (the "US or IS" − "US" attack)."""
        if k is None or ws.path is None or result.spec.measure.agg not in COUNT_AGGS:
            return
        from workbench.protection.release_log import ReleaseLog, metric_release, release_log_path_for

        if shown is None and written.suppression is not None:
            shown = written.suppression.frame
        description, cells = metric_release(result, shown)
        files = self.window.catalog.get(result.spec.table).files if result.spec.table in self.window.catalog else ()
        warnings = ReleaseLog(release_log_path_for(ws.path)).record(
            source="|".join(files),
            description=description,
            cells=cells,
            dims=["bucket", "series"],
            k=k,
            mode="cell-key" if shown is not None and written.suppression is None else "suppression",
        )
        for warning in warnings:
            audit.append("differencing_warning", origin="export", path=str(written.path), message=warning)
        if warnings:
            self.window.banner.show_message(f"Exported, but: {warnings[0]}", "warning")

    # ------------------------------------------------------------------ images
    def _export_image(self, fmt: str, path: Path) -> ExportOutcome | None:
        from workbench.export import Provenance, stamp_png, stamp_svg
        from workbench.fingerprint import sha256_file
        from workbench.workspace import atomic_write

        ws, audit, masker = self.context()
        result = self.explorer.last_result
        chart = self.explorer.chart
        if not chart.is_showing_chart():
            raise WorkbenchError("The chart is empty: nothing to export")
        if masker is not None and masker.grid_pii(self.explorer.results):
            reason = self.ask_pii_reason(
                f"The chart's series are values of {result.spec.breakdown}, flagged as personal data. "
                "Export the chart anyway?"
            )
            if not reason:
                return None
        prov = Provenance.from_workspace(ws, sources=[result.spec.table], description=view_description(self.explorer))
        from widgets.chart_figure import figure_png, figure_svg

        figure = explorer_figure(self.explorer)  # title, filters, range, legend and keys travel in the image
        if fmt == "png":
            payload = stamp_png(figure_png(figure, chart), prov, audit=audit)
        else:
            payload = stamp_svg(figure_svg(figure, chart), prov, audit=audit).encode("utf-8")
        if not path.parent.is_dir():
            raise WorkbenchError(f"Cannot export to {path}: the folder does not exist")
        try:
            atomic_write(path, lambda tmp: tmp.write_bytes(payload))
        except OSError as exc:
            raise WorkbenchError(f"Could not write {path.name}: {exc.strerror or exc}") from exc
        digest = sha256_file(path)
        audit.export_written(
            path,
            digest,
            format=fmt,
            workspace=prov.workspace,
            sources={s["name"]: s["sha256"] for s in prov.sources},
            view=prov.description.get("view"),
        )
        return ExportOutcome(path, digest)

    # ------------------------------------------------------------------ dialogs
    def _ask_path_dialog(self, fmt: str) -> str | None:
        filters = {**TABLE_FORMATS, **IMAGE_FORMATS}
        start = os.path.join(self.last_dir or str(Path.home()), f"{self._default_name()}.{fmt}")
        path, _ = QFileDialog.getSaveFileName(self.window, f"Export as {fmt.upper()}", start, filters[fmt])
        return path or None

    def _default_name(self) -> str:
        result = self.explorer.last_result
        if result is None:
            return "export"
        spec = result.spec
        name = f"{spec.table}_{spec.measure.agg}_{spec.grain}"
        return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name)

    def _ask_pii_reason_dialog(self, message: str) -> str | None:
        reason, ok = QInputDialog.getText(
            self.window,
            "Export personal data?",
            f"{message}\n\nReason (written to the audit log):",
            QLineEdit.EchoMode.Normal,
            "",
        )
        return reason.strip() if ok and reason.strip() else None

    def _confirm_dialog(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self.window, title, text)
        return answer == QMessageBox.StandardButton.Yes
