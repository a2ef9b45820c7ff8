"""Desktop exports go to the release log too: a second export that differs from the first by a group smaller
than k warns (banner + audit entry)."""

from __future__ import annotations

from workbench.metrics import Filter
from tests.widgets.test_workspace_ui import _actions, _open, _until_result, activity, make_window  # noqa: F401


def test_export_differing_by_a_small_group_warns(qtbot, make_window, activity, tmp_path):
    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, activity)
    assert ctl.save_to(tmp_path / "w.wbk")
    ex = w.explorer
    _until_result(qtbot, ex, lambda s: s.measure.agg == "count" and not s.filters)
    assert ctl.exporter.export("csv", tmp_path / "all.csv") is not None
    assert not _actions(w, "differencing_warning")
    ex.add_filter(Filter.parse("country in BR,US,DE"))  # 18 of each day's 24 rows: 6 (< k = 10) left out
    _until_result(qtbot, ex, lambda s: len(s.filters) == 1)
    assert ctl.exporter.export("csv", tmp_path / "three.csv") is not None
    warnings = _actions(w, "differencing_warning")
    assert warnings and "differ by 6 units" in warnings[-1]["details"]["message"]
    assert w.banner.level == "warning" and "differ by 6" in w.banner.text()
    assert (tmp_path / "w.wbk.releases.jsonl").exists()


def test_cell_key_mode_in_settings_perturbs_exports_and_reaches_the_cli(qtbot, make_window, activity, tmp_path):
    import csv

    from workbench import workspace as wsmod
    from workbench.export import read_provenance
    from workbench.protection.policy import CELL_KEY, policy_of_workspace

    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, activity)
    ex = w.explorer
    ex.set_breakdown("country")
    _until_result(qtbot, ex, lambda s: s.breakdown == "country" and s.measure.agg == "count")
    ctl.apply_settings(10, True, False, mode=CELL_KEY)
    assert policy_of_workspace(ctl.ws).mode == CELL_KEY
    _until_result(qtbot, ex, lambda s: s.breakdown == "country")
    qtbot.waitUntil(lambda: ctl.protection.protected_for(ex.last_result) is not None, timeout=15000)
    outcome = ctl.exporter.export("csv", tmp_path / "perturbed.csv")
    raw = ex.last_result.frame["value"].tolist()
    with open(outcome.path, newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(line for line in fh if not line.startswith("#"))]
    shown = [r["count(*)"] for r in rows]
    assert len(shown) == len(raw)
    for s, v in zip(shown, raw):  # 6 rows per country and day: perturbed, then hidden below k
        assert s == "<10" or abs(int(s) - v) <= 2
    assert read_provenance(outcome.path)["suppression"]["mode"] == "cell-key"
    # The policy is saved in the workspace, so the CLI applies the same mode.
    path = tmp_path / "w.wbk"
    assert ctl.save_to(path)
    assert policy_of_workspace(wsmod.load(path)).mode == CELL_KEY


def _cell_key_daily_totals(qtbot, w, ctl):
    """Day totals (24 rows a day) under a cell-key policy, once the perturbed table is ready."""
    from workbench.protection.policy import CELL_KEY

    ex = w.explorer
    ex.set_range("All data")
    ex.set_grain("day")
    _until_result(qtbot, ex, lambda s: s.measure.agg == "count" and s.grain == "day" and not s.breakdown)
    ctl.apply_settings(10, True, False, mode=CELL_KEY)
    _until_result(qtbot, ex, lambda s: s.grain == "day")
    qtbot.waitUntil(lambda: ctl.protection.protected_for(ex.last_result) is not None, timeout=15000)
    return ex.last_result, ctl.protection.protected_for(ex.last_result)


def test_clipboard_copy_under_cell_key_is_the_perturbed_table(qtbot, make_window, activity, tmp_path):
    import csv
    import io

    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, activity)
    result, protected = _cell_key_daily_totals(qtbot, w, ctl)
    assert protected.perturbed > 0  # ten day totals of 24: some move
    grid = w.explorer.results
    grid.selectAll()
    text = ctl.clipboard_guard.copy_explorer(grid, None, None, True)
    label = result.spec.measure.label
    copied = [r[label] for r in csv.DictReader(io.StringIO(text), delimiter="\t")]
    assert copied == [str(v) for v in protected.frame["value"]]
    assert copied != [str(int(v)) for v in result.frame["value"]]
    entry = _actions(w, "clipboard_copied")[-1]["details"]
    assert entry["protection_mode"] == "cell-key" and entry["perturbed_cells"] == protected.perturbed
    outcome = ctl.exporter.export("csv", tmp_path / "same.csv")
    with open(outcome.path, newline="", encoding="utf-8") as fh:
        exported = [r[label] for r in csv.DictReader(line for line in fh if not line.startswith("#"))]
    assert exported == copied


def test_report_under_cell_key_shows_the_perturbed_table_and_replays_within_the_bound(
    qtbot, make_window, activity, tmp_path
):
    import os
    import runpy
    import subprocess
    import sys
    from pathlib import Path

    from widgets.report_dialog import ReportRequest

    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, activity)
    result, protected = _cell_key_daily_totals(qtbot, w, ctl)
    ctl.save_view("Daily rows")
    with qtbot.waitSignal(ctl.report_written, timeout=60000) as blocker:
        ctl.write_report(ReportRequest("Perturbed", ["Daily rows"], tmp_path / "evidence.html", pdf=False))
    res = blocker.args[0]
    item = runpy.run_path(str(res.replay_path))["PAYLOAD"]["items"][0]
    column = item["columns"].index("value")
    shown = [row["values"][column] for row in item["rows"]]
    assert shown == [int(v) for v in protected.frame["value"]]  # the engine's cells, not the raw counts
    assert shown != [int(v) for v in result.frame["value"]]
    html = res.html_path.read_text(encoding="utf-8")
    assert "cell-key" in html.lower()
    # The replay recomputes true counts: each shown count is within the perturbation bound D = 2.
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    run = subprocess.run([sys.executable, str(res.replay_path)], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
