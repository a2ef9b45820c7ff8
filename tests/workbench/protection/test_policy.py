"""The protection policy: stored in the workspace (migrated from older settings), raised to the system's
minimum, and applied by the engine to metric results in both modes."""

from __future__ import annotations

import json

import pytest

from workbench import workspace as wsmod
from workbench.catalog import Catalog
from workbench.metrics import Filter, Measure, MetricSpec, metric_series
from workbench.protection.apply import protect_metric
from workbench.protection.policy import (
    CELL_KEY,
    OFF,
    SUPPRESSION,
    PolicyError,
    ProtectionPolicy,
    SystemPolicy,
    effective_policy,
    new_policy,
    policy_of_workspace,
    store_policy,
    system_policy,
    workspace_policy,
)


def iceland_by_platform(con, users_parquet):
    source = Catalog(con).open(users_parquet)
    spec = MetricSpec(
        table=source.name,
        measure=Measure.parse("count(*)"),
        grain="month",
        filters=(Filter.parse("country=IS"),),
        breakdown="platform",
    )
    return metric_series(con, spec)


def test_unprotected_metric_shows_the_small_cells(con, users_parquet):
    # The hole: the engine hands out 1, 5, 1 for Iceland by platform.
    result = iceland_by_platform(con, users_parquet)
    assert sorted(result.frame["value"]) == [1, 1, 5]
    assert (
        protect_metric(con, result, ProtectionPolicy(mode=OFF)).frame["value"].tolist()
        == result.frame["value"].tolist()
    )


def test_suppression_hides_every_small_cell(con, users_parquet):
    result = iceland_by_platform(con, users_parquet)
    protected = protect_metric(con, result, new_policy(k=10))
    assert set(protected.frame["value"]) <= {"<10", "suppressed"}
    assert protected.hidden == 3
    assert "k = 10" in protected.statement


def test_cell_key_perturbs_counts_and_hides_small_ones(con, users_parquet):
    source = Catalog(con).open(users_parquet)
    spec = MetricSpec(table=source.name, measure=Measure.parse("count(*)"), grain="month", breakdown="country")
    result = metric_series(con, spec)
    policy = new_policy(k=10, mode=CELL_KEY)
    first = protect_metric(con, result, policy).frame.set_index("series")["value"]
    again = protect_metric(con, metric_series(con, spec), policy).frame.set_index("series")["value"]
    assert first.to_dict() == again.to_dict()  # the same cell always shows the same value
    assert abs(first["US"] - 2000) <= 2 and abs(first["DE"] - 493) <= 2
    assert first["IS"] == "<10" or first["IS"] == 0 or first["IS"] >= 10


def test_policy_round_trips_through_the_workspace(tmp_path):
    ws = wsmod.Workspace(name="w")
    policy = new_policy(k=12, mode=CELL_KEY).with_pii("users", "email", "email")
    store_policy(ws, policy)
    path = wsmod.save(ws, tmp_path / "w.wbk")
    loaded = wsmod.load(path)
    assert policy_of_workspace(loaded) == policy
    assert loaded.settings.suppression_k == 12  # the desktop panels read the same k
    assert json.loads(path.read_text())["protection"]["policy_version"] == 1


def test_older_workspace_settings_migrate_to_a_policy():
    ws = wsmod.Workspace(name="old")
    ws.settings.suppression_k, ws.settings.mask_pii = 7, True
    ws.pii = {"users": {"email": {"kind": "email", "masked": True}, "phone": {"kind": "phone", "masked": False}}}
    policy = policy_of_workspace(ws)
    assert (policy.mode, policy.k) == (SUPPRESSION, 7)
    assert policy.masked_columns("users") == {"email": "email"}
    assert policy_of_workspace(ws).cell_key.seed == policy.cell_key.seed  # stable until saved
    ws.settings.suppression_k = None
    assert policy_of_workspace(ws).mode == OFF


def test_system_minimum_cannot_be_lowered(tmp_path, monkeypatch):
    floor = tmp_path / "policy.json"
    floor.write_text(json.dumps({"min_k": 20, "min_mode": "cell-key", "mask_pii": True}))
    monkeypatch.setenv("WORKBENCH_SYSTEM_POLICY", str(floor))
    ws = wsmod.Workspace(name="w")
    store_policy(
        ws, ProtectionPolicy(mode=OFF, k=3, mask_pii=False).with_pii("t", "email", "email", revealed=True, reason="x")
    )
    eff = workspace_policy(ws)
    assert (eff.mode, eff.k, eff.mask_pii) == (CELL_KEY, 20, True)
    assert eff.masked_columns("t") == {"email": "email"}
    assert "minimum policy" in eff.statement()
    # A stricter workspace keeps its own values.
    strict = effective_policy(ProtectionPolicy(mode=CELL_KEY, k=50), SystemPolicy(min_k=20, path="x"))
    assert strict.k == 50 and not strict.raised_by_system


def test_a_broken_system_policy_is_an_error_not_ignored(tmp_path):
    bad = tmp_path / "policy.json"
    bad.write_text("{not json")
    with pytest.raises(PolicyError, match="cannot be read"):
        system_policy(bad)
    bad.write_text(json.dumps({"min_k": "ten"}))
    with pytest.raises(PolicyError, match="min_k"):
        system_policy(bad)
    assert not system_policy(tmp_path / "absent.json").present


def test_reports_use_the_effective_k(tmp_path, monkeypatch):
    from workbench.report import EvidenceReport

    ws = wsmod.Workspace(name="w")
    ws.settings.suppression_k = 5
    assert EvidenceReport.for_workspace(ws).k == 5
    floor = tmp_path / "policy.json"
    floor.write_text(json.dumps({"min_k": 11}))
    monkeypatch.setenv("WORKBENCH_SYSTEM_POLICY", str(floor))
    assert EvidenceReport.for_workspace(ws).k == 11


def test_a_minimum_k_turns_protection_on():
    eff = effective_policy(ProtectionPolicy(mode=OFF, k=10), SystemPolicy(min_k=15, path="x"))
    assert (eff.mode, eff.k) == (SUPPRESSION, 15)
