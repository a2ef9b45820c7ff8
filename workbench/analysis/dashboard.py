"""A dashboard as an analysis: reports and replays recompute a board from its metrics file and name."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from workbench.analysis.base import Analysis, AnalysisResult, register


@register
@dataclass(frozen=True)
class DashboardView(Analysis):
    """Every tile of one board of a metrics file.

    The metrics file's text travels in the recipe, so a replay computes the board that was defined then,
    not whatever the file says today. ``data_dir`` is where sources resolve (default: beside
    ``metrics_path``); ``filters`` are cross-filters in the CLI's syntax.

    Tables: ``tiles`` (one row per tile: type, metric, value, comparison_value, change, change_pct) and, per
    tile with rows or a series, ``tile<N>_rows`` / ``tile<N>_series``.
    """

    metrics_text: str
    dashboard: str
    metrics_path: str = "metrics.yml"
    data_dir: str | None = None
    filters: tuple[str, ...] = ()

    kind = "dashboard"
    version = 1
    multi_table = True

    def run(self, con, catalog=None) -> AnalysisResult:
        from pathlib import Path

        from workbench.catalog import Catalog
        from workbench.dashboard.board import compute_board
        from workbench.metrics import Filter
        from workbench.metrics_layer import parse_text

        metrics_file = parse_text(self.metrics_text, Path(self.metrics_path))
        result = compute_board(
            con,
            catalog if catalog is not None else Catalog(con),
            metrics_file,
            self.dashboard,
            data_dir=self.data_dir,
            cross_filters=tuple(Filter.parse(f) for f in self.filters),
        )
        return AnalysisResult(
            self, board_tables(result.tiles), tuple(s.sql for s in result.scans), tuple(result.notes), value=result
        )

    def _payload(self) -> dict:
        return {
            "metrics_text": self.metrics_text,
            "dashboard": self.dashboard,
            "metrics_path": self.metrics_path,
            "data_dir": self.data_dir,
            "filters": list(self.filters),
        }

    @classmethod
    def _from_payload(cls, d: dict) -> "DashboardView":
        return cls(
            str(d["metrics_text"]),
            str(d["dashboard"]),
            str(d.get("metrics_path") or "metrics.yml"),
            d.get("data_dir"),
            tuple(str(f) for f in d.get("filters") or ()),
        )


def board_tables(tiles: list[dict]) -> dict[str, pd.DataFrame]:
    """The tables of a computed board: a summary row per tile, then each tile's rows and series."""
    summary = pd.DataFrame(
        [
            {
                "tile": i,
                "type": t["type"],
                "metric": _text(t.get("metric")),
                "value": t.get("value"),
                "comparison_value": t.get("comparison_value"),
                "change": t.get("change"),
                "change_pct": t.get("change_pct"),
            }
            for i, t in enumerate(tiles)
        ]
    )
    tables = {"tiles": summary}
    for i, t in enumerate(tiles):
        if t.get("rows"):
            tables[f"tile{i}_rows"] = pd.DataFrame(t["rows"])
        if t.get("series"):
            tables[f"tile{i}_series"] = pd.DataFrame(t["series"])
    return tables


def _text(value) -> str | None:
    if isinstance(value, list):
        return ", ".join(value)
    return value
