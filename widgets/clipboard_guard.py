"""Guards on the clipboard: every copy of result data goes through the privacy rules of file exports.

The :class:`ClipboardGuard` of a WorkspaceController installs copy hooks on the grids and panels that put
result data on the clipboard (the Explorer's and the SQL console's result grids, the Experiments panel's
"Copy readout"); the grids themselves know nothing of workspaces and copy plainly without a hook.

* Explorer count measures under a cell-key policy: the perturbed table exports write (the engine's
  ``protect_metric``, computed on a worker as each result arrives), not re-suppressed; the selection is cut
  out of it.
* Explorer count measures under suppression: small-cell suppression with the workspace's k on the whole table (``"<k"`` plus
  complementary suppression — what CSV export writes), then the selection is cut out of it.
* Non-count Explorer measures and SQL console results: copied without suppression; the skip is logged
  (``suppression_skipped`` with the reason), with no dialog on Ctrl+C.
* Flagged personal-data columns are copied masked unless revealed; a copy of revealed (or, with masking
  off, unmasked) flagged columns is logged with the columns and the reveal reason, like a file export.
* Every copy is logged as ``clipboard_copied`` (rows, columns, whether suppression applied).
"""

from __future__ import annotations

import logging

import pandas as pd

from workbench.clipboard import CLIPBOARD_ACTION, guard_table, guarded_readout_text
from workbench.errors import WorkbenchError
from widgets.export_actions import COUNT_AGGS, display_frame
from widgets.table_model import MASK, frame_tsv

log = logging.getLogger(__name__)

MASKING_OFF = "masking of personal data is off in the workspace settings"


class ClipboardGuard:
    """Installs and serves the copy hooks for one WorkspaceController (``ctl``: ws, audit, masker, panels)."""

    def __init__(self, ctl):
        self.ctl = ctl
        explorer = ctl.explorer
        if explorer is not None and hasattr(explorer, "results"):
            explorer.results.copy_filter = self.copy_explorer
        console = getattr(ctl.window, "sql_console", None)
        if console is not None and hasattr(console, "results"):
            console.results.copy_filter = self.copy_console
        experiments = ctl.experiments
        if experiments is not None and hasattr(experiments, "copy_filter"):
            experiments.copy_filter = self.copy_readout

    # ------------------------------------------------------------------ grids
    def copy_explorer(self, view, rows, columns, headers: bool) -> str | None:
        """The Explorer grid: the exported table of the result on screen, suppressed with k when a count."""
        result = self.ctl.explorer.last_result
        model = view.table_model()
        names = model.column_names()
        frame = display_frame(result) if result is not None else None
        if frame is None or [str(c) for c in frame.columns] != names or len(frame) != model.total_rows:
            # The grid does not show the last result (yet): guard what it holds, like the console.
            return self.copy_console(view, rows, columns, headers, origin="explorer")
        k = self.ctl.ws.settings.suppression_k
        label = result.spec.measure.label
        count_column = label if result.spec.measure.agg in COUNT_AGGS and label in frame.columns else None
        skipped = None
        if k and count_column is None:
            skipped = {"reason": "measure is not a count", "measure": label}
        perturbed = None
        try:
            perturbed = self.ctl.exporter.cell_key_table(self.ctl.ws, result)
        except WorkbenchError as exc:  # the perturbed table is still being computed: copy nothing yet
            self.ctl.window.show_error(f"Not copied: {exc}")
            return None
        if perturbed is not None:  # cell-key: what leaves is the perturbed table, not re-suppressed
            frame, table = perturbed
            k, count_column = None, None
        # Grid rows are in the grid's (possibly header-sorted) order; the frame is in the original one.
        positions = model.source_rows(rows)
        selected = names if columns is None else [names[c] for c in columns]
        return self._copy(
            view,
            frame,
            positions,
            selected,
            headers,
            k=k if count_column else None,
            count_column=count_column,
            skipped=skipped,
            origin="explorer",
            view_title=self.ctl.explorer.chart.title.text(),
            protected=perturbed[1] if perturbed is not None else None,
        )

    def copy_console(self, view, rows, columns, headers: bool, origin: str = "sql_console") -> str | None:
        """A grid of arbitrary rows (SQL console): no count of units is known, so no suppression (logged)."""
        model = view.table_model()
        names = model.column_names()
        table = model.table
        if rows is not None:
            table = table.take(list(rows))
        # Only the selection is converted (a console grid may hold millions of rows).
        table = table.select(names if columns is None else [names[c] for c in columns])
        frame = table.to_pandas() if table.num_columns else pd.DataFrame()
        skipped = None
        if self.ctl.ws.settings.suppression_k:
            skipped = {"reason": "query result without a known count of units per row", "measure": origin}
        return self._copy(view, frame, None, list(frame.columns), headers, skipped=skipped, origin=origin)

    def _copy(
        self,
        view,
        frame,
        positions,
        selected,
        headers,
        *,
        k=None,
        count_column=None,
        skipped=None,
        origin: str,
        view_title: str = "",
        protected=None,
    ) -> str | None:
        """Guard ``frame`` (whole table), cut out ``positions`` (rows of ``frame``; None = all) and the
        ``selected`` columns, log, and return the TSV."""
        ctl = self.ctl
        model = view.table_model()
        masked = model.masked_columns()
        flagged = ctl.masker.grid_pii(view)
        revealed = ctl.masker.revealed_columns(view)
        shown = {
            c: (kind, revealed.get(c, (kind, MASKING_OFF))[1])
            for c, kind in flagged.items()
            if c not in masked and c in selected
        }
        try:
            guarded = guard_table(
                frame,
                rows=positions,
                columns=selected,
                k=k,
                count_column=count_column,
                masked=masked,
                revealed={c: kind for c, (kind, _r) in shown.items()},
                mask=MASK,
            )
        except WorkbenchError as exc:
            # Suppression cannot be worked out: copy nothing rather than unsuppressed counts.
            ctl.window.show_error(f"Not copied: {exc}")
            return None
        if skipped is not None:
            ctl.audit.append("suppression_skipped", path="clipboard", k=ctl.ws.settings.suppression_k, **skipped)
        details = {"origin": origin, **guarded.audit_details()}
        if protected is not None:  # the engine's cell-key table (workbench/protection/apply.py)
            details.update(
                protection_mode=protected.policy.mode,
                suppression_k=protected.policy.k,
                perturbed_cells=protected.perturbed,
                suppressed_cells=protected.hidden,
                protection=protected.statement,
            )
        if view_title:
            details["view"] = view_title
        if shown:
            details["pii_columns"] = {c: kind for c, (kind, _r) in shown.items()}
            details["pii_reason"] = "; ".join(sorted({r for _k, (_kind, r) in shown.items() if r}))
        ctl.audit.append(CLIPBOARD_ACTION, **details)
        self._after_log(guarded.suppressed_cells if protected is None else protected.hidden)
        return frame_tsv(guarded.frame, headers=headers)

    # ------------------------------------------------------------------ experiment readout
    def copy_readout(self, data) -> str | None:
        """The readout text with the report's small-cell rules (k from the workspace), logged."""
        k = self.ctl.ws.settings.suppression_k
        text, withheld = guarded_readout_text(data, k)
        self.ctl.audit.append(
            CLIPBOARD_ACTION,
            origin="experiment_readout",
            table=data.get("table"),
            rows=text.count("\n"),
            columns=["readout text"],
            suppression_applied=bool(k),
            suppression_k=k or None,
            withheld_comparisons=withheld,
        )
        self._after_log(withheld)
        return text

    def _after_log(self, hidden: int) -> None:
        refresh = getattr(self.ctl, "refresh_audit", None)
        if refresh is not None:
            refresh()
        note = f" ({hidden} small cell(s) hidden)" if hidden else ""
        try:
            self.ctl.window.statusBar().showMessage(f"Copied{note} · logged in the audit trail", 6000)
        except (AttributeError, RuntimeError):
            pass
