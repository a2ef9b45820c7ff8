"""The Experiments panel's state surface: ``state()`` / ``restore(state)`` over
:class:`workbench.panel_state.ExperimentsState` (a mixin of :class:`widgets.experiment_panel.ExperimentPanel`,
kept in its own file)."""

from __future__ import annotations

from workbench.errors import WorkbenchError
from workbench.panel_state import ExperimentsState


class ExperimentsStateMixin:
    """The experiment form a workspace saves, and how it is filled again (pending until its table is listed)."""

    def state(self) -> ExperimentsState | None:
        """The form as it stands (metrics as their ``parse_metric`` texts); None before a table is chosen."""
        from workbench.experiments.spec import format_metric

        table = self.table_combo.currentText()
        if not table:
            return None
        return ExperimentsState(
            table=table,
            unit=self.unit_combo.currentText(),
            arm=self.arm_combo.currentText(),
            control=self.control_combo.currentText(),
            metrics=tuple(format_metric(m) for m in self.metrics.metric_specs()),
            segment=self.segment_combo.currentText(),
            time_column=self.time_combo.currentText(),
            correction=self.correction_combo.currentText(),
            sequential_tuning=self.tuning_spin.value(),
        )

    def restore(self, state: ExperimentsState) -> None:
        """Fill the form from ``state`` (no readout runs). A table that is not listed yet (its source is still
        being opened) is remembered and the form is filled when the next ``set_sources`` lists it."""
        from workbench.experiments.spec import parse_metric

        if state.table not in self._sources:
            self._pending_state = state
            return
        self._pending_state = None
        self.table_combo.setCurrentText(state.table)
        for combo, value in (
            (self.unit_combo, state.unit),
            (self.arm_combo, state.arm),
            (self.segment_combo, state.segment),
            (self.time_combo, state.time_column),
            (self.correction_combo, state.correction),
        ):
            if value:
                combo.setCurrentText(value)
        if state.control:
            if self.control_combo.findText(state.control) < 0:  # the arm values arrive later
                self.control_combo.addItem(state.control)
            self.control_combo.setCurrentText(state.control)
        if state.sequential_tuning:
            self.tuning_spin.setValue(float(state.sequential_tuning))
        if state.metrics:
            self.metrics.setRowCount(0)
            for text in state.metrics:
                self.metrics.add_metric(parse_metric(text))

    def _apply_pending_state(self) -> None:
        """After ``set_sources``: fill the form from a state restored before its table was listed."""
        pending, self._pending_state = self._pending_state, None
        if pending is not None and pending.table in self._sources:
            try:
                self.restore(pending)
            except WorkbenchError as exc:  # e.g. a metric text this version cannot parse
                self.error_occurred.emit(f"The saved experiment form could not be restored: {exc}")
