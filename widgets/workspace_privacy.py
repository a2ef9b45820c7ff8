"""Personal data and small cells in the app: masking in the Explorer's grid, leaderboard, legend and filter
bar (and the SQL console's grid), revealing a column with a logged reason, small-cell suppression on
screen, and the Workspace settings dialog."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QSpinBox

from workbench.errors import WorkbenchError
from widgets.export_actions import COUNT_AGGS, display_frame
from widgets.table_model import MASK


class WorkspacePrivacy(QObject):
    """Hooks the workspace's masker and protection policy into the panels (``ctl.masker``,
    ``ctl.protection``)."""

    def __init__(self, ctl):
        super().__init__(ctl)
        self.ctl = ctl
        self.explorer = ctl.explorer
        self.masker = ctl.masker

    def install(self) -> None:
        from widgets.protection_sync import ProtectionSync

        ctl, ex, w = self.ctl, self.explorer, self.ctl.window
        if ex is not None:
            self.masker.register(ex.results, self._explorer_column_map)
            # The leaderboard and the chart legend show breakdown values too: masked like the grid.
            ex.leaderboard.value_masked = self._leaderboard_masked
            ex.filter_bar.set_value_masked(self._filter_column_masked)
            ex.leaderboard.reveal_requested.connect(self._reveal_leaderboard)
            ex.chart.label_filter = self._chart_label
            self.masker.flags_changed.connect(self._refresh_explorer_masks)
        # Personal data is masked in the catalog's views; the console grid marks token columns (any alias).
        ctl.protection = ProtectionSync(ctl.catalog, self.masker, ctl)
        console = w.sql_console
        if console is not None and hasattr(console, "results"):
            self.masker.register(console.results, ctl.protection.console_column_map(console.results.table_model()))
            ctl.protection.views_changed.connect(lambda c=console: c.run() if c.last_sql else None)
        if ex is not None:
            ctl.protection.views_changed.connect(lambda: ex.refresh_now() if ex.last_result is not None else None)
            ctl.protection.watch_explorer(ex, ctl.runner, lambda: ctl.ws)
        self.masker.revealed.connect(self._on_masker_revealed)

    # ------------------------------------------------------------------ masks
    def _explorer_column_map(self, columns: list[str]) -> dict:
        result = self.explorer.last_result if self.explorer is not None else None
        if result is None or not result.spec.breakdown or "series" not in columns:
            return {}
        kind = self.masker.kind(result.spec.table, result.spec.breakdown)
        return {"series": (result.spec.table, result.spec.breakdown, kind)} if kind else {}

    def _leaderboard_table(self) -> str | None:
        ex = self.explorer
        spec = ex.last_leaderboard_spec or (ex.last_result.spec if ex.last_result is not None else None)
        return spec.table if spec is not None else None

    def _leaderboard_masked(self, dimension: str) -> bool:
        table = self._leaderboard_table()
        return bool(table and dimension and self.masker.is_masked(table, dimension))

    def _reveal_leaderboard(self, dimension: str) -> None:
        table = self._leaderboard_table()
        if not self._leaderboard_masked(dimension):
            return
        kind = self.masker.kind(table, dimension)
        answer = self.masker.ask_reveal(
            [(f"{dimension}  ({kind or 'personal data'}, from {table}.{dimension})", table, dimension)]
        )
        if answer:
            self.masker.reveal(table, dimension, answer[1])

    def _chart_label(self, group: str) -> str:
        result = self.explorer.last_result
        spec = result.spec if result is not None else None
        if (
            spec is None
            or not spec.breakdown
            or group == "Other"
            or not self.masker.is_masked(spec.table, spec.breakdown)
        ):
            return group
        return MASK

    def _filter_column_masked(self, column: str) -> bool:
        table = self.explorer.current_table() if self.explorer is not None else None
        return bool(table and column and self.masker.is_masked(table, column))

    def _refresh_explorer_masks(self) -> None:
        try:
            self.explorer.filter_bar.refresh_mask()
            self.explorer.leaderboard.refresh_mask()
            self.explorer.chart.refresh_labels()
        except RuntimeError:  # the window is closing: its widgets are already gone
            pass

    def _on_masker_revealed(self, source: str, column: str, reason: str) -> None:
        self.ctl.audit.pii_revealed(source, column, reason)
        self.ctl.refresh_audit()
        self.ctl.window.statusBar().showMessage(f"{column} revealed for this session (reason logged)", 8000)

    def detect_pii(self, source) -> None:
        """Look for personal data in a newly opened source (background); findings flag its columns."""
        from workbench.privacy import detect_pii

        self.ctl.runner.submit(
            f"pii:{source.name}", lambda ctx, s=source: (s.name, detect_pii(ctx.cursor, s.name, s.columns))
        )

    # ------------------------------------------------------------------ small cells on screen
    def apply_screen_suppression(self, result) -> None:
        """Optionally hide small cells on screen too (count measures: the grid shows "<k")."""
        settings = self.ctl.ws.settings
        k = settings.suppression_k
        if not (settings.suppress_on_screen and k and result.spec.measure.agg in COUNT_AGGS):
            return
        from workbench.privacy import suppress

        frame = display_frame(result)
        label = result.spec.measure.label
        try:
            res = suppress(frame, label, k, dims=[c for c in ("bucket", "series") if c in frame.columns])
        except WorkbenchError:
            return
        if res.applied:
            shown = res.frame.astype({c: "string" for c in res.frame.columns if res.frame[c].dtype == object})
            # After the Explorer's own (possibly deferred) fill of the grid, and only if still current.
            QTimer.singleShot(
                0,
                lambda r=result, f=shown: (
                    self.explorer.results.set_table(f) if self.explorer.last_result is r else None
                ),
            )

    # ------------------------------------------------------------------ settings
    def apply_settings(self, k: int | None, mask_pii: bool, suppress_on_screen: bool, mode: str | None = None) -> None:
        from widgets.protection_sync import raise_to_system_minimum, store_settings_policy

        ctl = self.ctl
        s = ctl.ws.settings
        unchanged = (s.suppression_k, s.mask_pii, s.suppress_on_screen) == (k, mask_pii, suppress_on_screen)
        if unchanged and (mode is None or mode == ctl.protection.mode(ctl.ws)):
            return
        ctl.audit.append(
            "settings_changed",
            suppression_k=k,
            mask_pii=mask_pii,
            suppress_on_screen=suppress_on_screen,
            previous_k=s.suppression_k,
            **({"mode": mode} if mode else {}),
        )
        s.suppression_k, s.mask_pii, s.suppress_on_screen = k, mask_pii, suppress_on_screen
        store_settings_policy(ctl.ws, mode)  # the CLI and reports read the same policy
        raised = raise_to_system_minimum(ctl.ws)  # no workspace setting goes below the installation's
        if raised:
            ctl.window.statusBar().showMessage(raised, 15000)
        self.masker.enabled = s.mask_pii
        self.masker.refresh()
        ctl.refresh_audit()
        ctl.mark_changed("settings")
        if self.explorer is not None and self.explorer.last_result is not None:
            self.explorer.refresh_now()

    def edit_settings(self) -> None:
        ctl = self.ctl
        s = ctl.ws.settings
        dialog = QDialog(ctl.window)
        dialog.setWindowTitle("Workspace settings")
        k_spin = QSpinBox()
        k_spin.setRange(0, 10_000)
        k_spin.setSpecialValueText("off")
        k_spin.setValue(s.suppression_k or 0)
        k_spin.setToolTip("Groups with fewer units than this are hidden in every export (0 = off)")
        on_screen = QCheckBox("Also suppress small groups on screen (count measures)")
        on_screen.setChecked(s.suppress_on_screen)
        mask = QCheckBox("Mask columns flagged as personal data in grids")
        mask.setChecked(s.mask_pii)
        mode_box = ctl.protection.mode_box(ctl.ws)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        form = QFormLayout(dialog)
        form.addRow("Minimum group size k", k_spin)
        form.addRow("Protection of exports", mode_box)
        form.addRow("", on_screen)
        form.addRow("", mask)
        form.addRow(buttons)
        buttons.accepted.connect(dialog.accept)
        buttons.rejected.connect(dialog.reject)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            k = k_spin.value()
            if k == 1:
                k = 2  # k = 1 hides nothing; the engine needs at least 2
            self.apply_settings(k or None, mask.isChecked(), on_screen.isChecked(), mode=mode_box.currentData())
