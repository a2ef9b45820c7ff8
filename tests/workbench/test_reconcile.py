"""Keyed and aggregate reconciliation on small hand-made files with known answers (engine and CLI)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli, write_parquet
from workbench.errors import SourceError, SpecError
from workbench.reconcile import AggregateSpec, ReconcileSpec, compare_aggregates, compare_keyed, suggest_mapping
from workbench.reconcile.schema import CompareOptions

JSON_KEYS = [
    "key",
    "rows_a",
    "rows_b",
    "matched",
    "only_a",
    "only_b",
    "duplicate_keys_a",
    "duplicate_keys_b",
    "columns",
    "schema",
    "samples",
]


@pytest.fixture
def pair(tmp_path):
    """A and B: key 1 equal, 2 amount changed, 3 duplicated in A, 4 only in B, 6 only in A, NULL key in both."""
    a = write_parquet(
        tmp_path / "a.parquet",
        """
        SELECT * FROM (VALUES (1, 'x', 10.0, DATE '2024-01-01'), (2, 'y', 20.0, DATE '2024-01-02'),
                              (3, 'z', 30.0, NULL), (3, 'z', 31.0, NULL), (NULL, 'n', 9.0, NULL),
                              (6, 'only a', 6.0, NULL)) t(id, name, amount, d)""",
    )
    b = write_parquet(
        tmp_path / "b.parquet",
        """
        SELECT * FROM (VALUES (1, 'x', 10, TIMESTAMP '2024-01-01 00:00'), (2, 'y', 20.4, TIMESTAMP '2024-01-02'),
                              (3, 'z', 30, NULL), (4, 'w', 4, NULL), (NULL, 'n', 9, NULL)) t(id, name, amount, d)""",
    )
    return a, b


def _open(catalog, *paths):
    return [catalog.open(p).name for p in paths]


def test_keyed_counts_with_duplicates_null_keys_and_coercion(con, catalog, pair):
    a, b = _open(catalog, *pair)
    res = compare_keyed(con, ReconcileSpec(a, b, ("id",)))
    assert (res.rows_a, res.rows_b) == (6, 5)
    assert (res.duplicate_keys_a, res.duplicate_rows_a, res.duplicate_keys_b) == (1, 2, 0)
    # key 3 is left out on both sides; NULL matches NULL; 1, 2 and NULL are matched
    assert (res.matched, res.only_a, res.only_b) == (3, 1, 1)
    changed = {c.name: (c.changed, c.compared) for c in res.columns}
    # 10.0 = 10 (DOUBLE vs INTEGER) and a date equals the timestamp at midnight: only 20.0 vs 20.4 differs
    assert changed == {"name": (0, 3), "amount": (1, 3), "d": (0, 3)}
    assert res.samples["only_a"] == [{"id": 6, "name": "only a", "amount": 6.0, "d": None}]
    assert res.samples["only_b"][0]["id"] == 4
    assert res.samples["changed"]["amount"] == [{"key": {"id": 2}, "a": 20.0, "b": 20.4}]
    assert res.samples["duplicate_keys_a"] == [{"id": 3, "rows": 2}]
    assert res.differs
    assert set(res.schema.type_changed) == {"amount", "d"}  # DECIMAL vs DOUBLE, DATE vs TIMESTAMP


def test_tolerances(con, catalog, pair):
    a, b = _open(catalog, *pair)
    amount = ("amount",)
    assert (
        compare_keyed(con, ReconcileSpec(a, b, ("id",), columns=amount, options=CompareOptions(abs_tol=0.5)))
        .columns[0]
        .changed
        == 0
    )
    assert (
        compare_keyed(con, ReconcileSpec(a, b, ("id",), columns=amount, options=CompareOptions(abs_tol=0.3)))
        .columns[0]
        .changed
        == 1
    )
    # 0.4 / 20.4 ≈ 1.96 %
    assert (
        compare_keyed(con, ReconcileSpec(a, b, ("id",), columns=amount, options=CompareOptions(rel_tol=0.02)))
        .columns[0]
        .changed
        == 0
    )
    assert (
        compare_keyed(con, ReconcileSpec(a, b, ("id",), columns=amount, options=CompareOptions(rel_tol=0.019)))
        .columns[0]
        .changed
        == 1
    )


def test_text_options_nulls_and_failed_coercion(con, catalog, tmp_path):
    a = write_parquet(
        tmp_path / "ta.parquet",
        """SELECT * FROM (VALUES (1, 'Alice', '1'), (2, NULL, '2'),
        (3, 'bob', NULL), (4, 'x', 'abc')) t(k, who, n)""",
    )
    b = write_parquet(
        tmp_path / "tb.parquet",
        """SELECT * FROM (VALUES (1, ' alice ', 1.0), (2, NULL, 2.5),
        (3, 'bob', NULL), (4, 'x', 4.0)) t(k, who, n)""",
    )
    a, b = _open(catalog, a, b)
    plain = {c.name: c.changed for c in compare_keyed(con, ReconcileSpec(a, b, ("k",))).columns}
    assert plain == {"who": 1, "n": 2}  # '1' = 1.0; '2' vs 2.5 and 'abc' (not a number) vs 4.0 differ
    loose = compare_keyed(con, ReconcileSpec(a, b, ("k",), options=CompareOptions(ignore_case=True, trim=True)))
    assert {c.name: c.changed for c in loose.columns}["who"] == 0


def test_agreeing_sides_and_multi_column_key_with_odd_names(con, catalog, tmp_path):
    odd = ['user "id"', "na,me", "größe"]
    sel = 'SELECT * FROM (VALUES (1, \'a\', 1.5), (1, \'b\', 2.5), (2, \'a\', NULL)) t("user ""id""", "na,me", "größe")'
    a = write_parquet(tmp_path / "oa.parquet", sel)
    raw = tmp_path / "ob.csv"
    raw.write_text('"user ""id""","na,me",größe\n2,a,\n1,b,2.5\n1,a,1.50\n', encoding="utf-8")
    a, b = _open(catalog, a, str(raw))
    res = compare_keyed(con, ReconcileSpec(a, b, tuple(odd[:2])))
    assert (res.matched, res.only_a, res.only_b, res.rows_changed) == (3, 0, 0, 0)
    assert not res.differs


def test_bad_input_messages(con, catalog, pair, tmp_path):
    a, b = _open(catalog, *pair)
    with pytest.raises(SourceError, match="no key column 'ids'.*did you mean 'id'"):
        compare_keyed(con, ReconcileSpec(a, b, ("ids",)))
    text_key = catalog.open(write_parquet(tmp_path / "s.parquet", "SELECT '1' AS id, 1 AS amount")).name
    with pytest.raises(SpecError, match="Key column 'id' is INTEGER .* VARCHAR .* cannot be matched"):
        compare_keyed(con, ReconcileSpec(a, text_key, ("id",)))
    empty = catalog.open(write_parquet(tmp_path / "e.parquet", "SELECT 1 AS id LIMIT 0")).name
    with pytest.raises(SpecError, match="has no rows"):
        compare_keyed(con, ReconcileSpec(a, empty, ("id",)))
    with pytest.raises(SourceError, match="no column 'nope'"):
        compare_keyed(con, ReconcileSpec(a, b, ("id",), columns=("nope",)))


def test_mapping_suggestions_and_renamed_columns(con, catalog, tmp_path):
    a = write_parquet(tmp_path / "ma.parquet", "SELECT 1 AS id, 'x' AS userName, 5 AS total")
    b = write_parquet(tmp_path / "mb.parquet", "SELECT 1 AS id, 'x' AS user_name, DATE '2024-01-01' AS total_2")
    a, b = _open(catalog, a, b)
    res = compare_keyed(con, ReconcileSpec(a, b, ("id",)))
    assert res.schema.only_a == ("userName", "total") and res.differs
    assert [s[:2] for s in res.suggested_mapping] == [("userName", "user_name")]  # total vs a DATE: no
    mapped = compare_keyed(
        con, ReconcileSpec(a, b, ("id",), columns=("userName",), column_map=(("userName", "user_name"),))
    )
    assert mapped.columns[0].changed == 0 and not mapped.differs
    assert suggest_mapping({"a": "BIGINT"}, {"zzz": "BIGINT"}) == []


def test_aggregate_reconciliation(con, catalog, pair):
    a, b = _open(catalog, *pair)
    res = compare_aggregates(con, AggregateSpec(a, b, ("amount",), ("name",)))
    frame = res.frame.set_index("name")
    assert frame.loc["z", "amount_a"] == 61.0 and frame.loc["z", "amount_b"] == 30.0
    assert frame.loc["z", "amount_delta"] == -31.0
    assert frame.loc["z", "amount_delta_pct"] == pytest.approx(-31 / 61 * 100)
    assert not frame.loc["x", "differs"] and frame.loc["w", "rows_a"] == 0
    assert res.frame["differs"].tolist() == sorted(res.frame["differs"].tolist(), reverse=True)  # differing first
    assert (res.groups, res.groups_differing) == (6, 4)  # y, z, "only a", w


def test_cli_json_exit_codes(capsys, pair, tmp_path):
    a, b = pair
    code, out, err = run_cli(capsys, "reconcile", a, b, "--key", "id", "--format", "json")
    assert code == 1, err
    doc = json.loads(out)
    assert list(doc) == JSON_KEYS
    assert doc["columns"]["amount"] == {"changed": 1, "compared": 3}
    assert set(doc["schema"]) == {"only_a", "only_b", "type_changed"}
    code, out, _ = run_cli(
        capsys, "reconcile", a, b, "--key", "id", "--columns", "amount", "--abs-tol", "1", "--format", "json"
    )
    assert json.loads(out)["columns"] == {"amount": {"changed": 0, "compared": 3}}
    same = write_parquet(tmp_path / "same.parquet", "SELECT range AS id, range * 2 AS v FROM range(5)")
    code, out, _ = run_cli(capsys, "reconcile", same, same, "--key", "id")
    assert code == 0 and out.rstrip().endswith("AGREE")
    code, out, err = run_cli(capsys, "reconcile", a, same, "--key", "nope")
    assert code == 2 and "no key column 'nope'" in err and not out
    code, _, err = run_cli(capsys, "reconcile", a, b, "--key", "id", "--abs-tol", "-1")
    assert code == 2


def test_cli_aggregate_text(capsys, pair):
    code, out, _ = run_cli(capsys, "reconcile", *pair, "--measures", "amount", "--by", "name")
    assert code == 1 and "6 groups, 4 differ" in out


def test_report_sections_carry_counts_and_recipes(con, catalog, pair):
    from workbench.analysis.checks import ChecksRun
    from workbench.analysis.reconcile import ReconcileView
    from workbench.checks import parse_rule
    from workbench.reconcile.report_section import checks_section, reconcile_section

    a, b = _open(catalog, *pair)
    keyed = ReconcileView(keyed=ReconcileSpec(a, b, ("id",)))
    section = reconcile_section(keyed.run(con), keyed.to_dict(), title="Vendor vs ours")
    assert [t.part for t in section.tables] == ["summary", "columns"]
    assert "3 matched, 1 only in A, 1 only in B" in section.text and "left out of the matching" in section.text
    totals = ReconcileView(aggregate=AggregateSpec(a, b, ("amount",), ("name",)))
    section = reconcile_section(totals.run(con), totals.to_dict(), title="Totals")
    assert [t.part for t in section.tables] == ["groups"] and "6 groups, 4 differ" in section.text
    checks = ChecksRun(a, (parse_rule("unique(id)"), parse_rule("not_null(name)")))
    section = checks_section(checks.run(con), checks.to_dict(), title="Data quality")
    assert "1 passed, 0 warned, 1 failed" in section.text and "FAIL: unique(id)" in section.text
    assert section.tables[0].data["status"].tolist() == ["fail", "pass"]


def test_renamed_key_and_column_are_no_schema_difference(capsys, tmp_path):
    a = write_parquet(tmp_path / "orig.parquet", "SELECT i AS id, i * 2 AS amount FROM range(5) t(i)")
    b = write_parquet(tmp_path / "renamed.parquet", "SELECT i AS case_id, i * 2 AS amt FROM range(5) t(i)")
    code, out, err = run_cli(
        capsys, "reconcile", a, b, "--key", "id=case_id", "--map", "amount=amt", "--format", "json"
    )
    doc = json.loads(out)
    assert code == 0, err
    assert doc["schema"] == {"only_a": [], "only_b": [], "type_changed": []}
    assert doc["columns"] == {"amount": {"changed": 0, "compared": 5}} and doc["key"] == ["id"]


def test_a_null_key_on_one_side_is_sampled_with_its_values(con):
    con.execute("CREATE VIEW x AS SELECT * FROM (VALUES (1, 'a'), (NULL, 'n'), (3, 'c')) t(id, v)")
    con.execute("CREATE VIEW y AS SELECT * FROM (VALUES (1, 'b'), (4, 'd')) t(id, v)")
    res = compare_keyed(con, ReconcileSpec("x", "y", ("id",)))
    assert res.only_a == 2 and res.samples["only_a"] == [{"id": 3, "v": "c"}, {"id": None, "v": "n"}]
    assert res.samples["changed"] == {"v": [{"key": {"id": 1}, "a": "a", "b": "b"}]}
    assert compare_keyed(con, ReconcileSpec("x", "y", ("id",), sample_size=1)).samples["only_a"] == [
        {"id": 3, "v": "c"}
    ]
