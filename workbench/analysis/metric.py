"""Metric views and leaderboards: what the Explorer shows, exports and puts in reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from workbench.analysis.base import Analysis, AnalysisResult, register, require_tables
from workbench.metrics import MetricSpec, leaderboard, metric_series, time_bounds

if TYPE_CHECKING:
    from workbench.backend import Cursor


def resolve_range(con: "Cursor", spec: MetricSpec, last: dt.timedelta | None) -> MetricSpec:
    """A relative range ("the last 7 days") as absolute bounds: it ends at the end of the data's last day."""
    if last is None:
        return spec
    _lo, hi = time_bounds(con, spec)
    if hi is None:
        return spec
    end = pd.Timestamp(hi).floor("D").to_pydatetime() + dt.timedelta(days=1)
    return spec.replace(start=end - last, end=end)


@register
@dataclass(frozen=True)
class MetricView(Analysis):
    """A metric series: the spec (measure, grain, filters, breakdown, comparison, absolute start/end) and an
    optional relative range ``last`` resolved against the data when it runs.

    Tables: ``series`` (bucket, series, value, comparison_value), as :func:`workbench.metrics.metric_series`
    returns it.
    """

    spec: MetricSpec
    last: dt.timedelta | None = None

    kind = "metric"
    version = 1

    def run(self, con: Cursor, catalog=None) -> AnalysisResult:
        require_tables(catalog, self.spec.table)
        spec = resolve_range(con, self.spec, self.last)
        result = metric_series(con, spec)
        notes: tuple[str, ...] = ()
        if self.last is not None and result.start is not None:
            notes = (
                f"Relative range (last {_span(self.last)}) resolved to {result.start:%Y-%m-%d %H:%M} → "
                f"{result.end:%Y-%m-%d %H:%M}",
            )
        return AnalysisResult(self, {"series": result.frame}, (result.sql,), notes, value=result)

    def _payload(self) -> dict:
        return {"spec": self.spec.to_dict(), "last_seconds": None if self.last is None else self.last.total_seconds()}

    @classmethod
    def _from_payload(cls, d: dict) -> "MetricView":
        last = d.get("last_seconds")
        return cls(MetricSpec.from_dict(d["spec"]), None if last is None else dt.timedelta(seconds=float(last)))


@register
@dataclass(frozen=True)
class LeaderboardView(Analysis):
    """Top values of ``dimension`` for the spec's measure over its range, with share and change.

    Tables: ``leaderboard`` (dimension_value, value, rows, share, comparison_value, change, change_pct).
    """

    spec: MetricSpec
    dimension: str
    limit: int = 20

    kind = "leaderboard"
    version = 1

    def run(self, con: Cursor, catalog=None) -> AnalysisResult:
        require_tables(catalog, self.spec.table)
        board = leaderboard(con, self.spec, self.dimension, limit=self.limit)
        return AnalysisResult(self, {"leaderboard": board.frame}, (board.sql,) if board.sql else (), value=board)

    def _payload(self) -> dict:
        return {"spec": self.spec.to_dict(), "dimension": self.dimension, "limit": self.limit}

    @classmethod
    def _from_payload(cls, d: dict) -> "LeaderboardView":
        return cls(MetricSpec.from_dict(d["spec"]), str(d["dimension"]), int(d.get("limit", 20)))


def _span(delta: dt.timedelta) -> str:
    days = delta.total_seconds() / 86400
    if days < 1:
        return f"{delta.total_seconds() / 3600:g} hours"
    return f"{days:g} days"
