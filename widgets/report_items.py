"""Anomaly and experiment results kept in the workspace for the evidence report ("Add to report").

``capture_anomaly(panel)`` / ``capture_experiment(panel)`` turn what a panel shows into a saved item
{"name", "kind", "recipe", "description", "created"} (the recipe recomputes it: workbench.report_analyses);
``anomaly_chart_png`` / ``forest_png`` draw the report's charts off screen from the recomputed result.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from workbench.errors import WorkbenchError


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def capture_anomaly(panel) -> dict:
    """The Anomalies panel's current detection (and the root cause of the selected incident, if explained)."""
    from workbench import report_analyses as ra

    # The panel sets last_detect_args / last_explain_args when it first detects / explains.
    if panel.detection is None or getattr(panel, "last_detect_args", None) is None:
        raise WorkbenchError("Run a detection first (Detect), then add it to the report")
    spec, grain, params = panel.last_detect_args
    inc = panel.selected_incident()
    root_cause = None
    rc, args = panel.explanation, getattr(panel, "last_explain_args", None)
    if rc is not None and args is not None:
        rc_spec, window, dims, baseline = args
        root_cause = {"spec": rc_spec, "window": window, "dims": dims, "baseline": baseline}
        if inc is None:
            inc = next((i for i in panel.detection.incidents if i.start <= window[0] <= i.end), None)
    recipe = ra.anomaly_recipe(spec, grain, params, focus=inc, root_cause=root_cause)
    what = spec.measure.label + (f" by {spec.breakdown}" if spec.breakdown else "")
    name = f"Anomalies: {what} on {spec.table}"
    if inc is not None:
        name += f" — {inc.series} {inc.start:%Y-%m-%d %H:%M}"
    return {"name": name, "kind": "anomaly", "recipe": recipe, "description": "", "created": _now()}


def capture_experiment(panel) -> dict:
    """The Experiments panel's last readout."""
    from workbench import report_analyses as ra

    if panel.readout is None or panel.last_spec is None:
        raise WorkbenchError("Run the readout first (Run readout), then add it to the report")
    spec = panel.last_spec
    name = f"Experiment: {spec.arm} on {spec.table} ({', '.join(m.name for m in spec.metrics)})"
    return {
        "name": name,
        "kind": "experiment",
        "recipe": ra.experiment_recipe(spec),
        "description": "",
        "created": _now(),
    }


def capture_impact(panel) -> dict:
    """The Impact panel's last analysis."""
    from workbench.analysis.impact import ImpactReadout

    if panel.result is None or panel.last_spec is None:
        raise WorkbenchError("Run the analysis first (Run analysis), then add it to the report")
    spec = panel.last_spec
    name = f"Impact: {spec.measure.label} in {', '.join(spec.treated) or spec.cohort} on {spec.table}"
    return {
        "name": name,
        "kind": "impact",
        "recipe": ImpactReadout(spec).to_dict(),
        "description": "",
        "created": _now(),
    }


def capture_result(kind: str, panel) -> dict:
    """The saved item for a panel's current result ("anomaly", "experiment" or "impact")."""
    if panel is None:
        raise WorkbenchError(f"The {kind} panel is not available")
    if kind in ("reconcile", "checks"):
        from widgets.reconcile_report import capture

        return capture(kind, panel)
    return {"anomaly": capture_anomaly, "experiment": capture_experiment, "impact": capture_impact}[kind](panel)


def result_summary(item: dict) -> str:
    """One line for lists and tooltips."""
    recipe = item.get("recipe") or {}
    if item.get("kind") in ("reconcile", "checks"):
        from widgets.reconcile_report import tables_of

        return f"{item['kind']} on {', '.join(sorted(tables_of(recipe)))}"
    if item.get("kind") == "impact":
        spec = recipe.get("spec", {})
        return (
            f"{spec.get('table', '?')}: {spec.get('method', 'all')} on {spec.get('unit')}, treated "
            f"{', '.join(spec.get('treated') or []) or 'by cohort'}"
        )
    if item.get("kind") == "anomaly":
        spec = recipe.get("spec", {})
        params = recipe.get("params", {})
        rc = recipe.get("root_cause")
        return (
            f"{spec.get('table', '?')}: {params.get('method', 'auto')} detector"
            + (f", threshold {params['threshold']:g}" if params.get("threshold") else "")
            + (f"; root cause vs {rc['baseline']} by {', '.join(rc['dims'])}" if rc else "")
        )
    spec = recipe.get("spec", {})
    return (
        f"{spec.get('table', '?')}: {len(spec.get('metrics', []))} metric(s), control {spec.get('control')}, "
        f"{spec.get('correction', 'bh')} correction"
    )


def result_tables(item: dict) -> set[str]:
    if item.get("kind") in ("reconcile", "checks"):
        from widgets.reconcile_report import tables_of

        return tables_of(item.get("recipe") or {})
    spec = (item.get("recipe") or {}).get("spec") or {}
    return {spec.get("table")} - {None}


def _png(widget, size) -> bytes:
    from widgets.export_actions import widget_png

    widget.resize(*size)
    return widget_png(widget)


def anomaly_chart_png(run, size=(960, 400)) -> bytes:
    """The detected series with band, expected line, flagged points and incident regions (the focus series:
    the explained incident's, else the first)."""
    import pyqtgraph as pg
    from PySide6.QtGui import QColor

    from widgets.anomaly_overlay import AnomalyOverlay, epoch_seconds

    det = run.detection
    name = det.names[0]
    focus = [
        i
        for i in det.incidents
        if run.explanation is not None and i.start <= pd.Timestamp(run.explanation.window[0]) <= i.end
    ]
    if focus:
        name = focus[0].series
    s = det.names.index(name)
    plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom", utcOffset=0)})
    try:
        plot.setBackground(QColor("white"))
        item = plot.getPlotItem()
        for axis in ("bottom", "left"):
            item.getAxis(axis).setPen(pg.mkPen("#555"))
            item.getAxis(axis).setTextPen(pg.mkPen("#222"))
        item.showGrid(x=True, y=True, alpha=0.15)
        item.setTitle(
            f"{run.spec.measure.label} — {name} (line: actual; dashed: expected; band: normal range; "
            "red: flagged; shaded: incidents)",
            size="9pt",
            color="#222",
        )
        item.addItem(
            pg.PlotDataItem(
                epoch_seconds(det.index), det.actual[:, s], pen=pg.mkPen("#1f77b4", width=1.4), connect="finite"
            )
        )
        AnomalyOverlay(item, hover=False).set_detection(det, {name: "#1f77b4"}, series=[name])
        return _png(plot, size)
    finally:
        plot.deleteLater()


def forest_png(data: dict, k: int | None, size=(960, None)) -> bytes:
    """Forest plot of the readout's relative lifts (comparisons withheld under k are drawn without a CI)."""
    from PySide6.QtGui import QColor

    from workbench.report_analyses import forest_rows
    from widgets.experiments_forest import ForestPlot

    rows = forest_rows(data, k)
    plot = ForestPlot(title="Relative lift vs control, 95% CI (green: better, red: worse, grey: inconclusive)")
    try:
        plot.setBackground(QColor("white"))
        for axis in ("bottom", "left"):
            plot.plot_item.getAxis(axis).setTextPen("#222")
        plot.set_rows(rows)
        # Off screen the left axis never gets the paint cycle that widens it to its labels, and pyqtgraph
        # drops labels that do not fit: size it to the longest "metric · arm" label up front.
        from PySide6.QtGui import QFontMetrics

        left = plot.plot_item.getAxis("left")
        metrics = QFontMetrics(left.style.get("tickFont") or plot.font())
        left.setWidth(min(size[0] // 2, 18 + max((metrics.horizontalAdvance(r["label"]) for r in rows), default=0)))
        return _png(plot, (size[0], size[1] or 120 + 42 * max(len(rows), 1)))
    finally:
        plot.deleteLater()
