"""A column profile (nulls, distinct values, min/max, top values, histogram) as a recipe."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import pandas as pd

from workbench.analysis.base import Analysis, AnalysisResult, register, require_tables
from workbench.profile import BINS, TOP_K, profile_column

if TYPE_CHECKING:
    from workbench.backend import Cursor


@register
@dataclass(frozen=True)
class ColumnProfileView(Analysis):
    """Profile of ``column`` of ``table``.

    Tables: ``summary`` (one row), ``top_values`` (value, count), ``histogram`` (the bins).
    """

    table: str
    column: str
    top_k: int = TOP_K
    bins: int = BINS

    kind = "profile"
    version = 1

    def run(self, con: Cursor, catalog=None) -> AnalysisResult:
        require_tables(catalog, self.table)
        prof = profile_column(con, self.table, self.column, top_k=self.top_k, bins=self.bins)
        d = prof.to_dict()
        summary = pd.DataFrame(
            [
                {
                    k: d[k]
                    for k in (
                        "table",
                        "column",
                        "type",
                        "kind",
                        "row_count",
                        "null_count",
                        "null_pct",
                        "distinct_count",
                        "distinct_approximate",
                        "min",
                        "max",
                        "mean",
                    )
                }
            ]
        )
        top = pd.DataFrame([{"value": v, "count": int(c)} for v, c in prof.top_values], columns=["value", "count"])
        hist = pd.DataFrame([asdict(b) for b in prof.histogram], columns=["lo", "hi", "count"])
        notes = ("Top values skipped: the column is nearly unique",) if prof.top_values_skipped else ()
        return AnalysisResult(
            self, {"summary": summary, "top_values": top, "histogram": hist}, tuple(prof.sql), notes, value=prof
        )

    def _payload(self) -> dict:
        return {"table": self.table, "column": self.column, "top_k": self.top_k, "bins": self.bins}

    @classmethod
    def _from_payload(cls, d: dict) -> "ColumnProfileView":
        return cls(str(d["table"]), str(d["column"]), int(d.get("top_k", TOP_K)), int(d.get("bins", BINS)))
