"""A SQL query over the opened sources (the SQL console's statement, as a recipe)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from workbench.analysis.base import Analysis, AnalysisResult, decimals_to_float, register
from workbench.engine import run_query
from workbench.readonly import check_read_only

if TYPE_CHECKING:
    from workbench.backend import Cursor


@register
@dataclass(frozen=True)
class SqlQuery(Analysis):
    """One read-only SELECT over the sources' views. Tables: ``result`` (DECIMAL columns as floats)."""

    sql: str

    kind = "sql"
    version = 1

    def run(self, con: Cursor, catalog=None) -> AnalysisResult:
        from workbench.console_db import console_db_for, console_db_from_views

        check_read_only(self.sql)  # a recipe read from a file: a query, never a COPY/ATTACH/CHECKPOINT
        # Like the console it came from: on a database that can read the opened files and nothing else.
        db = console_db_for(con, catalog.sources) if catalog is not None else console_db_from_views(con)
        try:
            frame = decimals_to_float(run_query(db.cursor(), self.sql).to_pandas())
        finally:
            db.close()
        return AnalysisResult(self, {"result": frame}, (self.sql,), value=frame)

    def _payload(self) -> dict:
        return {"sql": self.sql}

    @classmethod
    def _from_payload(cls, d: dict) -> "SqlQuery":
        return cls(str(d["sql"]))
