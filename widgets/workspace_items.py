"""Saved views and saved results: bookmarks of the Explorer (Edit ▸ Save View, the list under the sources)
and the Anomalies / Experiments / Impact results kept in the workspace for the evidence report."""

from __future__ import annotations

from PySide6.QtCore import QObject

from workbench import workspace as wsm
from workbench.errors import WorkbenchError
from workbench.panel_state import AnomaliesState, ExperimentsState, ExplorerState
from widgets.saved_results import KIND_TEXT


class WorkspaceItems(QObject):
    """The saved views and results of ``ctl.ws``, shown in ``ctl.views_list`` and ``ctl.results_list``."""

    def __init__(self, ctl):
        super().__init__(ctl)
        self.ctl = ctl

    def connect(self) -> None:
        ctl = self.ctl
        ctl.views_list.view_activated.connect(self.restore_view)
        ctl.views_list.save_requested.connect(self.save_view_interactive)
        ctl.views_list.delete_requested.connect(self.delete_view)
        ctl.results_list.result_activated.connect(self.restore_result)
        ctl.results_list.rename_requested.connect(self.rename_result_interactive)
        ctl.results_list.delete_requested.connect(self.delete_result)
        for panel, kind in (
            (ctl.anomalies, "anomaly"),
            (ctl.experiments, "experiment"),
            (ctl.impact, "impact"),
            (ctl.reconcile, "reconcile"),
            (ctl.checks_panel, "checks"),
        ):
            if panel is not None and hasattr(panel, "add_to_report_requested"):
                panel.add_to_report_requested.connect(lambda k=kind: self.add_result_interactive(k))

    def save_view(self, name: str, description: str = "") -> wsm.SavedView | None:
        """Bookmark what the Explorer shows under ``name`` (replacing a view of that name)."""
        ctl = self.ctl
        current = ctl.explorer.state() if ctl.explorer is not None else None
        if current is None:
            ctl.window.show_error("Nothing to save yet: pick a table and a measure in the Explorer first")
            return None
        view = wsm.SavedView(name=name, spec=current.spec.to_dict(), chart=current.chart(), description=description)
        ctl.ws.save_view(view)
        ctl.audit.view_saved(name, view.spec)
        ctl.views_list.set_views(ctl.ws.views)
        ctl.refresh_audit()
        ctl.mark_changed("view")
        ctl.window.statusBar().showMessage(f"Saved view “{name}”", 6000)
        return view

    def save_view_interactive(self) -> None:
        ctl = self.ctl
        if ctl.explorer is None or ctl.explorer.state() is None:
            ctl.window.show_error("Nothing to save yet: pick a table and a measure in the Explorer first")
            return
        default = ctl.explorer.chart.title.text() or f"View {len(ctl.ws.views) + 1}"
        name = ctl.ask_view_name(default)
        if name:
            self.save_view(name.strip())

    def restore_view(self, name: str) -> bool:
        ctl = self.ctl
        try:
            view = ctl.ws.view(name)
        except WorkbenchError as exc:
            ctl.window.show_error(str(exc))
            return False
        if ctl.history is not None:
            # Restoring a view is itself an undoable Explorer change.
            try:
                ctl.explorer.restore(ExplorerState.from_view(view.spec, view.chart))
            except WorkbenchError as exc:
                ctl.window.show_error(str(exc))
                return False
        ctl.window.show_panel("Explorer")
        return True

    def delete_view(self, name: str) -> None:
        ctl = self.ctl
        ctl.ws.views = [v for v in ctl.ws.views if v.name != name]
        ctl.views_list.set_views(ctl.ws.views)
        ctl.audit.append("view_deleted", view=name)

    def add_result(self, kind: str, name: str | None = None) -> dict | None:
        """Keep the Anomalies / Experiments panel's current result in the workspace for the evidence report
        (replacing a result of the same name)."""
        ctl = self.ctl
        from widgets.report_items import capture_result

        try:
            item = capture_result(kind, self._result_panel(kind))
        except WorkbenchError as exc:
            ctl.window.show_error(str(exc))
            return None
        if name:
            item["name"] = name
        ctl.ws.saved_results = [r for r in ctl.ws.saved_results if r.get("name") != item["name"]] + [item]
        ctl.results_list.set_results(ctl.ws.saved_results)
        ctl.audit.append("result_saved", name=item["name"], kind=kind, recipe=item["recipe"])
        ctl.refresh_audit()
        ctl.mark_changed("result")
        ctl.window.statusBar().showMessage(
            f"Added “{item['name']}” to the workspace: File ▸ Export Evidence Report… lists it", 8000
        )
        return item

    def add_result_interactive(self, kind: str) -> None:
        ctl = self.ctl
        from widgets.report_items import capture_result

        try:
            default = capture_result(kind, self._result_panel(kind))["name"]
        except WorkbenchError as exc:
            ctl.window.show_error(str(exc))
            return
        name = ctl.ask_result_name(default)
        if name:
            self.add_result(kind, name.strip())
        ctl.refresh_audit()
        ctl.mark_changed("view")

    def _result_panel(self, kind: str):
        ctl = self.ctl
        return {
            "anomaly": ctl.anomalies,
            "experiment": ctl.experiments,
            "impact": ctl.impact,
            "reconcile": ctl.reconcile,
            "checks": ctl.checks_panel,
        }.get(kind)

    def _saved_result(self, name: str) -> dict | None:
        ctl = self.ctl
        return next((r for r in ctl.ws.saved_results if r.get("name") == name), None)

    def restore_result(self, name: str) -> bool:
        """Open a saved result's panel with the settings it was computed with (the table must be open).
        An anomaly result re-detects; an experiment's form is filled and waits for Run readout."""
        ctl = self.ctl
        from workbench import report_analyses as ra
        from workbench.experiments.spec import format_metric
        from workbench.metrics import Measure, MetricSpec

        item = self._saved_result(name)
        panel = None if item is None else self._result_panel(item.get("kind"))
        if item is None or panel is None:
            ctl.window.show_error(
                f"No saved result named “{name}”"
                if item is None
                else f"The {KIND_TEXT.get(item.get('kind'), 'result')} panel is not available"
            )
            return False
        recipe = item.get("recipe") or {}
        if item["kind"] in ("reconcile", "checks"):  # the panel checks its tables and recomputes
            shown = panel.restore_recipe(recipe)
            if shown:
                ctl.window.show_panel("Reconcile" if item["kind"] == "reconcile" else "Checks")
            return shown
        table = (recipe.get("spec") or {}).get("table")
        if table not in set(ctl.open_names()):
            ctl.window.show_error(f"Open {table} first: “{name}” was computed on it")
            return False
        try:
            if item["kind"] == "impact":
                spec = recipe["spec"]
                panel.open_for(
                    spec["table"],
                    spec["unit"],
                    spec.get("treated") or [],
                    spec.get("start"),
                    time_column=spec.get("time_column"),
                    measure=Measure(**spec["measure"]).label,
                )
                ctl.window.show_panel("Impact")
                ctl.window.statusBar().showMessage(f"“{name}”: settings restored; Run analysis to recompute it", 8000)
            elif item["kind"] == "anomaly":
                spec = MetricSpec.from_dict(recipe["spec"])
                detector = AnomaliesState.from_dict(
                    {"detector": recipe.get("params") or {}, "grain": recipe.get("grain") or ""}
                )  # a version-0 rule
                panel.open_saved(spec, detector)
                ctl.window.show_panel("Anomalies")
                panel.run_detection()
            else:
                spec = ra.experiment_spec_from_dict(recipe["spec"])
                panel.restore(
                    ExperimentsState(
                        table=spec.table,
                        unit=spec.unit,
                        arm=spec.arm,
                        control=spec.control,
                        metrics=tuple(format_metric(m) for m in spec.metrics),
                        segment=spec.segment or "",
                        time_column=spec.time_column or "",
                        correction=spec.correction,
                        sequential_tuning=spec.sequential_tuning,
                    )
                )
                ctl.window.show_panel("Experiments")
                ctl.window.statusBar().showMessage(f"“{name}”: settings restored; Run readout to recompute it", 8000)
        except (WorkbenchError, KeyError, TypeError, ValueError) as exc:
            ctl.window.show_error(f"Could not restore “{name}”: {exc}")
            return False
        return True

    def delete_result(self, name: str) -> None:
        ctl = self.ctl
        if self._saved_result(name) is None:
            return
        ctl.ws.saved_results = [r for r in ctl.ws.saved_results if r.get("name") != name]
        ctl.results_list.set_results(ctl.ws.saved_results)
        ctl.audit.append("result_deleted", name=name)
        ctl.refresh_audit()
        ctl.mark_changed("result")

    def rename_result(self, name: str, new_name: str) -> bool:
        ctl = self.ctl
        new_name = (new_name or "").strip()
        item = self._saved_result(name)
        if item is None or not new_name or new_name == name:
            return False
        if self._saved_result(new_name) is not None:
            ctl.window.show_error(f"A result named “{new_name}” exists already: pick another name")
            return False
        item["name"] = new_name
        ctl.results_list.set_results(ctl.ws.saved_results)
        ctl.audit.append("result_renamed", name=name, new_name=new_name)
        ctl.refresh_audit()
        ctl.mark_changed("result")
        return True

    def rename_result_interactive(self, name: str) -> None:
        ctl = self.ctl
        new_name = ctl.ask_rename_result(name)
        if new_name:
            self.rename_result(name, new_name)
