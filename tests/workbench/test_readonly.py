import pytest

from workbench.errors import QueryError
from workbench.readonly import check_read_only


@pytest.mark.parametrize(
    "query, kind",
    [
        ("SELECT 1", "SELECT"),
        ("WITH a AS (SELECT 1) SELECT * FROM a", "SELECT"),
        ("FROM range(3)", "SELECT"),
        ("SUMMARIZE SELECT 1", "SELECT"),
        ("DESCRIBE SELECT 1", "SELECT"),
        ("EXPLAIN SELECT 1", "EXPLAIN"),
        ("EXPLAIN ANALYZE SELECT 1", "EXPLAIN"),
        ("PIVOT (SELECT 1 AS a, 2 AS b) ON a USING sum(b)", "PIVOT"),
    ],
)
def test_queries_pass(query, kind):
    assert check_read_only(query) == kind


@pytest.mark.parametrize(
    "query",
    [
        "COPY (SELECT 1) TO '/tmp/x.parquet'",
        "CREATE TABLE t AS SELECT 1",
        "INSTALL httpfs",
        "SET threads = 1",
        "ATTACH 'x.db'",
        "EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1",  # ANALYZE executes what it wraps
        "EXPLAIN ANALYZE COPY (SELECT 1) TO '/tmp/y.csv'",
        "SELECT 1; SELECT 2",
        "",
        "SELEC 1",
    ],
)
def test_everything_else_is_refused(query):
    with pytest.raises(QueryError):
        check_read_only(query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM checkpoint()",
        "SELECT * FROM force_checkpoint()",
        'SELECT * FROM main."checkpoint" ( )',
        "SELECT * FROM system.main.CHECKPOINT()",
        "SELECT * FROM truncate_duckdb_logs()",
        "SELECT * FROM enable_logging()",
        "SELECT * FROM disable_checkpoint_on_shutdown()",
        "SELECT * FROM read_csv('x.csv', store_rejects = true)",
        "SELECT * FROM read_csv('x.csv', rejects_table := 'r')",
        "SELECT * FROM query('SELECT * FROM checkpoint()')",  # SQL in a string would escape the check
        "SELECT * FROM json_execute_serialized_sql('{}')",
        "SELECT write_log('x')",
        "EXPLAIN ANALYZE SELECT * FROM checkpoint()",
        "WITH a AS (SELECT * FROM truncate_duckdb_logs()) SELECT * FROM a",
    ],
)
def test_side_effect_functions_inside_a_select_are_refused(query):
    with pytest.raises(QueryError, match="not allowed here"):
        check_read_only(query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT 'checkpoint()' AS note",  # a string, not a call
        "SELECT 1 -- checkpoint()\n",  # a comment
        'SELECT "checkpoint" FROM (SELECT 1 AS "checkpoint")',  # a column of that name, not a call
        "SELECT * FROM query_table('t')",
    ],
)
def test_names_in_strings_comments_and_columns_still_run(query):
    assert check_read_only(query) == "SELECT"


def test_a_replayed_sql_recipe_goes_through_the_guard(con, tmp_path):
    from workbench.report import compute_recipe

    target = tmp_path / "written.csv"
    with pytest.raises(QueryError):
        compute_recipe(con, {"kind": "sql", "sql": f"COPY (SELECT 1) TO '{target}'"})
    with pytest.raises(QueryError, match="not allowed here"):
        compute_recipe(con, {"kind": "sql", "sql": "SELECT * FROM checkpoint()"})
    assert not target.exists()
    assert compute_recipe(con, {"kind": "sql", "sql": "SELECT 42 AS a"})["a"].tolist() == [42]
