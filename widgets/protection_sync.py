"""Keeps the desktop app's catalog views in step with the personal-data flags and the protection policy.

The masker (widgets/pii_mask.py) decides which columns are masked; this object turns each decision into
the source's view (workbench/protection/masked_views.py), so every query — Explorer, console, profile,
exports — sees masked tokens, whatever it aliases or computes. Grids still draw masked cells as •••: a
console column counts as masked when its values are mask tokens (not when its name matches a flagged
column, which an alias defeats). It also raises the workspace's settings to the installation's minimum
policy and says so.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QObject, Signal

from workbench.privacy import PII_KINDS
from workbench.protection.masked_views import set_masks

_TOKEN = re.compile(r"^(%s)#[0-9a-f]{8}$" % "|".join(list(PII_KINDS) + ["masked"]))
_SAMPLE_ROWS = 20
PROTECT_KEY = "protect:explorer"


class ProtectionSync(QObject):
    """Signals: ``views_changed()`` after a view was re-created (a revealed column: results are stale)."""

    views_changed = Signal()

    def __init__(self, catalog, masker, parent=None):
        super().__init__(parent)
        self.catalog = catalog
        self.masker = masker
        masker.flags_changed.connect(self._on_masker_flags_changed)
        masker.revealed.connect(lambda *_: self._on_masker_flags_changed())

    def sync(self) -> bool:
        """Re-create the views whose masks differ from the masker's; returns whether any changed."""
        changed = False
        for source in self.catalog.sources:
            flags = self.masker.flags.get(source.name, {})
            masks = {
                c: info.get("kind") or "masked" for c, info in flags.items() if self.masker.is_masked(source.name, c)
            }
            changed |= set_masks(self.catalog, source.name, masks)
        return changed

    def _on_masker_flags_changed(self) -> None:
        if self.sync():
            self.views_changed.emit()

    def console_column_map(self, model):
        """A column map for a grid of free query results: columns whose values are mask tokens, each
        mapped to the masked source column of the same kind (for the reveal action)."""

        def column_map(columns: list[str]) -> dict:
            out = {}
            rows = min(model.rowCount(), _SAMPLE_ROWS)
            for j, name in enumerate(columns):
                kinds = {
                    m.group(1)
                    for i in range(rows)
                    if isinstance(v := model.raw_value(i, j), str) and (m := _TOKEN.match(v))
                }
                if len(kinds) == 1:
                    kind = kinds.pop()
                    out[name] = self._masked_source_column(kind) + (kind,)
            return out

        return column_map

    def watch_explorer(self, explorer, runner, workspace) -> None:
        """Under cell-key, perturb each new Explorer result on a worker (the GUI thread never waits on the
        companion query); exports then write the perturbed table (:meth:`protected_for`)."""
        self._runner, self._workspace, self._protected = runner, workspace, None
        explorer.result_ready.connect(self._on_explorer_result_ready)

    def _on_explorer_result_ready(self, result) -> None:
        from workbench.protection.apply import COUNT_AGGS, protect_metric
        from workbench.protection.policy import CELL_KEY, workspace_policy

        self._protected = None
        policy = workspace_policy(self._workspace())
        if policy.mode != CELL_KEY or result.spec.measure.agg not in COUNT_AGGS or result.frame.empty:
            return
        personal = set(self.catalog.view_masks.get(result.spec.table, {}))
        self._runner.submit(
            PROTECT_KEY,
            lambda ctx: protect_metric(ctx.cursor, result, policy, pii_columns=personal),
            on_done=lambda table, r=result: setattr(self, "_protected", (r, table)),
        )

    def protected_for(self, result):
        """The cell-key protected table of ``result``, or None while it is being computed."""
        got = getattr(self, "_protected", None)
        return got[1] if got is not None and got[0] is result else None

    @staticmethod
    def mode(ws) -> str:
        from workbench.protection.policy import policy_of_workspace

        return policy_of_workspace(ws).mode

    def mode_box(self, ws):
        """The settings dialog's choice between suppression and cell-key perturbation."""
        from PySide6.QtWidgets import QComboBox

        from workbench.protection.policy import CELL_KEY, SUPPRESSION

        box = QComboBox()
        box.addItem("Small-cell suppression", SUPPRESSION)
        box.addItem("Cell-key perturbation (resists differencing)", CELL_KEY)
        box.setCurrentIndex(1 if self.mode(ws) == CELL_KEY else 0)
        box.setToolTip(
            "Cell-key perturbation moves each count by a small, fixed amount per cell "
            "(see docs/privacy.md); suppression hides small cells"
        )
        return box

    def _masked_source_column(self, kind: str) -> tuple[str, str]:
        for source, masks in self.catalog.view_masks.items():
            for column, k in masks.items():
                if k == kind:
                    return source, column
        return "", ""


def store_settings_policy(ws, mode: str | None = None) -> None:
    """Keep the workspace's stored policy in step with the settings dialog (k, masking, mode)."""
    from workbench.protection.policy import policy_from_settings, store_policy

    store_policy(ws, policy_from_settings(ws, mode))


def raise_to_system_minimum(ws) -> str | None:
    """Raise a workspace's settings to the installation's minimum policy; the sentence to show, or None."""
    from workbench.protection.policy import workspace_policy

    effective = workspace_policy(ws)
    if not effective.raised_by_system:
        return None
    ws.settings.suppression_k = max(ws.settings.suppression_k or 0, effective.k)
    ws.settings.mask_pii = effective.mask_pii
    return effective.statement()
