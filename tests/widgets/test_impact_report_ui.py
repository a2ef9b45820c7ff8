"""Impact from the panel into the evidence report: run, "Add to report", write the report, and the replay
script reproduces every number; restoring the saved result refills the form."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.widgets.test_workspace_ui import _open, make_window  # noqa: F401  (fixture)

pytestmark = pytest.mark.timeout(240)
REPO = Path(__file__).resolve().parents[2]


def test_impact_added_to_report_replays(qtbot, make_window, tmp_path):  # noqa: F811
    from widgets.report_dialog import ReportRequest

    rng = np.random.default_rng(2)
    days = pd.date_range("2025-03-01", periods=30, freq="D")
    rows = [
        {
            "ts": d + pd.Timedelta(hours=5, minutes=3),
            "country": c,
            "views": 1000,
            "violations": int(rng.binomial(1000, 0.03 * (0.8 if c == "BR" and t >= 20 else 1.0))),
        }
        for c in ("BR", "US", "DE", "FR", "IN")
        for t, d in enumerate(days)
    ]
    data = tmp_path / "data"
    data.mkdir()
    path = data / "moderation.parquet"
    pd.DataFrame(rows).to_parquet(path, index=False)
    w = make_window()
    ctl = w.workspace
    ctl.ask_result_name = lambda default: default
    _open(qtbot, w, str(path))
    p = w.panels["Impact"]
    qtbot.waitUntil(lambda: p.treated_list.count() == 5, timeout=10000)
    assert not p.report_button.isEnabled()
    p.measure_combo.setCurrentText("ratio(violations, views)")
    p.set_treated(["BR"], start="2025-03-21")
    with qtbot.waitSignal(p.result_ready, timeout=30000):
        p.run_button.click()
    p.report_button.click()
    assert [r["kind"] for r in ctl.ws.saved_results] == ["impact"]
    name = ctl.ws.saved_results[0]["name"]
    assert name.startswith("Impact: ratio(violations, views) in BR")

    request = ReportRequest("Policy review", [], tmp_path / "evidence.html", pdf=False, results=[name])
    with qtbot.waitSignal(ctl.report_written, timeout=60000) as blocker:
        ctl.write_report(request)
    res = blocker.args[0]
    html = res.html_path.read_text(encoding="utf-8")
    for text in ("Estimates", "Event study (reference period −1)", "Synthetic-control donor weights", "What to do"):
        assert text in html, text
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ok = subprocess.run([sys.executable, str(res.replay_path)], capture_output=True, text=True, env=env, timeout=180)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    p.set_treated([])
    assert ctl.restore_result(name)
    qtbot.waitUntil(lambda: p.treated_units() == ["BR"], timeout=10000)
    assert p.start_edit.date().toString("yyyy-MM-dd") == "2025-03-21"
