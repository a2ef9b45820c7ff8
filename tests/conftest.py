"""Qt-free fixtures: small Parquet files written to tmp_path with plain DuckDB."""

from __future__ import annotations

import duckdb
import pytest

from workbench.catalog import Catalog
from workbench.engine import EngineSettings, connect


@pytest.fixture(autouse=True)
def _private_signing_key(tmp_path_factory, monkeypatch):
    """Audit signing keys and the CLI's default log go to a per-test folder, never the user's own."""
    home = tmp_path_factory.mktemp("wbhome")
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(home / "config"))
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(home / "data"))
    monkeypatch.delenv("WORKBENCH_KEY_PASSPHRASE", raising=False)


@pytest.fixture
def con(tmp_path):
    connection = connect(EngineSettings(memory_limit="1GB", temp_directory=str(tmp_path / "spill")))
    yield connection
    connection.close()


@pytest.fixture
def catalog(con):
    return Catalog(con)


def run_cli(capsys, *argv):
    """Run ``workbench ARGV`` in-process: (exit code, stdout, stderr)."""
    from workbench.cli import main

    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def write_parquet(path, select_sql: str) -> str:
    """Write the result of ``select_sql`` (plain DuckDB) to ``path`` and return the path as str."""
    raw = duckdb.connect()
    raw.execute(f"COPY ({select_sql}) TO '{path}' (FORMAT parquet)")
    raw.close()
    return str(path)


@pytest.fixture
def events_parquet(tmp_path):
    """Ten days of hourly events by country with awkward column names."""
    return write_parquet(
        tmp_path / "events.parquet",
        """
        SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts,
               ['BR','US','DE','IN'][1 + i % 4] AS country,
               (i % 7) AS views,
               (i % 3) AS "a ""b""; drop",
               (i % 5) AS "select",
               'v' || (i % 2) AS "空白 col",
               1 AS " leading",
               NULL::INTEGER AS all_null
        FROM range(240) t(i)
        """,
    )
