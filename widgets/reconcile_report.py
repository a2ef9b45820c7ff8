"""Reconciliations and data-quality checks kept in the workspace for the evidence report, and the
Reconcile panel's differences export under the workspace's privacy rules.

:class:`ReconcileExportGuard` installs itself as the Reconcile panel's ``export_hook`` (as the experiment
export guard does for its panel): the rows on screen are written stamped with both sources' fingerprints,
personal-data columns (flagged on either table) ask for a reason first, and the export is logged with its
SHA-256. The values are those of the catalog's views, so masked columns stay masked. Rows are not counts, so
small-cell suppression cannot apply: the user confirms that, and the log says so.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from workbench.errors import WorkbenchError

KINDS = ("reconcile", "checks")


def capture(kind: str, panel) -> dict:
    """The saved item for the Reconcile panel's or the Checks view's current result."""
    if panel is None or panel.result is None or panel.view is None:
        raise WorkbenchError("Run it first, then add it to the report")
    view = panel.view
    if kind == "checks":
        name = f"Data quality: {view.table} ({len(view.rules)} rules)"
    else:
        spec = view.keyed or view.aggregate
        how = f"on {', '.join(spec.key)}" if view.keyed else f"totals of {', '.join(spec.measures)}"
        name = f"Reconciliation: {spec.table_a} vs {spec.table_b} {how}"
    return {
        "name": name,
        "kind": kind,
        "recipe": view.to_dict(),
        "description": "",
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def tables_of(recipe: dict) -> set[str]:
    """The tables a saved reconciliation or checks recipe needs open."""
    if recipe.get("kind") == "checks":
        return {recipe.get("table"), *(t for _, t in recipe.get("references") or ())} - {None}
    spec = recipe.get("keyed") or recipe.get("aggregate") or {}
    return {spec.get("table_a"), spec.get("table_b")} - {None}


def section(kind: str, name: str, item: dict, result):
    from workbench.reconcile.report_section import checks_section, reconcile_section

    build = checks_section if kind == "checks" else reconcile_section
    return build(result, item["recipe"], title=name, description=item.get("description", ""))


class ReconcileExportGuard:
    """Serves the Reconcile panel's export hook for one WorkspaceController (``ctl``)."""

    def __init__(self, ctl, panel):
        self.ctl, self.panel = ctl, panel
        if panel is not None:
            panel.export_hook = self.export

    def export(self, frame, path) -> bool:
        try:
            outcome = self._export(frame, Path(path))
        except WorkbenchError as exc:
            self.ctl.window.show_error(str(exc))
            return False
        if outcome is None:
            return False
        refresh = getattr(self.ctl, "_refresh_audit", None)
        if refresh is not None:
            refresh()
        self.panel.status_message.emit(
            f"Exported {outcome.path.name} · sha256 {outcome.sha256[:12]}… · logged in the audit trail"
        )
        self.ctl.export_written.emit(outcome)
        return True

    def _export(self, frame, path: Path):
        from widgets.export_actions import ExportOutcome
        from workbench.export import PiiExportWarning, Provenance, export_table

        ctl, view = self.ctl, self.panel.view
        if view is None or frame is None or frame.empty:
            raise WorkbenchError("Nothing to export yet: reconcile, then pick a bucket with rows")
        if path.suffix.lower() not in (".csv", ".parquet", ".xlsx"):
            path = path.with_name(path.name + ".csv")
        spec = view.keyed or view.aggregate
        pending = getattr(ctl, "_pending_fingerprints", set()) & {spec.table_a, spec.table_b}
        if pending:
            raise WorkbenchError(f"{', '.join(sorted(pending))} is still being fingerprinted: export again in a moment")
        ws = ctl.collect()
        k = ws.settings.suppression_k
        prov = Provenance.from_workspace(
            ws,
            sources=[spec.table_a, spec.table_b],
            description={"reconciliation": view.to_dict(), "bucket": self.panel.bucket},
        )
        if k is not None and view.keyed is not None:
            ok = ctl.exporter.confirm(
                "Export rows without small-cell suppression?",
                f"These are rows, not counts: small-cell suppression (k = {k}) has nothing to apply to. Masked "
                "personal-data columns stay masked.\n\nExport them? This is written to the audit log.",
            )
            if not ok:
                return None
            ctl.audit.append("suppression_skipped", path=str(path), reason="row-level differences", k=k)
        k_rows = k if view.aggregate is not None else None
        pii = {}
        for column in frame.columns:
            side, _, name = str(column).partition(": ")
            table = spec.table_b if side == "B" else spec.table_a
            kind = ctl.masker.kind(table, name if name else str(column)) if ctl.masker is not None else None
            if kind:
                pii[str(column)] = kind
        kwargs = dict(
            provenance=prov, k=k_rows, count_column="rows_a" if k_rows else None, pii_columns=pii, audit=ctl.audit
        )
        try:
            r = export_table(frame, path, **kwargs)
        except PiiExportWarning as warning:
            reason = ctl.exporter.ask_pii_reason(str(warning))
            if not reason:
                return None
            r = export_table(frame, path, allow_pii=True, pii_reason=reason, **kwargs)
        cells = int(r.suppression.suppressed.sum()) if r.suppression is not None else 0
        return ExportOutcome(r.path, r.sha256, cells)
