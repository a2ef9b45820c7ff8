"""Parquet page checksums: verify the CRC-32 that writers may store in each page header.

DuckDB does not check page CRCs, so a flipped bit inside a data page can read "fine" and return different
numbers. This module walks every column chunk's pages (offsets from DuckDB's ``parquet_metadata``), decodes
each page header (Thrift compact protocol: a few fields, the rest skipped) and compares ``zlib.crc32`` of the
page bytes as stored with the header's ``crc``. Files whose writer stored no CRCs (DuckDB's own writer,
pyarrow without ``write_page_checksum=True``) are reported as such: nothing can be verified there.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from workbench.errors import SourceError

if TYPE_CHECKING:
    from workbench.backend import Cursor

# Thrift compact protocol type ids
_STOP, _TRUE, _FALSE, _BYTE, _I16, _I32, _I64, _DOUBLE, _BINARY, _LIST, _SET, _MAP, _STRUCT = range(13)
_READ_AHEAD = 256  # page headers are a few dozen bytes; statistics can make them longer (re-read then)
_MAX_DEPTH = 32


class _Damaged(Exception):
    """A page header that cannot be decoded."""


@dataclass(frozen=True)
class ChecksumReport:
    """What was verified in one file: pages with a CRC that matched, pages without one."""

    path: str
    pages_verified: int
    pages_without_crc: int
    column_chunks: int

    @property
    def has_checksums(self) -> bool:
        return self.pages_verified > 0

    @property
    def summary(self) -> str:
        name = Path(self.path).name
        if not self.has_checksums:
            return f"{name}: no page checksums stored (the writer did not add them), so pages cannot be verified"
        extra = f", {self.pages_without_crc:,} without a checksum" if self.pages_without_crc else ""
        return f"{name}: {self.pages_verified:,} page checksums verified in {self.column_chunks:,} column chunks{extra}"


class _Reader:
    """Just enough of the Thrift compact protocol to read a PageHeader from a byte buffer."""

    def __init__(self, buf: bytes, pos: int = 0):
        self.buf, self.pos = buf, pos

    def byte(self) -> int:
        if self.pos >= len(self.buf):
            raise EOFError
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def varint(self) -> int:
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 70:
                raise _Damaged("varint too long")

    def zigzag(self) -> int:
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def skip(self, ftype: int, depth: int = 0) -> None:
        if depth > _MAX_DEPTH:
            raise _Damaged("nested too deeply")
        if ftype in (_TRUE, _FALSE):
            return
        if ftype == _BYTE:
            self.byte()
        elif ftype in (_I16, _I32, _I64):
            self.varint()
        elif ftype == _DOUBLE:
            self.pos += 8
        elif ftype == _BINARY:
            length = self.varint()  # read first: `self.pos += self.varint()` would add to the old position
            self.pos += length
        elif ftype in (_LIST, _SET):
            head = self.byte()
            size, etype = head >> 4, head & 0x0F
            if size == 15:
                size = self.varint()
            for _ in range(size):
                self.skip(etype if etype not in (_TRUE, _FALSE) else _BYTE, depth + 1)
        elif ftype == _MAP:
            size = self.varint()
            if size:
                kv = self.byte()
                for _ in range(size):
                    self.skip(kv >> 4, depth + 1)
                    self.skip(kv & 0x0F, depth + 1)
        elif ftype == _STRUCT:
            self.struct(depth + 1)
        else:
            raise _Damaged(f"unknown field type {ftype}")

    def struct(self, depth: int = 0, wanted: tuple[int, ...] = ()) -> dict[int, int]:
        """Read a struct; return the integer fields whose ids are in ``wanted``, skip everything else."""
        out: dict[int, int] = {}
        last = 0
        while True:
            head = self.byte()
            ftype = head & 0x0F
            if ftype == _STOP:
                return out
            delta = head >> 4
            fid = last + delta if delta else self.zigzag()
            last = fid
            if fid in wanted and ftype in (_I16, _I32, _I64):
                out[fid] = self.zigzag()
            else:
                self.skip(ftype, depth)


def _page_header(fh, offset: int) -> tuple[int, int, int | None]:
    """(header length, compressed page size, crc or None) of the page header at ``offset``."""
    size = _READ_AHEAD
    while True:
        fh.seek(offset)
        buf = fh.read(size)
        try:
            reader = _Reader(buf)
            fields = reader.struct(wanted=(1, 2, 3, 4))
            break
        except EOFError:
            if len(buf) < size or size >= 1 << 24:
                raise _Damaged("page header runs past the end of the file") from None
            size *= 16
    if 3 not in fields or fields[3] < 0:
        raise _Damaged("page header has no valid compressed size")
    crc = fields.get(4)
    return reader.pos, fields[3], (crc & 0xFFFFFFFF) if crc is not None else None


def _column_chunks(cur: Cursor, paths: list[str]) -> dict[str, list[tuple[int, str, int, int]]]:
    """Per file: (row group, column path, first page offset, total compressed size) of every column chunk,
    from one ``parquet_metadata`` query over all files (a folder of thousands opens in one call)."""
    from workbench import sql
    from workbench.backend import ENGINE_ERRORS

    try:
        rows = cur.execute(
            "SELECT file_name, row_group_id, path_in_schema, data_page_offset, dictionary_page_offset, "
            f"total_compressed_size FROM parquet_metadata({sql.string_list(paths)}) "
            "ORDER BY file_name, row_group_id, column_id"
        ).fetchall()
    except ENGINE_ERRORS as exc:
        names = Path(paths[0]).name if len(paths) == 1 else f"one of {len(paths)} files"
        raise SourceError(f"{names}: the Parquet footer is damaged ({str(exc).splitlines()[0]})") from exc
    chunks: dict[str, list[tuple[int, str, int, int]]] = {}
    for file_name, rg, column, data_off, dict_off, total in rows:
        # Some writers store dictionary_page_offset 0 for "none"; a real dictionary page precedes the data.
        start = dict_off if dict_off is not None and 0 < dict_off < data_off else data_off
        chunks.setdefault(str(file_name), []).append((int(rg), str(column), int(start), int(total)))
    return chunks


def verify_file(cur: Cursor, path: str, chunks: list[tuple[int, str, int, int]] | None = None) -> ChecksumReport:
    """Check every page CRC of one Parquet file (``chunks``: its column chunks, if already read).

    Raises
    ------
    SourceError naming the file, the row group and column of the chunk, and the page, when a stored CRC
    does not match the page bytes or a page header inside a chunk is damaged.
    """
    name = Path(path).name
    verified = without = 0
    chunks = _column_chunks(cur, [path]).get(path, []) if chunks is None else chunks
    file_size = Path(path).stat().st_size
    with open(path, "rb") as fh:
        for rg, column, start, total in chunks:
            where = f"{name}: column {column!r} in row group {rg}"
            end = start + total
            if start < 4 or end > file_size - 8:
                raise SourceError(f"{where}: the column chunk lies outside the file (the footer is damaged)")
            offset, page = start, 0
            while offset < end:
                try:
                    hlen, size, crc = _page_header(fh, offset)
                except _Damaged as exc:
                    raise SourceError(f"{where}: page {page} at byte {offset:,} is damaged ({exc})") from None
                data_end = offset + hlen + size
                if data_end > end:
                    raise SourceError(f"{where}: page {page} at byte {offset:,} runs past the end of its column chunk")
                if crc is None:
                    without += 1
                    if page == 0 and verified == 0:
                        break  # no CRC on a chunk's first page: this writer stores none; skip the rest
                else:
                    fh.seek(offset + hlen)
                    if zlib.crc32(fh.read(size)) != crc:
                        raise SourceError(
                            f"{where}: page {page} at byte {offset:,} fails its checksum — the file is "
                            "corrupt (re-copy or re-export it)"
                        )
                    verified += 1
                offset, page = data_end, page + 1
    return ChecksumReport(path=path, pages_verified=verified, pages_without_crc=without, column_chunks=len(chunks))


def verify_files(cur: Cursor, paths) -> list[ChecksumReport]:
    """:func:`verify_file` for each path, with one metadata query for all of them."""
    paths = list(paths)
    chunks = _column_chunks(cur, paths)
    # A path DuckDB spelled differently (no chunks under it) is read on its own rather than skipped.
    return [verify_file(cur, p, chunks.get(p) or None) for p in paths]
