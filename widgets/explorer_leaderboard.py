"""The Explorer's leaderboard: what it is computed over, how a click on a value edits the filters, and how
the result is shown (a mixin of :class:`widgets.explorer_panel.ExplorerPanel`, kept in its own file).

The board is requested (key ``explorer.leaderboard``) once the chart's series has arrived, for the same time
range, or only its complete periods when "complete periods" is ticked.
"""

from __future__ import annotations

from workbench.metrics import Filter


class ExplorerLeaderboardMixin:
    """The leaderboard half of the Explorer: requests the board for the result on screen, shows it, and turns
    clicks on its values into filters."""

    def _on_complete_check_toggled(self, _on: bool) -> None:
        self._submit_leaderboard()

    def _on_leaderboard_value_clicked(self, dimension: str, value) -> None:
        """First click filters to the value; clicking another value of the same column adds it (``in``), and
        clicking a filtered value again takes it out — the other values stay on the board, greyed."""
        if value is None:
            self.add_filter(Filter(dimension, "is null"))
            self.status_message.emit(f"Filtered to {dimension} is null")
            return
        filters = self.filter_bar.filters()
        i = next((k for k, f in enumerate(filters) if f.column == dimension and f.op in ("=", "in")), None)
        if i is None:
            self.add_filter(Filter(dimension, "=", value))
            self.status_message.emit(f"Filtered to {dimension} = {value}")
            return
        kept = _filtered_values([filters[i]], dimension)
        kept = [v for v in kept if v != value] if value in kept else kept + [value]
        rest = filters[:i] + filters[i + 1 :]
        new = [] if not kept else [Filter(dimension, "=", kept[0]) if len(kept) == 1 else Filter(dimension, "in", kept)]
        self.filter_bar.set_filters(filters[:i] + new + filters[i + 1 :] if new else rest, emit=True)
        self.status_message.emit(f"Filtered to {new[0].label}" if new else f"Filter on {dimension} removed")

    def _on_leaderboard_dimension_changed(self, _dimension: str) -> None:
        self._submit_leaderboard()

    def _submit_leaderboard(self) -> None:
        result = self.last_result
        dimension = self.leaderboard.current_dimension()
        if result is None or not dimension or result.start is None:
            return
        # The board ignores the filter on its own column, so the values not picked stay visible (greyed)
        # and a second click can add one to the filter.
        own = [f for f in result.spec.filters if f.column == dimension and f.op in ("=", "in")]
        start, end = result.start, result.end
        self._board_note = ""
        if result.incomplete and self.complete_check.isChecked():
            if result.complete_range is not None:
                start, end = result.complete_range
                self._board_note = (
                    f"Complete periods: {start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} "
                    f"({len(result.incomplete)} incomplete {result.spec.grain} left out)"
                )
            else:
                self._board_note = "No complete period in this range: the values cover partial periods."
        spec = result.spec.replace(start=start, end=end, filters=tuple(f for f in result.spec.filters if f not in own))
        from workbench.analysis.metric import LeaderboardView

        self._board_spec = spec
        self._board_request = self._runner.submit(
            self.BOARD_KEY, lambda ctx, view=LeaderboardView(spec, dimension, 20): view.run(ctx.cursor).value
        )

    def _show_leaderboard(self, result) -> None:
        """The board for the chart on screen: the values the filters keep are marked, a note says when
        incomplete periods were left out."""
        self.last_leaderboard = result
        self.last_leaderboard_spec = self._board_spec
        spec = self.last_result.spec if self.last_result is not None else None
        self.leaderboard.set_active_values(_filtered_values(spec.filters if spec else (), result.dimension))
        self.leaderboard.set_leaderboard(result, spec.measure.label if spec else "value", bool(spec and spec.compare))
        if self._board_note and len(result.frame):
            self.leaderboard.hint.setText(self._board_note)
        self.leaderboard_ready.emit(result)


def _filtered_values(filters, dimension: str) -> list:
    """Values of ``dimension`` that the filters keep (``=`` and ``in``): the leaderboard marks those rows."""
    out: list = []
    for f in filters:
        if f.column == dimension and f.op == "=":
            out.append(f.value)
        elif f.column == dimension and f.op == "in":
            out.extend(f.value)
    return out
