"""The Anomalies panel's root cause: explain the selected incident by the ticked dimensions (key
``anomaly.explain`` on the QueryRunner), draw the ranked segments and act on one (filter the Explorer by
it, or open Impact with it as the treated unit). A mixin of :class:`widgets.anomaly_panel.AnomalyPanel`,
kept in its own file."""

from __future__ import annotations

import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt


def _compute_explanation(cur, spec, window, dims, baseline):
    from workbench.analysis.anomalies import RootCauseAnalysis

    return RootCauseAnalysis(spec, window, dims, baseline).run(cur).value


class AnomaliesRootCauseMixin:
    """Explaining an incident and the segments that come back (the widgets and signals are the panel's)."""

    def clear_explanation(self) -> None:
        """Forget the root cause shown (it explained an incident that is no longer on screen)."""
        self.explanation = None
        self.segment_model.set_result(None)
        self.bars_item.clear()
        self.bars.setVisible(False)
        self.verdict.setText("")
        self.filter_button.setEnabled(False)

    def checked_dims(self) -> list[str]:
        return [
            self.dims_list.item(i).text()
            for i in range(self.dims_list.count())
            if self.dims_list.item(i).checkState() == Qt.CheckState.Checked
        ]

    def explain_selected(self) -> int | None:
        inc = self.selected_incident()
        if inc is None:
            self.error_occurred.emit("Select an incident to explain")
            return None
        dims = self.checked_dims()
        if not dims:
            self.error_occurred.emit("Tick at least one dimension to explain by")
            return None
        spec = self.current_spec()
        from workbench.metrics import Filter

        if spec.breakdown and inc.series not in ("all", "Other"):
            spec = spec.replace(filters=tuple(spec.filters) + (Filter(spec.breakdown, "=", inc.series),))
        step = (
            self.detection.index[1] - self.detection.index[0]
            if len(self.detection.index) > 1
            else pd.Timedelta(hours=1)
        )
        window = (pd.Timestamp(inc.start).to_pydatetime(), (pd.Timestamp(inc.end) + step).to_pydatetime())
        baseline = self.baseline_combo.currentText()
        self.last_explain_args = (spec.replace(breakdown=None), window, dims, baseline)
        self.status_message.emit("Explaining the incident…")
        self._explain_request = self._runner.submit(
            self.EXPLAIN_KEY,
            lambda ctx, spec=spec, window=window, dims=dims, baseline=baseline: _compute_explanation(
                ctx.cursor, spec.replace(breakdown=None), window, dims, baseline
            ),
        )
        return self._explain_request

    def set_explanation(self, result) -> None:
        self.explanation = result
        self.segment_model.set_result(result)
        self.bars.setVisible(bool(result.ranked))
        self.verdict.setText(
            f"<b>{result.verdict}</b><br>impact {result.impact:+,.6g} "
            f"[{result.impact_low:+,.6g}, {result.impact_high:+,.6g}] vs {result.baseline}"
            + (f"<br>{'; '.join(result.notes)}" if result.notes else "")
        )
        self._draw_bars(result)
        if result.ranked:
            self.segment_view.selectRow(0)
        self.explanation_ready.emit(result)

    def _draw_bars(self, result) -> None:
        self.bars_item.clear()
        segs = result.ranked[:5]
        if not segs:
            return
        ys = list(range(len(segs)))[::-1]
        exp = [max(s.expected, 0.0) for s in segs]
        act = [max(s.actual, 0.0) for s in segs]
        self.bars_item.addItem(pg.BarGraphItem(x0=0, y=[y - 0.08 for y in ys], height=0.2, width=exp, brush="#a0a0a0"))
        self.bars_item.addItem(pg.BarGraphItem(x0=0, y=[y - 0.3 for y in ys], height=0.2, width=act, brush="#1f77b4"))
        # Labels sit above their bars across the plot's width instead of in a narrow left axis (where long
        # segment names were cut to a few characters).
        from widgets.theme import colors

        from PySide6.QtGui import QColor

        text = QColor(colors()["text"])
        for y, seg in zip(ys, segs):
            label = seg.label if len(seg.label) <= 70 else seg.label[:68] + "…"
            item = pg.TextItem(label, color=text, anchor=(0, 0))  # hangs down from y + 0.5, above its bars
            item.setPos(0, y + 0.5)
            self.bars_item.addItem(item)
        self.bars_item.getAxis("left").setTicks([[]])
        self.bars_item.getAxis("left").setStyle(showValues=False)
        self.bars_item.setYRange(-0.5, len(segs) - 0.5, padding=0)

    def selected_segment(self):
        rows = self.segment_view.selectionModel().selectedRows()
        return self.segment_model.segment(rows[0].row()) if rows else None

    def _on_segment_selection_changed(self, *_) -> None:
        seg = self.selected_segment()
        self.filter_button.setEnabled(seg is not None)
        # Impact compares units of one column: a segment of one dimension value
        self.launch_button.setEnabled(seg is not None and len(seg.element or {}) == 1)

    def _on_launch_button_clicked(self) -> None:
        seg, args = self.selected_segment(), getattr(self, "last_explain_args", None)
        if seg is None or len(seg.element or {}) != 1 or args is None:
            return
        spec, window = args[0], args[1]
        ((unit, value),) = seg.element.items()
        self.impact_requested.emit(
            {
                "table": spec.table,
                "unit": unit,
                "treated": [str(value)],
                "start": window[0],
                "time_column": spec.time_column,
                "measure": spec.measure.label,
            }
        )

    def _on_filter_button_clicked(self) -> None:
        seg = self.selected_segment()
        if seg is None or not seg.element:
            return
        from workbench.metrics import Filter

        self.filter_requested.emit([Filter(k, "=", v) for k, v in seg.element.items()])
        self.status_message.emit(f"Filter added: {seg.label}")
