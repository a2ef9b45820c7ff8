"""Exports: exact content, provenance stamps, suppression, PII warning, audit entries, atomic writes."""

from __future__ import annotations

import base64
import errno
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from tests.conftest import write_parquet
from workbench import export as exp
from workbench.audit import AuditLog, verify
from workbench.export import ExportError, PiiExportWarning, Provenance, export_table, read_provenance
from workbench.fingerprint import sha256_file
from workbench.workspace import SourceRecord, Workspace

# A 1x1 transparent PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


@pytest.fixture
def stamp(tmp_path, catalog):
    src = catalog.open(write_parquet(tmp_path / "views.parquet", "SELECT range AS id FROM range(20)"))
    ws = Workspace(name="Fraud review")
    ws.add_source(SourceRecord.from_source(src))
    return Provenance.from_workspace(ws, description={"view": "daily", "filters": [["country", "=", "BR"]]})


@pytest.fixture
def table():
    return pd.DataFrame(
        {
            "day": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02"]),
            "country": ["BR", "US", "BR", "US"],
            "users": [3, 40, 50, 60],
            "views": [7, 90, 120, 130],
            "rate": [0.5, 0.25, 1 / 3, 0.1],
        }
    )


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_exact_round_trip_and_stamp(tmp_path, stamp, table, fmt):
    path = tmp_path / f"out.{fmt}"
    result = export_table(table, path, provenance=stamp)
    assert result.sha256 == sha256_file(path) and result.rows == 4
    if fmt == "csv":
        back = pd.read_csv(path, parse_dates=["day"])
    elif fmt == "parquet":
        back = pd.read_parquet(path)
    else:
        back = pd.read_excel(path, sheet_name="Data")
    pd.testing.assert_frame_equal(back, table, check_dtype=False, check_index_type=False)
    prov = read_provenance(path)
    assert prov["workspace"] == "Fraud review"
    assert prov["sources"][0]["sha256"] == stamp.sources[0]["sha256"]
    assert prov["description"]["view"] == "daily"
    if fmt == "csv":
        assert prov["sha256"] == result.sha256 and result.sidecar.name == "out.csv.provenance.json"


def test_xlsx_properties_and_footer(tmp_path, stamp, table):
    path = tmp_path / "out.xlsx"
    export_table(table, path, provenance=stamp)
    wb = load_workbook(path)
    assert wb.properties.title == "Fraud review"
    assert stamp.sources[0]["sha256"] in wb.properties.keywords
    assert "Fraud review" in wb["Data"].oddFooter.left.text
    assert wb.sheetnames == ["Data", "Provenance"]


def test_suppression_applied_per_format(tmp_path, stamp, table):
    csv = export_table(table, tmp_path / "s.csv", provenance=stamp, k=10, count_column="users")
    text = (tmp_path / "s.csv").read_text()
    assert "<10" in text and ",3," not in text and ",7," not in text
    assert csv.suppression.n_primary == 1
    assert "k = 10" in read_provenance(tmp_path / "s.csv")["suppression"]["statement"]
    export_table(table, tmp_path / "s.parquet", provenance=stamp, k=10, count_column="users")
    back = pd.read_parquet(tmp_path / "s.parquet")
    assert back["users"].isna().sum() >= 2 and back["_suppression"].tolist()[0] == "<10"
    (users_type,) = duckdb.execute(
        "SELECT column_type FROM (DESCRIBE SELECT * FROM read_parquet(?)) WHERE column_name = 'users'",
        [str(tmp_path / "s.parquet")],
    ).fetchall()[0]
    assert users_type != "VARCHAR"  # not a string column
    export_table(table, tmp_path / "s.xlsx", provenance=stamp, k=10)  # count column guessed: users
    data = pd.read_excel(tmp_path / "s.xlsx", sheet_name="Data")
    assert data["users"].tolist()[0] == "<10" and data["views"].tolist()[0] == "<10"


def test_suppression_needs_count_column(tmp_path, stamp):
    with pytest.raises(ExportError, match="count of units"):
        export_table(pd.DataFrame({"a": ["x"], "v": [1]}), tmp_path / "x.csv", provenance=stamp, k=10)


def test_pii_warning_then_confirmed(tmp_path, stamp, table):
    log = AuditLog(tmp_path / "a.jsonl", user="u", version="v")
    df = table.assign(email=["a@b.c"] * 4)
    with pytest.raises(PiiExportWarning) as info:
        export_table(df, tmp_path / "p.csv", provenance=stamp, pii_columns={"email": "email"}, audit=log)
    assert info.value.columns == {"email": "email"} and "email (email)" in str(info.value)
    assert not (tmp_path / "p.csv").exists() and not log.path.exists()
    export_table(
        df,
        tmp_path / "p.csv",
        provenance=stamp,
        pii_columns={"email": "email"},
        allow_pii=True,
        pii_reason="regulator request",
        audit=log,
    )
    entry = log.entries()[-1]
    assert entry["details"]["pii_columns"] == {"email": "email"}
    assert entry["details"]["pii_reason"] == "regulator request"


def test_pii_findings_accepted(tmp_path, stamp, table):
    from workbench.privacy import PiiFinding

    with pytest.raises(PiiExportWarning):
        export_table(
            table, tmp_path / "p.csv", provenance=stamp, pii_columns=[PiiFinding("country", "location", "test", True)]
        )
    # A flagged column that is not in the table does not warn.
    export_table(table, tmp_path / "p.csv", provenance=stamp, pii_columns=["email"])


def test_audit_entry_with_path_and_sha(tmp_path, stamp, table):
    log = AuditLog(tmp_path / "a.jsonl", user="u", version="v")
    result = export_table(table, tmp_path / "o.parquet", provenance=stamp, k=10, audit=log)
    entry = log.entries()[-1]
    assert entry["action"] == "export_written"
    assert entry["details"]["path"] == str(tmp_path / "o.parquet") and entry["details"]["sha256"] == result.sha256
    assert entry["details"]["suppression_k"] == 10 and entry["details"]["suppressed_cells"] >= 2
    assert verify(log.path).ok


def test_bad_format_and_folder(tmp_path, stamp, table):
    with pytest.raises(ExportError, match="choose a .csv"):
        export_table(table, tmp_path / "x.json", provenance=stamp)
    with pytest.raises(ExportError, match="folder does not exist"):
        export_table(table, tmp_path / "nope" / "x.csv", provenance=stamp)


def test_failed_export_keeps_previous_file(tmp_path, stamp, table, monkeypatch):
    path = tmp_path / "x.parquet"
    export_table(table, path, provenance=stamp)
    before = path.read_bytes()

    def boom(df, suppression, stamp, tmp):
        Path(tmp).write_bytes(b"PAR1 half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(exp, "_write_parquet", boom)
    with pytest.raises(ExportError, match="No space left"):
        export_table(table.head(1), path, provenance=stamp)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_clipboard_text_is_suppressed(table):
    text = exp.clipboard_text(table, k=10)
    assert text.splitlines()[0] == "day\tcountry\tusers\tviews\trate"
    assert "<10" in text


def test_png_and_svg_stamps(stamp, tmp_path):
    stamped = exp.stamp_png(PNG, stamp)
    (tmp_path / "c.png").write_bytes(stamped)
    assert read_provenance(tmp_path / "c.png")["workspace"] == "Fraud review"
    # Still a valid PNG: every chunk's CRC holds and IEND closes it.
    import struct
    import zlib

    pos, kinds = 8, []
    while pos < len(stamped):
        (length,) = struct.unpack(">I", stamped[pos : pos + 4])
        body = stamped[pos + 4 : pos + 8 + length]
        assert struct.unpack(">I", stamped[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(body)
        kinds.append(body[:4])
        pos += 12 + length
    assert kinds[0] == b"IHDR" and kinds[1] == b"iTXt" and kinds[-1] == b"IEND"
    svg = exp.stamp_svg('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="1"></svg>', stamp)
    assert "<metadata" in svg and "Fraud review" in svg
    import xml.dom.minidom

    xml.dom.minidom.parseString(svg)


def test_timezone_aware_values_in_xlsx(tmp_path, stamp):
    df = pd.DataFrame({"ts": pd.to_datetime(["2024-01-01T10:00:00Z"]), "n": [20]})
    export_table(df, tmp_path / "tz.xlsx", provenance=stamp)
    assert pd.read_excel(tmp_path / "tz.xlsx")["ts"][0].startswith("2024-01-01T10:00:00")


def test_provenance_from_dict_round_trip(stamp):
    assert Provenance.from_dict(json.loads(stamp.to_json())) == stamp
