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
