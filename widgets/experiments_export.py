"""Guarded exports of the Experiments panel: its CSV and PNG buttons under the workspace's privacy rules.

The WorkspaceController installs :meth:`ExperimentExportGuard.export` as the panel's ``export_hook`` (the
panel exports plainly without one, e.g. in its own unit tests), as the :class:`ClipboardGuard` does for
"Copy readout":

* CSV — :func:`workbench.readout_export.export_readout_csv`: comparisons involving an arm with fewer than k
  units withheld as ``"<k"`` (the evidence report's rule), provenance sidecar (workspace name, source
  SHA-256), ``export_written`` audit entry with path and SHA-256.
* PNG — the results pane as drawn, or, when the readout has a comparison to withhold (the screen shows the
  tiny arm's numbers), the report's forest plot with those comparisons blanked; stamped with
  :func:`workbench.export.stamp_png` and logged the same way. A segment column flagged as personal data
  asks for a reason first (it goes to the log).
"""

from __future__ import annotations

from pathlib import Path

from workbench.errors import WorkbenchError


class ExperimentExportGuard:
    """Serves the Experiments panel's export hook for one WorkspaceController (``ctl``)."""

    def __init__(self, ctl):
        self.ctl = ctl
        panel = ctl.experiments
        if panel is not None and hasattr(panel, "export_hook"):
            panel.export_hook = self.export

    def export(self, fmt: str, path) -> bool:
        """Write the panel's readout as ``fmt`` ("csv" or "png") to ``path``; errors go to the banner."""
        try:
            outcome = self._export(fmt, path)
        except WorkbenchError as exc:
            self.ctl.window.show_error(str(exc))
            return False
        if outcome is None:
            return False
        refresh = getattr(self.ctl, "refresh_audit", None)
        if refresh is not None:
            refresh()
        note = f" ({outcome.suppressed_cells} comparison(s) withheld)" if outcome.suppressed_cells else ""
        self.ctl.experiments.status_message.emit(
            f"Exported {outcome.path.name}{note} · sha256 {outcome.sha256[:12]}… · logged in the audit trail"
        )
        self.ctl.export_written.emit(outcome)
        return True

    def _export(self, fmt: str, path):
        from workbench.export import Provenance
        from widgets.export_actions import ExportOutcome

        ctl = self.ctl
        data = ctl.experiments.readout
        if not data:
            raise WorkbenchError("Nothing to export yet: run a readout first")
        fmt = fmt.lower()
        path = Path(path)
        if path.suffix.lower() != f".{fmt}":
            path = path.with_name(path.name + f".{fmt}")
        table = data.get("table")
        session = getattr(ctl, "session", None)
        if table in (session.pending_fingerprints if session is not None else set()):
            raise WorkbenchError(
                f"{table} is still being fingerprinted: export again in a moment (every export "
                "carries the sources' SHA-256)"
            )
        ws = ctl.collect()
        k = ws.settings.suppression_k
        prov = Provenance.from_workspace(ws, sources=[table], description=_description(data))
        if fmt == "csv":
            from workbench.readout_export import export_readout_csv

            result, guarded = export_readout_csv(data, path, provenance=prov, k=k, audit=ctl.audit)
            return ExportOutcome(result.path, result.sha256, guarded.withheld)
        if fmt == "png":
            return self._export_png(data, path, prov, k)
        raise WorkbenchError(f"Unknown export format {fmt!r}")

    def _export_png(self, data, path: Path, prov, k):
        from workbench.export import ExportError, stamp_png
        from workbench.fingerprint import sha256_file
        from workbench.readout_export import guarded_readout_frame
        from workbench.workspace import atomic_write
        from widgets.export_actions import ExportOutcome, widget_png
        from widgets.report_items import forest_png

        ctl = self.ctl
        details = {}
        seg = (data.get("segments") or {}).get("column")
        kind = ctl.masker.kind(data.get("table"), seg) if seg and ctl.masker is not None else None
        if kind:
            reason = ctl.exporter.ask_pii_reason(
                f"The segments are values of {seg}, flagged as personal data ({kind}). Export the image anyway?"
            )
            if not reason:
                return None
            details = {"pii_columns": {seg: kind}, "pii_reason": reason}
        guarded = guarded_readout_frame(data, k)
        # The pane shows every arm's numbers: with a comparison to withhold, export the report's forest plot.
        png = forest_png(data, k) if guarded.withheld else widget_png(ctl.experiments.right)
        stamp = prov.with_suppression(guarded.suppression())
        if not path.parent.is_dir():
            raise ExportError(f"Cannot export to {path}: the folder does not exist")
        payload = stamp_png(png, stamp, audit=ctl.audit)
        try:
            atomic_write(path, lambda tmp: tmp.write_bytes(payload))
        except OSError as exc:
            raise ExportError(f"Could not write {path.name}: {exc.strerror or exc}") from exc
        digest = sha256_file(path)
        ctl.audit.export_written(
            path,
            digest,
            format="png",
            workspace=stamp.workspace,
            sources={s["name"]: s["sha256"] for s in stamp.sources},
            view=stamp.description.get("view"),
            suppression_k=k,
            suppressed_cells=guarded.withheld,
            **details,
        )
        return ExportOutcome(path, digest, guarded.withheld)


def _description(data) -> dict:
    return {
        "view": "Experiment readout",
        "table": data.get("table"),
        "unit": data.get("unit"),
        "control": data.get("control_arm"),
        "arms": list(data.get("arms") or []),
        "metrics": list((data.get("metrics") or {}).keys()),
    }
