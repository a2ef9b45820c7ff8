"""The Anomalies panel's state surface: ``state()`` / ``restore(state)`` over
:class:`workbench.panel_state.AnomaliesState`, and ``open_saved`` for a saved detection (a mixin of
:class:`widgets.anomaly_panel.AnomalyPanel`, kept in its own file)."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker

from workbench.panel_state import AnomaliesState


class AnomaliesStateMixin:
    """The detector settings the Anomalies panel saves in a workspace and how they are put back."""

    def state(self) -> AnomaliesState | None:
        """The detector settings and the metric they apply to (None when the form cannot be read)."""
        try:
            params, spec = self.current_params(), self.current_spec()
        except Exception:  # a half-typed measure: nothing worth saving
            return None
        return AnomaliesState(
            method=params.method,
            direction=params.direction,
            threshold=params.threshold,
            min_volume=params.min_volume,
            grain=self.grain_combo.currentText(),
            metric=spec,
        )

    def restore(self, state: AnomaliesState) -> None:
        """Put the detector settings back without detecting. The metric is not re-applied: until the user
        edits the form, it follows the Explorer (whose own state is restored too)."""
        controls = (self.method_combo, self.direction_combo, self.threshold_spin, self.min_volume_spin)
        with (
            QSignalBlocker(controls[0]),
            QSignalBlocker(controls[1]),
            QSignalBlocker(controls[2]),
            QSignalBlocker(controls[3]),
        ):
            if state.method:
                self.method_combo.setCurrentText(state.method)
            if state.direction:
                self.direction_combo.setCurrentText(state.direction)
            self.threshold_spin.setValue(float(state.threshold or 0))
            self.min_volume_spin.setValue(float(state.min_volume or 0))

    def open_saved(self, spec, state: AnomaliesState) -> None:
        """Show a saved detection's metric, grain and detector settings; the form stops following the
        Explorer. ``run_detection()`` detects again."""
        self._on_form_edited()
        self.set_metric_spec(spec)
        if state.grain and self.grain_combo.findText(state.grain) >= 0:
            self.grain_combo.setCurrentText(state.grain)
        self.restore(state)
