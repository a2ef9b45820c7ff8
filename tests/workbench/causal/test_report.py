"""An impact readout in the evidence report: its section, and the replay script recomputing every number
through the ``impact`` recipe (and catching a tampered one)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from workbench.analysis.impact import ImpactReadout
from workbench.catalog import Catalog
from workbench.causal.panel import ImpactSpec
from workbench.causal.report_section import impact_section
from workbench.metrics import Measure
from workbench.report import EvidenceReport, write_report
from workbench.workspace import SourceRecord, Workspace

REPO = Path(__file__).resolve().parents[3]


def test_report_section_replays_and_catches_a_tampered_att(con, did_parquet, tmp_path):
    catalog = Catalog(con)
    source = catalog.open([did_parquet])
    ws = Workspace(name="Policy review")
    ws.add_source(SourceRecord.from_source(source))
    spec = ImpactSpec(
        table=source.name,
        time_column="ts",
        measure=Measure.parse("sum(value)"),
        grain="day",
        unit="unit",
        treated=("u0", "u1"),
        start="2024-03-26",
    )
    recipe = ImpactReadout(spec).to_dict()
    doc = ImpactReadout(spec).run(con.cursor(), catalog).value.doc
    rep = EvidenceReport.for_workspace(ws)
    rep.sections.append(impact_section(doc, recipe, title="Moderation policy in u0 and u1"))
    res = write_report(rep, tmp_path / "evidence.html")
    html = res.html_path.read_text(encoding="utf-8")
    for text in (
        "Moderation policy in u0 and u1",
        "Estimates",
        "Event study (reference period −1)",
        "Synthetic-control donor weights",
        "Diagnostics",
        "What to do",
        doc["verdict"][:40],
    ):
        assert text in html, text
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ok = subprocess.run([sys.executable, str(res.replay_path)], capture_output=True, text=True, env=env, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "Estimates" in ok.stdout and "reproduced" in ok.stdout
    script = res.replay_path.read_text(encoding="utf-8")
    att = doc["did"]["att"]
    tampered = script.replace(repr(float(att)), repr(float(att) * 1.001), 1)
    assert tampered != script
    bad = tmp_path / "tampered.replay.py"
    bad.write_text(tampered, encoding="utf-8")
    run = subprocess.run([sys.executable, str(bad)], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 1 and "DIFFERS" in run.stdout, run.stdout


def test_section_notes_name_the_design(con, did_parquet):
    source = Catalog(con).open([did_parquet])
    spec = ImpactSpec(
        table=source.name,
        time_column="ts",
        measure=Measure.parse("sum(value)"),
        grain="day",
        unit="unit",
        treated=("u0",),
        start="2024-03-26",
        method="did",
    )
    doc = ImpactReadout(spec).run(con.cursor()).value.doc
    section = impact_section(doc, ImpactReadout(spec).to_dict(), title="t")
    assert "treated u0 from 2024-03-26" in section.method_notes["Design"]
    assert [t.part for t in section.tables] == ["estimates", "diagnostics"]
