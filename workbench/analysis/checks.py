"""Data-quality checks on one table as a recipe, so a report's data-quality section and its replay
recompute the same statuses the Checks view and ``workbench check`` showed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from workbench.analysis.base import Analysis, AnalysisResult, register, require_tables
from workbench.checks.rules import Rule
from workbench.checks.run import DEFAULT_SAMPLES, run_checks


@register
@dataclass(frozen=True)
class ChecksRun(Analysis):
    """``rules`` on ``table``.

    references : ``((name in a references rule, open table), ...)``.
    previous_row_count : the previous run's row count (``row_count(within x%)``), kept in the recipe so a
        replay judges against the same baseline.
    as_of : the reference time of ``freshness`` rules without their own as_of (None: now, when run).

    Tables: ``rules`` (rule, status, failing_rows, message), then ``sample N`` for each rule with a sample.
    """

    table: str
    rules: tuple[Rule, ...]
    sample_size: int = DEFAULT_SAMPLES
    references: tuple[tuple[str, str], ...] = ()
    previous_row_count: int | None = None
    as_of: str | None = None

    kind = "checks"
    version = 1
    multi_table = True

    def run(self, con, catalog=None, cancelled=None) -> AnalysisResult:
        require_tables(catalog, self.table, *(t for _, t in self.references))
        now = dt.datetime.fromisoformat(self.as_of) if self.as_of else None
        results, queries = run_checks(
            con,
            self.table,
            list(self.rules),
            sample_size=self.sample_size,
            tables=dict(self.references),
            previous_row_count=self.previous_row_count,
            now=now,
            cancelled=cancelled,
        )
        summary = pd.DataFrame(
            [
                {"rule": r.rule.text, "status": r.status, "failing_rows": r.failing_rows, "message": r.message}
                for r in results
            ],
            columns=["rule", "status", "failing_rows", "message"],
        )
        tables = {"rules": summary}
        for i, r in enumerate(results, 1):
            if r.sample:
                tables[f"sample {i}"] = pd.DataFrame(r.sample)
        return AnalysisResult(self, tables, tuple(queries), (), value=results)

    def _payload(self) -> dict:
        return {
            "table": self.table,
            "rules": [r.to_dict() for r in self.rules],
            "sample_size": self.sample_size,
            "references": [list(p) for p in self.references],
            "previous_row_count": self.previous_row_count,
            "as_of": self.as_of,
        }

    @classmethod
    def _from_payload(cls, d: dict) -> "ChecksRun":
        prev = d.get("previous_row_count")
        return cls(
            str(d["table"]),
            tuple(Rule.from_dict(r) for r in d["rules"]),
            int(d.get("sample_size", DEFAULT_SAMPLES)),
            tuple((str(a), str(b)) for a, b in d.get("references") or ()),
            int(prev) if prev is not None else None,
            d.get("as_of"),
        )
