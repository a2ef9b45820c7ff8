"""CSV files DuckDB's sniffer misreads: ragged rows (silently one text column) are an error naming the line;
Latin-1 and UTF-16 files open (auto-detected with a note, or chosen with --encoding)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import run_cli
from workbench.catalog import Catalog
from workbench.errors import SourceError


run = run_cli


@pytest.fixture
def latin1_csv(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,city,v\nJosé,Zürich,1\nRenée,Málaga,2\n".encode("latin-1"))
    return path


@pytest.mark.parametrize(
    "content, line, n, expected",
    [
        ("a,b,c\n1,2,3\n4,5\n6,7,8,9\n", 3, 2, 3),
        ("a;b;c\n1;2;3\n4;5;6\n7;8;9;10\n", 4, 4, 3),
        ("a\tb\n1\t2\n3\n", 3, 1, 2),
    ],
)
def test_ragged_csv_is_an_error_naming_the_line(catalog, tmp_path, content, line, n, expected):
    path = tmp_path / "ragged.csv"
    path.write_text(content)
    with pytest.raises(SourceError, match=f"line {line} has {n}, the header has {expected}"):
        catalog.open(str(path))
    assert not catalog.sources  # nothing half-opened


def test_single_quoted_column_with_commas_still_opens(catalog, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text('"a,b"\nx\ny\n')
    source = catalog.open(str(path))
    assert source.column_names == ["a,b"]


def test_latin1_is_detected_with_a_note(con, latin1_csv):
    source = Catalog(con).open(str(latin1_csv))
    assert source.encoding == "latin-1"
    assert "not UTF-8 (byte 0xe9" in source.notes[0]
    assert con.sql(f"SELECT name, city FROM {source.name} ORDER BY v").fetchall() == [
        ("José", "Zürich"),
        ("Renée", "Málaga"),
    ]


def test_utf16_and_utf8_bom(con, tmp_path):
    (tmp_path / "u16.csv").write_bytes("name,v\nJosé,1\n".encode("utf-16"))
    (tmp_path / "bom.csv").write_bytes("\ufeffname,v\nJosé,1\n".encode("utf-8"))
    for name in ("u16.csv", "bom.csv"):
        source = Catalog(con).open(str(tmp_path / name))
        assert con.sql(f"SELECT name, v FROM {source.name}").fetchall() == [("José", 1)], name
        assert source.notes == ()


def test_cli_encoding_option(capsys, latin1_csv):
    code, out, err = run(capsys, "sql", latin1_csv, "SELECT name FROM data ORDER BY v", "--encoding", "latin-1")
    assert code == 0 and [r["name"] for r in csv.DictReader(io.StringIO(out))] == ["José", "Renée"] and err == ""
    code, out, err = run(capsys, "schema", latin1_csv)
    assert code == 0 and "note: latin1.csv is not UTF-8" in err
    code, _out, err = run(capsys, "schema", latin1_csv, "--encoding", "utf-8")
    assert code == 2 and "pass --encoding" in err and len(err.strip().splitlines()) == 1
    for command in (
        ["anomalies"],
        ["explain", "--dims", "city", "--window", "2024-01-01", "2024-01-02"],
        ["experiment", "--metric", "v:mean:v"],
    ):
        code, _out, err = run(capsys, command[0], latin1_csv, *command[1:], "--encoding", "latin-1")
        assert "unrecognized arguments" not in err and "Traceback" not in err
