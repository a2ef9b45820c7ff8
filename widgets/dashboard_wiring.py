"""How the main window connects the Dashboard tab: opening a tile in the Explorer or Anomalies with the
tile's settings, audit entries for board edits and exports, and desktop notifications for alerts."""

from __future__ import annotations

from PySide6.QtWidgets import QSystemTrayIcon


def wire_dashboard(window) -> None:
    dashboard = window.panels.get("Dashboard")
    if dashboard is None:
        return
    dashboard.open_in_explorer.connect(lambda spec: open_in_explorer(window, spec))
    dashboard.open_in_anomalies.connect(lambda spec: open_in_anomalies(window, spec))
    dashboard.audit_event.connect(lambda action, details: _audit(window, action, details))
    dashboard.alert_fired.connect(lambda title, alert: notify(window, title, alert))


def _audit(window, action: str, details: dict) -> None:
    controller = getattr(window, "workspace", None)
    if controller is not None and getattr(controller, "audit", None) is not None:
        controller.audit.append(action, **details)


def open_in_explorer(window, spec) -> None:
    explorer = window.explorer
    if explorer is None:
        return
    explorer.set_table(spec.table)
    if spec.time_column:
        explorer.set_time_column(spec.time_column)
    m = spec.measure
    explorer.set_measure(m.agg, m.column, m.denominator)
    explorer.set_grain(spec.grain)
    if spec.start is not None and spec.end is not None:
        explorer.set_custom_range(spec.start, spec.end)
    explorer.set_breakdown(spec.breakdown, spec.top_n)
    explorer.set_compare(spec.compare, spec.compare_offset)
    for index in reversed(range(len(explorer.filters()))):
        explorer.remove_filter(index)
    for f in spec.filters:
        explorer.add_filter(f)
    window.show_panel("Explorer")


def open_in_anomalies(window, spec) -> None:
    anomalies = window.panels.get("Anomalies")
    if anomalies is None or not hasattr(anomalies, "set_metric_spec"):
        open_in_explorer(window, spec)
        return
    anomalies.set_metric_spec(spec.replace(breakdown=None, start=None, end=None, compare=False))
    window.show_panel("Anomalies")


def notify(window, title: str, alert: dict) -> None:
    """A desktop notification for a new alert badge; the status bar when there is no system tray."""
    when = str(alert.get("bucket", ""))[:16]
    rules = ", ".join(alert.get("rules") or [])
    text = f"{title}: flagged by {alert.get('source', 'alert')}{' (' + rules + ')' if rules else ''} at {when}"
    if QSystemTrayIcon.isSystemTrayAvailable():
        tray = getattr(window, "_dashboard_tray", None)
        if tray is None:
            tray = window._dashboard_tray = QSystemTrayIcon(window.windowIcon(), window)
        tray.show()
        tray.showMessage("Workbench alert", text, QSystemTrayIcon.MessageIcon.Warning, 8000)
    window.statusBar().showMessage(f"Alert — {text}", 15000)
