"""What the panels contribute to a workspace, as plain JSON-able dicts, and how to put it back.

Capturing reads the panels' public controls; applying sets them the way a user would (so the panels' own
debounce runs one query). Everything here is best effort on panels owned by others: a panel that is missing
or has changed shape contributes nothing instead of breaking Save.
"""

from __future__ import annotations

import json
import logging

from PySide6.QtCore import QSignalBlocker

from workbench.errors import WorkbenchError

log = logging.getLogger(__name__)


def state_key(state: dict | None) -> str:
    """A canonical text for comparing two Explorer states (undo dedup, dirty checks)."""
    if not state:
        return ""
    core = {"spec": state.get("spec"), "range": state.get("range")}
    return json.dumps(core, sort_keys=True, default=str)


# --- Explorer --------------------------------------------------------------------------------------------

def capture_explorer(explorer, spec=None) -> dict | None:
    """The Explorer's controls (``MetricSpec.to_dict()`` + range label) and chart state, or None when the
    Explorer describes no metric yet."""
    if explorer is None:
        return None
    try:
        spec = spec if spec is not None else explorer.current_spec()
    except WorkbenchError:
        spec = None
    if spec is None:
        return None
    return {"spec": spec.to_dict(), "range": explorer.range_combo.currentText(), **capture_chart(explorer.chart)}


def capture_chart(chart) -> dict:
    """Hidden legend entries and a user zoom (None while the chart auto-ranges)."""
    groups = []
    for s in chart.series():
        g = s.group or s.name
        if g not in groups:
            groups.append(g)
    visible = set(chart.visible_series())
    hidden = [g for g in groups if not any((s.group or s.name) == g and s.name in visible for s in chart.series())]
    x_range = None
    try:
        if chart.is_showing_chart() and chart.user_zoomed:  # the fitted view is not a zoom worth keeping
            x_range = [float(v) for v in chart.plot_item.vb.viewRange()[0]]
    except Exception:  # pyqtgraph internals: a zoom we cannot read is not worth failing a save
        x_range = None
    return {"hidden": hidden, "x_range": x_range}


def apply_explorer(explorer, state: dict) -> None:
    """Set the Explorer's controls from a captured state (one debounced query follows).

    Raises
    ------
    WorkbenchError when the view's table is not open or the spec cannot be read.
    """
    from workbench.metrics import MetricSpec

    try:
        spec = MetricSpec.from_dict(state["spec"])
    except (KeyError, TypeError, ValueError) as exc:
        raise WorkbenchError(f"This view cannot be read ({exc})") from exc
    sources = getattr(explorer, "_sources", {})
    if spec.table not in sources:
        raise WorkbenchError(f"The view needs table {spec.table!r}, which is not open: open its source first")
    if explorer.current_table() != spec.table:
        explorer.set_table(spec.table)
    if spec.time_column:
        explorer.set_time_column(spec.time_column)
    explorer.set_measure(spec.measure.agg, spec.measure.column, spec.measure.denominator)
    explorer.set_grain(spec.grain)
    if spec.start is not None and spec.end is not None and state.get("range") in (None, "", "Custom range"):
        explorer.set_custom_range(spec.start, spec.end)
    elif state.get("range"):
        explorer.set_range(state["range"])
    explorer.set_breakdown(spec.breakdown, spec.top_n)
    explorer.set_compare(spec.compare, spec.compare_offset)
    with QSignalBlocker(explorer.filter_bar):
        explorer.filter_bar.set_filters(list(spec.filters))
    explorer._schedule()  # noqa: SLF001 — one debounced refresh for all of the above
    chart = explorer.chart
    hidden = set(state.get("hidden") or ())
    for s in chart.series():
        g = s.group or s.name
        chart.set_series_visible(g, g not in hidden)
    for g in hidden:  # remembered by name for the series the next result draws
        chart.set_series_visible(g, False)


def apply_zoom(chart, state: dict) -> None:
    x_range = state.get("x_range")
    if x_range and len(x_range) == 2:
        chart.plot_item.setXRange(float(x_range[0]), float(x_range[1]), padding=0)
        chart.user_zoomed = True  # a saved zoom is the user's: the restored result keeps it


# --- Anomalies panel -------------------------------------------------------------------------------------

def capture_annotations(panel) -> list[dict]:
    if panel is None:
        return []
    return [{"x": float(a.x), "label": str(a.label)} for a in getattr(panel, "annotations", [])]


def apply_annotations(panel, items: list[dict]) -> None:
    if panel is None or not hasattr(panel, "set_annotations"):
        return
    from widgets.anomaly_overlay import Annotation

    panel.set_annotations([Annotation(float(a["x"]), str(a.get("label", ""))) for a in items
                           if isinstance(a, dict) and "x" in a])


def capture_anomaly_rules(panel) -> list[dict]:
    """The detector settings of the Anomalies panel as one rule (name, metric, detector)."""
    if panel is None:
        return []
    try:
        params = panel.current_params()
        spec = panel.current_spec()
    except Exception:
        return []
    rule = {"name": "Anomalies panel", "detector": params.to_dict(),
            "grain": panel.grain_combo.currentText()}
    if spec is not None:
        rule["metric"] = spec.to_dict()
    return [rule]


def apply_anomaly_rules(panel, rules: list[dict]) -> None:
    if panel is None or not rules:
        return
    rule = next((r for r in rules if r.get("name") == "Anomalies panel"), rules[0])
    det = rule.get("detector") or {}
    try:
        widgets = (panel.method_combo, panel.direction_combo, panel.threshold_spin, panel.min_volume_spin)
        with QSignalBlocker(widgets[0]), QSignalBlocker(widgets[1]), QSignalBlocker(widgets[2]), \
                QSignalBlocker(widgets[3]):
            if det.get("method"):
                panel.method_combo.setCurrentText(str(det["method"]))
            if det.get("direction"):
                panel.direction_combo.setCurrentText(str(det["direction"]))
            panel.threshold_spin.setValue(float(det.get("threshold") or 0))
            panel.min_volume_spin.setValue(float(det.get("min_volume") or 0))
    except Exception:  # another panel's controls: best effort
        log.exception("Could not restore the anomaly detector settings")


# --- Experiments panel -----------------------------------------------------------------------------------

def capture_experiment(panel) -> dict | None:
    """The experiment form (table, unit, arm, control, metrics as text, segment, time, correction)."""
    if panel is None or not hasattr(panel, "table_combo"):
        return None
    try:
        from workbench.experiments.spec import format_metric

        table = panel.table_combo.currentText()
        if not table:
            return None
        return {
            "table": table, "unit": panel.unit_combo.currentText(), "arm": panel.arm_combo.currentText(),
            "control": panel.control_combo.currentText(),
            "metrics": [format_metric(m) for m in panel.metrics.metric_specs()],
            "segment": panel.segment_combo.currentText(), "time_column": panel.time_combo.currentText(),
            "correction": panel.correction_combo.currentText(), "sequential_tuning": panel.tuning_spin.value(),
        }
    except Exception:
        log.exception("Could not read the experiment form")
        return None


def apply_experiment(panel, config: dict) -> None:
    if panel is None or not config or config.get("table") not in getattr(panel, "_sources", {}):
        return
    try:
        from workbench.experiments.spec import parse_metric

        panel.table_combo.setCurrentText(config["table"])
        for combo, key in ((panel.unit_combo, "unit"), (panel.arm_combo, "arm"), (panel.segment_combo, "segment"),
                           (panel.time_combo, "time_column"), (panel.correction_combo, "correction")):
            if config.get(key):
                combo.setCurrentText(str(config[key]))
        if config.get("control"):
            if panel.control_combo.findText(str(config["control"])) < 0:  # arm values arrive later
                panel.control_combo.addItem(str(config["control"]))
            panel.control_combo.setCurrentText(str(config["control"]))
        if config.get("sequential_tuning"):
            panel.tuning_spin.setValue(float(config["sequential_tuning"]))
        if config.get("metrics"):
            panel.metrics.setRowCount(0)
            for text in config["metrics"]:
                panel.metrics.add_metric(parse_metric(text))
    except Exception:
        log.exception("Could not restore the experiment form")
