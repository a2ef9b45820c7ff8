"""The console database reads the opened sources and nothing else on the machine."""

from __future__ import annotations

import duckdb
import pytest

from tests.conftest import write_parquet
from workbench.console_db import ConsoleSettings, open_console_db
from workbench.engine import clean_duckdb_message
from workbench.errors import QueryError
from workbench.readonly import check_read_only


def _run(db, text):
    """What the console does: the guard, then the restricted connection; errors as a user sees them."""
    check_read_only(text)
    cur = db.cursor()
    try:
        return cur.execute(text).fetchall()
    except duckdb.Error as exc:
        raise QueryError(clean_duckdb_message(exc)) from exc
    finally:
        cur.close()


@pytest.fixture
def opened(tmp_path, catalog, events_parquet):
    hive = tmp_path / "hive" / "country=BR"
    hive.mkdir(parents=True)
    write_parquet(hive / "part-0.parquet", "SELECT range AS n FROM range(5)")
    (tmp_path / "hive" / "notes.txt").write_text("not data, beside the data")
    csv = tmp_path / "small.csv"
    csv.write_text("a,b\n1,x\n2,y\n")
    other = tmp_path / "other.csv"
    other.write_text("secret\n42\n")
    catalog.open(events_parquet)
    catalog.open(str(tmp_path / "hive"))
    catalog.open(str(csv))
    db = open_console_db(catalog.sources, ConsoleSettings.of(catalog.con), aliases={"data": "events"})
    yield db, tmp_path
    db.close()


def test_opened_files_folders_and_csv_still_work(opened):
    db, tmp_path = opened
    assert _run(db, "SELECT count(*) FROM events") == [(240,)]
    assert _run(db, "SELECT count(*) FROM data") == [(240,)]
    assert _run(db, "SELECT country, sum(n) FROM hive GROUP BY ALL") == [("BR", 10)]
    assert _run(db, "SELECT sum(a) FROM small") == [(3,)]
    # The sources' own files may be read directly too: they are what was opened.
    assert _run(db, f"SELECT count(*) FROM read_parquet('{tmp_path / 'events.parquet'}')") == [(240,)]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM read_text('/etc/shadow')",
        "SELECT * FROM read_text('/proc/self/environ')",
        "SELECT count(*) FROM glob('/**')",
        "SELECT * FROM sniff_csv('/etc/passwd')",
        "SELECT * FROM read_blob('/etc/hostname')",
        "SELECT * FROM read_json('/etc/passwd')",
    ],
)
def test_files_outside_the_sources_are_refused(opened, query):
    db, _ = opened
    with pytest.raises(QueryError, match="outside the opened sources"):
        _run(db, query)


def test_other_files_next_to_the_sources_are_refused(opened):
    db, tmp_path = opened
    for path in (tmp_path / "other.csv", tmp_path / "hive" / "notes.txt", tmp_path / "hive" / "*"):
        with pytest.raises(QueryError, match="outside the opened sources"):
            _run(db, f"SELECT * FROM read_csv('{path}')")
    with pytest.raises(QueryError, match="outside the opened sources"):
        _run(db, f"SELECT * FROM read_text('{tmp_path}/hive/country=BR/../../other.csv')")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM checkpoint()",
        "SELECT * FROM truncate_duckdb_logs()",
        "SELECT * FROM read_csv('{csv}', store_rejects = true)",
    ],
)
def test_side_effect_calls_are_refused(opened, query):
    db, tmp_path = opened
    with pytest.raises(QueryError, match="not allowed here"):
        _run(db, query.format(csv=tmp_path / "small.csv"))


@pytest.mark.parametrize(
    "statement",
    [
        "SET enable_external_access = true",
        "SET allowed_paths = ['/etc/passwd']",
        "RESET lock_configuration",
    ],
)
def test_the_restriction_cannot_be_lifted_from_sql(opened, statement):
    db, _ = opened
    with pytest.raises(duckdb.Error):
        db.con.execute(statement)  # even past the guard, DuckDB itself says no
    assert db.con.execute("SELECT current_setting('enable_external_access')").fetchone() == (False,)


def test_python_objects_are_not_reachable(opened):
    import pandas as pd

    db, _ = opened
    secret_frame = pd.DataFrame({"x": [1]})  # noqa: F841 - DuckDB's replacement scan would find it by name
    with pytest.raises(duckdb.CatalogException):
        db.con.sql("SELECT * FROM secret_frame").fetchall()


def test_a_vanished_source_is_reported_and_the_rest_still_work(tmp_path, catalog, events_parquet):
    gone = write_parquet(tmp_path / "gone.parquet", "SELECT 1 AS x")
    catalog.open(events_parquet)
    catalog.open(gone)
    (tmp_path / "gone.parquet").unlink()
    db = open_console_db(catalog.sources, ConsoleSettings.of(catalog.con))
    try:
        assert db.tables == ("events",)
        assert "gone" in db.unavailable
        assert _run(db, "SELECT count(*) FROM events") == [(240,)]
    finally:
        db.close()


def test_queries_spill_to_the_allowed_temp_directory(tmp_path, catalog, events_parquet):
    catalog.open(events_parquet)
    settings = ConsoleSettings.of(catalog.con)
    small = ConsoleSettings(temp_directory=settings.temp_directory, memory_limit="40MB", threads=1)
    db = open_console_db(catalog.sources, small)
    try:
        rows = _run(db, "SELECT count(*) FROM (SELECT md5(range::VARCHAR) AS s FROM range(1500000) ORDER BY s)")
        assert rows == [(1_500_000,)]
    finally:
        db.close()


def test_the_console_spills_into_a_private_folder_removed_on_close(tmp_path, catalog, events_parquet):
    from pathlib import Path

    catalog.open(events_parquet)
    settings = ConsoleSettings.of(catalog.con)
    neighbour = Path(settings.temp_directory) / "duckdb_temp_1_0_storage_DEFAULT-0.tmp"  # another process's spill
    neighbour.parent.mkdir(parents=True, exist_ok=True)
    neighbour.write_text("someone else's spilled rows")
    db = open_console_db(catalog.sources, settings)
    private = Path(db.spill_directory)
    assert private.parent == Path(settings.temp_directory) and private.name.startswith("console-")
    own = private / "probe.txt"
    own.write_text("x")
    assert _run(db, f"SELECT content FROM read_text('{own}')") == [("x",)]
    with pytest.raises(QueryError, match="outside the opened sources"):
        _run(db, f"SELECT * FROM read_text('{neighbour}')")
    db.close()
    assert not private.exists()


def test_the_desktop_console_takes_half_of_the_engine_memory_limit(con):
    assert ConsoleSettings.of(con).memory_limit in ("1GB", "953.6 MiB")  # conftest: 1GB
    half = ConsoleSettings.of(con, 0.5)
    assert half.memory_limit == "476MiB"
    db = open_console_db([], half)
    try:
        assert db.con.execute("SELECT current_setting('memory_limit')").fetchone() == ("476.0 MiB",)
    finally:
        db.close()


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM checkpoint()",
        "SELECT * FROM truncate_duckdb_logs()",
        "SELECT count(*) FROM read_csv('{csv}', store_rejects = true)",
    ],
)
def test_what_external_access_off_does_not_stop_is_why_the_guard_names_it(opened, query):
    # DuckDB 2.0.1 runs these even with external access off: the guard in workbench.readonly is what refuses them.
    db, tmp_path = opened
    db.con.execute(query.format(csv=tmp_path / "small.csv")).fetchall()
    with pytest.raises(QueryError, match="not allowed here"):
        check_read_only(query)


def test_the_console_copies_views_as_they_are_now_so_masked_columns_stay_masked(catalog, events_parquet):
    from workbench import sql
    from workbench.console_db import console_db_for

    source = catalog.open(events_parquet)
    # What masking at the source does to a view after it was opened: its SQL changes, Source.view_sql does not.
    catalog.con.execute(
        f"CREATE OR REPLACE VIEW events AS SELECT 'country#' || left(sha256(country), 8) AS country, "
        f"views FROM {sql.read_files('parquet', source.files)}"
    )
    db = console_db_for(catalog.con, catalog.sources, aliases={"data": "events"})
    try:
        countries = {row[0] for row in _run(db, "SELECT DISTINCT country AS x FROM data")}
        assert countries and all(c.startswith("country#") for c in countries)
        assert _run(db, "SELECT count(*) FROM events") == [(240,)]
    finally:
        db.close()


def test_the_key_changes_when_masks_change(catalog, events_parquet):
    from workbench.console_db import sources_key

    catalog.open(events_parquet)
    plain = sources_key(catalog.sources)
    assert sources_key(catalog.sources, {"events": {}}) != sources_key(catalog.sources, {"events": {"country": "x"}})
    assert plain == sources_key(catalog.sources, {})


def test_a_bare_connection_gives_its_views_and_their_files(opened, catalog, tmp_path):
    from workbench.console_db import console_db_from_views, files_read_by

    catalog.con.execute('CREATE VIEW "odd ""name""" AS SELECT * FROM events')  # a view over a view
    db = console_db_from_views(catalog.con)
    try:
        assert set(db.tables) >= {"events", "hive", "small", 'odd "name"'}
        assert str(tmp_path / "events.parquet") in db.allowed_paths
        assert str(tmp_path / "small.csv") in db.allowed_paths
        assert not any(p.endswith(("notes.txt", "other.csv")) for p in db.allowed_paths)
        assert _run(db, 'SELECT count(*) FROM "odd ""name"""') == [(240,)]
        with pytest.raises(QueryError, match="outside the opened sources"):
            _run(db, f"SELECT * FROM read_csv('{tmp_path / 'other.csv'}')")
    finally:
        db.close()
    one = files_read_by(catalog.con, "CREATE VIEW v AS SELECT * FROM read_csv('/x/a.csv', encoding = 'latin-1')")
    assert one == ("/x/a.csv",)


def test_a_saved_sql_recipe_reads_only_the_opened_files(catalog, events_parquet):
    from workbench.analysis import Analysis

    catalog.open(events_parquet)
    ok = Analysis.from_dict({"kind": "sql", "version": 1, "sql": "SELECT count(*) AS n FROM events"})
    assert ok.run(catalog.con.cursor()).table()["n"].tolist() == [240]
    assert ok.run(catalog.con.cursor(), catalog).table()["n"].tolist() == [240]
    crafted = Analysis.from_dict({"kind": "sql", "version": 1, "sql": "SELECT * FROM read_text('/etc/passwd')"})
    for args in ((catalog.con.cursor(),), (catalog.con.cursor(), catalog)):
        with pytest.raises(QueryError, match="outside the opened sources"):
            crafted.run(*args)
