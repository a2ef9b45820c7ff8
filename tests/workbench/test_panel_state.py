"""Panel state objects: JSON round trips, migrations from the unversioned dicts of workspace format 2, and a
workspace file written by the app before the states existed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench import workspace as wsm
from workbench.metrics import Filter, Measure, MetricSpec
from workbench.panel_state import (
    STATE_TYPES,
    AnomaliesState,
    DashboardState,
    ExperimentsState,
    ExplorerState,
    PanelStateError,
    PanelStates,
    WindowState,
    read_panel_states,
    store_panel_states,
)

LEGACY = Path(__file__).resolve().parents[1] / "widgets" / "data" / "legacy_v2" / "analysis.wbk"

SPEC = MetricSpec(
    table="trial",
    measure=Measure("sum", "views"),
    time_column="ts",
    breakdown="country",
    top_n=3,
    filters=(Filter("country", "in", ("BR", "US")),),
)


def one_of_each() -> list:
    return [
        ExplorerState(spec=SPEC, range="Last 7 days", hidden=("US",), x_range=(1.7e9, 1.8e9)),
        ExplorerState(spec=SPEC.replace(start="2024-01-01", end="2024-01-05"), range="Custom range"),
        AnomaliesState(method="level_shift", direction="up", threshold=4.5, min_volume=10.0, grain="day", metric=SPEC),
        AnomaliesState(),
        ExperimentsState(
            table="trial",
            unit="user_id",
            arm="arm",
            control="control",
            metrics=("views:mean",),
            segment="(none)",
            time_column="ts",
            correction="bh",
            sequential_tuning=5000.0,
        ),
        DashboardState(
            metrics_path="/data/metrics.yml",
            board="Trust & safety weekly",
            range="Last 28 days",
            grain="week",
            compare="previous period",
            filters="platform != web",
            cross_filters=(("country", "BR"), ("flagged", True)),
            rules_path="/data/alerts.yml",
            board_def={"name": "Trust & safety weekly", "tiles": [{"type": "kpi", "metric": "violation_rate"}]},
        ),
        DashboardState(metrics_path="m.yml"),
        WindowState(current_tab="Anomalies"),
    ]


@pytest.mark.parametrize("state", one_of_each(), ids=lambda s: type(s).__name__)
def test_every_state_round_trips_through_json(state):
    doc = json.loads(json.dumps(state.to_dict()))
    assert doc["version"] == type(state).version
    assert type(state).from_dict(doc) == state


def test_every_state_type_is_registered_by_kind():
    assert set(STATE_TYPES) == {"explorer", "anomalies", "experiments", "dashboard", "window"}
    assert all(t.kind == kind for kind, t in STATE_TYPES.items())


def test_states_are_frozen():
    state = WindowState(current_tab="Explorer")
    with pytest.raises(AttributeError):
        state.current_tab = "Anomalies"


def test_unversioned_explorer_dict_is_migrated():
    legacy = {"spec": SPEC.to_dict(), "range": "All data", "hidden": ["BR"], "x_range": None}
    state = ExplorerState.from_dict(legacy)
    assert state == ExplorerState(spec=SPEC, range="All data", hidden=("BR",))
    # The oldest files had only spec and range.
    assert ExplorerState.from_dict({"spec": SPEC.to_dict()}).hidden == ()


def test_unversioned_anomaly_rule_is_migrated():
    rule = {
        "name": "Anomalies panel",
        "grain": "hour",
        "metric": SPEC.to_dict(),
        "detector": {"method": "seasonal", "direction": "down", "threshold": None, "min_volume": 3.0, "season": "auto"},
    }
    state = AnomaliesState.from_dict(rule)
    assert state == AnomaliesState(
        method="seasonal", direction="down", threshold=None, min_volume=3.0, grain="hour", metric=SPEC
    )


def test_newer_and_damaged_states_raise_a_clear_error():
    with pytest.raises(PanelStateError, match="newer Workbench"):
        WindowState.from_dict({"version": 99, "current_tab": "x"})
    with pytest.raises(PanelStateError, match="version"):
        WindowState.from_dict({"version": "one"})
    with pytest.raises(PanelStateError, match="Explorer"):
        ExplorerState.from_dict({"version": 1, "spec": {"table": "t", "grain": "fortnight"}})
    with pytest.raises(PanelStateError, match="no table"):
        ExperimentsState.from_dict({"version": 1, "unit": "u"})
    with pytest.raises(PanelStateError, match="JSON object"):
        AnomaliesState.from_dict(["not", "a", "dict"])


def test_read_skips_an_unreadable_panel_and_says_which():
    ws = wsm.Workspace(
        panels={"window": {"version": 1, "current_tab": "Experiments"}, "explorer": {"version": 1, "spec": "garbage"}}
    )
    states = read_panel_states(ws)
    assert states.window == WindowState(current_tab="Experiments")
    assert states.explorer is None
    assert len(states.problems) == 1 and "Explorer" in states.problems[0]


def test_store_keeps_what_a_silent_panel_saved_before(tmp_path):
    ws = wsm.Workspace()
    store_panel_states(ws, PanelStates(explorer=one_of_each()[0], window=WindowState("Explorer")))
    store_panel_states(ws, PanelStates(window=WindowState("Anomalies")))  # the Explorer has nothing to say now
    path = wsm.save(ws, tmp_path / "a.wbk")
    states = read_panel_states(wsm.load(path))
    assert states.explorer == one_of_each()[0]
    assert states.window == WindowState("Anomalies")


def test_a_workspace_written_before_panel_states_opens_with_its_panels():
    """The fixture was saved by the app as it was before this change (workspace format 2)."""
    doc = json.loads(LEGACY.read_text())
    assert doc["schema_version"] == 2 and "panels" not in doc and "explorer" in doc["settings"]
    ws = wsm.load(LEGACY)
    states = read_panel_states(ws)
    assert states.problems == ()
    assert states.explorer.spec == MetricSpec(
        table="trial", measure=Measure("sum", "views"), time_column="ts", grain="day", breakdown="country", top_n=3
    )
    assert states.explorer.range == "All data" and states.explorer.hidden == () and states.explorer.x_range is None
    assert (states.anomalies.method, states.anomalies.threshold, states.anomalies.direction) == (
        "level_shift",
        4.5,
        "both",
    )
    assert states.anomalies.metric.table == "trial"
    assert states.experiments == ExperimentsState(
        table="trial",
        unit="user_id",
        arm="arm",
        control="control",
        metrics=("views:mean",),
        segment="(none)",
        time_column="ts",
        correction="bh",
        sequential_tuning=5000.0,
    )
    assert states.window == WindowState(current_tab="Anomalies")
    # The panel entries moved out of the lists and settings they were kept in; the rest is untouched.
    assert ws.anomaly_rules == [] and ws.experiments == []
    assert "explorer" not in ws.settings.extra and "current_tab" not in ws.settings.extra
    assert ws.annotations == [{"x": 1704240000.0, "label": "release 31.2"}] and ws.notes == "legacy notes"


def test_a_migrated_workspace_saves_as_the_current_format(tmp_path):
    ws = wsm.load(LEGACY)
    path = wsm.save(ws, tmp_path / "again.wbk")
    doc = json.loads(path.read_text())
    assert doc["schema_version"] == wsm.SCHEMA_VERSION == 3
    # Moved as they were (version 0); the states read from them are the current version.
    legacy_kinds = ("explorer", "anomalies", "experiments", "window")  # format 2 saved no dashboard
    assert {k: v["version"] for k, v in doc["panels"].items()} == dict.fromkeys(legacy_kinds, 0)
    assert read_panel_states(wsm.load(path)) == read_panel_states(ws)
    store_panel_states(ws, read_panel_states(ws))
    doc = json.loads(wsm.save(ws, path).read_text())
    assert {k: v["version"] for k, v in doc["panels"].items()} == dict.fromkeys(legacy_kinds, 1)
    assert read_panel_states(wsm.load(path)) == read_panel_states(wsm.load(LEGACY))
