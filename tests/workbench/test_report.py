"""Evidence report: self-contained HTML, suppression statement, replay script reproducing the numbers."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_parquet
from workbench.audit import AuditLog
from workbench.catalog import Catalog
from workbench.engine import run_query
from workbench.metrics import Measure, MetricSpec, metric_series
from workbench.report import EvidenceReport, ReportSection, render_html, replay_payload, write_report
from workbench.workspace import SourceRecord, Workspace

REPO = Path(__file__).resolve().parents[2]
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


@pytest.fixture
def analysis(tmp_path, con):
    data = tmp_path / "data"
    data.mkdir()
    path = write_parquet(
        data / "views.parquet",
        """
        SELECT TIMESTAMP '2024-01-01' + INTERVAL (i % 240) HOUR AS ts,
               ['BR', 'US', 'DE', 'IS'][1 + (i % 4)] AS country,
               CASE WHEN i % 4 = 3 THEN 'u' || (i % 5) ELSE 'u' || (i % 400) END AS user_key,
               (i % 7) * 1.5 AS views
        FROM range(4000) t(i)""",
    )
    catalog = Catalog(con)
    source = catalog.open(path)
    ws = Workspace(name="Fraud review")
    ws.add_source(SourceRecord.from_source(source))
    ws.notes = "Spike on 3 Jan is the BR campaign.\n\nChecked with the data owner <ops@example.com>."
    spec = MetricSpec(table="views", measure=Measure("sum", "views"), grain="day", breakdown="country")
    result = metric_series(con.cursor(), spec)
    sql_text = (
        "SELECT country, count(DISTINCT user_key) AS users, sum(views) AS views FROM views "
        "GROUP BY country ORDER BY country"
    )
    by_country = run_query(con.cursor(), sql_text).to_pandas()
    report = EvidenceReport.for_workspace(ws, description={"view": "daily views"})
    report.sections = [
        ReportSection(
            "Daily views by country",
            text="Views rose on 3 Jan.",
            image_png=PNG,
            data=result.frame,
            method_notes={"Aggregation": "sum of views per day", "Breakdown": "top 10 countries"},
            sql=result.sql,
            recipe={"kind": "metric", "spec": spec.to_dict()},
        ),
        ReportSection(
            "Users by country",
            data=by_country,
            sql=sql_text,
            recipe={"kind": "sql", "sql": sql_text},
            count_column="users",
            dims=["country"],
        ),
        ReportSection("Readout", text="No experiment this week.", method_notes={"Test": "none"}),
    ]
    return report, data


def test_html_is_self_contained(analysis):
    report, _ = analysis
    page = render_html(report, replay_name="r.replay.py")
    assert page.startswith("<!DOCTYPE html>")
    assert "data:image/png;base64," in page
    assert not re.search(r"(src|href)=\"(https?:|//|file:)", page) and "<script" not in page
    for needle in (
        "Daily views by country",
        "Aggregation",
        "sum of views per day",
        "Data fingerprints",
        report.provenance.sources[0]["sha256"],
        "SQL appendix",
        "GROUP BY country",
        "Spike on 3 Jan",
        "ops@example.com",
        "Workbench",
        "k = 10",
        "r.replay.py",
    ):
        assert html_unescape(needle) in html_unescape(page), needle
    assert "<ops@example.com>" not in page  # escaped


def html_unescape(text):
    import html

    return html.unescape(text)


def test_small_group_is_hidden_in_report(analysis):
    report, _ = analysis
    page = render_html(report)
    table = report.sections[1].data
    small = table.loc[table.users < 10, "country"].tolist()
    assert small == ["IS"]
    assert "&lt;10" in page and "suppressed" in page
    assert "Small-cell suppression was applied with k = 10" in page
    payload = replay_payload(report)
    hidden_rows = [r for r in payload["items"][1]["rows"] if r["values"] is None]
    assert len(hidden_rows) == 2  # the small group and its complement: numbers not embedded


def test_report_without_suppression_says_so(analysis):
    report, _ = analysis
    report.k = None
    assert "was <b>not</b> applied" in render_html(report)


def run_replay(script: Path, *args):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, env=env, cwd=script.parent, timeout=120
    )


def test_replay_script_reproduces_then_detects_changes(analysis, tmp_path):
    report, data = analysis
    log = AuditLog(tmp_path / "audit.jsonl", user="u", version="v")
    out = tmp_path / "out"
    out.mkdir()
    result = write_report(report, out / "evidence.html", audit=log)
    assert result.replay_path.name == "evidence.replay.py" and result.suppressed_cells == 2
    entry = log.entries()[-1]
    assert entry["action"] == "report_written" and entry["details"]["sha256"] == result.html_sha256

    ok = run_replay(result.replay_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "numbers in 2 section(s) reproduced" in ok.stdout and "OK        views.parquet" in ok.stdout

    # The extracts moved: --data-dir finds them.
    moved = tmp_path / "moved"
    data.rename(moved)
    assert run_replay(result.replay_path).returncode == 2
    assert run_replay(result.replay_path, "--data-dir", str(moved)).returncode == 0

    # A number in the report that the data does not give: detected.
    script = result.replay_path.read_text()
    first = replay_payload(report)["items"][0]["rows"][0]["values"][0]
    tampered = script.replace(f'"values": [{first}', f'"values": [{first + 1}', 1)
    assert tampered != script
    result.replay_path.write_text(tampered)
    bad = run_replay(result.replay_path, "--data-dir", str(moved))
    assert bad.returncode == 1 and "DIFFERS" in bad.stdout

    # A changed extract: the fingerprint check stops the replay.
    result.replay_path.write_text(script)
    write_parquet(moved / "views.parquet", "SELECT 1 AS x")
    changed = run_replay(result.replay_path, "--data-dir", str(moved))
    assert changed.returncode == 1 and "MISMATCH" in changed.stdout


def test_write_report_errors(analysis, tmp_path):
    report, _ = analysis
    from workbench.report import ReportError

    with pytest.raises(ReportError, match="folder does not exist"):
        write_report(report, tmp_path / "nope" / "r.html")
    path = write_report(report, tmp_path / "r", replay=False)
    assert path.html_path.name == "r.html" and path.replay_path is None
