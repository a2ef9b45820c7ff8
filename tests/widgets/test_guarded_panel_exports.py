"""The Experiments panel's own CSV/PNG buttons and the Explorer leaderboard follow the workspace's privacy
rules: a tiny arm withheld as "<k" in the CSV, a provenance stamp, an audit entry with the file's SHA-256;
a breakdown column flagged as personal data masked in the leaderboard and chart legend until revealed."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import write_parquet
from tests.widgets.test_workspace_ui import _actions, _open, _until_result, make_window  # noqa: F401 (fixture)

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def readout_window(qtbot, make_window, tmp_path):
    from workbench.experiments import ExperimentSpec, MetricSpec, run_experiment

    path = write_parquet(
        tmp_path / "exp.parquet",
        """
        SELECT 'u' || i AS user_id,
               CASE WHEN i < 6 THEN 'tiny' WHEN i % 2 = 0 THEN 'control' ELSE 'treatment' END AS arm,
               (i % 5 = 0)::INT AS converted
        FROM range(1000) t(i)""",
    )
    w = make_window()
    _open(qtbot, w, path)
    spec = ExperimentSpec(
        table="exp", unit="user_id", arm="arm", control="control", metrics=(MetricSpec("converted", "proportion"),)
    )
    w.panels["Experiments"].show_readout(run_experiment(w.con.cursor(), spec).data)
    return w


def test_experiment_csv_export_withholds_the_tiny_arm_stamped_and_logged(readout_window, tmp_path):
    from workbench.export import read_provenance
    from workbench.fingerprint import sha256_file

    w = readout_window
    panel = w.panels["Experiments"]
    assert panel.export_hook is not None  # installed by the WorkspaceController
    target = tmp_path / "out" / "readout.csv"
    target.parent.mkdir()
    panel.export_csv(str(target))
    df = pd.read_csv(target, dtype=str, keep_default_na=False)
    tiny = df[df["arm"] == "tiny"]
    assert len(tiny) == 1 and tiny.iloc[0]["n_treatment"] == "<10" and tiny.iloc[0]["p_value"] == "<10"
    assert "6" not in set(df["n_treatment"])
    assert df[df["arm"] == "treatment"].iloc[0]["n_treatment"] not in ("<10", "")
    stamp = read_provenance(target)
    source = next(s for s in w.workspace.ws.sources if s.name == "exp")
    assert stamp["workspace"] == w.workspace.ws.name and stamp["sources"][0]["sha256"] == source.sha256
    assert stamp["suppression"]["k"] == 10 and stamp["description"]["view"] == "Experiment readout"
    entry = _actions(w, "export_written")[-1]["details"]
    assert entry["path"] == str(target) and entry["sha256"] == sha256_file(target)
    assert entry["suppression_k"] == 10 and entry["suppressed_cells"] == 1


def test_experiment_png_export_is_stamped_and_blanks_the_tiny_arm(readout_window, tmp_path):
    from workbench.export import read_provenance
    from workbench.fingerprint import sha256_file

    w = readout_window
    target = tmp_path / "readout.png"
    assert w.panels["Experiments"].export_png(str(target))
    stamp = read_provenance(target)
    assert stamp["sources"][0]["name"] == "exp" and "withheld" in stamp["suppression"]["statement"]
    entry = _actions(w, "export_written")[-1]["details"]
    assert entry["format"] == "png" and entry["sha256"] == sha256_file(target) and entry["suppressed_cells"] == 1


def test_leaderboard_and_legend_mask_a_flagged_column_until_revealed(qtbot, make_window, tmp_path):
    from widgets.table_model import MASK

    path = write_parquet(
        tmp_path / "visits.parquet",
        """
        SELECT TIMESTAMP '2024-01-01' + INTERVAL (i % 5) DAY AS ts, ['BR','US'][1 + i % 2] AS country,
               'user' || (i % 4) || '@example.com' AS email, i % 7 AS views
        FROM range(200) t(i)""",
    )
    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, path)
    ex = w.explorer
    board = ex.leaderboard
    ex.set_breakdown("email", top_n=3)
    _until_result(qtbot, ex, lambda s: s.breakdown == "email")
    qtbot.waitUntil(
        lambda: (
            board.current_dimension() == "email"
            and ex.last_leaderboard_spec is not None
            and board.table.rowCount() == 4
            and ex.last_leaderboard.dimension == "email"
        ),
        timeout=15000,
    )
    assert set(board.shown_values()) == {MASK}
    # Masked at the source: the rows hold tokens, which select the same rows of the masked view when clicked.
    assert all(str(v).startswith("email#") for v in board.row_values())
    legend = [ex.chart.legend_button(g).text() for g in ex.chart.visible_series() if ex.chart.legend_button(g)]
    assert legend and all(t in (MASK, "Other") for t in legend)
    bucket, values = ex.chart.readout_text(ex.chart._x_all[0])
    assert "@example.com" not in ex.chart.readout_html(bucket, values)

    # Reveal from the leaderboard's context menu (the reason goes to the audit log).
    ctl.masker.ask_reveal = lambda candidates: (0, "fraud case 12")
    next(a for a in board.table.actions() if a.text().startswith("Reveal")).trigger()
    # The view is re-created unmasked and the Explorer re-runs.
    qtbot.waitUntil(
        lambda: board.shown_values() and all(v.endswith("@example.com") for v in board.shown_values()), timeout=15000
    )
    legend = [ex.chart.legend_button(g).text() for g in ex.chart.visible_series() if ex.chart.legend_button(g)]
    assert any(t.endswith("@example.com") for t in legend)
    entry = _actions(w, "pii_revealed")[-1]["details"]
    assert entry["column"] == "email" and entry["reason"] == "fraud case 12"


def test_filter_chip_and_pick_list_hide_a_flagged_column_until_revealed(qtbot, make_window, tmp_path):
    from workbench.metrics import Filter

    path = write_parquet(
        tmp_path / "visits.parquet",
        """
        SELECT TIMESTAMP '2024-01-01' + INTERVAL (i % 5) DAY AS ts,
               'user' || (i % 4) || '@example.com' AS email, i % 7 AS views
        FROM range(200) t(i)""",
    )
    w = make_window()
    ctl = w.workspace
    _open(qtbot, w, path)
    ex = w.explorer
    qtbot.waitUntil(lambda: ctl.masker.is_masked(ex.current_table(), "email"), timeout=15000)
    # A filter on the flagged column (e.g. from a leaderboard click) filters by the real value but shows none.
    ex.filter_bar.add_filter(Filter("email", "=", "user1@example.com"))
    chip = ex.filter_bar.chips()[0]
    assert "@example.com" not in chip.label.text() and "•••" in chip.label.text()
    assert ex.filter_bar.filters()[0].value == "user1@example.com"
    editor = ex.filter_bar.editor
    editor.open_for("email")
    editor.set_values("email", ["user1@example.com", "user2@example.com"])
    assert editor.value.count() == 0 and "personal data" in editor.hint.text()

    ctl.masker.reveal(ex.current_table(), "email", "case 7")
    assert "user1@example.com" in ex.filter_bar.chips()[0].label.text()
