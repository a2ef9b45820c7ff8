"""One anomaly run on a source file, exactly as ``workbench anomalies`` does it: open, fetch the series at
the chosen grain, detect with the given settings. The CLI and the benchmarks call this one function, so a
benchmark measures what a user gets."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.anomaly.detect import Detection, detect_frame
from workbench.anomaly.params import DetectorParams
from workbench.errors import SpecError


@dataclass
class AnomalyRun:
    detection: Detection
    grain: str
    sql: str
    measure_label: str

    def to_dict(self, points: bool = False) -> dict:
        doc = self.detection.to_dict(points=points)
        doc.update(grain=self.grain, measure=self.measure_label, sql=self.sql)
        return doc


def run_anomalies(
    path: str,
    measure: str = "count(*)",
    grain: str = "auto",
    params: DetectorParams | None = None,
    time: str | None = None,
    filters: tuple[str, ...] = (),
    by: str | None = None,
    top: int = 10,
) -> AnomalyRun:
    """Detect anomalies in ``measure`` of the file at ``path`` (see ``workbench anomalies --help``)."""
    from workbench.anomaly.series import fetch_series
    from workbench.catalog import Catalog
    from workbench.engine import connect
    from workbench.metrics import Filter, Measure, MetricSpec

    con = connect()
    try:
        source = Catalog(con).open(path)
        spec = MetricSpec(
            table=source.name,
            measure=Measure.parse(measure),
            time_column=time,
            filters=tuple(Filter.parse(t) for t in filters),
            breakdown=by,
            top_n=top,
        )
        frame, used, query = fetch_series(con, spec, grain)
    finally:
        con.close()
    if frame.empty:
        raise SpecError("The metric has no data to detect on")
    det = detect_frame(frame, params or DetectorParams(), grain=None if used == "raw" else used)
    return AnomalyRun(det, used, query, spec.measure.label)
