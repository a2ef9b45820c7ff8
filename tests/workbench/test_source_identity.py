"""A file replaced after it was opened is refused before the next analysis (size, mtime, inode: one
os.stat per file) and before a report (full SHA-256 against the recorded fingerprint)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import write_parquet
from workbench.catalog import Catalog
from workbench.fingerprint import sha256_file
from workbench.source_identity import SourceChangedError, check_fingerprints


@pytest.fixture
def pair(tmp_path):
    a = write_parquet(tmp_path / "a.parquet", "SELECT range AS x FROM range(100)")
    b = write_parquet(tmp_path / "b.parquet", "SELECT range AS x FROM range(200)")
    return a, b


def test_unchanged_source_passes(con, pair):
    catalog = Catalog(con)
    catalog.open(pair[0])
    catalog.check_unchanged()


def test_replaced_by_rename_is_refused(con, pair, tmp_path):
    catalog = Catalog(con)
    source = catalog.open(pair[0])
    os.replace(pair[1], pair[0])  # the usual "copy the new export over the old one"
    with pytest.raises(
        SourceChangedError,
        match=r"a\.parquet \(table a\) changed on disk after it was opened: "
        r"it was replaced by another file",
    ):
        catalog.check_unchanged([source.name])


def test_rewritten_in_place_is_refused(con, pair):
    catalog = Catalog(con)
    catalog.open(pair[0])
    with open(pair[1], "rb") as src, open(pair[0], "r+b") as dst:  # same inode, new bytes
        dst.truncate(0)
        shutil.copyfileobj(src, dst)
    with pytest.raises(SourceChangedError, match="size changed"):
        catalog.check_unchanged()


def test_touched_is_refused_and_deleted_is_refused(con, pair):
    catalog = Catalog(con)
    catalog.open(pair[0])
    st = os.stat(pair[0])
    os.utime(pair[0], ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    with pytest.raises(SourceChangedError, match="was modified at"):
        catalog.check_unchanged()
    os.remove(pair[0])
    with pytest.raises(SourceChangedError, match="deleted or moved"):
        catalog.check_unchanged()


def test_full_hash_before_a_report(pair, tmp_path):
    recorded = sha256_file(pair[0])
    check_fingerprints([(pair[0], recorded)])
    # same size, same mtime, different bytes: only the hash can tell
    data = bytearray(open(pair[0], "rb").read())
    st = os.stat(pair[0])
    data[len(data) // 2] ^= 0x01
    with open(pair[0], "r+b") as fh:
        fh.write(data)
    os.utime(pair[0], ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(SourceChangedError, match="no longer the file the workspace fingerprinted"):
        check_fingerprints([(pair[0], recorded)], "report.html")


def test_write_report_refuses_a_swapped_source(pair, tmp_path):
    from workbench.export import Provenance
    from workbench.report import EvidenceReport, write_report

    report = EvidenceReport(
        title="t",
        provenance=Provenance(workspace="w"),
        source_files=[{"source": "a", "path": pair[0], "sha256": sha256_file(pair[0]), "size": 1}],
    )
    os.replace(pair[1], pair[0])
    with pytest.raises(SourceChangedError, match="report.html would mix versions"):
        write_report(report, tmp_path / "report.html")
    assert not (tmp_path / "report.html").exists()


def test_cli_metric_refuses_a_file_swapped_during_the_analysis(capsys, pair, monkeypatch):
    from workbench.analysis import metric as metric_analysis
    from workbench.cli import main

    real = metric_analysis.metric_series

    def swap_then_compute(con, spec):
        result = real(con, spec)
        os.replace(pair[1], pair[0])
        return result

    monkeypatch.setattr(metric_analysis, "metric_series", swap_then_compute)
    code = main(["metric", pair[0], "--time-format", "epoch_s", "--time", "x"])
    _out, err = capsys.readouterr()
    assert code == 2 and "changed on disk after it was opened" in err
