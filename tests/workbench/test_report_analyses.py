"""Anomaly incidents with root cause and experiment readouts in the evidence report: sections, method notes,
small-cell suppression, and the replay script reproducing (and catching a tampered) number."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import write_parquet
from workbench import report_analyses as ra
from workbench.anomaly.params import DetectorParams
from workbench.catalog import Catalog
from workbench.experiments import ExperimentSpec
from workbench.experiments import MetricSpec as ExpMetric
from workbench.metrics import Measure, MetricSpec
from workbench.report import EvidenceReport, write_report
from workbench.workspace import SourceRecord, Workspace

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def report(tmp_path, con):
    data = tmp_path / "data"
    data.mkdir()
    events = write_parquet(
        data / "events.parquet",
        """
        SELECT TIMESTAMP '2024-01-01' + INTERVAL (i % 480) HOUR AS ts,
               ['BR','US','DE','IN'][1 + (hash(i) % 4)::BIGINT] AS country,
               ['ios','android'][1 + (hash(i * 3) % 2)::BIGINT] AS platform
        FROM range(48000) t(i)
        UNION ALL SELECT TIMESTAMP '2024-01-18 10:00' + INTERVAL (i % 4) HOUR, 'BR', 'android' FROM range(600) t(i)""",
    )
    exp = write_parquet(
        data / "exp.parquet",
        """
        SELECT 'u' || i AS user_id,
               CASE WHEN i < 6 THEN 'tiny' WHEN (hash(i) % 2)::BIGINT = 0 THEN 'control' ELSE 'treatment' END AS arm,
               ((hash(i * 5) % 100)::BIGINT < 20 + 5 * (hash(i) % 2)::BIGINT)::INT AS converted,
               (hash(i * 7) % 1000)::BIGINT / 10.0 + 3 * (hash(i) % 2)::BIGINT + (hash(i * 11) % 100)::BIGINT / 5.0
                   AS revenue,
               (hash(i * 7) % 1000)::BIGINT / 10.0 AS pre_revenue,
               ['BR','US','DE','IS'][1 + (hash(i * 13) % 4)::BIGINT] AS country,
               TIMESTAMP '2024-03-01' + INTERVAL (i % 10) DAY AS assigned_at
        FROM range(3000) t(i)""",
    )
    catalog = Catalog(con)
    ws = Workspace(name="Incident review")
    for path in (events, exp):
        ws.add_source(SourceRecord.from_source(catalog.open(path)))
    spec = MetricSpec(table="events", measure=Measure("count"), time_column="ts", grain="hour")
    first = ra.run_anomaly(con.cursor(), ra.anomaly_recipe(spec, "hour", DetectorParams()))
    inc = first.detection.incidents[0]
    recipe = ra.anomaly_recipe(
        spec,
        "hour",
        DetectorParams(),
        focus=inc,
        root_cause={
            "spec": spec,
            "window": (inc.start, inc.end + pd.Timedelta(hours=1)),
            "dims": ["country", "platform"],
            "baseline": "expected",
        },
    )
    rep = EvidenceReport.for_workspace(ws)
    rep.sections.append(
        ra.anomaly_section(ra.run_anomaly(con.cursor(), recipe), recipe, title="Spike in events", k=rep.k)
    )
    espec = ExperimentSpec(
        table="exp",
        unit="user_id",
        arm="arm",
        control="control",
        metrics=(ExpMetric("converted", "proportion"), ExpMetric("revenue", "mean", covariate="pre_revenue")),
        segment="country",
        time_column="assigned_at",
    )
    erecipe = ra.experiment_recipe(espec)
    assert ra.experiment_spec_from_dict(erecipe["spec"]) == espec
    rep.sections.append(
        ra.experiment_section(ra.run_readout(con.cursor(), erecipe), erecipe, title="Checkout test", k=rep.k)
    )
    return rep, tmp_path


def test_report_has_incidents_root_cause_readout_and_method_notes(report):
    rep, tmp = report
    res = write_report(rep, tmp / "evidence.html")
    html = res.html_path.read_text(encoding="utf-8")
    for text in (
        "Incidents",
        "Root cause — totals",
        "Root cause — segments",
        "country=BR &amp; platform=android",
        "culprit",
        "Detector",
        "Sensitivity",
        "6.5",
        "Root-cause baseline",
        "expected: the detector",
        "Units per arm",
        "Sample ratio mismatch (SRM) check",
        "Test per metric",
        "Welch t-test",
        "two-proportion z-test",
        "Benjamini-Hochberg",
        "revenue: on, covariate pre_revenue",
        "converted: off (no covariate)",
        "Sequential testing",
        "on: always-valid",
        "alpha = 0.05",
        "Segments by country (exploratory)",
        "Units per country and arm",
    ):
        assert text in html, text
    assert "Small-cell suppression was applied with k = 10" in html
    # The 6-unit arm: its count, its comparisons and the SRM statistic are withheld, never printed.
    arms = html[html.index("Units per arm") : html.index("Sample ratio mismatch (SRM) check")]
    assert re.search(r"<td class=\"t\">tiny</td><td class=\"t\">treatment</td><td class=\"hidden\">&lt;10</td>", arms)
    assert "withheld (fewer than 10 units in an arm)" in html and res.suppressed_cells >= 8
    assert ">6<" not in arms


def test_replay_reproduces_and_catches_a_tampered_number(report):
    rep, tmp = report
    res = write_report(rep, tmp / "evidence.html")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ok = subprocess.run([sys.executable, str(res.replay_path)], capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Root cause — segments" in ok.stdout and "Results" in ok.stdout and "reproduced" in ok.stdout
    script = res.replay_path.read_text(encoding="utf-8")
    impact = rep.sections[0].tables[1].data["impact"].iloc[0]
    bad = tmp / "tampered.replay.py"
    tampered = script.replace(repr(float(impact)), repr(float(impact) * 1.001), 1)
    assert tampered != script
    bad.write_text(tampered, encoding="utf-8")
    run = subprocess.run([sys.executable, str(bad)], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 1 and "DIFFERS" in run.stdout and "impact" in run.stdout, run.stdout
