"""Every clipboard copy of result data goes through the export guards: small-cell suppression in the
Explorer grid (nothing recoverable from the copied cells plus the true totals), masked personal data, an
audit entry per copy, and the experiment readout withholding a tiny arm."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from tests.conftest import write_parquet
from tests.widgets.test_workspace_ui import _actions, _open, _until_result, make_window  # noqa: F401 (fixture)
from tests.widgets.test_guarded_panel_exports import readout_window  # noqa: F401 (fixture)
from tests.workbench.test_privacy import attacker_ranges, with_totals

pytestmark = pytest.mark.timeout(120)
K = 10
# rows per (day, country): BR has a 3-row day, DE a 2-row day; the rest are >= 10
CELLS = [
    (0, "BR", 40),
    (1, "BR", 3),
    (2, "BR", 25),
    (0, "US", 31),
    (1, "US", 44),
    (2, "US", 52),
    (0, "DE", 12),
    (1, "DE", 17),
    (2, "DE", 2),
]


@pytest.fixture
def visits(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    values = ", ".join(f"({d}, '{c}', {n})" for d, c, n in CELLS)
    return write_parquet(
        data / "visits.parquet",
        f"""
        SELECT TIMESTAMP '2024-01-01' + INTERVAL (d) DAY + INTERVAL (i % 20) HOUR AS ts, c AS country,
               'user' || (i % 4) || '@example.com' AS email, i % 7 AS views
        FROM (SELECT d, c, unnest(range(n)) AS i FROM (VALUES {values}) v(d, c, n))""",
    )


def _clip() -> str:
    return QGuiApplication.clipboard().text()


def _tsv(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), sep="\t", dtype=str, keep_default_na=False)


def _num(v: str):
    return v if v in ("<10", "suppressed") else float(v)


def _breakdown(qtbot, w):
    ex = w.explorer
    ex.set_range("All data")
    ex.set_grain("day")
    ex.set_breakdown("country")
    return _until_result(
        qtbot, ex, lambda s: s.breakdown == "country" and s.grain == "day" and s.measure.agg == "count"
    )


def test_explorer_grid_copy_is_suppressed_and_logged(qtbot, make_window, visits):
    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, visits)
    result = _breakdown(qtbot, w)
    grid = w.explorer.results
    label = result.spec.measure.label
    qtbot.waitUntil(lambda: grid.table_model().total_rows == len(CELLS), timeout=5000)

    # Ctrl+C on the whole grid (the shortcut path), with headers through "Copy with headers".
    grid.setFocus()
    grid.selectAll()
    qtbot.keyClick(grid, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert _clip().count("\n") == len(CELLS) and "<10" in _clip()
    grid.copy_selection(headers=True)
    copied = _tsv(_clip())
    assert list(copied.columns) == [str(c) for c in grid.table_model().column_names()]
    counts = copied[label].tolist()
    assert "<10" in counts and "suppressed" in counts and "3" not in counts and "2" not in counts
    # Exactly what the CSV export writes for the same table.
    out = ctl.exporter.export("csv", ctl.recovery_dir / "same.csv")
    in_csv = pd.read_csv(out.path, dtype=str, keep_default_na=False)[label].tolist()
    assert [_num(v) for v in in_csv] == [_num(v) for v in counts]

    # An attacker who knows every true day/country total learns no small value exactly.
    true = copied[["bucket", "series"]].copy()
    size = {(pd.Timestamp("2024-01-01") + pd.Timedelta(days=d), c): n for d, c, n in CELLS}
    true[label] = [size[(pd.Timestamp(b), s)] for b, s in zip(copied["bucket"], copied["series"])]
    shown = copied.copy()
    shown[label] = [v if v in ("<10", "suppressed") else int(v) for v in shown[label]]
    seen = pd.concat([shown, with_totals(true, ["bucket", "series"], label).iloc[len(true) :]], ignore_index=True)
    ranges = attacker_ranges(seen, ["bucket", "series"], label, K)
    assert ranges and all(hi - lo >= 1 - 1e-6 for lo, hi in ranges.values())

    # A header sort does not misplace the markers: the same lines, reordered.
    before = sorted(_clip().splitlines()[1:])
    grid.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    grid.copy_all()
    assert sorted(_clip().splitlines()[1:]) == before

    entry = _actions(w, "clipboard_copied")[-1]["details"]
    assert entry["origin"] == "explorer" and entry["rows"] == len(CELLS) and entry["suppression_applied"]
    assert entry["suppression_k"] == K and entry["suppressed_cells"] >= 3 and label in entry["columns"]
    assert len(_actions(w, "clipboard_copied")) == 3
    from widgets.audit_panel import ACTION_LABELS, summarize

    assert ACTION_LABELS["clipboard_copied"] == "Copied to clipboard"
    assert "suppressed with k = 10" in summarize({"action": "clipboard_copied", "details": entry})

    # Not a count: copied as it is, the skip logged (no dialog).
    w.explorer.set_measure("sum", "views")
    _until_result(qtbot, w.explorer, lambda s: s.measure.agg == "sum")
    # The grid takes the new result after the result signal: copy once it shows the sum, not the counts.
    qtbot.waitUntil(lambda: any("sum" in str(c) for c in grid.table_model().column_names()), timeout=10000)
    grid.copy_all()
    assert "<10" not in _clip()
    skipped = _actions(w, "suppression_skipped")[-1]["details"]
    assert skipped["path"] == "clipboard" and skipped["reason"] == "measure is not a count"
    assert not _actions(w, "clipboard_copied")[-1]["details"]["suppression_applied"]


def test_masked_personal_data_stays_masked_on_the_clipboard(qtbot, make_window, visits):
    from widgets.table_model import MASK

    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, visits)
    console = w.sql_console
    console.set_sql("SELECT email, country FROM visits LIMIT 5")
    with qtbot.waitSignal(console.query_finished, timeout=15000):
        console.run()
    console.results.copy_all()
    assert MASK in _clip() and "@example.com" not in _clip()
    entry = _actions(w, "clipboard_copied")[-1]["details"]
    assert entry["origin"] == "sql_console" and entry["masked_columns"] == ["email"] and "pii_columns" not in entry

    # Explorer breakdown by the personal column: the series column is copied masked.
    ex = w.explorer
    ex.set_breakdown("email", top_n=3)
    _until_result(qtbot, ex, lambda s: s.breakdown == "email")
    qtbot.waitUntil(lambda: "series" in ex.results.table_model()._masked)
    ex.results.copy_all()
    assert MASK in _clip() and "@example.com" not in _clip()

    # Revealed (with a reason): copied in clear, logged as a personal-data copy with the reason.
    ctl.masker.ask_reveal = lambda candidates: (0, "fraud case 77")
    assert ctl.masker.reveal_in(ex.results)
    # The view is re-created unmasked and the Explorer re-runs its query.
    qtbot.waitUntil(lambda: "@example.com" in str(ex.results.table_model().raw_value(0, 1)), timeout=15000)
    ex.results.copy_all()
    assert "@example.com" in _clip()
    entry = _actions(w, "clipboard_copied")[-1]["details"]
    assert entry["pii_columns"] == {"series": "email"} and entry["pii_reason"] == "fraud case 77"


def test_experiment_readout_copy_withholds_a_tiny_arm(readout_window):
    w = readout_window  # a readout with a 6-unit arm on screen (tests/widgets/test_guarded_panel_exports.py)
    panel = w.panels["Experiments"]
    panel.copy_button.click()
    text = _clip()
    assert "tiny=<10" in text and "tiny=6" not in text and "n=6" not in text
    assert "Withheld (fewer than 10 units in an arm): converted · tiny" in text
    assert "treatment vs control" in text
    entry = _actions(w, "clipboard_copied")[-1]["details"]
    assert entry["origin"] == "experiment_readout" and entry["withheld_comparisons"] == 1
