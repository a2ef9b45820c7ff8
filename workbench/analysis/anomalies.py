"""Anomaly detection on a metric and the root cause of one incident, as recipes.

Detection: :func:`workbench.anomaly.series.fetch_series` + :func:`workbench.anomaly.detect.detect_frame`;
root cause: :func:`workbench.anomaly.root_cause.explain`. The tables are the ones an evidence report shows
(and its replay compares): ``incidents`` and, with a root cause, ``root_cause_totals`` and ``root_cause``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

import pandas as pd

from workbench.analysis.base import Analysis, AnalysisResult, iso, register, require_tables
from workbench.anomaly.params import DetectorParams
from workbench.errors import SpecError
from workbench.metrics import MetricSpec

if TYPE_CHECKING:
    from workbench.backend import Cursor


@dataclass
class AnomalyRun:
    """A detection (and root cause) as computed: what the anomaly panel and report sections draw."""

    spec: Any
    params: Any
    grain: str  # the grain used
    detection: Any
    explanation: Any | None
    sql: list[str]


def _when(value) -> dt.datetime:
    return pd.Timestamp(value).to_pydatetime()


@register
@dataclass(frozen=True)
class RootCauseAnalysis(Analysis):
    """Which segments of ``dims`` explain the change of the spec's measure in ``window`` (half-open).

    Tables: ``root_cause_totals`` (one row) and ``root_cause`` (culprits first, then ranked segments).
    """

    spec: MetricSpec
    window: tuple[dt.datetime, dt.datetime]
    dims: tuple[str, ...]
    baseline: str = "expected"

    kind = "root_cause"
    version = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "window", tuple(_when(w) for w in self.window))
        object.__setattr__(self, "dims", tuple(self.dims))
        if len(self.window) != 2:
            raise SpecError("A root-cause window needs a start and an end")

    def explain(self, con: Cursor):
        from workbench.anomaly.root_cause import explain

        return explain(con, self.spec, self.window, list(self.dims), baseline=self.baseline)

    def run(self, con: Cursor, catalog=None) -> AnalysisResult:
        require_tables(catalog, self.spec.table)
        rc = self.explain(con)
        return AnalysisResult(self, root_cause_tables(rc), tuple(rc.sql), (rc.verdict,) if rc.verdict else (), value=rc)

    def _payload(self) -> dict:
        return {
            "spec": self.spec.to_dict(),
            "window": [iso(w) for w in self.window],
            "dims": list(self.dims),
            "baseline": self.baseline,
        }

    @classmethod
    def _from_payload(cls, d: dict) -> "RootCauseAnalysis":
        spec = d["spec"]
        return cls(
            spec if isinstance(spec, MetricSpec) else MetricSpec.from_dict(spec),
            tuple(d["window"]),
            tuple(d["dims"]),
            d.get("baseline", "expected"),
        )


@register
@dataclass(frozen=True)
class AnomalyDetection(Analysis):
    """Detection on a metric (``grain`` as asked: "auto", "raw", "hour", ...) with ``params``; ``focus`` is the
    incident the analyst selected (series, start as ISO text) and ``root_cause`` its explanation.

    Tables: ``incidents`` (+ ``root_cause_totals`` and ``root_cause`` with a root cause).
    """

    spec: MetricSpec
    grain: str = "auto"
    params: DetectorParams = field(default_factory=DetectorParams)
    focus: tuple[str, str] | None = None
    root_cause: RootCauseAnalysis | None = None

    kind = "anomaly"
    version = 1
    multi_table = True

    @classmethod
    def build(
        cls,
        spec: MetricSpec,
        grain: str,
        params: DetectorParams,
        *,
        focus=None,
        root_cause: Mapping | RootCauseAnalysis | None = None,
    ) -> "AnomalyDetection":
        """From the panel's objects: ``focus`` an Incident or {"series", "start"}; ``root_cause`` a
        RootCauseAnalysis or {"spec", "window", "dims", "baseline"}."""
        if focus is not None:
            series = focus["series"] if isinstance(focus, Mapping) else focus.series
            start = focus["start"] if isinstance(focus, Mapping) else focus.start
            focus = (str(series), iso(start))
        rc: RootCauseAnalysis | None = None
        if isinstance(root_cause, RootCauseAnalysis):
            rc = root_cause
        elif root_cause:
            rc = RootCauseAnalysis._from_payload(dict(root_cause))
        return cls(spec, grain or "auto", params, focus, rc)

    def compute(self, con: Cursor, check: Callable[[], None] | None = None) -> AnomalyRun:
        """Query the series, detect, explain; ``check`` (raises when cancelled) runs between the steps."""
        from workbench.anomaly.detect import detect_frame
        from workbench.anomaly.series import fetch_series

        frame, used, query = fetch_series(con, self.spec, self.grain or "auto")
        if frame.empty:
            raise SpecError(f"{self.spec.table}: the metric has no data to detect on")
        if check is not None:
            check()
        detection = detect_frame(frame, self.params, grain=None if used == "raw" else used)
        explanation = None
        if self.root_cause is not None:
            if check is not None:
                check()
            explanation = self.root_cause.explain(con)
        return AnomalyRun(
            self.spec, self.params, used, detection, explanation, [query] + list(explanation.sql if explanation else [])
        )

    def run(self, con: Cursor, catalog=None) -> AnalysisResult:
        require_tables(catalog, self.spec.table)
        run = self.compute(con)
        notes = (f"Series grain: {self.grain} → {run.grain}",)
        return AnalysisResult(self, anomaly_tables(run, self.focus), tuple(run.sql), notes, value=run)

    def _payload(self) -> dict:
        return {
            "spec": self.spec.to_dict(),
            "grain": self.grain,
            "params": self.params.to_dict(),
            "focus": None if self.focus is None else {"series": self.focus[0], "start": self.focus[1]},
            "root_cause": None if self.root_cause is None else self.root_cause._payload(),
        }

    @classmethod
    def _from_payload(cls, d: dict) -> "AnomalyDetection":
        focus = d.get("focus")
        return cls.build(
            MetricSpec.from_dict(d["spec"]),
            d.get("grain") or "auto",
            DetectorParams.from_dict(d.get("params")),
            focus=focus or None,
            root_cause=d.get("root_cause") or None,
        )


def anomaly_tables(run: AnomalyRun, focus: tuple[str, str] | Mapping | None = None) -> dict[str, pd.DataFrame]:
    """{"incidents": ..., "root_cause_totals": ..., "root_cause": ...} (the last two only with a root cause)."""
    key = (focus.get("series"), focus.get("start")) if isinstance(focus, Mapping) else focus
    key = key if key and key[0] is not None else None
    rows = []
    for n, inc in enumerate(run.detection.incidents, 1):
        explained = key is not None and str(inc.series) == key[0] and iso(inc.start) == key[1]
        rows.append(
            {
                "incident": f"#{n}",
                "series": str(inc.series),
                "start": pd.Timestamp(inc.start),
                "end": pd.Timestamp(inc.end),
                "direction": inc.direction,
                "severity": inc.severity,
                "peak score": float(inc.peak_score),
                "points": int(inc.n_points),
                "actual": float(inc.actual),
                "expected": float(inc.expected),
                "impact": float(inc.impact),
                "impact 95% low": float(inc.impact_low),
                "impact 95% high": float(inc.impact_high),
                "explained below": "yes" if explained else "",
            }
        )
    cols = [
        "incident",
        "series",
        "start",
        "end",
        "direction",
        "severity",
        "peak score",
        "points",
        "actual",
        "expected",
        "impact",
        "impact 95% low",
        "impact 95% high",
        "explained below",
    ]
    out = {"incidents": pd.DataFrame(rows, columns=cols)}
    if run.explanation is not None:
        out.update(root_cause_tables(run.explanation))
    return out


def root_cause_tables(rc) -> dict[str, pd.DataFrame]:
    """{"root_cause_totals": one row, "root_cause": culprits then ranked segments} of a RootCause."""
    totals = pd.DataFrame(
        [
            {
                "window": f"{iso(rc.window[0])} → {iso(rc.window[1])}",
                "baseline period": f"{iso(rc.baseline_window[0])} → {iso(rc.baseline_window[1])}",
                "actual": float(rc.actual),
                "expected": float(rc.expected),
                "impact": float(rc.impact),
                "impact 95% low": float(rc.impact_low),
                "impact 95% high": float(rc.impact_high),
            }
        ]
    )
    culprits = [c.label for c in rc.culprits]
    segs = list(rc.culprits) + [s for s in rc.ranked if s.label not in culprits]
    seg_rows = []
    for s in segs:
        row = {
            "segment": s.label,
            "role": "culprit" if s.label in culprits else "ranked",
            "actual": float(s.actual),
            "expected": float(s.expected),
            "impact": float(s.impact),
            "impact 95% low": float(s.impact_low),
            "impact 95% high": float(s.impact_high),
            "change %": None if s.change_pct is None else float(s.change_pct),
            "share of change %": 100.0 * float(s.explanatory_power),
            "fit %": 100.0 * float(s.fit),
        }
        if s.affected is not None:
            row["distinct ids"] = int(s.affected)
        seg_rows.append(row)
    segments = pd.DataFrame(
        seg_rows,
        columns=[
            "segment",
            "role",
            "actual",
            "expected",
            "impact",
            "impact 95% low",
            "impact 95% high",
            "change %",
            "share of change %",
            "fit %",
        ]
        + (["distinct ids"] if any("distinct ids" in r for r in seg_rows) else []),
    )
    return {"root_cause_totals": totals, "root_cause": segments}
