"""Data-quality rules on small hand-made tables with known answers (engine, YAML files and CLI)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import run_cli, write_parquet
from workbench.checks import parse_checks, parse_rule, run_checks
from workbench.errors import SourceError, SpecError

EVENTS = """SELECT * FROM (VALUES
    (1, 'BR', 5.0, 'a@x.org', TIMESTAMP '2026-09-29 10:00', 10),
    (2, 'US', -1.0, 'bad', TIMESTAMP '2026-09-30 10:00', 11),
    (2, NULL, 200.0, NULL, TIMESTAMP '2026-10-02 10:00', 99),
    (NULL, 'XX', NULL, 'c@y.com', NULL, 10)) t(id, country, amount, email, ts, user_id)"""


@pytest.fixture
def events(tmp_path):
    return write_parquet(tmp_path / "events.parquet", EVENTS)


@pytest.fixture
def users(tmp_path):
    return write_parquet(tmp_path / "users.parquet", "SELECT * FROM (VALUES (10), (11)) t(id)")


def _run(con, catalog, path, *texts, **kw):
    table = catalog.open(path).name
    results, queries = run_checks(con, table, [parse_rule(t) for t in texts], **kw)
    return {r.rule.text: r for r in results}, queries


def test_row_rules_and_nulls_never_fail_value_rules(con, catalog, events):
    res, queries = _run(
        con,
        catalog,
        events,
        "not_null(id)",
        "accepted_values(country, BR, US)",
        "between(amount, 0, 100)",
        "regex(email, '^[^@]+@[^@]+$')",
        "expression(amount < 150)",
        "not_null(user_id)",
    )
    failing = {k: (r.status, r.failing_rows) for k, r in res.items()}
    assert failing == {
        "not_null(id)": ("fail", 1),
        "accepted_values(country, BR, US)": ("fail", 1),  # 'XX'; the NULL country does not fail
        "between(amount, 0, 100)": ("fail", 2),  # -1 and 200; NULL does not fail
        "regex(email, '^[^@]+@[^@]+$')": ("fail", 1),  # 'bad'; NULL does not fail
        "expression(amount < 150)": ("fail", 1),  # NULL amount: the condition is unknown, not false
        "not_null(user_id)": ("pass", 0),
    }
    assert res["regex(email, '^[^@]+@[^@]+$')"].sample[0]["email"] == "bad"
    assert sorted(s["amount"] for s in res["between(amount, 0, 100)"].sample) == [-1, 200]
    assert queries[0].count("events") == 1  # one scan of the table for every rule


def test_unique_counts_the_rows_in_duplicated_keys(con, catalog, events):
    res, _ = _run(con, catalog, events, "unique(id)", "unique(id, country)", "unique(user_id)")
    assert (res["unique(id)"].failing_rows, res["unique(id)"].observed["duplicated_keys"]) == (2, 1)
    assert res["unique(id)"].sample == [{"id": 2, "rows": 2}]
    assert res["unique(id, country)"].status == "pass"
    # user_id 10 twice: one key, two rows
    assert (res["unique(user_id)"].failing_rows, res["unique(user_id)"].observed["duplicated_keys"]) == (2, 1)


def test_row_count_freshness_and_gaps(con, catalog, events):
    res, _ = _run(
        con,
        catalog,
        events,
        "row_count(1, 3)",
        "row_count(4, )",
        "freshness(ts, 2 days, as_of=2026-10-03)",
        "freshness(ts, 1 day, as_of=2026-10-05)",
        "freshness(ts, 36 hours)",
        "no_gaps(ts, day)",
        "no_gaps(ts, week)",
        "row_count(within 10%)",
        now=dt.datetime(2026, 10, 3, 12),
    )
    assert res["row_count(1, 3)"].status == "fail" and res["row_count(4, )"].status == "pass"
    assert res["freshness(ts, 2 days, as_of=2026-10-03)"].status == "pass"
    assert res["freshness(ts, 1 day, as_of=2026-10-05)"].status == "fail"
    assert res["freshness(ts, 36 hours)"].status == "pass"  # latest 10-02 10:00 vs now 10-03 12:00: 26 h
    gaps = res["no_gaps(ts, day)"]
    assert (gaps.status, gaps.failing_rows) == ("fail", 1)
    assert gaps.sample == [{"missing_day": "2026-10-01T00:00:00"}]
    assert res["no_gaps(ts, week)"].status == "pass"
    assert res["row_count(within 10%)"].status == "pass"  # no previous run: this one is the baseline
    again, _ = _run(con, catalog, events, "row_count(within 10%)", previous_row_count=5)
    assert again["row_count(within 10%)"].status == "fail"  # 4 vs 5 = 20 %


def test_references(con, catalog, events, users):
    table_users = catalog.open(users).name
    res, _ = _run(con, catalog, events, f"references(user_id, {table_users}, id)")
    (r,) = res.values()
    assert (r.status, r.failing_rows, r.sample[0]["user_id"]) == ("fail", 1, 99)


def test_bad_rules_get_clear_messages(con, catalog, events):
    table = catalog.open(events).name
    for text, message in [
        ("not_null(nope)", "no column 'nope'"),
        ("regex(email, '[')", "not a valid regular expression"),
        ("between(amount, low, 3)", "not a number"),
        ("freshness(country, 2 days)", "not a date or timestamp"),
        ("freshness(ts, 2 fortnights)", "unknown time unit"),
        ("no_gaps(ts, decade)", "grain must be one of"),
        ("expression((SELECT 1) = 1)", "no subqueries"),
        ("expression(amount > 0; DROP TABLE x)", "condition"),
        ("expression(read_csv('/etc/passwd') IS NULL)", "table function"),
        ("row_count(5, 1)", "minimum is larger"),
        ("frobnicate(x)", "Unknown rule"),
        ("not_null", r"NAME\(ARGS\)"),
    ]:
        with pytest.raises((SpecError, SourceError), match=message):
            run_checks(con, table, [parse_rule(text)])


def test_yaml_vocabulary():
    rules, table = parse_checks("""
table: events.parquet
checks:
  - not_null(id)
  - unique: [id, country]
  - accepted_values: {column: country, values: [BR, US], severity: warn}
  - relationships: {column: user_id, to: users.parquet, field: id}
  - expression: amount >= 0
  - freshness: {column: ts, within: 2 days, as_of: 2026-10-01}
columns:
  - name: amount
    tests: [not_null, {between: {min: 0, max: 10}}]
""")
    assert table == "events.parquet"
    assert [r.kind for r in rules] == [
        "not_null",
        "unique",
        "accepted_values",
        "references",
        "expression",
        "freshness",
        "not_null",
        "between",
    ]
    assert rules[1].columns == ("id", "country") and rules[2].severity == "warn"
    assert rules[3].params == {"to": "users.parquet", "field": "id"}
    assert rules[5].params["as_of"] == "2026-10-01"
    assert rules[7].text == "between(amount, 0, 10)"
    with pytest.raises(SpecError, match="not valid YAML"):
        parse_checks("checks: [not_null(")
    with pytest.raises(SpecError, match="needs a column"):
        parse_checks("checks: [not_null]")


def test_cli_json_order_exit_codes_and_history(capsys, events, users, tmp_path):
    history = tmp_path / "history.json"
    rules = [
        "between(amount, 0, 1000)",
        "not_null(id)",
        "accepted_values(country, BR, US, XX)",
        "freshness(ts, 2 days, as_of=2026-10-01)",
        "no_gaps(ts, day)",
        "row_count(1, 10)",
        "unique(id)",
        "regex(email, '@')",
    ]
    code, out, err = run_cli(capsys, "check", events, "--rule", *rules, "--format", "json", "--history", history)
    assert code == 1, err
    doc = json.loads(out)
    assert list(doc) == ["rules"] and [r["rule"] for r in doc["rules"]] == rules
    assert all(list(r) == ["rule", "status", "failing_rows", "sample"] for r in doc["rules"])
    assert [r["status"] for r in doc["rules"]] == ["fail", "fail", "pass", "pass", "fail", "pass", "fail", "fail"]
    code, out, _ = run_cli(
        capsys, "check", events, "--rule", "row_count(1, 10)", "--rule", "not_null(user_id)", "--history", history
    )
    assert code == 0 and "2 passed" in out
    checks = tmp_path / "checks.yml"
    checks.write_text(
        f"table: events.parquet\nchecks:\n  - references(user_id, {users}, id)\n"
        "  - {not_null: id, severity: warn}\n  - row_count: {within_percent: 1}\n",
        encoding="utf-8",
    )
    code, out, _ = run_cli(capsys, "check", "--rules", checks, "--format", "json", "--history", history)
    statuses = [r["status"] for r in json.loads(out)["rules"]]
    assert code == 1 and statuses == ["fail", "warn", "pass"]
    code, _, err = run_cli(capsys, "check", events, "--rule", "not_null(nope)")
    assert code == 2 and "no column 'nope'" in err
    code, _, err = run_cli(capsys, "check", events)
    assert code == 2 and "at least one" in err
