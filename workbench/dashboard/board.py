"""A dashboard on data: plan the shared scans, run them, and build each tile from their rows.

``plan_board`` resolves every tile's metric on its table (board filters and cross-filters added), groups
the tiles by (table, time column, filters) and asks each group's scan for the grouping sets its tiles
need; ``run_scan`` runs one group; ``build_tile`` turns scan rows into a tile. ``compute_board`` does all
three in order (the CLI, reports); the Dashboard tab runs one task per scan so tiles appear as they finish.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from workbench.dashboard.scan_sql import BUCKET
from workbench.dashboard.scans import ScanPlan, ScanResult, run_scan
from workbench.dashboard.window import BoardWindow, resolve_window
from workbench.errors import SpecError
from workbench.metrics import Filter, resolve, time_bounds
from workbench.metrics_layer.model import DashboardDef, MetricDef, MetricsFile, TileDef
from workbench.metrics_layer.sources import SourceTables, metric_spec


@dataclass
class TileRef:
    """Where a tile's numbers come from: per metric, its scan and measure index."""

    tile: TileDef
    metrics: list[MetricDef] = field(default_factory=list)
    scans: list[int] = field(default_factory=list)
    measure_index: list[int] = field(default_factory=list)
    aggs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None


@dataclass
class BoardPlan:
    board: DashboardDef
    window: BoardWindow
    scans: list[ScanPlan]
    tiles: list[TileRef]
    tables: SourceTables
    notes: list[str] = field(default_factory=list)
    alerts: dict = field(default_factory=dict)  # {metric name: [fired rule dicts]} for the tiles' badges
    # When the plan was made: decides which buckets are complete, the same for every tile of the board.
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))


def plan_board(
    cur,
    catalog,
    metrics_file: MetricsFile,
    board: DashboardDef,
    *,
    data_dir: str | Path | None = None,
    cross_filters: tuple[Filter, ...] = (),
    history: bool = True,
    reopen: bool = False,
) -> BoardPlan:
    """Resolve the board's window and group its tiles into shared scans (no aggregation runs yet).

    Board filters and cross-filters apply to every tile whose table has the column; elsewhere they are
    skipped with a note on the tile.
    """
    tables = SourceTables(catalog, Path(data_dir) if data_dir else metrics_file.path.parent, cur, reopen=reopen)
    board_filters = tuple(board.filters) + tuple(cross_filters)
    resolved: dict[tuple[str, str], tuple] = {}
    refs: list[TileRef] = []
    picked: list[list[tuple]] = []  # per tile: (metric, resolved spec, filters applied) of each metric
    for tile in board.tiles:
        ref = TileRef(tile)
        refs.append(ref)
        picked.append([])
        for name in tile.metric_names:
            try:
                metric = metrics_file.metric(name)
                table = tables.table_for(metric)
                columns = set(catalog.get(table).column_names)
                applied = tuple(f for f in board_filters if f.column in columns)
                for f in board_filters:
                    if f.column not in columns and f"filter {f.label} skipped" not in " ".join(ref.notes):
                        ref.notes.append(f"filter {f.label} skipped: {metric.source} has no column {f.column!r}")
                for column in (tile.by, tile.rows, tile.columns):
                    if column and column not in columns:
                        raise SpecError(f"{metric.source} has no column {column!r}")
                key = (name, "|".join(f.label for f in applied))
                if key not in resolved:
                    resolved[key] = (
                        metric,
                        resolve(cur, metric_spec(metric, table, grain=board.grain, extra_filters=applied)),
                        applied,
                    )
            except SpecError as exc:
                ref.error = str(exc)
                break
            ref.metrics.append(resolved[key][0])
            picked[-1].append(resolved[key])
    latest = None
    if board.last is not None:
        for metric, r, _ in resolved.values():
            _lo, hi = time_bounds(cur, r.spec)
            if hi is not None and (latest is None or hi > latest):
                latest = hi
    window = resolve_window(
        start=board.start,
        end=board.end,
        last=board.last,
        compare=board.compare,
        grain=board.grain,
        latest=latest,
        history=history,
    )
    scans: dict[tuple, ScanPlan] = {}
    for ref, chosen in zip(refs, picked):
        if ref.error:
            continue
        for _metric, r, _applied in chosen:
            scan_key = (r.spec.table, r.t_expr, tuple(r.where))
            plan = scans.get(scan_key)
            if plan is None:
                plan = scans[scan_key] = ScanPlan(
                    r.spec.table,
                    r.t_expr,
                    tuple(r.where),
                    tuple(f.label for f in r.spec.filters),
                    column_types={c.name: c.type for c in catalog.get(r.spec.table).columns},
                )
            ref.scans.append(list(scans).index(scan_key))
            ref.measure_index.append(plan.measure(r))
            ref.aggs.append(r.spec.measure.agg)
            _request_groups(plan, ref.tile)
    notes = [window.note] if window.note else []
    return BoardPlan(board, window, list(scans.values()), refs, tables, notes)


def _request_groups(plan: ScanPlan, tile: TileDef) -> None:
    # A validated tile has the dimensions its type needs (``by`` for tables, ``rows``/``columns`` for pivots).
    by, rows, columns = cast(str, tile.by), cast(str, tile.rows), cast(str, tile.columns)
    plan.group()
    if tile.type == "kpi":
        plan.group(BUCKET)
    elif tile.type == "chart":
        plan.group(BUCKET)
        if tile.by:
            plan.group(by)
            plan.group(BUCKET, by)
    elif tile.type in ("leaderboard", "table"):
        plan.group(by)
    elif tile.type == "pivot":
        plan.group(rows)
        plan.group(columns)
        plan.group(rows, columns)


@dataclass
class BoardResult:
    """A computed board: window, tiles (JSON-ready dicts, in board order), the scans and notes."""

    name: str
    window: BoardWindow
    tiles: list[dict]
    scans: list[ScanResult]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "dashboard": self.name,
            **self.window.to_dict(),
            "tiles": self.tiles,
            "scans": [
                {
                    "table": s.plan.table,
                    "filters": list(s.plan.filter_labels),
                    "seconds": round(s.seconds, 4),
                    "tiles": [i for i, t in enumerate(self.tiles) if s.sql in (t.get("sql") or [])],
                }
                for s in self.scans
            ],
            "notes": self.notes,
        }


def compute_board(
    cur,
    catalog,
    metrics_file: MetricsFile,
    board: DashboardDef | str,
    *,
    data_dir: str | Path | None = None,
    cross_filters: tuple[Filter, ...] = (),
    now: dt.datetime | None = None,
    alerts=None,
    history: bool = True,
) -> BoardResult:
    """Compute every tile of ``board``.

    Parameters
    ----------
    alerts : optional {metric name: [fired rule dicts]} from alert rules naming defined metrics (badges).
    now : the time that decides which buckets are complete (default: the current UTC time).
    """
    from workbench.dashboard.tiles import build_tile

    if isinstance(board, str):
        board = metrics_file.dashboard(board)
    plan = plan_board(
        cur, catalog, metrics_file, board, data_dir=data_dir, cross_filters=cross_filters, history=history
    )
    results = [run_scan(cur, scan, plan.window) for scan in plan.scans]
    tiles = [build_tile(plan, i, results, now=now, alerts=alerts) for i in range(len(plan.tiles))]
    return BoardResult(board.name, plan.window, tiles, results, plan.notes)


def tiles_by_scan(plan: BoardPlan) -> dict[int, list[int]]:
    """Tile indices that need only scan ``i`` (the tiles a finished scan can draw), by scan index."""
    out: dict[int, list[int]] = {i: [] for i in range(len(plan.scans))}
    for index, ref in enumerate(plan.tiles):
        if ref.scans and len(set(ref.scans)) == 1:
            out[ref.scans[0]].append(index)
    return out


def tile_spec(plan: BoardPlan, index: int, cross_filters: tuple[Filter, ...] = ()):
    """The Explorer's MetricSpec for tile ``index`` (same range, grain, comparison, filters, breakdown)."""
    from workbench.metrics_layer.sources import metric_spec

    ref = plan.tiles[index]
    if not ref.metrics:
        raise SpecError("This tile shows no metric")
    metric = ref.metrics[0]
    table = plan.tables.table_for(metric)
    w = plan.window
    offset = {"1 day": "day", "1 week": "week", "4 weeks": "4 weeks"}.get(plan.board.compare)
    filters = tuple(plan.board.filters) + tuple(cross_filters)
    by = ref.tile.by or ref.tile.rows
    return metric_spec(
        metric,
        table,
        grain=plan.board.grain,
        extra_filters=filters,
        start=w.start,
        end=w.end,
        compare=w.cmp_start is not None,
        compare_offset=offset,
        breakdown=by,
        top_n=ref.tile.top if ref.tile.type == "chart" else 10,
    )
