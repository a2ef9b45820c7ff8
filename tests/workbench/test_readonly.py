import pytest

from workbench.errors import QueryError
from workbench.readonly import check_read_only


@pytest.mark.parametrize("query, kind", [
    ("SELECT 1", "SELECT"),
    ("WITH a AS (SELECT 1) SELECT * FROM a", "SELECT"),
    ("FROM range(3)", "SELECT"),
    ("SUMMARIZE SELECT 1", "SELECT"),
    ("DESCRIBE SELECT 1", "SELECT"),
    ("EXPLAIN SELECT 1", "EXPLAIN"),
    ("EXPLAIN ANALYZE SELECT 1", "EXPLAIN"),
    ("PIVOT (SELECT 1 AS a, 2 AS b) ON a USING sum(b)", "PIVOT"),
])
def test_queries_pass(query, kind):
    assert check_read_only(query) == kind


@pytest.mark.parametrize("query", [
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
])
def test_everything_else_is_refused(query):
    with pytest.raises(QueryError):
        check_read_only(query)
