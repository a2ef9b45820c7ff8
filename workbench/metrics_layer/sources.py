"""Where a defined metric's data is, and the MetricSpec it becomes.

``source`` is either a table name as opened (the file's stem: ``events`` for ``events.parquet``) or a path
relative to the metrics file (a file, a folder of hive partitions, a glob). In a session that already has
the table open (the app), the open table is used; otherwise the file is found in the data folder.
"""

from __future__ import annotations

import glob
from pathlib import Path

from workbench.errors import SourceError, SpecError
from workbench.metrics import MetricSpec
from workbench.metrics_layer.model import MetricDef, MetricsFile, MetricsFileError

_SUFFIXES = (".parquet", ".csv", ".tsv", ".csv.gz")


def locate(source: str, data_dir: Path) -> str:
    """The path a metric's ``source`` names under ``data_dir``.

    Raises
    ------
    SourceError saying what was looked for.
    """
    candidate = Path(source)
    if not candidate.is_absolute():
        candidate = data_dir / candidate
    if candidate.exists() or glob.has_magic(str(candidate)) and glob.glob(str(candidate)):
        return str(candidate)
    if not any(ch in source for ch in "/\\") and "." not in Path(source).name:
        for suffix in _SUFFIXES:
            path = data_dir / f"{source}{suffix}"
            if path.exists():
                return str(path)
    raise SourceError(
        f"Cannot find the source {source!r} in {data_dir} (looked for {source} as a path and as "
        f"{', '.join(source + s for s in _SUFFIXES)})"
    )


class SourceTables:
    """Opens each distinct source once in a catalog and remembers its table name."""

    def __init__(self, catalog, data_dir: Path, cursor=None, reopen: bool = False):
        self.catalog, self.data_dir, self.cursor = catalog, Path(data_dir), cursor
        # reopen: files found again (a watched folder got new partitions), so a view lists them all
        self.reopen = reopen
        self._tables: dict[str, str] = {}

    def table_for(self, metric: MetricDef) -> str:
        """The catalog table holding ``metric``'s rows (opened now if needed)."""
        if metric.source in self._tables:
            return self._tables[metric.source]
        if metric.source in self.catalog and not Path(self.data_dir, metric.source).exists():
            table = metric.source  # already open in this session under that name
        else:
            path = locate(metric.source, self.data_dir)
            opened = next((s for s in self.catalog.sources if s.location == path), None)
            if opened is not None and self.reopen:
                self.catalog.close(opened.name)
                table = self.catalog.open(path, name=opened.name, cursor=self.cursor).name
            else:
                table = opened.name if opened else self.catalog.open(path, cursor=self.cursor).name
        self._tables[metric.source] = table
        return table

    def sources(self):
        return [self.catalog.get(t) for t in dict.fromkeys(self._tables.values())]


def metric_spec(metric: MetricDef, table: str, *, grain: str = "day", extra_filters=(), **changes) -> MetricSpec:
    """The Explorer spec for a defined metric (scale is applied by the caller: specs hold raw measures)."""
    return MetricSpec(
        table=table,
        measure=metric.measure,
        time_column=metric.time,
        grain=grain,
        filters=tuple(metric.filters) + tuple(extra_filters),
        **changes,
    )


def check_against_data(metrics_file: MetricsFile, catalog, data_dir: Path, cursor) -> list[MetricsFileError]:
    """Problems found by resolving every metric on its data: missing sources, columns or wrong types."""
    from workbench.metrics import resolve

    tables = SourceTables(catalog, data_dir, cursor)
    errors = []
    for metric in metrics_file.metrics.values():
        try:
            table = tables.table_for(metric)
        except (SourceError, SpecError) as exc:
            errors.append(MetricsFileError(metrics_file.path, metric.line, f"metric {metric.name}.source", str(exc)))
            continue
        try:
            resolve(cursor, metric_spec(metric, table))
        except SpecError as exc:
            errors.append(MetricsFileError(metrics_file.path, metric.line, f"metric {metric.name}", str(exc)))
    for board in metrics_file.dashboards:
        for i, tile in enumerate(board.tiles):
            for column in (tile.by, tile.rows, tile.columns):
                if not column:
                    continue
                for name in tile.metric_names:
                    tile_metric = metrics_file.metrics.get(name)
                    try:
                        cols = catalog.get(tables.table_for(tile_metric)).column_names if tile_metric else []
                    except (SourceError, SpecError):
                        continue
                    if column not in cols:
                        errors.append(
                            MetricsFileError(
                                metrics_file.path,
                                tile.line,
                                f"dashboard {board.name!r}.tiles[{i}]",
                                f"{metric.source} has no column {column!r}",
                            )
                        )
    return errors
