"""The shared reference checks: NAB (default settings, no per-series tuning) and the RCA cases.
Skipped when ../shared/reference is absent (a fresh clone elsewhere)."""

from __future__ import annotations

import importlib.util
import json

import pandas as pd
import pytest

from tests.workbench.anomaly.conftest import SHARED
from workbench.anomaly import detect_series
from workbench.anomaly.root_cause import explain
from workbench.metrics import Measure, MetricSpec

pytestmark = pytest.mark.skipif(not (SHARED / "score.py").exists(), reason="../shared/reference/anomaly absent")


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_nab_default_settings_score():
    scorer = _load(SHARED / "score.py", "nab_score")
    labels = json.loads((SHARED / "nab" / "labels.json").read_text())["series"]
    detections = {}
    for name in labels:
        frame = pd.read_parquet(SHARED / "nab" / f"{name}.parquet")
        det = detect_series(frame["ts"], frame["value"])  # defaults: no per-series tuning
        detections[name] = [inc.start.isoformat() for inc in det.incidents]  # one alert per incident
    overall = scorer.score(detections).iloc[-1]
    assert overall["nab_standard"] >= 55
    assert overall["f1"] >= 0.5


@pytest.mark.parametrize("baseline", ["expected", "day"])
def test_rca_cases_exact(con, catalog, baseline):
    scorer = _load(SHARED / "rca" / "score_rca.py", "rca_score")
    preds = {}
    for gt_path in sorted((SHARED / "rca").glob("*/ground_truth.json")):
        gt = json.loads(gt_path.read_text())
        src = catalog.open(str(gt_path.parent / "data.parquet"))
        measure = (
            "ratio(violations, views)" if gt["target_metric"] == "violation_rate" else f"sum({gt['target_metric']})"
        )
        w = gt["anomaly_window_utc"]
        window = (pd.Timestamp(w["start"]), pd.Timestamp(w["end_inclusive"]) + pd.Timedelta(hours=1))
        spec = MetricSpec(table=src.name, measure=Measure.parse(measure), time_column="ts")
        rc = explain(con, spec, window, ["country", "platform", "app_version", "surface"], baseline=baseline)
        preds[gt["case"]] = rc.culprit_elements()
    rows, overall = scorer.score(preds, root=str(SHARED / "rca"))
    assert overall["exact_cases"] == overall["cases"] == len(rows) >= 3, rows
