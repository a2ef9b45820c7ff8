"""Alerts as data lands: rules naming defined metrics, the folder watcher, and `workbench watch` stopped by
Ctrl+C (SIGINT) in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_cli
from workbench.metrics_layer import parse_text
from workbench.metrics_layer.rules import load_rules
from workbench.watch import FolderWatcher

ROOT = Path(__file__).resolve().parents[3]
METRICS = """version: 1
metrics:
  - {name: findings, source: events, time: ts, measure: sum(findings), good: down}
  - {name: findings_k, source: events, time: ts, measure: sum(findings), scale: 0.001}
"""
RULES = {
    "rules": [
        {
            "name": "findings spike",
            "metric": "findings",
            "grain": "day",
            "conditions": [{"type": "threshold", "op": ">", "value": 100}],
        }
    ]
}


def _partition(folder: Path, day: int, per_hour: int) -> Path:
    part = folder / "events" / f"day={day:02d}"
    part.mkdir(parents=True, exist_ok=True)
    raw = duckdb.connect()
    raw.execute(
        f"COPY (SELECT TIMESTAMP '2026-03-01' + INTERVAL ({day - 1}) DAY + INTERVAL (h) HOUR AS ts, "
        f"{per_hour} AS findings FROM range(24) t(h)) TO '{part / 'part.parquet'}' (FORMAT parquet)"
    )
    raw.close()
    return part


@pytest.fixture
def landing(tmp_path):
    for day in range(1, 6):
        _partition(tmp_path, day, 2)  # 48 a day, under the threshold
    (tmp_path / "metrics.yml").write_text(METRICS)
    (tmp_path / "rules.json").write_text(json.dumps(RULES))
    return tmp_path


def test_folder_watcher_reports_settled_additions_changes_and_removals(tmp_path):
    w = FolderWatcher(tmp_path)
    assert w.poll() == []
    part = _partition(tmp_path, 1, 1)
    assert w.poll() == []  # seen once: may still be being written
    assert [(c.kind, Path(c.path).name) for c in w.poll()] == [("added", "part.parquet")]
    (tmp_path / "notes.txt").write_text("not data")
    (part / "part.parquet").unlink()
    assert [c.kind for c in w.poll()] == ["removed"]


def test_rules_naming_a_metric_take_its_definition_and_units(landing):
    mf = parse_text(METRICS, landing / "metrics.yml")
    rules = {
        "rules": [
            *RULES["rules"],
            {"name": "k", "metric": "findings_k", "conditions": [{"type": "threshold", "op": ">", "value": 0.1}]},
            {"name": "plain", "source": "events", "metric": {"measure": "count(*)"}},
        ]
    }
    (landing / "rules.json").write_text(json.dumps(rules))
    named = load_rules(landing / "rules.json", mf)
    assert [n.metric for n in named] == ["findings", "findings_k", None]
    assert named[0].rule.metric["measure"] == "sum(findings)" and named[0].rule.metric["time_column"] == "ts"
    assert named[1].rule.conditions[0].value == pytest.approx(100)  # 0.1 thousand findings
    assert named[0].rule.source == str((landing / "events").resolve())
    with pytest.raises(Exception, match="give the metrics file"):
        load_rules(landing / "rules.json")


def test_watch_once_fires_into_the_alerts_file_and_audit_log(capsys, landing):
    _partition(landing, 6, 20)  # 480 on the last day
    code, out, err = run_cli(
        capsys, "watch", landing, "--rules", landing / "rules.json", "--metrics", landing / "metrics.yml", "--once"
    )
    assert code == 1, err
    entry = json.loads((landing / "alerts.jsonl").read_text().splitlines()[0])
    assert entry["rule"] == "findings spike" and entry["metric"] == "findings"
    assert entry["series"][0]["latest_value"] == 480
    from workbench.audit import AuditLog
    from workbench.cli.outputs import default_log_path

    assert AuditLog(default_log_path()).entries()[-1]["action"] == "alert_fired"


def test_watch_fires_when_a_partition_lands_and_stops_cleanly_on_ctrl_c(landing, tmp_path_factory):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "WORKBENCH_DATA_DIR": str(tmp_path_factory.mktemp("wbdata"))}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workbench",
            "watch",
            str(landing),
            "--rules",
            str(landing / "rules.json"),
            "--metrics",
            str(landing / "metrics.yml"),
            "--interval",
            "0.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert "watching" in proc.stderr.readline()
        assert not (landing / "alerts.jsonl").exists()  # nothing fires on the first five days
        _partition(landing, 6, 20)
        deadline = time.monotonic() + 60
        while not (landing / "alerts.jsonl").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        line = proc.stdout.readline()
        assert json.loads(line)["rule"] == "findings spike"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert "stopped watching" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    entry = json.loads((landing / "alerts.jsonl").read_text().splitlines()[0])
    assert any(t["kind"] == "added" and "day=06" in t["path"] for t in entry["trigger"])
