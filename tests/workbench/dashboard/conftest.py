"""A small demo extract and the issue's metrics file beside it, shared by the dashboard tests."""

from __future__ import annotations

import shutil

import pytest

from workbench import demo

ISSUE_YAML = """\
version: 1
metrics:
  - name: violation_rate
    label: Violations per 1k views
    source: events            # a table name as opened (the file's stem) or a path relative to this file
    time: event_time
    measure: ratio(violations, views)   # any measure the CLI accepts
    scale: 1000                         # optional multiplier applied to the value
    filters: ["platform != web"]        # optional, the CLI's --filter syntax
    format: number                      # number | percent | duration_days | currency
    good: down                          # up | down | none
    description: Share of viewed content found violating.
dashboards:
  - name: Trust & safety weekly
    range: {start: 2026-10-01, end: 2026-10-08}   # or {last: 7 days}
    compare: previous period                      # or: none | "1 week" | "4 weeks"
    grain: day
    filters: []
    tiles:
      - {kpi: violation_rate}
      - {chart: violation_rate, by: country, top: 5}
      - {leaderboard: violation_rate, by: country, limit: 10}
      - {pivot: violation_rate, rows: country, columns: platform}
      - {text: "Notes for this week"}
"""

EXTRA_METRICS = """\
  - {name: reports, source: events.parquet, measure: sum(reports), good: down}
  - {name: batches, source: events, measure: count(*), good: none}
  - {name: sla, source: events, measure: mean(sla_days), format: duration_days, good: down}
  - {name: breach_share, source: events, measure: mean(sla_breached), format: percent, good: down}
  - {name: ios_reports, source: events, measure: sum(reports), filters: ["platform = ios"]}
"""


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dashdemo")
    demo.write_demo(folder, rows=150_000, seed=7, users=1_000)
    return folder


@pytest.fixture
def board_dir(demo_dir, tmp_path):
    """A folder with the demo events and a metrics file (the issue's, plus a few more metrics)."""
    shutil.copy(demo_dir / "events.parquet", tmp_path / "events.parquet")
    text = ISSUE_YAML.replace("dashboards:\n", EXTRA_METRICS + "dashboards:\n", 1)
    (tmp_path / "metrics.yml").write_text(text, encoding="utf-8")
    return tmp_path
