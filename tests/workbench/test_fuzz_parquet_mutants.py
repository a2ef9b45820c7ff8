"""Byte-flipped Parquet mutants (seeded): where the file stores page CRCs, each mutant either reads exactly
like the original or is refused with a WorkbenchError — never a different answer given silently."""

from __future__ import annotations

import random

import pytest

from workbench.catalog import Catalog
from workbench.engine import run_query
from workbench.errors import SourceError, WorkbenchError

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

MUTANTS = {"snappy": 240, "none": 80}
ANSWER = (
    "SELECT count(*) AS n, sum(a) AS total, min(a) AS lo, max(a) AS hi, "
    "md5(string_agg(a::VARCHAR || ':' || b::VARCHAR || ':' || s, ',' ORDER BY a, b, s)) AS digest FROM {view}"
)


def _write(path, compression: str, checksums: bool = True) -> bytes:
    import numpy as np

    rng = np.random.default_rng(3)
    n = 2000
    table = pa.table({"a": np.arange(n, dtype=np.int64), "b": rng.random(n), "s": [f"v{i % 37}" for i in range(n)]})
    pq.write_table(
        table, path, write_page_checksum=checksums, row_group_size=1000, data_page_size=4096, compression=compression
    )
    return path.read_bytes()


def _answer(con, path: str):
    """(row count from metadata, the query's answer), or the WorkbenchError that refused the file."""
    try:
        source = Catalog(con).open(path)
        row = run_query(con.cursor(), ANSWER.format(view=source.name)).to_pylist()[0]
        return source.row_count, row
    except WorkbenchError as exc:
        return exc


@pytest.mark.parametrize("compression", ["snappy", "none"])
def test_mutants_with_page_crcs_never_answer_differently(con, tmp_path, compression):
    original = _write(tmp_path / "m.parquet", compression)
    expected = _answer(con, str(tmp_path / "m.parquet"))
    assert not isinstance(expected, Exception), expected
    rnd = random.Random(11)
    outcomes = {"same": 0, "refused": 0}
    for k in range(MUTANTS[compression]):
        pos, bit = rnd.randrange(len(original)), 1 << rnd.randrange(8)
        mutant = bytearray(original)
        mutant[pos] ^= bit
        path = tmp_path / f"mutant_{k}.parquet"  # a new name each time: nothing cached by path
        path.write_bytes(mutant)
        got = _answer(con, str(path))
        if isinstance(got, Exception):
            outcomes["refused"] += 1
            assert str(got) and "Traceback" not in str(got)
        else:
            assert got == expected, f"byte {pos} bit {bit}: silently different answer {got}"
            outcomes["same"] += 1
        path.unlink()
    assert outcomes["refused"] > MUTANTS[compression] // 2  # most flips land in pages and are caught by their CRC


def test_page_crc_mismatch_names_file_column_and_row_group(con, tmp_path):
    original = _write(tmp_path / "m.parquet", "none")
    (tmp_path / "bad.parquet").write_bytes(original[:200] + bytes([original[200] ^ 0x10]) + original[201:])
    with pytest.raises(
        SourceError, match=r"bad\.parquet: column 'a' in row group 0: page \d+ at byte [\d,]+ fails its checksum"
    ):
        Catalog(con).open(str(tmp_path / "bad.parquet"))


def test_file_without_crcs_says_so(con, tmp_path):
    _write(tmp_path / "plain.parquet", "snappy", checksums=False)
    source = Catalog(con).open(str(tmp_path / "plain.parquet"))
    assert "no page checksums stored" in source.checksums
    _write(tmp_path / "crc.parquet", "snappy")
    assert "page checksums verified" in Catalog(con).open(str(tmp_path / "crc.parquet")).checksums


def test_folder_names_the_corrupt_file(con, tmp_path):
    folder = tmp_path / "parts"
    folder.mkdir()
    for k in range(3):
        original = _write(folder / f"part_{k}.parquet", "none")
    bad = bytearray(original)
    bad[300] ^= 0x04
    (folder / "part_1.parquet").write_bytes(bytes(bad))
    with pytest.raises(SourceError, match=r"part_1\.parquet: column '\w+' in row group \d+: page \d+"):
        Catalog(con).open(str(folder))
    (folder / "part_1.parquet").write_bytes(original)
    source = Catalog(con).open(str(folder))
    assert "page checksums verified in 3 of 3 files" in source.checksums
