"""Sources on the cluster: a catalog table (``db.table``) or a path the cluster reads, as a temporary view.

Nothing is read on the laptop: the schema comes from Spark, the row count from the catalog's statistics
when it has them (otherwise it stays unknown until counted, as for CSV files locally).
"""

from __future__ import annotations

import os
import re
from pathlib import PurePosixPath

from workbench import sql
from workbench.catalog import Catalog, ColumnInfo, Source
from workbench.errors import QueryCancelled, SourceError

_REMOTE_SCHEME = re.compile(r"^(hdfs|s3a?|abfss?|gs|wasbs?|file|dbfs):", re.I)
_TABLE_NAME = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*){0,2}$")
_FORMATS = {".parquet": "parquet", ".csv": "csv", ".json": "json", ".orc": "orc"}


def spark_location(location: str) -> tuple[str, str]:
    """(kind, reference): kind ``table`` for a catalog name, else the file format and the path Spark reads.

    A local absolute path is passed as ``file:`` (a local or shared-filesystem cluster reads it there)."""
    text = location.strip()
    if not _REMOTE_SCHEME.match(text) and "/" not in text and "\\" not in text and _TABLE_NAME.match(text):
        if PurePosixPath(text).suffix.lower() not in _FORMATS:
            return "table", text
    path = text if _REMOTE_SCHEME.match(text) else f"file:{os.path.abspath(os.path.expanduser(text))}"
    suffix = PurePosixPath(text.rstrip("/")).suffix.lower()
    return _FORMATS.get(suffix, "parquet"), path


def _select_for(kind: str, reference: str) -> str:
    if kind == "table":
        return "SELECT * FROM " + ".".join(sql.ident(part).replace('"', "`") for part in reference.split("."))
    if kind == "csv":
        return f"SELECT * FROM csv.`{_escape(reference)}`"
    return f"SELECT * FROM {kind}.`{_escape(reference)}`"


def _escape(path: str) -> str:
    if "`" in path:
        raise SourceError(f"{path}: a backtick in a path cannot be read through Spark SQL")
    return path


def open_on_cluster(catalog: Catalog, location: str, name: str | None = None, *, cursor=None) -> Source:
    """Open ``location`` on the cluster as a temporary view registered in ``catalog`` (same ``Source`` shape
    as a local file; ``files`` holds the cluster path)."""
    kind, reference = spark_location(location)
    base = name or (reference.split(".")[-1] if kind == "table" else PurePosixPath(reference.split(":", 1)[-1]).stem)
    view = catalog._unique_name(re.sub(r"\W+", "_", base).strip("_") or "source")
    cur = cursor if cursor is not None else catalog.con.cursor()
    select = _select_for(kind, reference)
    native = f"CREATE OR REPLACE TEMPORARY VIEW `{view}` AS {select}"
    masks: dict[str, str] = {}
    try:
        cur.execute_native(native)
        described = cur.execute(sql.describe(view)).fetchall()
        masks = catalog.column_masks(view, [r[0] for r in described]) if catalog.column_masks else {}
        if masks:  # personal data is masked on the cluster, before any value comes back
            from workbench.privacy import masked_select_list

            raw = f"__workbench_raw_{view}"
            cur.execute_native(f"CREATE OR REPLACE TEMPORARY VIEW `{raw}` AS {select}")
            masked = masked_select_list([r[0] for r in described], dict(masks), catalog.mask_salt)
            native = f"CREATE OR REPLACE TEMPORARY VIEW {sql.ident(view)} AS SELECT {masked} FROM {sql.ident(raw)}"
            cur.execute(native)
            described = cur.execute(sql.describe(view)).fetchall()
        files: tuple[str, ...]
        sizes: tuple[int, ...]
        if kind == "table":
            row_count, files, sizes = _catalog_row_count(cur, reference), (reference,), ()
        else:
            row_count, files, sizes = _file_listing(cur, select)
    except BaseException:
        catalog._release(view)
        raise
    source = Source(
        name=view,
        kind=kind,
        location=location,
        files=files,
        file_sizes=sizes,
        columns=tuple(ColumnInfo(name=r[0], type=str(r[1]), nullable=r[2] != "NO") for r in described),
        row_count=row_count,
        size_bytes=sum(sizes),
        view_sql=native,
        notes=(f"read by the Spark cluster ({getattr(catalog.con, 'display', 'Spark')})",),
    )
    catalog.view_masks[view] = dict(masks)
    if not catalog._register(source, None):
        raise QueryCancelled(f"Opening {location} was cancelled")
    return source


def _file_listing(cur, select: str) -> tuple[int, tuple[str, ...], tuple[int, ...]]:
    """(rows, files, sizes) of a file source from Spark's per-file metadata (footers only, no data read)."""
    rows = cur.execute_native(
        f"SELECT _metadata.file_path AS f, max(_metadata.file_size) AS s, count(*) AS n "
        f"FROM {select.removeprefix('SELECT * FROM ')} "
        "GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return sum(int(r[2]) for r in rows), tuple(str(r[0]) for r in rows), tuple(int(r[1]) for r in rows)


def _catalog_row_count(cur, table: str) -> int | None:
    """The catalog's row-count statistic, when it keeps one (no scan)."""
    try:
        rows = cur.execute_native(f"DESCRIBE TABLE EXTENDED {table}").fetchall()
    except Exception:
        return None
    for row in rows:
        if row and str(row[0]).strip().lower() == "statistics":
            match = re.search(r"(\d+)\s+rows", str(row[1]))
            if match:
                return int(match.group(1))
    return None


class ClusterCatalog(Catalog):
    """A catalog whose ``open`` reads on the cluster: code that opens sources by location (the metrics
    layer, dashboards) works unchanged on a Spark connection."""

    def open(self, locations, name=None, *, cursor=None, cancelled=None, encoding="auto") -> Source:  # type: ignore[override]
        if not isinstance(locations, (str, os.PathLike)):
            locations = list(locations)
            if len(locations) != 1:
                raise SourceError("On Spark, open one cluster path or table at a time")
            locations = locations[0]
        return open_on_cluster(self, os.fspath(locations), name, cursor=cursor)

    def check_unchanged(self, names=None) -> None:
        """Cluster files are not on this machine: their identity is the cluster's to keep."""
