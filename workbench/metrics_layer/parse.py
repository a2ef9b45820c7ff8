"""Parse and check a metrics file (YAML), with errors that name the line and the field.

:func:`load_metrics` reads a file and raises the first problem; :func:`check_text` collects every
problem (``workbench metrics validate`` lists them all). Only the file itself is checked here; whether the
columns exist in the data is :func:`workbench.metrics_layer.sources.check_against_data`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, cast

import pandas as pd

from workbench.errors import SpecError
from workbench.metrics import GRAINS, Filter, Measure
from workbench.metrics_layer import yaml_lines
from workbench.metrics_layer.model import (
    COMPARES,
    FORMATS,
    GOOD,
    TILE_TYPES,
    DashboardDef,
    MetricDef,
    MetricsFile,
    MetricsFileError,
    TileDef,
)

SUPPORTED_VERSION = 1
_TOP_KEYS = ("version", "metrics", "dashboards")
_METRIC_KEYS = ("name", "label", "source", "time", "measure", "scale", "filters", "format", "good", "description")
_BOARD_KEYS = ("name", "range", "compare", "grain", "filters", "tiles")
_TILE_KEYS = (
    "kpi",
    "chart",
    "leaderboard",
    "pivot",
    "table",
    "text",
    "by",
    "top",
    "limit",
    "rows",
    "columns",
    "width",
    "height",
)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(hours?|h|days?|d|weeks?|w)\s*$", re.I)


class _Problems:
    """Collects errors; ``strict`` raises the first one instead."""

    def __init__(self, path: Path, strict: bool):
        self.path, self.strict = path, strict
        self.errors: list[MetricsFileError] = []

    def add(self, line: int, field_name: str, message: str) -> None:
        err = MetricsFileError(self.path, line, field_name, message)
        if self.strict:
            raise err
        self.errors.append(err)


def load_metrics(path: str | Path) -> MetricsFile:
    """Read and check a metrics file.

    Raises
    ------
    MetricsFileError naming the file, line and field of the first problem.
    """
    path = Path(path)
    return parse_text(_read(path), path)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"Metrics file {path} does not exist") from None
    except UnicodeDecodeError:
        raise MetricsFileError(path, 0, "", "not UTF-8 text") from None
    except OSError as exc:
        raise SpecError(f"Cannot read {path}: {exc.strerror or exc}") from None


def parse_text(text: str, path: str | Path = "metrics.yml") -> MetricsFile:
    """A MetricsFile from YAML text (``path`` resolves sources and names the file in errors)."""
    result, _ = _parse(text, Path(path), strict=True)
    assert result is not None
    return result


def check_text(text: str, path: str | Path = "metrics.yml") -> tuple[MetricsFile | None, list[MetricsFileError]]:
    """Every problem in a metrics file (and the parsed file when there are none)."""
    result, errors = _parse(text, Path(path), strict=False)
    return (None if errors else result), errors


def check_file(path: str | Path) -> tuple[MetricsFile | None, list[MetricsFileError]]:
    path = Path(path)
    return check_text(_read(path), path)


def _parse(text: str, path: Path, strict: bool) -> tuple[MetricsFile | None, list[MetricsFileError]]:
    problems = _Problems(path, strict)
    try:
        doc = yaml_lines.load(text)
    except yaml_lines.YamlSyntaxError as exc:
        problems.add(exc.line, "", f"not valid YAML ({exc})")
        return None, problems.errors
    if not isinstance(doc, dict):
        problems.add(getattr(doc, "line", 1), "", "a metrics file is a mapping with 'version' and 'metrics'")
        return None, problems.errors
    # The loader's mappings and lists carry their line numbers (LineDict / LineList).
    doc = cast(yaml_lines.LineDict, doc)
    _unknown_keys(doc, _TOP_KEYS, "", problems)
    version = doc.get("version", 1)
    if version != SUPPORTED_VERSION:
        problems.add(
            doc.line_of("version"),
            "version",
            f"{version!r} is not supported (this Workbench reads version {SUPPORTED_VERSION})",
        )
    raw_metrics = doc.get("metrics")
    if not isinstance(raw_metrics, list) or not raw_metrics:
        problems.add(doc.line_of("metrics"), "metrics", "a list of at least one metric is required")
        raw_metrics = []
    raw_metrics = cast(yaml_lines.LineList, raw_metrics)
    metrics: dict[str, MetricDef] = {}
    for i, raw in enumerate(raw_metrics):
        line = raw_metrics.line_of(i)
        metric = _metric(raw, line, problems)
        if metric is None:
            continue
        if metric.name in metrics:
            problems.add(metric.line, "name", f"metric {metric.name!r} is defined twice")
            continue
        metrics[metric.name] = metric
    raw_boards = doc.get("dashboards") or []
    boards: list[DashboardDef] = []
    if not isinstance(raw_boards, list):
        problems.add(doc.line_of("dashboards"), "dashboards", "must be a list of dashboards")
        raw_boards = []
    raw_boards = cast(yaml_lines.LineList, raw_boards)
    for i, raw in enumerate(raw_boards):
        board = _dashboard(raw, raw_boards.line_of(i), metrics, problems)
        if board is None:
            continue
        if any(b.name == board.name for b in boards):
            problems.add(board.line, "name", f"dashboard {board.name!r} is defined twice")
            continue
        boards.append(board)
    return MetricsFile(path, metrics, tuple(boards), SUPPORTED_VERSION), problems.errors


def _unknown_keys(d: yaml_lines.LineDict, known: tuple[str, ...], what: str, problems: _Problems) -> None:
    for key in d:
        if key not in known:
            prefix = f"{what}." if what else ""
            problems.add(
                d.line_of(key) if hasattr(d, "line_of") else 0,
                f"{prefix}{key}",
                f"unknown field (known: {', '.join(known)})",
            )


def _text(d: yaml_lines.LineDict, key: str, what: str, problems: _Problems, required: bool = False) -> str | None:
    value = d.get(key)
    if value is None:
        if required:
            problems.add(d.line, f"{what}.{key}", "is required")
        return None
    if isinstance(value, (dict, list)):
        problems.add(d.line_of(key), f"{what}.{key}", "must be text")
        return None
    return str(value).strip()


def _filters(d: yaml_lines.LineDict, key: str, what: str, problems: _Problems) -> tuple[str, ...]:
    raw = d.get(key)
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        problems.add(d.line_of(key), f"{what}.{key}", 'must be a list of filters such as "platform != web"')
        return ()
    out = []
    for i, item in enumerate(raw):
        line = raw.line_of(i) if hasattr(raw, "line_of") else d.line_of(key)
        try:
            Filter.parse(str(item))
        except SpecError as exc:
            problems.add(line, f"{what}.{key}[{i}]", str(exc))
            continue
        out.append(str(item).strip())
    return tuple(out)


def _metric(raw: Any, line: int, problems: _Problems) -> MetricDef | None:
    if not isinstance(raw, dict):
        problems.add(line, "metrics", "each metric is a mapping with name, source and measure")
        return None
    raw = cast(yaml_lines.LineDict, raw)
    name = _text(raw, "name", "metric", problems, required=True)
    what = f"metric {name}" if name else "metric"
    _unknown_keys(raw, _METRIC_KEYS, what, problems)
    if name is not None and not _NAME.fullmatch(name):
        problems.add(
            raw.line_of("name"),
            f"{what}.name",
            f"{name!r} must be a plain name (letters, digits, underscores; not starting with a digit)",
        )
    source = _text(raw, "source", what, problems, required=True)
    measure = _text(raw, "measure", what, problems, required=True)
    if measure is not None:
        try:
            Measure.parse(measure)
        except SpecError as exc:
            problems.add(raw.line_of("measure"), f"{what}.measure", str(exc))
    scale = raw.get("scale", 1)
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale != scale or scale == 0:
        problems.add(raw.line_of("scale"), f"{what}.scale", f"{scale!r} must be a non-zero number")
        scale = 1
    fmt = _choice(raw, "format", FORMATS, "number", what, problems)
    good = _choice(raw, "good", GOOD, "up", what, problems)
    filters = _filters(raw, "filters", what, problems)
    if name is None or source is None or measure is None:
        return None
    return MetricDef(
        name=name,
        source=source,
        measure_text=measure,
        time=_text(raw, "time", what, problems),
        label=_text(raw, "label", what, problems) or "",
        scale=float(scale),
        filter_texts=filters,
        format=fmt,
        good=good,
        description=_text(raw, "description", what, problems) or "",
        line=raw.line,
    )


def _choice(
    d: yaml_lines.LineDict, key: str, choices: tuple[str, ...], default: str, what: str, problems: _Problems
) -> str:
    value = d.get(key, default)
    text = str(value).strip().lower() if value is not None else default
    if text not in choices:
        problems.add(d.line_of(key), f"{what}.{key}", f"{value!r} is not one of {', '.join(choices)}")
        return default
    return text


def parse_span(text: str) -> dt.timedelta:
    """``7 days``, ``24 hours``, ``4 weeks`` -> a timedelta (raises SpecError)."""
    m = _SPAN.match(str(text))
    if not m:
        raise SpecError(f"{text!r} is not a span such as '7 days', '24 hours' or '4 weeks'")
    n, unit = float(m.group(1)), m.group(2).lower()[0]
    if n <= 0:
        raise SpecError(f"{text!r} must be longer than zero")
    return {"h": dt.timedelta(hours=n), "d": dt.timedelta(days=n), "w": dt.timedelta(weeks=n)}[unit]


def _when(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return (
            value.replace(tzinfo=None)
            if value.tzinfo is None
            else value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        )
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        ts = pd.Timestamp(str(value))
    except (ValueError, TypeError):
        raise SpecError(f"{value!r} is not a date or time") from None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()


def _dashboard(raw: Any, line: int, metrics: dict[str, MetricDef], problems: _Problems) -> DashboardDef | None:
    if not isinstance(raw, dict):
        problems.add(line, "dashboards", "each dashboard is a mapping with name, range and tiles")
        return None
    raw = cast(yaml_lines.LineDict, raw)
    name = _text(raw, "name", "dashboard", problems, required=True)
    what = f"dashboard {name!r}" if name else "dashboard"
    _unknown_keys(raw, _BOARD_KEYS, what, problems)
    start = end = last = None
    last_text = ""
    rng = raw.get("range")
    rng_line = raw.line_of("range")
    if not isinstance(rng, dict):
        problems.add(rng_line, f"{what}.range", "write {start: 2026-10-01, end: 2026-10-08} or {last: 7 days}")
    elif "last" in rng:
        extra = [k for k in rng if k != "last"]
        if extra:
            problems.add(rng_line, f"{what}.range", "give either last or start and end, not both")
        try:
            last, last_text = parse_span(rng["last"]), str(rng["last"]).strip()
        except SpecError as exc:
            problems.add(rng_line, f"{what}.range.last", str(exc))
    else:
        for key in rng:
            if key not in ("start", "end"):
                problems.add(rng_line, f"{what}.range.{key}", "unknown field (known: start, end, last)")
        try:
            start, end = _when(rng.get("start")), _when(rng.get("end"))
            if end <= start:
                problems.add(rng_line, f"{what}.range", "the end must be after the start (the end is excluded)")
        except SpecError as exc:
            problems.add(rng_line, f"{what}.range", f"{exc}: write start and end as dates (2026-10-01)")
    compare = str(raw.get("compare", "previous period") or "none").strip().lower()
    if compare not in COMPARES:
        problems.add(
            raw.line_of("compare"), f"{what}.compare", f"{raw.get('compare')!r} is not one of {', '.join(COMPARES)}"
        )
        compare = "none"
    grain = str(raw.get("grain", "day")).strip().lower()
    if grain not in GRAINS:
        problems.add(raw.line_of("grain"), f"{what}.grain", f"{grain!r} is not one of {', '.join(GRAINS)}")
        grain = "day"
    filters = _filters(raw, "filters", what, problems)
    raw_tiles = raw.get("tiles") or []
    if not isinstance(raw_tiles, list):
        problems.add(raw.line_of("tiles"), f"{what}.tiles", "must be a list of tiles")
        raw_tiles = []
    raw_tiles = cast(yaml_lines.LineList, raw_tiles)
    tiles = []
    for i, raw_tile in enumerate(raw_tiles):
        tile = _tile(raw_tile, raw_tiles.line_of(i), f"{what}.tiles[{i}]", metrics, problems)
        if tile is not None:
            tiles.append(tile)
    if name is None:
        return None
    return DashboardDef(
        name=name,
        start=start,
        end=end,
        last=last,
        last_text=last_text,
        compare=compare,
        grain=grain,
        filter_texts=filters,
        tiles=tuple(tiles),
        line=raw.line,
    )


def _tile(raw: Any, line: int, what: str, metrics: dict[str, MetricDef], problems: _Problems) -> TileDef | None:
    if not isinstance(raw, dict):
        problems.add(line, what, "each tile is a mapping such as {kpi: violation_rate}")
        return None
    raw = cast(yaml_lines.LineDict, raw)
    kinds = [k for k in TILE_TYPES if k in raw]
    _unknown_keys(raw, _TILE_KEYS, what, problems)
    if len(kinds) != 1:
        problems.add(line, what, f"name exactly one tile type ({', '.join(TILE_TYPES)})")
        return None
    kind = kinds[0]
    value = raw[kind]
    names: tuple[str, ...] = ()
    if kind == "table":
        names = tuple(str(v) for v in (value if isinstance(value, list) else [value]))
    elif kind != "text":
        names = (str(value),)
    for metric_name in names:
        if metric_name not in metrics:
            problems.add(
                line, f"{what}.{kind}", f"no metric named {metric_name!r} (defined: {', '.join(metrics) or 'none'})"
            )
    ints = {}
    for key, default in (("top", 5), ("limit", 10), ("width", 1), ("height", 1)):
        v = raw.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            problems.add(raw.line_of(key), f"{what}.{key}", f"{v!r} must be a whole number of at least 1")
            v = default
        ints[key] = v
    by = _text(raw, "by", what, problems)
    rows, columns = _text(raw, "rows", what, problems), _text(raw, "columns", what, problems)
    if kind in ("leaderboard", "table") and not by:
        problems.add(line, f"{what}.by", f"a {kind} tile needs 'by' (the column to rank)")
    if kind == "pivot" and (not rows or not columns):
        problems.add(line, what, "a pivot tile needs both 'rows' and 'columns'")
    return TileDef(
        type=kind,
        metric=names[0] if names and kind != "table" else None,
        metrics=names if kind == "table" else (),
        by=by,
        top=ints["top"],
        limit=ints["limit"],
        rows=rows,
        columns=columns,
        text=str(value) if kind == "text" else "",
        width=ints["width"],
        height=ints["height"],
        line=line,
    )
