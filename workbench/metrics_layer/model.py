"""Defined metrics and dashboards: the plain data a metrics file (YAML) describes.

A metric is defined once (source, time column, measure, scale, filters, format, which direction is good)
and picked by name everywhere else; a dashboard is a range, a comparison, a grain, board filters and tiles.
Parsing and validation live in :mod:`workbench.metrics_layer.parse`; these classes only hold the data and
turn it back into the YAML mapping the file stores (:meth:`MetricsFile.to_dict`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from workbench.errors import SpecError
from workbench.metrics import Filter, Measure

FORMATS = ("number", "percent", "duration_days", "currency")
GOOD = ("up", "down", "none")
COMPARES = ("previous period", "none", "1 day", "1 week", "4 weeks")
TILE_TYPES = ("kpi", "chart", "leaderboard", "pivot", "table", "text")


class MetricsFileError(SpecError):
    """A metrics file that cannot be used; ``line`` and ``field`` say where (line 0: not known)."""

    def __init__(self, path: str | Path, line: int, field_name: str, message: str):
        self.path, self.line, self.field = str(path), int(line or 0), field_name
        where = f"{self.path}:{self.line}" if self.line else self.path
        super().__init__(f"{where}: {field_name}: {message}" if field_name else f"{where}: {message}")

    def to_dict(self) -> dict:
        return {"path": self.path, "line": self.line, "field": self.field, "message": str(self)}


@dataclass(frozen=True)
class MetricDef:
    """One defined metric. ``measure_text`` / ``filter_texts`` keep what the user wrote (the file is
    written back with them); ``measure`` / ``filters`` are parsed."""

    name: str
    source: str
    measure_text: str
    time: str | None = None
    label: str = ""
    scale: float = 1.0
    filter_texts: tuple[str, ...] = ()
    format: str = "number"
    good: str = "up"
    description: str = ""
    line: int = field(default=0, compare=False)

    @property
    def measure(self) -> Measure:
        return Measure.parse(self.measure_text)

    @property
    def filters(self) -> tuple[Filter, ...]:
        return tuple(Filter.parse(t) for t in self.filter_texts)

    @property
    def title(self) -> str:
        return self.label or self.name

    def to_dict(self) -> dict:
        out: dict = {"name": self.name}
        if self.label:
            out["label"] = self.label
        out["source"] = self.source
        if self.time:
            out["time"] = self.time
        out["measure"] = self.measure_text
        if self.scale != 1:
            out["scale"] = int(self.scale) if float(self.scale).is_integer() else self.scale
        if self.filter_texts:
            out["filters"] = list(self.filter_texts)
        out["format"] = self.format
        out["good"] = self.good
        if self.description:
            out["description"] = self.description
        return out


@dataclass(frozen=True)
class TileDef:
    """One tile of a board. ``metric`` is the metric name (``metrics`` for a table of several);
    ``by`` / ``top`` / ``limit`` for charts and leaderboards, ``rows`` / ``columns`` for pivots."""

    type: str
    metric: str | None = None
    metrics: tuple[str, ...] = ()
    by: str | None = None
    top: int = 5
    limit: int = 10
    rows: str | None = None
    columns: str | None = None
    text: str = ""
    width: int = 1  # grid cells on the Dashboard tab (the engine ignores them)
    height: int = 1
    line: int = field(default=0, compare=False)

    @property
    def metric_names(self) -> tuple[str, ...]:
        return self.metrics if self.type == "table" else ((self.metric,) if self.metric else ())

    def to_dict(self) -> dict:
        if self.type == "text":
            out: dict = {"text": self.text}
        elif self.type == "table":
            out = {"table": list(self.metrics)}
        else:
            out = {self.type: self.metric}
        if self.type in ("chart", "leaderboard", "table") and self.by:
            out["by"] = self.by
        if self.type == "chart" and self.by:
            out["top"] = self.top
        if self.type in ("leaderboard", "table"):
            out["limit"] = self.limit
        if self.type == "pivot":
            out.update(rows=self.rows, columns=self.columns)
        if self.width != 1:
            out["width"] = self.width
        if self.height != 1:
            out["height"] = self.height
        return out


@dataclass(frozen=True)
class DashboardDef:
    """A board: an absolute half-open range [start, end) or a relative ``last``; comparison; grain;
    filters (the CLI's --filter syntax) applied to every tile; tiles in display order."""

    name: str
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    last: dt.timedelta | None = None
    last_text: str = ""
    compare: str = "previous period"
    grain: str = "day"
    filter_texts: tuple[str, ...] = ()
    tiles: tuple[TileDef, ...] = ()
    line: int = field(default=0, compare=False)

    @property
    def filters(self) -> tuple[Filter, ...]:
        return tuple(Filter.parse(t) for t in self.filter_texts)

    def to_dict(self) -> dict:
        if self.last is not None:
            rng: dict = {"last": self.last_text or f"{self.last.days} days"}
        else:
            rng = {"start": _date_text(self.start), "end": _date_text(self.end)}
        return {
            "name": self.name,
            "range": rng,
            "compare": self.compare,
            "grain": self.grain,
            "filters": list(self.filter_texts),
            "tiles": [t.to_dict() for t in self.tiles],
        }


@dataclass(frozen=True)
class MetricsFile:
    """A whole metrics file: its path (sources resolve beside it), metrics by name, dashboards in order."""

    path: Path
    metrics: dict[str, MetricDef]
    dashboards: tuple[DashboardDef, ...] = ()
    version: int = 1

    def metric(self, name: str) -> MetricDef:
        try:
            return self.metrics[name]
        except KeyError:
            raise SpecError(
                f"No metric named {name!r} in {self.path.name} (defined: {', '.join(self.metrics) or 'none'})"
            ) from None

    def dashboard(self, name: str) -> DashboardDef:
        for board in self.dashboards:
            if board.name == name:
                return board
        folded = [b for b in self.dashboards if b.name.casefold() == name.casefold()]
        if len(folded) == 1:
            return folded[0]
        raise SpecError(
            f"No dashboard named {name!r} in {self.path.name} "
            f"(defined: {', '.join(repr(b.name) for b in self.dashboards) or 'none'})"
        )

    def to_dict(self) -> dict:
        out: dict = {"version": self.version, "metrics": [m.to_dict() for m in self.metrics.values()]}
        if self.dashboards:
            out["dashboards"] = [b.to_dict() for b in self.dashboards]
        return out


def _date_text(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.time() == dt.time(0):
        return value.date().isoformat()
    return value.isoformat(sep=" ")
