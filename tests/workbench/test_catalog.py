import os
from pathlib import Path

import pytest

from tests.conftest import write_parquet
from workbench.errors import RemotePathError, SourceError


def test_open_file_schema_rowcount_and_odd_names(catalog, events_parquet):
    src = catalog.open(events_parquet)
    assert src.name == "events"
    assert src.row_count == 240
    assert src.time_columns == ["ts"]
    names = src.column_names
    assert 'a "b"; drop' in names and "select" in names and "空白 col" in names and " leading" in names
    assert src.size_bytes == os.path.getsize(events_parquet)


def test_same_name_gets_unique_view(catalog, events_parquet):
    a = catalog.open(events_parquet)
    b = catalog.open(events_parquet)
    assert a.name != b.name


def test_folder_with_hive_partitions_and_mixed_schemas(catalog, tmp_path):
    for country, extra in (("BR", ""), ("US", ", 1.5 AS w")):
        part = tmp_path / "data" / f"country={country}"
        part.mkdir(parents=True)
        write_parquet(part / "a.parquet", f"SELECT range AS v{extra} FROM range(5)")
    (tmp_path / "data" / "notes.txt").write_text("not data")
    src = catalog.open(tmp_path / "data")
    assert src.row_count == 10
    assert set(src.column_names) == {"v", "w", "country"}
    assert src.hive_columns == ("country",)
    assert [Path(p).name for p in src.skipped_files] == ["notes.txt"]
    (n_br,) = catalog.con.execute("SELECT count(*) FROM \"data\" WHERE country = 'BR'").fetchone()
    assert n_br == 5


def test_glob_and_several_files(catalog, tmp_path):
    for i in range(3):
        write_parquet(tmp_path / f"p{i}.parquet", f"SELECT {i} AS k FROM range(4)")
    assert catalog.open(str(tmp_path / "p*.parquet")).row_count == 12
    assert catalog.open([tmp_path / "p0.parquet", tmp_path / "p1.parquet"]).row_count == 8


def test_csv(catalog, tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("day,n\n2024-01-01,3\n2024-01-02,4\n")
    src = catalog.open(p)
    assert src.kind == "csv" and src.row_count is None
    assert catalog.count_rows(src.name) == 2
    assert src.column("day").is_temporal


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"hello, this is text", "not a Parquet file"),
    ],
)
def test_bad_files(catalog, tmp_path, content, message):
    p = tmp_path / "bad.parquet"
    p.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        catalog.open(p)
    assert p.read_bytes() == content


def test_truncated_parquet(catalog, events_parquet, tmp_path):
    data = Path(events_parquet).read_bytes()
    p = tmp_path / "trunc.parquet"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match="truncated"):
        catalog.open(p)


def test_remote_and_missing_paths(catalog, tmp_path):
    for remote in ("https://example.com/a.parquet", "s3://bucket/a.parquet"):
        with pytest.raises(RemotePathError, match="local files only"):
            catalog.open(remote)
    with pytest.raises(SourceError, match="no such file"):
        catalog.open(tmp_path / "missing.parquet")


def test_unreadable(catalog, events_parquet, monkeypatch):
    # CI runs as root, which can read a chmod 000 file; os.access is what the catalog consults.
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode, *a, **k: False if str(p) == events_parquet else real_access(p, mode, *a, **k)
    )
    with pytest.raises(SourceError, match="permission"):
        catalog.open(events_parquet)


def test_zero_rows_and_2000_columns(catalog, tmp_path):
    empty = write_parquet(tmp_path / "empty.parquet", "SELECT 1 AS a WHERE false")
    assert catalog.open(empty).row_count == 0
    cols = ", ".join(f"{i} AS c{i}" for i in range(2000))
    wide = write_parquet(tmp_path / "wide.parquet", f"SELECT {cols}")
    assert len(catalog.open(wide).columns) == 2000


def test_source_file_never_modified(catalog, events_parquet):
    before = Path(events_parquet).read_bytes()
    src = catalog.open(events_parquet)
    catalog.con.execute(f'SELECT count(*) FROM "{src.name}"').fetchall()
    catalog.close(src.name)
    assert Path(events_parquet).read_bytes() == before
