"""Masking at the source: personal-data columns come out of the catalog's views masked, so aliases,
expressions, joins and direct file reads cannot reach the raw values; revealing is audited."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import run_cli
from workbench.audit import AuditLog
from workbench.catalog import Catalog
from workbench.errors import QueryError
from workbench.protection.masked_views import check_reads_only_views, install, set_masks
from workbench.protection.policy import new_policy


run = run_cli


def test_console_masking_by_output_name_was_bypassed_by_an_alias(con, users_parquet):
    # The old approach: mask result columns named like a flagged column. An alias walks around it.
    catalog = Catalog(con)
    source = catalog.open(users_parquet)
    result = con.execute(f"SELECT email AS x FROM {source.name} LIMIT 1").fetchone()[0]
    assert result.endswith("@example.com")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT email AS x FROM {t}",
        "SELECT upper(email) || '' AS y FROM {t}",
        "SELECT a.email FROM {t} a JOIN {t} b USING (user_id)",
        "SELECT (SELECT max(email) FROM {t}) AS z",
        "SELECT string_agg(email, ',') AS w FROM {t}",
    ],
)
def test_masked_views_leave_no_raw_value_reachable(con, users_parquet, query):
    catalog = Catalog(con)
    install(catalog, new_policy().with_pii("users", "email", "email"))
    source = catalog.open(users_parquet)
    values = [str(v) for row in con.execute(query.format(t=source.name)).fetchall() for v in row]
    assert values and not any("@example.com" in v for v in values)
    assert catalog.view_masks["users"]["email"] == "email"
    assert catalog.view_masks["users"]["user_id"] == "account_id"  # the name rule masks it too


def test_masked_tokens_keep_counts_and_revealing_recreates_the_view(con, users_parquet):
    catalog = Catalog(con)
    install(catalog, new_policy())
    source = catalog.open(users_parquet)
    (distinct,) = con.execute(f"SELECT count(DISTINCT email) FROM {source.name}").fetchone()
    assert distinct == 2500  # equal values, equal tokens: distinct counts still work
    set_masks(catalog, source.name, {"user_id": "account_id"})
    (raw,) = con.execute(f"SELECT email FROM {source.name} LIMIT 1").fetchone()
    assert raw.endswith("@example.com")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT email FROM read_parquet('users.parquet')",
        "SELECT email FROM 'users.parquet'",
        "SELECT * FROM parquet_scan('users.parquet')",
        "SELECT read_text('/etc/passwd')",
        "SELECT * FROM glob('/**')",
        "SELECT * FROM other_table",
    ],
)
def test_file_reads_are_refused_while_masked(query):
    with pytest.raises(QueryError, match="masked"):
        check_reads_only_views(query, {"users", "data"})
    check_reads_only_views(
        "WITH t AS (SELECT * FROM users) SELECT * FROM t JOIN data USING (user_id)", {"users", "data"}
    )


def test_cli_reveal_is_audited_and_unmasks(capsys, tmp_path, users_parquet):
    target = tmp_path / "W.wbk"
    assert run(capsys, "workspace", "new", target, users_parquet)[0] == 0
    code, out, _ = run(capsys, "sql", "--workspace", target, "SELECT email AS x FROM data LIMIT 1")
    assert code == 0 and "@example.com" not in out and "email#" in out
    code, out, err = run(capsys, "sql", "--workspace", target, f"SELECT email FROM read_parquet('{users_parquet}')")
    assert code == 2 and "masked" in err
    code, _, err = run(capsys, "workspace", "reveal", target, "users.email", "--reason", "fraud case 123")
    assert code == 0, err
    code, out, _ = run(capsys, "sql", "--workspace", target, "SELECT email AS x FROM data LIMIT 1")
    assert "@example.com" in out
    reveals = [e for e in AuditLog(str(target) + ".audit.jsonl").entries() if e["action"] == "pii_revealed"]
    assert reveals and reveals[0]["details"]["reason"] == "fraud case 123"
    # user_id stays masked (only email was revealed).
    code, out, _ = run(capsys, "sql", "--workspace", target, "SELECT user_id FROM data LIMIT 1")
    assert "account_id#" in out


def test_system_policy_forbids_reveals(capsys, tmp_path, monkeypatch, users_parquet):
    target = tmp_path / "W.wbk"
    assert run(capsys, "workspace", "new", target, users_parquet)[0] == 0
    assert run(capsys, "workspace", "reveal", target, "users.email", "--reason", "x")[0] == 0
    floor = tmp_path / "policy.json"
    floor.write_text('{"mask_pii": true}')
    monkeypatch.setenv("WORKBENCH_SYSTEM_POLICY", str(floor))
    code, out, _ = run(capsys, "sql", "--workspace", target, "SELECT email FROM data LIMIT 1")
    assert "@example.com" not in out  # the earlier reveal is withdrawn by the system minimum
    code, _, err = run(capsys, "workspace", "reveal", target, "users.email", "--reason", "y")
    assert code == 2 and "cannot be revealed" in err


def test_cli_without_workspace_or_policy_is_unchanged(capsys, users_parquet):
    code, out, _ = run(capsys, "sql", users_parquet, "SELECT email FROM data LIMIT 1")
    assert code == 0 and list(csv.reader(io.StringIO(out)))[1][0].endswith("@example.com")
