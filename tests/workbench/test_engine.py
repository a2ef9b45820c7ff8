import duckdb
import pytest

from workbench.engine import EngineSettings, connect, engine_info, run_query
from workbench.errors import QueryError


def test_offline_settings_are_locked(tmp_path):
    con = connect(EngineSettings(memory_limit="512MB", temp_directory=str(tmp_path)))
    info = engine_info(con)
    assert info["autoinstall_known_extensions"] == "false"
    assert info["autoload_known_extensions"] == "false"
    assert info["temp_directory"] == str(tmp_path)
    with pytest.raises(duckdb.Error, match="locked"):
        con.execute("SET autoinstall_known_extensions = true")
    with pytest.raises(duckdb.Error):
        con.execute("INSTALL httpfs")


def test_remote_read_fails_without_download(con):
    with pytest.raises(QueryError):
        run_query(con.cursor(), "SELECT * FROM 'https://example.invalid/x.parquet'")


def test_run_query_returns_rows(con):
    table = run_query(con.cursor(), "SELECT ? AS a", [3])
    assert table.to_pylist() == [{"a": 3}]
