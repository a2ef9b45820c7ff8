"""`--out FILE` on `metric` and `sql`: the result file, FILE.provenance.json with a signed checkpoint, and the
audit entries the commands append (a per-user log without a workspace)."""

from __future__ import annotations

import json
import os
import pwd

import duckdb
import pandas as pd
import pytest

from workbench.audit import verify
from workbench.audit_checkpoint import checkpoints_in
from workbench.cli import main
from workbench.cli.outputs import default_log_path
from workbench.export import read_provenance
from workbench.fingerprint import sha256_file


def test_metric_out_csv_with_signed_provenance(capsys, events_parquet, tmp_path, monkeypatch):
    monkeypatch.setenv("USER", "mallory")
    out = tmp_path / "daily.csv"
    assert main(["metric", events_parquet, "--measure", "sum(views)", "--by", "country", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    frame = pd.read_csv(out)
    assert list(frame.columns[:3]) == ["bucket", "series", "value"] and len(frame) == 40
    expected = duckdb.connect().sql(f"SELECT sum(views) FROM '{events_parquet}'").fetchall()[0][0]
    assert frame["value"].sum() == expected
    prov = json.loads((tmp_path / "daily.csv.provenance.json").read_text())
    assert prov["sha256"] == sha256_file(out)
    assert prov["sources"][0]["files"][0]["sha256"] == sha256_file(events_parquet)
    assert prov["description"]["command"] == "metric" and "SELECT" in prov["description"]["sql"]
    assert prov["user"] == pwd.getpwuid(os.getuid()).pw_name
    log = default_log_path()
    assert str(log).startswith(os.environ["WORKBENCH_DATA_DIR"])
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["action"] for e in entries] == ["signing_key", "query_run", "export_written"]
    assert entries[1]["claimed_user"] == "mallory" and entries[1]["user"] != "mallory"
    assert prov["audit_checkpoint"]["entries"] == 3 and prov["audit_key"] == entries[0]["key"]
    assert main(["audit", "verify", str(log), "--against", str(out)]) == 0


@pytest.mark.parametrize("suffix", [".parquet", ".xlsx"])
def test_sql_out_by_extension(capsys, events_parquet, tmp_path, suffix):
    out = tmp_path / f"by_country{suffix}"
    query = "SELECT country, count(*) AS n FROM data GROUP BY ALL ORDER BY country"
    assert main(["sql", events_parquet, query, "--out", str(out)]) == 0
    capsys.readouterr()
    if suffix == ".parquet":
        got = duckdb.connect().sql(f"SELECT * FROM '{out}' ORDER BY country").fetchall()
        assert got == duckdb.connect().sql(query.replace("data", f"'{events_parquet}'")).fetchall()
    assert read_provenance(out)["description"]["sql"] == query  # embedded stamp
    sidecar = out.with_name(out.name + ".provenance.json")
    assert json.loads(sidecar.read_text())["sha256"] == sha256_file(out)
    assert len(checkpoints_in(out)) == 2  # embedded (before the export entry) and sidecar (after it)
    log = default_log_path()
    assert verify(log).ok
    assert main(["audit", "verify", str(log), "--against", str(out), str(sidecar)]) == 0
    # Dropping the export's own log entry is caught by the sidecar's checkpoint.
    rows = log.read_text().splitlines(keepends=True)
    log.write_text("".join(rows[:-1]))
    assert main(["audit", "verify", str(log), "--against", str(sidecar)]) == 1


def test_sql_without_out_still_prints_and_records(capsys, events_parquet):
    assert main(["sql", events_parquet, "SELECT 1 AS one"]) == 0
    assert capsys.readouterr().out == "one\n1\n"
    entries = [json.loads(line) for line in default_log_path().read_text().splitlines()]
    assert entries[-1]["action"] == "query_run" and entries[-1]["details"]["sql"] == "SELECT 1 AS one"


def test_out_bad_extension_is_one_clear_line(capsys, events_parquet, tmp_path):
    assert main(["sql", events_parquet, "SELECT 1", "--out", str(tmp_path / "x.txt")]) == 2
    err = capsys.readouterr().err
    assert "choose a .csv, .parquet or .xlsx file" in err and "Traceback" not in err


def test_workspace_given_uses_its_log(capsys, events_parquet, tmp_path):
    """`--workspace W.wbk --out FILE`: the workspace's log gets the query and the export, and the stamp names it."""
    wbk = tmp_path / "w.wbk"
    assert main(["workspace", "new", str(wbk), events_parquet]) == 0
    out = tmp_path / "r.csv"
    assert main(["sql", "--workspace", str(wbk), "SELECT 1 AS a", "--out", str(out)]) == 0
    log = tmp_path / "w.wbk.audit.jsonl"
    assert [json.loads(x)["action"] for x in log.read_text().splitlines()][-2:] == ["query_run", "export_written"]
    assert json.loads((tmp_path / "r.csv.provenance.json").read_text())["workspace"] == "w"
    assert main(["audit", "verify", str(log), "--against", str(out)]) == 0
