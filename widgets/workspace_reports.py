"""Stamped exports and evidence reports: File ▸ Export (the Explorer's table or chart, through the guarded
exporter) and File ▸ Export Evidence Report (saved views and results recomputed through their analyses,
then HTML + replay script + optional PDF written on a worker)."""

from __future__ import annotations

from PySide6.QtCore import QObject

from workbench.errors import WorkbenchError
from widgets.export_actions import COUNT_AGGS, render_chart_png
from widgets.report_dialog import ReportRequest


class WorkspaceReports(QObject):
    """Exports and evidence reports of ``ctl``'s workspace; results arrive on ``ctl.runner``."""

    def __init__(self, ctl):
        super().__init__(ctl)
        self.ctl = ctl
        self._report_request: ReportRequest | None = None
        self._report_pii_reason: str | None = None
        self._report_id: int | None = None
        self._report_write_id: int | None = None

    def install(self) -> None:
        ctl = self.ctl
        ctl.runner.result_ready.connect(self._on_runner_result_ready)
        ctl.runner.failed.connect(self._on_runner_failed)
        ex = ctl.explorer
        if ex is None:
            return
        chart = ex.chart
        for button, fmt in ((chart.png_button, "png"), (chart.csv_button, "csv")):
            try:  # the chart's own buttons write unstamped files: route them through the guarded export
                button.clicked.disconnect()
            except (RuntimeError, TypeError):
                pass
            button.clicked.connect(lambda _=False, f=fmt: self.export(f))
        chart.png_button.setToolTip("Export the chart as PNG, stamped with the sources' fingerprints")
        chart.csv_button.setToolTip("Export the table on screen as CSV (suppression and stamp applied)")

    # ------------------------------------------------------------------ exports
    def export_context(self):
        """(workspace, audit log, masker) for an export; refused while its table is being fingerprinted."""
        ctl = self.ctl
        ex = ctl.explorer
        pending = (
            ctl.session.pending_fingerprints & {ex.last_result.spec.table}
            if ex is not None and ex.last_result is not None
            else set()
        )
        if pending:
            raise WorkbenchError(
                f"{', '.join(sorted(pending))} is still being fingerprinted: export again in a "
                "moment (every export carries the sources' SHA-256)"
            )
        return ctl.collect(), ctl.audit, ctl.masker

    def export(self, fmt: str) -> None:
        outcome = self.ctl.exporter.export_interactive(fmt)
        self.ctl.refresh_audit()
        if outcome is not None:
            self.ctl.export_written.emit(outcome)

    # ------------------------------------------------------------------ evidence reports
    def export_report_interactive(self) -> None:
        ctl = self.ctl
        if not ctl.ws.views and not ctl.ws.saved_results:
            ctl.window.show_error(
                "Save at least one view first (Edit ▸ Save View…), or add an anomaly or experiment "
                "result (Add to report in its panel): a report is made of saved items"
            )
            return
        request = ctl.ask_report(ctl.ws.views)
        if request is not None:
            self.write_report(request)

    def write_report(self, request: ReportRequest) -> int | None:
        """Recompute the selected views (background), then write HTML + replay script (+ PDF)."""
        ctl = self.ctl
        from workbench.metrics import MetricSpec

        from widgets.report_items import result_tables

        views = [ctl.ws.view(n) for n in request.views]
        saved = {r.get("name"): r for r in ctl.ws.saved_results}
        items = [saved[n] for n in request.results if n in saved]
        needed = {v.spec.get("table") for v in views}.union(*[result_tables(r) for r in items])
        missing = sorted(needed - set(ctl.open_names()))
        if missing:
            ctl.window.show_error(f"Open {', '.join(missing)} first: the report recomputes every view from the data")
            return None
        if ctl.session.pending_fingerprints:
            ctl.window.show_error("Sources are still being fingerprinted: try again in a moment")
            return None
        pii = [
            v.name
            for v in views
            if v.spec.get("breakdown") and ctl.masker.kind(v.spec.get("table"), v.spec.get("breakdown"))
        ]
        reason = None
        if pii:
            reason = ctl.exporter.ask_pii_reason(
                f"Views {', '.join(pii)} break down by a column flagged as personal data; the report would show "
                "its values."
            )
            if not reason:
                return None
        self._report_request = request
        self._report_pii_reason = reason
        from workbench.analysis import Analysis, MetricView

        # The same analyses the screen ran: saved views as MetricViews (their relative range resolved now),
        # saved results from their recipes.
        jobs = [(v.name, MetricView(MetricSpec.from_dict(v.spec), _range_delta(v.chart.get("range")))) for v in views]
        analyses = [(r["name"], Analysis.from_dict(r["recipe"])) for r in items]

        from workbench.protection.policy import CELL_KEY, workspace_policy

        policy = workspace_policy(ctl.ws)
        masks = dict(ctl.window.catalog.view_masks)

        def compute(ctx):
            out = []
            for name, analysis in jobs + analyses:
                ctx.check()
                computed = analysis.run(ctx.cursor)
                value = computed.value
                if analysis.kind == "metric":
                    # Under cell-key, count tables get the engine's perturbation (as exports and the CLI do).
                    protected = None
                    if policy.mode == CELL_KEY and value.spec.measure.agg in COUNT_AGGS and not value.frame.empty:
                        from workbench.protection.apply import protect_metric

                        protected = protect_metric(
                            ctx.cursor, value, policy, pii_columns=set(masks.get(value.spec.table, {}))
                        )
                    out.append((name, value if protected is None else (value, protected)))
                else:  # an anomaly detection (AnomalyRun) or an experiment readout (its document)
                    data = {
                        "experiment": lambda v: v.data,
                        "impact": lambda v: v.doc,
                        "reconcile": lambda v: computed,
                        "checks": lambda v: computed,
                    }.get(analysis.kind, lambda v: v)
                    out.append((name, (analysis.kind, data(value))))
            return out

        ctl.window.statusBar().showMessage(f"Computing {len(jobs) + len(analyses)} item(s) for the report…")
        self._report_id = ctl.runner.submit("report.compute", compute)
        return self._report_id

    def _on_report_computed(self, results) -> None:
        ctl = self.ctl
        from workbench.analysis import MetricView
        from workbench.report import EvidenceReport, ReportSection, ReportError, write_report

        request = self._report_request
        ws = ctl.collect()
        rep = EvidenceReport.for_workspace(
            ws,
            title=request.title,
            description={"views": request.views, "results": request.results, "workspace": ws.name},
        )
        saved = {r.get("name"): r for r in ws.saved_results}
        for name, result in results:
            protected = None
            if isinstance(result, tuple) and not isinstance(result[0], str):  # a metric with its protected table
                result, protected = result
            if isinstance(result, tuple):  # an anomaly detection or experiment readout
                rep.sections.append(self._analysis_section(name, saved[name], *result, k=rep.k))
                continue
            view = ws.view(name)
            spec = result.spec
            notes = {
                "Table": spec.table,
                "Measure": spec.measure.label,
                "Grain": spec.grain,
                "Time column": spec.time_column or "",
                "Filters": "; ".join(f.label for f in spec.filters) or "none",
                "Breakdown": f"{spec.breakdown} (top {spec.top_n})" if spec.breakdown else "none",
                "Comparison": (spec.compare_offset or "previous period") if spec.compare else "none",
                "Range": f"{view.chart.get('range', 'All data')}"
                + (f" ({result.start:%Y-%m-%d} → {result.end:%Y-%m-%d})" if result.start else ""),
            }
            count = spec.measure.agg in COUNT_AGGS
            frame = result.frame if spec.compare else result.frame.drop(columns=["comparison_value"])
            if protected is not None:
                frame = protected.frame[[c for c in frame.columns if c in protected.frame.columns]]
            rep.sections.append(
                ReportSection(
                    title=name,
                    text=view.description or "",
                    data=frame,
                    image_png=render_chart_png(result, hidden=view.chart.get("hidden") or ()),
                    method_notes=notes,
                    sql=result.sql,
                    recipe=MetricView(spec).to_dict(),
                    count_column="value" if count else None,
                    dims=[c for c in ("bucket", "series") if c in frame.columns] if count else None,
                    protection=protected.statement if protected is not None else None,
                    perturbation_bound=protected.policy.cell_key.max_perturbation if protected is not None else None,
                )
            )
        audit = ctl.audit
        replay_pdf = request.pdf

        def write(ctx):  # on a worker: HTML, replay script and PDF layout take seconds on a large report
            try:
                res = write_report(rep, request.html_path, audit=audit)
                pdf_path = None
                if replay_pdf:
                    from widgets.report_pdf import report_to_pdf
                    from workbench.fingerprint import sha256_file

                    pdf_path = report_to_pdf(
                        rep,
                        res.html_path.with_suffix(".pdf"),
                        replay_name=res.replay_path.name if res.replay_path else None,
                    )
                    audit.export_written(pdf_path, sha256_file(pdf_path), format="pdf", report=str(res.html_path))
            except OSError as exc:
                raise ReportError(f"{exc.strerror or exc} ({exc.filename or request.html_path})") from exc
            return res, pdf_path

        ctl.window.statusBar().showMessage("Writing the evidence report…")
        self._report_write_id = ctl.runner.submit("report.write", write)

    def _on_report_file_written(self, result) -> None:
        ctl = self.ctl
        res, pdf_path = result
        if self._report_pii_reason:
            ctl.audit.append("pii_exported", path=str(res.html_path), reason=self._report_pii_reason)
        ctl.refresh_audit()
        extra = f" and {pdf_path.name}" if pdf_path else ""
        ctl.window.banner.show_message(
            f"Evidence report written: {res.html_path.name}{extra} "
            f"(+ {res.replay_path.name if res.replay_path else 'no replay script'})",
            "info",
        )
        ctl.report_written.emit(res)

    @staticmethod
    def _analysis_section(name: str, item: dict, kind: str, result, k):
        from workbench import report_analyses as ra
        from widgets.report_items import anomaly_chart_png, forest_png

        if kind == "anomaly":
            return ra.anomaly_section(
                result,
                item["recipe"],
                title=name,
                k=k,
                image_png=anomaly_chart_png(result),
                description=item.get("description", ""),
            )
        if kind == "impact":
            from workbench.causal.report_section import impact_section

            return impact_section(result, item["recipe"], title=name, description=item.get("description", ""))
        if kind in ("reconcile", "checks"):
            from widgets.reconcile_report import section

            return section(kind, name, item, result)
        return ra.experiment_section(
            result,
            item["recipe"],
            title=name,
            k=k,
            image_png=forest_png(result, k),
            description=item.get("description", ""),
        )

    def _on_runner_result_ready(self, request_id: int, key: str, result) -> None:
        if key == "report.compute" and request_id == self._report_id:
            self._on_report_computed(result)
        elif key == "report.write" and request_id == self._report_write_id:
            self._on_report_file_written(result)

    def _on_runner_failed(self, request_id: int, key: str, message: str) -> None:
        if key == "report.compute" and request_id == self._report_id:
            self.ctl.window.show_error(f"The report could not be computed: {message}")
        elif key == "report.write" and request_id == self._report_write_id:
            self.ctl.refresh_audit()
            self.ctl.window.show_error(f"The report could not be written: {message}")


def _range_delta(label: str | None):
    from widgets.explorer_panel import RANGES

    return dict(RANGES).get(label or "All data")
