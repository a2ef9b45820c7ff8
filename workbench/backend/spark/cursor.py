"""A Spark Connect session behind the same per-task handle engine code uses for DuckDB.

Engine code runs queries through a small cursor contract (``execute``/``sql``, the ``fetch*``/``df``
readers, ``interrupt``, ``query_progress``, ``cursor``, ``close``). :class:`SparkCursor` fulfils it over one
shared Spark Connect session, so every analysis runs unchanged and only aggregates come back:

* SQL, defined once in DuckDB's dialect, is rendered for Spark by :func:`workbench.dialects.render` (a
  construct Spark cannot express is a clear error, never silently wrong SQL); ``DESCRIBE SELECT * FROM t``
  answers with the engine-neutral type names the rest of Workbench reads; views over files become Spark
  temporary views over the path the cluster reads.
* Each execution carries an operation tag, so :meth:`SparkCursor.interrupt` (from any thread) stops exactly
  that cursor's Spark job; progress comes from the job's stages.
* Results arrive as Arrow (the client's native format) and are read like DuckDB results.
"""

from __future__ import annotations

import itertools
import re
import threading
import uuid
from typing import Any

from sqlglot import exp

from workbench.dialects import render
from workbench.errors import DialectError, QueryCancelled, QueryError, WorkbenchError

_DESCRIBE = re.compile(r"^\s*DESCRIBE\s+(?:SELECT\s+\*\s+FROM\s+)?(?P<rel>.+?)\s*;?\s*$", re.I | re.S)
_ids = itertools.count(1)


def arrow_type_name(arrow_type) -> str:
    """The DuckDB-style name of an Arrow type, as the rest of Workbench reads result types."""
    import pyarrow as pa

    t = arrow_type
    checks = [
        (pa.types.is_boolean, "BOOLEAN"),
        (pa.types.is_int8, "TINYINT"),
        (pa.types.is_int16, "SMALLINT"),
        (pa.types.is_int32, "INTEGER"),
        (pa.types.is_int64, "BIGINT"),
        (pa.types.is_float32, "FLOAT"),
        (pa.types.is_float64, "DOUBLE"),
        (pa.types.is_string, "VARCHAR"),
        (pa.types.is_large_string, "VARCHAR"),
        (pa.types.is_date, "DATE"),
        (pa.types.is_binary, "BLOB"),
        (pa.types.is_null, "NULL"),
    ]
    for check, name in checks:
        if check(t):
            return name
    if pa.types.is_timestamp(t):
        return "TIMESTAMP WITH TIME ZONE" if t.tz else "TIMESTAMP"
    if pa.types.is_decimal(t):
        return f"DECIMAL({t.precision},{t.scale})"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "LIST"
    if pa.types.is_struct(t):
        return "STRUCT"
    return str(t).upper()


def spark_type_to_neutral(type_name: str) -> str:
    """Spark's type name as the DuckDB-style name the engine's column checks read (BIGINT, VARCHAR...)."""
    t = type_name.strip().lower()
    simple = {
        "tinyint": "TINYINT",
        "byte": "TINYINT",
        "smallint": "SMALLINT",
        "short": "SMALLINT",
        "int": "INTEGER",
        "integer": "INTEGER",
        "bigint": "BIGINT",
        "long": "BIGINT",
        "float": "FLOAT",
        "real": "FLOAT",
        "double": "DOUBLE",
        "boolean": "BOOLEAN",
        "string": "VARCHAR",
        "date": "DATE",
        "timestamp": "TIMESTAMP WITH TIME ZONE",
        "timestamp_ntz": "TIMESTAMP",
        "timestamp_ltz": "TIMESTAMP WITH TIME ZONE",
        "binary": "BLOB",
        "void": "NULL",
    }
    if t in simple:
        return simple[t]
    if t.startswith("decimal"):
        return t.upper()
    if t.startswith(("varchar", "char")):
        return "VARCHAR"
    if t.startswith("array"):
        return "LIST"
    if t.startswith("struct"):
        return "STRUCT"
    if t.startswith("map"):
        return "MAP"
    if t.startswith("interval"):
        return "INTERVAL"
    return t.upper()


def to_spark_sql(query: str | exp.Expression) -> str:
    """One query in Spark's dialect, rendered from its one definition (see :mod:`workbench.dialects`)."""
    try:
        return render(query, "spark")
    except DialectError as exc:
        raise QueryError(str(exc)) from exc


def translate_spark_error(exc: BaseException) -> WorkbenchError | None:
    """The ``WorkbenchError`` a Spark client exception means, or None when it is not one."""
    try:
        from pyspark.errors import PySparkException
    except ImportError:  # pragma: no cover - pyspark absent
        return None
    if not isinstance(exc, PySparkException):
        grpc_name = type(exc).__module__.split(".")[0]
        if grpc_name == "grpc":
            return QueryError(f"Spark connection failed: {_first_line(exc)}")
        return None
    text = str(exc)
    if "OPERATION_CANCELED" in text or "cancelled" in text.lower() or "interrupted" in text.lower():
        return QueryCancelled("Query cancelled")
    condition = getattr(exc, "getCondition", None) or getattr(exc, "getErrorClass", None)
    name = condition() if callable(condition) else None
    return QueryError(f"Spark: {_first_line(text)}" + (f" [{name}]" if name and name not in text else ""))


def _first_line(exc: object) -> str:
    line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return line[:500]


class SparkConnection:
    """The shared Spark Connect session; hand out one :class:`SparkCursor` per task."""

    dialect = "spark"

    def __init__(self, session: Any, *, display: str = "spark"):
        self.session = session
        self.display = display
        self._progress: dict[str, float] = {}
        self._lock = threading.Lock()
        self._handler_registered = False
        self.bytes_received = 0  # Arrow bytes of every result fetched (what crossed the network back)
        self.rows_received = 0
        try:
            session.registerProgressHandler(self._on_progress)
            self._handler_registered = True
        except Exception:  # older servers: progress stays unknown
            pass

    def cursor(self) -> "SparkCursor":
        return SparkCursor(self)

    def execute(self, query, parameters=None) -> "SparkCursor":
        return self.cursor().execute(query, parameters)

    def sql(self, query, *, params=None):
        return self.cursor().sql(query, params=params)

    def register(self, name: str, frame) -> "SparkCursor":
        return self.cursor().register(name, frame)

    def unregister(self, name: str) -> "SparkCursor":
        return self.cursor().unregister(name)

    def interrupt(self) -> None:
        self.session.interruptAll()

    def close(self) -> None:
        try:
            if self._handler_registered:
                self.session.clearProgressHandlers()
        except Exception:
            pass

    # Progress handlers are called on the thread running the operation: that thread's cursor records it.
    _current = threading.local()

    def _on_progress(self, stages, inflight_tasks, operation_id, done) -> None:
        cursor = getattr(SparkConnection._current, "cursor", None)
        if cursor is None:
            return
        total = sum(s.num_tasks for s in stages or ())
        finished = sum(s.num_completed_tasks for s in stages or ())
        cursor._progress = 100.0 if done else (100.0 * finished / total if total else -1.0)


class SparkCursor:
    """One task's handle on the shared session (see the module docstring)."""

    dialect = "spark"

    def __init__(self, connection: SparkConnection):
        self._connection = connection
        self._tag = f"workbench-{next(_ids)}-{uuid.uuid4().hex[:8]}"
        self._table = None  # pyarrow.Table of the last result
        self._offset = 0
        self._progress = -1.0
        self._closed = False
        self.last_sql: str | None = None

    # -- running -----------------------------------------------------------------------------------------
    def execute(self, query, parameters=None) -> "SparkCursor":
        self._table = self._run(query, parameters)
        self._offset = 0
        return self

    def sql(self, query, *, params=None):
        table = self._run(query, params)
        return None if table is None else SparkRelation(table)

    def execute_native(self, spark_sql: str, parameters=None) -> "SparkCursor":
        """Run SQL already written in Spark's dialect (catalog commands, views over cluster paths)."""
        self._table = self._submit(spark_sql, parameters)
        self._offset = 0
        return self

    def _run(self, query, parameters):
        if self._closed:
            raise QueryError("this Spark cursor is closed")
        described = _DESCRIBE.match(query) if isinstance(query, str) else None
        if described:
            return self._describe(described.group("rel"))
        return self._submit(to_spark_sql(query), parameters)

    def _submit(self, text: str, parameters):
        if self._closed:
            raise QueryError("this Spark cursor is closed")
        self.last_sql = text
        session = self._connection.session
        SparkConnection._current.cursor = self
        session.addTag(self._tag)
        self._progress = 0.0
        try:
            frame = session.sql(text, args=list(parameters) if parameters else None)
            if _returns_rows(text):
                table = frame.toArrow()
                with self._connection._lock:
                    self._connection.bytes_received += table.nbytes
                    self._connection.rows_received += table.num_rows
                return _naive_times(table)
            frame.collect()
            return None
        except Exception as exc:
            translated = translate_spark_error(exc)
            if translated is None:
                raise
            raise translated from exc
        finally:
            session.removeTag(self._tag)
            SparkConnection._current.cursor = None
            self._progress = 100.0

    def _describe(self, relation: str):
        import pyarrow as pa

        text = to_spark_sql(f"SELECT * FROM {relation}")
        try:
            schema = self._connection.session.sql(text).schema
        except Exception as exc:
            translated = translate_spark_error(exc)
            raise (translated or exc) from exc
        names = [f.name for f in schema.fields]
        types = [spark_type_to_neutral(f.dataType.simpleString()) for f in schema.fields]
        nulls = ["YES" if f.nullable else "NO" for f in schema.fields]
        empty = [None] * len(names)
        return pa.table(
            {"column_name": names, "column_type": types, "null": nulls, "key": empty, "default": empty, "extra": empty}
        )

    def register(self, name: str, frame) -> "SparkCursor":
        """A small local frame (aggregates computed earlier) as a temporary view on the cluster."""
        import pyarrow as pa

        table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
        try:
            self._connection.session.createDataFrame(table.to_pandas()).createOrReplaceTempView(name)
        except Exception as exc:
            raise (translate_spark_error(exc) or exc) from exc
        return self

    def unregister(self, name: str) -> "SparkCursor":
        try:
            self._connection.session.catalog.dropTempView(name)
        except Exception:  # already gone: nothing to drop
            pass
        return self

    # -- reading -----------------------------------------------------------------------------------------
    @property
    def description(self):
        if self._table is None:
            return None
        return [(f.name, str(f.type), None, None, None, None, None) for f in self._table.schema]

    def fetchall(self) -> list[tuple]:
        rows = self._rows(self._offset, None)
        self._offset += len(rows)
        return rows

    def fetchone(self):
        rows = self._rows(self._offset, 1)
        self._offset += len(rows)
        return rows[0] if rows else None

    def fetchmany(self, size: int = 1) -> list[tuple]:
        rows = self._rows(self._offset, size)
        self._offset += len(rows)
        return rows

    def df(self, **_):
        return SparkRelation(self._require()).df()

    def fetchdf(self, **_):
        return self.df()

    def arrow(self):
        return self._require()

    fetch_arrow_table = arrow

    def fetchnumpy(self):
        return SparkRelation(self._require()).fetchnumpy()

    def keep_first(self, n: int) -> None:
        """Drop all but the first ``n`` rows of the fetched result (a capped answer)."""
        if self._table is not None:
            self._table = self._table.slice(0, n)

    def _require(self):
        if self._table is None:
            raise QueryError("no result: the last statement returned no rows")
        return self._table

    def _rows(self, start: int, count: int | None) -> list[tuple]:
        if self._table is None:
            return []
        part = self._table.slice(start, count) if count is not None else self._table.slice(start)
        columns = [col.to_pylist() for col in part.columns]
        return list(zip(*columns)) if columns else []

    # -- control -----------------------------------------------------------------------------------------
    def cursor(self) -> "SparkCursor":
        return self._connection.cursor()

    def interrupt(self) -> None:
        try:
            self._connection.session.interruptTag(self._tag)
        except Exception:  # nothing running, or the server went away: nothing to stop
            pass

    def query_progress(self) -> float:
        return self._progress

    def close(self) -> None:
        self._closed = True
        self._table = None


class SparkRelation:
    """A fetched result read like a DuckDB relation (``df``, ``fetchall``, ``fetchnumpy``, ``limit``)."""

    def __init__(self, table):
        self._table = table

    @property
    def columns(self) -> list[str]:
        return list(self._table.column_names)

    @property
    def types(self) -> list[str]:
        """Engine-neutral (DuckDB-style) type names of the result's columns."""
        return [arrow_type_name(f.type) for f in self._table.schema]

    def df(self):
        return self._table.to_pandas()

    def arrow(self):
        return self._table

    def fetchall(self) -> list[tuple]:
        columns = [col.to_pylist() for col in self._table.columns]
        return list(zip(*columns)) if columns else []

    def fetchnumpy(self) -> dict:
        """NumPy columns as DuckDB gives them: a ``MaskedArray`` where a column has NULLs."""
        import numpy as np

        out = {}
        for name in self._table.column_names:
            column = self._table.column(name)
            values = column.to_numpy(zero_copy_only=False)
            if column.null_count:
                mask = column.is_null().to_numpy(zero_copy_only=False)
                values = np.ma.MaskedArray(values, mask=mask)
            out[name] = values
        return out

    def project(self, select_list: str) -> "SparkRelation":
        """Columns, or columns CAST to VARCHAR, of the fetched result (the projections engine code asks a
        fetched result for: exact decimals read as text); anything else is refused."""
        import pyarrow as pa
        import sqlglot

        tree = sqlglot.parse_one(f"SELECT {select_list}", read="duckdb")
        columns, names = [], []
        for item in tree.expressions:
            inner = item.this if isinstance(item, exp.Alias) else item
            if isinstance(inner, exp.Cast) and isinstance(inner.this, exp.Column) and inner.to.is_type("varchar"):
                source = inner.this.name
                columns.append(self._table.column(source).cast(pa.string()))
            elif isinstance(inner, exp.Column):
                source = inner.name
                columns.append(self._table.column(source))
            else:
                raise QueryError(f"cannot project {item.sql()} over a fetched Spark result")
            names.append(item.alias_or_name)
        return SparkRelation(pa.table(columns, names=names))

    def limit(self, n: int) -> "SparkRelation":
        return SparkRelation(self._table.slice(0, n))


def _naive_times(table):
    """Timestamps as UTC wall-clock without a zone, as DuckDB returns its TIMESTAMPs (the session runs in
    UTC, and Spark's date_trunc turns every timestamp into a zoned one)."""
    import pyarrow as pa

    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type) and field.type.tz is not None:
            # Arrow stores UTC instants: dropping the zone keeps them as UTC wall-clock times.
            table = table.set_column(i, field.name, table.column(i).cast(pa.timestamp(field.type.unit)))
    return table


def _returns_rows(text: str) -> bool:
    head = text.lstrip().split(None, 1)[0].upper() if text.strip() else ""
    return head in {"SELECT", "WITH", "VALUES", "SHOW", "DESCRIBE", "EXPLAIN", "FROM", "TABLE", "("}
