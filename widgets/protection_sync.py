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
            masks = {c: info.get("kind") or "masked" for c, info in flags.items()
                     if self.masker.is_masked(source.name, c)}
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
                kinds = {m.group(1) for i in range(rows)
                         if isinstance(v := model.raw_value(i, j), str) and (m := _TOKEN.match(v))}
                if len(kinds) == 1:
                    kind = kinds.pop()
                    out[name] = self._masked_source_column(kind) + (kind,)
            return out

        return column_map

    def _masked_source_column(self, kind: str) -> tuple[str, str]:
        for source, masks in self.catalog.view_masks.items():
            for column, k in masks.items():
                if k == kind:
                    return source, column
        return "", ""


def raise_to_system_minimum(ws) -> str | None:
    """Raise a workspace's settings to the installation's minimum policy; the sentence to show, or None."""
    from workbench.protection.policy import workspace_policy

    effective = workspace_policy(ws)
    if not effective.raised_by_system:
        return None
    ws.settings.suppression_k = max(ws.settings.suppression_k or 0, effective.k)
    ws.settings.mask_pii = effective.mask_pii
    return effective.statement()
