"""The Explorer's state surface: ``state()`` / ``restore(state)`` over :class:`workbench.panel_state.ExplorerState`
(a mixin of :class:`widgets.explorer_panel.ExplorerPanel`, kept in its own file)."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker

from workbench.errors import WorkbenchError
from workbench.metrics import MetricSpec
from workbench.panel_state import ExplorerState


class ExplorerStateMixin:
    """What the Explorer saves in a workspace and how it is put back (the controls, hidden legend groups and
    a user zoom, applied to the next result)."""

    def state(self, spec: MetricSpec | None = None) -> ExplorerState | None:
        """The controls (or ``spec``, when given) and the chart's legend and zoom; None while the controls
        describe no metric."""
        try:
            spec = spec if spec is not None else self.current_spec()
        except WorkbenchError:
            spec = None
        if spec is None:
            return None
        return ExplorerState(
            spec=spec,
            range=self.range_label(),
            hidden=tuple(self.chart.hidden_groups()),
            x_range=self.chart.user_zoom(),
        )

    def restore(self, state: ExplorerState, *, zoom: bool = True) -> None:
        """Set the controls from ``state`` as a user would; one debounced query follows. With ``zoom``, the
        saved zoom is applied to that query's result.

        Raises
        ------
        WorkbenchError when the state's table is not open.
        """
        spec = state.spec
        if spec.table not in self._sources:
            raise WorkbenchError(f"The view needs table {spec.table!r}, which is not open: open its source first")
        if self.current_table() != spec.table:
            self.set_table(spec.table)
        if spec.time_column:
            self.set_time_column(spec.time_column)
        self.set_measure(spec.measure.agg, spec.measure.column, spec.measure.denominator)
        self.set_grain(spec.grain)
        if state.is_custom_range:
            self.set_custom_range(spec.start, spec.end)
        elif state.range:
            self.set_range(state.range)
        self.set_breakdown(spec.breakdown, spec.top_n)
        self.set_compare(spec.compare, spec.compare_offset)
        with QSignalBlocker(self.filter_bar):
            self.filter_bar.set_filters(list(spec.filters))
        self._schedule()  # one debounced refresh for all of the above
        self.chart.hide_groups(state.hidden)
        if zoom:
            self._pending_zoom = state.x_range

    def _apply_pending_zoom(self) -> None:
        if self._pending_zoom is not None:
            zoom, self._pending_zoom = self._pending_zoom, None
            self.chart.restore_zoom(zoom)
