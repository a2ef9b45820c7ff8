"""The backend seam: normalised column kinds, the one error translator, the offline lock-down of DuckDBBackend."""

from __future__ import annotations

import threading
import time

import duckdb
import pandas as pd
import pytest

from workbench.backend import (
    ENGINE_ERRORS,
    Backend,
    ColumnKind,
    Cursor,
    DuckDBBackend,
    EngineSettings,
    column_kind,
    is_cancel,
    translate_error,
    translated,
)
from workbench.catalog import ColumnInfo
from workbench.errors import QueryCancelled, QueryError, UnknownTableError, WorkbenchError
from workbench.result import Result


@pytest.fixture
def backend(tmp_path):
    db = DuckDBBackend(settings=EngineSettings(memory_limit="512MB", threads=2, temp_directory=str(tmp_path)))
    yield db
    db.close()


# --- column kinds -------------------------------------------------------------------------------------------

KINDS_OF_EXPRESSIONS = {
    "1::TINYINT": ColumnKind.NUMERIC,
    "1::INTEGER": ColumnKind.NUMERIC,
    "1::UBIGINT": ColumnKind.NUMERIC,
    "1::HUGEINT": ColumnKind.NUMERIC,
    "1.5::DOUBLE": ColumnKind.NUMERIC,
    "1.5::FLOAT": ColumnKind.NUMERIC,
    "1.25::DECIMAL(10,2)": ColumnKind.NUMERIC,
    "1.25::DECIMAL(38,10)": ColumnKind.NUMERIC,
    "TIMESTAMP '2026-01-01 12:00'": ColumnKind.TEMPORAL,
    "TIMESTAMPTZ '2026-01-01 12:00+00'": ColumnKind.TEMPORAL,
    "'2026-01-01 12:00'::TIMESTAMP_NS": ColumnKind.TEMPORAL,
    "DATE '2026-01-01'": ColumnKind.TEMPORAL,
    "true": ColumnKind.BOOLEAN,
    "'x'::VARCHAR": ColumnKind.TEXT,
    "[1, 2]": ColumnKind.OTHER,
    "[TIMESTAMP '2026-01-01']": ColumnKind.OTHER,  # a list of timestamps is not a time axis
    "['a', 'b']": ColumnKind.OTHER,
    "{'x': 1}": ColumnKind.OTHER,
    "MAP([1], [2])": ColumnKind.OTHER,
    "INTERVAL 1 DAY": ColumnKind.OTHER,
    "TIME '12:00'": ColumnKind.OTHER,
    "'ab'::BLOB": ColumnKind.OTHER,
    "uuid()": ColumnKind.OTHER,
    "NULL": ColumnKind.OTHER,  # an all-NULL column has DuckDB's "NULL" type
}


@pytest.mark.parametrize("expression, kind", list(KINDS_OF_EXPRESSIONS.items()))
def test_columns_are_described_with_normalised_kinds(backend, expression, kind):
    described = backend.open_view("v", f"(SELECT {expression} AS c)")
    assert [(d.name, d.kind) for d in described] == [("c", kind)]
    assert backend.column_kind(described[0].type_name) is kind
    assert column_kind(described[0].type_name) is kind


def test_kinds_of_type_names_as_files_spell_them():
    assert column_kind("TIMESTAMP WITH TIME ZONE") is ColumnKind.TEMPORAL
    assert column_kind("timestamp_s") is ColumnKind.TEMPORAL
    assert column_kind("DECIMAL(18, 3)") is ColumnKind.NUMERIC
    assert column_kind("UHUGEINT") is ColumnKind.NUMERIC
    assert column_kind("VARCHAR(12)") is ColumnKind.TEXT
    assert column_kind("ENUM('a', 'b')") is ColumnKind.TEXT
    assert column_kind("DECIMAL(10,2)[]") is ColumnKind.OTHER
    assert column_kind("STRUCT(a INTEGER, b VARCHAR)") is ColumnKind.OTHER
    assert column_kind("INTEGER[3]") is ColumnKind.OTHER
    assert column_kind('"NULL"') is ColumnKind.OTHER


def test_catalog_columns_and_results_judge_types_through_the_kinds():
    assert ColumnInfo("t", "TIMESTAMP WITH TIME ZONE").is_temporal
    assert not ColumnInfo("t", "TIMESTAMP[]").is_temporal
    assert ColumnInfo("n", "DECIMAL(10,2)").is_numeric and not ColumnInfo("n", "DECIMAL(10,2)[]").is_numeric
    assert ColumnInfo("b", "BOOLEAN").is_boolean and ColumnInfo("s", "VARCHAR").is_text
    table = Result(["a", "b"], [], ["HUGEINT", "INTEGER[]"])
    assert table.is_numeric(0) and not table.is_numeric(1)


# --- running queries ----------------------------------------------------------------------------------------


def test_execute_and_frame(backend):
    result = backend.execute("SELECT ? AS a, 'x' AS b", [3])
    assert isinstance(result, Result) and result.to_pylist() == [{"a": 3, "b": "x"}]
    frame = backend.frame("SELECT range AS n FROM range(3)")
    assert isinstance(frame, pd.DataFrame) and frame["n"].tolist() == [0, 1, 2]
    assert backend.execute("CREATE VIEW w AS SELECT 1 AS x").num_rows == 0  # no result set
    assert [d.name for d in backend.describe("w")] == ["x"]


def test_the_per_task_handle_is_the_cursor_protocol(backend):
    cur = backend.cursor()
    try:
        assert isinstance(cur, Cursor)
        assert backend.execute("SELECT 41 + 1 AS x", cursor=cur).column("x") == [42]
        assert cur.query_progress() == -1 and backend.progress(cur) is None  # idle: DuckDB says -1, unknown
    finally:
        cur.close()


def test_the_backend_names_its_dialect_and_version(backend):
    from sqlglot import exp

    from workbench.backend import BACKEND_CLASSES
    from workbench.dialects import DIALECTS

    assert backend.dialect == "duckdb"
    assert all(cls.dialect in DIALECTS for cls in BACKEND_CLASSES)  # the SQL renderer knows every engine
    query = exp.select(exp.column("x", quoted=True)).from_("t")
    assert backend.render(query) == 'SELECT "x" FROM t'
    assert backend.render("SELECT 1 AS one") == "SELECT 1 AS one"
    assert backend.version == duckdb.__version__
    with pytest.raises(TypeError):
        Backend()  # the interface itself cannot be instantiated


# --- error translation --------------------------------------------------------------------------------------


def test_a_syntax_error_is_a_query_error_with_duckdbs_first_line(backend):
    with pytest.raises(QueryError, match="syntax error") as caught:
        backend.execute("SELEC 1")
    assert "\n" not in str(caught.value) and not isinstance(caught.value, QueryCancelled)
    assert isinstance(caught.value.__cause__, duckdb.Error)


def test_a_missing_column_is_a_query_error_naming_it(backend):
    backend.execute("CREATE VIEW t AS SELECT 1 AS a")
    with pytest.raises(QueryError, match='"nope"'):
        backend.execute("SELECT nope FROM t")


def test_a_missing_table_is_an_unknown_table_error(backend):
    with pytest.raises(UnknownTableError, match="missing_table"):
        backend.describe("missing_table")
    with pytest.raises(UnknownTableError):
        backend.frame("SELECT * FROM missing_table")


def test_an_interrupted_query_is_cancelled(tmp_path):
    db = DuckDBBackend(settings=EngineSettings(memory_limit="256MB", threads=1, temp_directory=str(tmp_path)))
    cur = db.cursor()
    outcome: list[BaseException] = []

    def run():
        try:
            db.execute("SELECT sum(hash(range)) FROM range(100000000000)", cursor=cur)
        except BaseException as exc:  # noqa: BLE001 - the test inspects what arrived
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 30
    while worker.is_alive() and time.monotonic() < deadline:
        db.interrupt(cur)  # an interrupt sent before execute starts is lost: repeat until it lands
        worker.join(0.05)
    assert not worker.is_alive()
    cur.close()
    db.close()
    assert len(outcome) == 1 and isinstance(outcome[0], QueryCancelled)
    assert is_cancel(outcome[0]) and is_cancel(outcome[0].__cause__)


def test_out_of_memory_says_what_to_do(tmp_path):
    db = DuckDBBackend(settings=EngineSettings(memory_limit="30MB", threads=1, temp_directory=str(tmp_path)))
    try:
        with pytest.raises(QueryError, match="needs more memory than the configured limit"):
            db.execute("SELECT list(range) FROM range(20000000)")  # one list cannot spill
    finally:
        db.close()


def test_the_translator_and_its_context_manager():
    assert isinstance(translate_error(duckdb.InterruptException("INTERRUPT Error: Interrupted!")), QueryCancelled)
    assert str(translate_error(duckdb.BinderException("Binder Error: x\n\nLINE 1: ..."))) == "Binder Error: x"
    already = QueryError("mine")
    assert translate_error(already) is already
    assert isinstance(translate_error(ValueError("odd")), WorkbenchError)
    assert duckdb.Error in ENGINE_ERRORS
    with pytest.raises(QueryError, match="Parser Error"):
        with translated():
            duckdb.connect().execute("SELEC")
    with pytest.raises(KeyError):  # not an engine error: left alone
        with translated():
            raise KeyError("x")


# --- offline lock-down --------------------------------------------------------------------------------------


def test_the_offline_lock_down_cannot_be_undone(backend):
    cur = backend.cursor()
    try:
        for statement in (
            "SET autoinstall_known_extensions = true",
            "SET autoload_known_extensions = true",
            "RESET lock_configuration",
            "SET lock_configuration = false",
        ):
            with pytest.raises(duckdb.Error, match="locked"):
                cur.execute(statement)
        with pytest.raises(duckdb.Error):
            cur.execute("INSTALL httpfs")
        with pytest.raises(duckdb.Error):
            cur.execute("LOAD httpfs")
        with pytest.raises(QueryError):
            backend.execute("SELECT * FROM 'https://example.invalid/x.parquet'", cursor=cur)
        loaded = cur.execute("SELECT extension_name FROM duckdb_extensions() WHERE loaded").fetchall()
        assert "httpfs" not in {name for (name,) in loaded}
        settings = dict(
            cur.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN "
                "('autoinstall_known_extensions', 'autoload_known_extensions', "
                "'allow_community_extensions', 'lock_configuration')"
            ).fetchall()
        )
        assert settings == {
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            "allow_community_extensions": "false",
            "lock_configuration": "true",
        }
    finally:
        cur.close()
