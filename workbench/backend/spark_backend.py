"""Spark Connect behind the backend seam: :class:`SparkBackend`, the second :class:`Backend`.

The per-task handle is :class:`workbench.backend.spark.cursor.SparkCursor`, which fulfils the same
:class:`Cursor` contract as a DuckDB cursor: engine code runs unchanged, each query is rendered in Spark's
dialect from its one definition, and engine errors arrive already translated into ``WorkbenchError``s.
The Spark client library is imported only when a connection is opened (``pyspark-client`` is optional).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from workbench.backend.base import Backend, ColumnDescription, ColumnKind, Cursor
from workbench.backend.spark.cursor import SparkConnection, spark_type_to_neutral, translate_spark_error
from workbench.errors import WorkbenchError
from workbench.result import Result

if TYPE_CHECKING:
    import pandas as pd

    from workbench.backend.spark.remote import SparkRemote

_KINDS = {
    "TINYINT": ColumnKind.NUMERIC,
    "SMALLINT": ColumnKind.NUMERIC,
    "INTEGER": ColumnKind.NUMERIC,
    "BIGINT": ColumnKind.NUMERIC,
    "FLOAT": ColumnKind.NUMERIC,
    "DOUBLE": ColumnKind.NUMERIC,
    "VARCHAR": ColumnKind.TEXT,
    "BOOLEAN": ColumnKind.BOOLEAN,
    "DATE": ColumnKind.TEMPORAL,
    "TIMESTAMP": ColumnKind.TEMPORAL,
    "TIMESTAMP WITH TIME ZONE": ColumnKind.TEMPORAL,
}


class SparkBackend(Backend):
    """One Spark Connect session; one :class:`SparkCursor` per task."""

    dialect: ClassVar[str] = "spark"
    error_types: ClassVar[tuple[type[BaseException], ...]] = ()  # the cursor translates at the source

    def __init__(self, connection: SparkConnection):
        self._connection = connection

    @classmethod
    def connect(cls, remote: "SparkRemote", *, database: str | None = None) -> "SparkBackend":
        from workbench.backend.spark.connect import connect_spark

        return cls(connect_spark(remote, database=database))

    @property
    def connection(self) -> Cursor:
        return cast(Cursor, self._connection)

    @property
    def version(self) -> str:
        return f"Spark {self._connection.session.version}"

    def open_view(self, name: str, select_sql: str, cursor: Cursor | None = None) -> list[ColumnDescription]:
        cur = cursor or self.cursor()
        cur.execute(f"CREATE OR REPLACE TEMPORARY VIEW {name} AS {select_sql}")
        return self.describe(name, cur)

    def describe(self, relation: str, cursor: Cursor | None = None) -> list[ColumnDescription]:
        cur = cursor or self.cursor()
        rows = cur.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
        return [ColumnDescription(str(r[0]), str(r[1]), self.column_kind(str(r[1]))) for r in rows]

    def execute(self, query: str, params: list | None = None, cursor: Cursor | None = None) -> Result:
        cur = cursor or self.cursor()
        return Result.from_pandas(cur.execute(query, params).df())

    def frame(self, query: str, params: list | None = None, cursor: Cursor | None = None) -> "pd.DataFrame":
        cur = cursor or self.cursor()
        return cur.execute(query, params).df()

    @staticmethod
    def column_kind(type_name: str) -> ColumnKind:
        name = type_name.upper()
        if name.startswith("DECIMAL"):
            return ColumnKind.NUMERIC
        neutral = spark_type_to_neutral(type_name) if name not in _KINDS else name
        return _KINDS.get(neutral, ColumnKind.OTHER)

    @classmethod
    def translate_error(cls, exc: BaseException) -> WorkbenchError | None:
        return translate_spark_error(exc)
