"""`workbench workspace new` and `--workspace` on the analysis commands: the workspace's policy is applied to
what the command prints, entries go to its audit log, and releases to its release log."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import run_cli
from workbench.audit import AuditLog


run = run_cli


def rows(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def wbk(tmp_path, users_parquet, capsys):
    target = tmp_path / "W.wbk"
    code, out, err = run(capsys, "workspace", "new", target, users_parquet, "--k", "10")
    assert code == 0, err
    assert "k = 10" in out and "audit log" in out
    return target


ICELAND = ("--filter", "country=IS", "--by", "platform", "--grain", "month")


def test_cli_metric_without_workspace_prints_the_small_cells(capsys, users_parquet):
    # The hole from the issue: 1, 5, 1 straight to stdout.
    code, out, err = run(capsys, "metric", users_parquet, *ICELAND)
    assert code == 0, err
    assert sorted(float(r["value"]) for r in rows(out)) == [1, 1, 5]


def test_cli_metric_with_workspace_suppresses_them(capsys, wbk, users_parquet):
    code, out, err = run(capsys, "metric", "--workspace", wbk, *ICELAND)
    assert code == 0, err
    assert {r["value"] for r in rows(out)} == {"<10"}
    assert "Small-cell suppression with k = 10" in err
    # PATH naming the workspace's own source works too.
    code, out, _ = run(capsys, "metric", users_parquet, "--workspace", wbk, *ICELAND)
    assert {r["value"] for r in rows(out)} == {"<10"}
    actions = [e["action"] for e in AuditLog(str(wbk) + ".audit.jsonl").entries()]
    assert actions.count("query_run") == 2 and "protection_policy_set" in actions


def test_cli_metric_in_cell_key_mode_hides_and_perturbs(capsys, tmp_path, users_parquet):
    target = tmp_path / "C.wbk"
    assert run(capsys, "workspace", "new", target, users_parquet, "--mode", "cell-key")[0] == 0
    code, out, err = run(capsys, "metric", "--workspace", target, "--by", "country", "--grain", "month")
    assert code == 0, err
    shown = {r["series"]: r["value"] for r in rows(out)}
    assert shown["IS"] in ("<10", "0")
    assert abs(int(shown["US"]) - 2000) <= 2 and abs(int(shown["DE"]) - 493) <= 2
    again = {
        r["series"]: r["value"]
        for r in rows(run(capsys, "metric", "--workspace", target, "--by", "country", "--grain", "month")[1])
    }
    assert again == shown
    # The same cells through `sql` and `profile` show the same values.
    code, out, _ = run(capsys, "sql", "--workspace", target, "SELECT country, count(*) AS n FROM data GROUP BY ALL")
    assert {r["country"]: r["n"] for r in rows(out)} == shown
    code, out, _ = run(capsys, "profile", "--workspace", target, "country")
    assert f"{int(shown['US']):,}  US" in out


def test_cli_sql_with_workspace_protects_aggregates_and_refuses_nested_ones(capsys, wbk):
    query = "SELECT platform, count(*) AS n, sum(spend) AS s FROM data WHERE country = 'IS' GROUP BY ALL"
    code, out, err = run(capsys, "sql", "--workspace", wbk, query)
    assert code == 0, err
    assert all(r["n"] == "<10" and r["s"] == "<10" for r in rows(out))
    code, out, err = run(
        capsys,
        "sql",
        "--workspace",
        wbk,
        "SELECT * FROM (SELECT platform, count(*) AS n FROM data WHERE country = 'IS' GROUP BY 1)",
    )
    assert code == 2 and "one SELECT ... GROUP BY" in err and not out
    code, out, err = run(
        capsys,
        "sql",
        "--workspace",
        wbk,
        "SELECT platform, count(*) FROM (SELECT * FROM data UNION ALL SELECT * FROM data) GROUP BY 1",
    )
    assert code == 2


def test_cli_profile_and_schema_with_workspace(capsys, wbk):
    code, out, err = run(capsys, "profile", "--workspace", wbk, "country")
    assert code == 0, err
    assert "<10  IS" in out and "2,000  US" in out
    code, out, err = run(capsys, "schema", "--workspace", wbk, "--format", "json")
    doc = json.loads(out)
    assert {c["name"]: c.get("masked") for c in doc["columns"]}["email"] == "email"


def test_differencing_two_releases_warns(capsys, wbk):
    code, _, err = run(capsys, "metric", "--workspace", wbk, "--filter", "country in US,IS", "--grain", "month")
    assert code == 0 and "warning" not in err
    code, out, err = run(capsys, "metric", "--workspace", wbk, "--filter", "country=US", "--grain", "month")
    assert code == 0
    assert "differ by 7 units" in err and "k = 10" in err
    warnings = [e for e in AuditLog(str(wbk) + ".audit.jsonl").entries() if e["action"] == "differencing_warning"]
    assert len(warnings) == 1
    # Asking the same question again raises nothing new.
    _, _, err = run(capsys, "metric", "--workspace", wbk, "--filter", "country=US", "--grain", "month")
    assert "differ by 7" in err  # still differs from the "US or IS" release
    releases = (wbk.parent / "W.wbk.releases.jsonl").read_text().splitlines()
    assert len(releases) == 3 and json.loads(releases[0])["cells"][0]["n"] == 2007


def test_system_minimum_applies_with_and_without_workspace(capsys, tmp_path, monkeypatch, users_parquet):
    floor = tmp_path / "policy.json"
    floor.write_text(json.dumps({"min_k": 20, "min_mode": "suppression", "mask_pii": True}))
    monkeypatch.setenv("WORKBENCH_SYSTEM_POLICY", str(floor))
    code, out, err = run(capsys, "metric", users_parquet, *ICELAND)
    assert code == 0 and {r["value"] for r in rows(out)} == {"<20"}
    assert "minimum policy" in err
    target = tmp_path / "low.wbk"
    assert run(capsys, "workspace", "new", target, users_parquet, "--k", "3")[0] == 0
    code, out, err = run(
        capsys, "metric", "--workspace", target, "--by", "platform", "--filter", "country=IS", "--grain", "month"
    )
    assert {r["value"] for r in rows(out)} == {"<20"} and "k ≥ 20" in err


def test_anomalies_explain_experiment_accept_workspace(capsys, tmp_path, users_parquet, wbk):
    code, out, err = run(capsys, "anomalies", "--workspace", wbk, "--by", "country", "--grain", "day")
    assert code == 0, err
    assert "Small-cell suppression" in err and "IS:" in out
    code, out, err = run(capsys, "anomalies", "--workspace", wbk, "--grain", "raw")
    assert code == 2 and "raw" in err
    code, out, err = run(
        capsys,
        "explain",
        "--workspace",
        wbk,
        "--window",
        "2024-03-04",
        "2024-03-05",
        "--dims",
        "country",
        "--baseline",
        "previous",
    )
    assert code == 0, err
    actions = [e["details"].get("command") for e in AuditLog(str(wbk) + ".audit.jsonl").entries()]
    assert "anomalies" in actions and "explain" in actions


def test_workspace_new_refuses_to_overwrite(capsys, wbk, users_parquet):
    code, _, err = run(capsys, "workspace", "new", wbk, users_parquet)
    assert code == 2 and "already exists" in err


def test_explain_hides_small_segments(capsys, wbk, users_parquet):
    # Unprotected, the ranking prints Iceland's numbers; with the workspace they are hidden.
    argv = ("--window", "2024-03-04", "2024-03-05", "--dims", "country,platform", "--baseline", "previous")
    code, plain, err = run(capsys, "explain", users_parquet, *argv, "--format", "json")
    assert code == 0, err
    labels = {s["label"] for s in json.loads(plain)["ranked"]}
    code, out, err = run(capsys, "explain", "--workspace", wbk, *argv, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    small = [seg for seg in doc["ranked"] if "country=IS" in seg["label"]]
    assert small, [s["label"] for s in doc["ranked"]]
    for seg in small:
        assert seg["hidden"] == "<10" and seg["actual"] is None and seg["impact"] is None
    assert {s["label"] for s in doc["ranked"]} == labels
    assert "segment" in err and "hidden" in err


def test_experiment_segments_with_few_units_are_withheld(capsys, tmp_path):
    from tests.conftest import write_parquet

    path = write_parquet(
        tmp_path / "exp.parquet",
        """
        SELECT 'u' || i AS user_id, CASE WHEN i % 2 = 0 THEN 'control' ELSE 'treatment' END AS arm,
               CASE WHEN i < 6 THEN 'IS' ELSE 'US' END AS country, (i % 13) * 1.0 AS minutes
        FROM range(400) t(i)""",
    )
    target = tmp_path / "E.wbk"
    assert run(capsys, "workspace", "new", target, path)[0] == 0
    argv = ("--metric", "m:mean:minutes", "--segment", "country", "--control", "control")
    code, out, err = run(capsys, "experiment", path, *argv, "--format", "json")
    assert code == 0, err
    plain = {v["segment"]: v for v in json.loads(out)["segments"]["values"]}
    assert plain["IS"]["units"] == {"control": 3, "treatment": 3} and plain["IS"]["metrics"]
    code, out, err = run(capsys, "experiment", "--workspace", target, *argv, "--format", "json")
    assert code == 0, err
    doc = json.loads(out)
    seg = {v["segment"]: v for v in doc["segments"]["values"]}
    assert seg["IS"]["hidden"] == "<10" and not seg["IS"]["metrics"] and seg["IS"]["units"]["control"] == "<10"
    assert seg["US"]["metrics"] and doc["segment_counts"]["IS"]["control"] == "<10"
    code, out, err = run(capsys, "experiment", "--workspace", target, *argv)
    assert "IS: fewer than 10 units in an arm — withheld" in out


def test_anomalies_auto_grain_under_a_policy_buckets_an_odd_native_step(capsys, tmp_path):
    # A 10-minute series matches no grain, so `auto` would analyse it raw — one value per timestamp, which a
    # policy cannot protect: under a policy `auto` buckets it at the next coarser grain instead.
    import pandas as pd

    ts = pd.date_range("2025-01-01", periods=2000, freq="10min")
    path = tmp_path / "ten_minutes.parquet"
    pd.DataFrame({"ts": ts, "value": range(2000)}).to_parquet(path, index=False)
    target = tmp_path / "T.wbk"
    assert run(capsys, "workspace", "new", target, path, "--k", "10")[0] == 0
    code, out, err = run(capsys, "anomalies", "--workspace", target, "--measure", "count(*)", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["grain"] == "15min"
    code, out, err = run(capsys, "anomalies", path, "--measure", "count(*)", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["grain"] == "raw"


def test_experiment_with_an_arm_below_k_is_withheld(capsys, tmp_path):
    # A whole arm of 4 units: its mean and CI describe 4 people, which a k = 10 policy does not release.
    from tests.conftest import write_parquet

    path = write_parquet(
        tmp_path / "tiny_arm.parquet",
        """
        SELECT 'u' || i AS user_id, CASE WHEN i < 4 THEN 'treatment' ELSE 'control' END AS arm,
               (i % 13) * 1.0 AS minutes
        FROM range(200) t(i)""",
    )
    target = tmp_path / "T.wbk"
    assert run(capsys, "workspace", "new", target, path)[0] == 0
    argv = ("--metric", "m:mean:minutes", "--control", "control", "--format", "json")
    assert run(capsys, "experiment", path, *argv)[0] == 0  # no policy: the readout as before
    code, out, err = run(capsys, "experiment", "--workspace", target, *argv)
    assert code == 2 and not out
    assert "treatment (4)" in err and "fewer than k = 10 units" in err and "Traceback" not in err
