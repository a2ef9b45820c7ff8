"""Exports of exactly the table on screen, stamped with where it came from.

Every export carries a *provenance stamp*: the workspace name, each source's SHA-256 (and its files'),
row counts, app version, user, time, the view/filters the caller describes, and the suppression statement.
Where the stamp goes:

* **CSV** — a sidecar ``<file>.csv.provenance.json`` beside it (the CSV itself stays plain data that any
  tool reads; a comment line would break parsers). The sidecar also holds the CSV's own SHA-256.
* **Parquet** — the file's key-value metadata under ``workbench.provenance`` (JSON).
* **XLSX** — document properties (title = workspace, keywords = source digests, description = stamp JSON),
  a "Provenance" sheet listing everything, and a page footer on the data sheet.
* **PNG / SVG** (charts rendered by the UI) — :func:`stamp_png` adds a ``tEXt`` chunk, :func:`stamp_svg`
  a ``<metadata>`` element.

Small-cell suppression is applied when ``k`` is given (see :mod:`workbench.privacy`): CSV and XLSX show
``"<k"``/``"suppressed"`` in hidden cells; Parquet keeps numeric types, nulls the hidden cells and adds a
``_suppression`` column with the marker. Exporting columns flagged as personal data raises
:class:`PiiExportWarning` unless ``allow_pii=True`` (the UI asks the user, then calls again). Files are
written atomically; with an ``audit`` log each export appends ``export_written`` with path and SHA-256.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import struct
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from workbench import safe_json
from workbench.errors import WorkbenchError
from workbench.fingerprint import sha256_file
from workbench.workspace import atomic_write

PROVENANCE_KEY = "workbench.provenance"
SIDECAR_SUFFIX = ".provenance.json"
FORMATS = ("csv", "parquet", "xlsx")


class ExportError(WorkbenchError):
    """An export cannot be written."""


class PiiExportWarning(WorkbenchError):
    """The table holds columns flagged as personal data. Catch it, ask the user, and export again with
    ``allow_pii=True`` (and a ``pii_reason`` for the audit log)."""

    def __init__(self, columns: Mapping[str, str]):
        self.columns = dict(columns)
        listed = ", ".join(f"{c} ({k})" if k else c for c, k in self.columns.items())
        super().__init__(
            f"The export contains columns flagged as personal data: {listed}. "
            "Remove or mask them, or confirm to export anyway (the reason is logged)."
        )


@dataclass(frozen=True)
class Provenance:
    """The stamp every export and report carries."""

    workspace: str
    sources: list[dict] = field(default_factory=list)  # {"name", "sha256", "row_count", "files": [...]}
    app_version: str = ""
    user: str = ""
    generated_at: str = ""
    description: dict = field(default_factory=dict)  # view name, filters, grain... as the caller states them
    suppression: dict | None = None  # {"k", "statement", "primary", "complementary"}
    # The signed audit checkpoint (workbench.audit_checkpoint) taken when the stamp was made: the log could
    # not be rewritten before it without `workbench audit verify LOG --against FILE` noticing.
    audit_checkpoint: dict | None = None

    @property
    def audit_key(self) -> str | None:
        """Fingerprint of the key that signed the checkpoint."""
        return self.audit_checkpoint.get("key") if self.audit_checkpoint else None

    def to_dict(self) -> dict:
        return {
            "workspace": self.workspace,
            "sources": self.sources,
            "app_version": self.app_version,
            "user": self.user,
            "generated_at": self.generated_at,
            "description": self.description,
            "suppression": self.suppression,
            "audit_key": self.audit_key,
            "audit_checkpoint": self.audit_checkpoint,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True, default=str)

    def with_suppression(self, suppression: dict | None) -> "Provenance":
        return replace(self, suppression=suppression)

    def with_checkpoint(self, audit) -> "Provenance":
        """This stamp with a fresh signed checkpoint of ``audit`` (an AuditLog; None leaves it as it is)."""
        if audit is None:
            return self
        return replace(self, audit_checkpoint=audit.checkpoint())

    @classmethod
    def from_dict(cls, data: Mapping) -> "Provenance":
        return cls(
            workspace=data.get("workspace", ""),
            sources=list(data.get("sources", [])),
            app_version=data.get("app_version", ""),
            user=data.get("user", ""),
            generated_at=data.get("generated_at", ""),
            description=dict(data.get("description") or {}),
            suppression=data.get("suppression"),
            audit_checkpoint=data.get("audit_checkpoint"),
        )

    @classmethod
    def from_workspace(
        cls, ws, sources: Iterable[str] | None = None, description: Mapping | None = None, audit=None
    ) -> "Provenance":
        """A stamp for ``ws`` (a :class:`workbench.workspace.Workspace`), limited to ``sources`` if given;
        with ``audit`` (an AuditLog) it carries a signed checkpoint of that log."""
        from workbench.audit import app_version, current_user

        wanted = set(sources) if sources is not None else None
        recs = [s for s in ws.sources if wanted is None or s.name in wanted]
        stamp = cls(
            workspace=ws.name,
            sources=[
                {
                    "name": s.name,
                    "sha256": s.sha256,
                    "row_count": s.row_count,
                    "files": [{"file": Path(f.path).name, "size": f.size, "sha256": f.sha256} for f in s.files],
                }
                for s in recs
            ],
            app_version=app_version(),
            user=current_user(),
            generated_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            description=dict(description or {}),
        )
        return stamp.with_checkpoint(audit)


@dataclass(frozen=True)
class ExportResult:
    """What was written: the file, its SHA-256, and the suppression applied (None when k was not set)."""

    path: Path
    format: str
    sha256: str
    rows: int
    columns: list[str]
    provenance: Provenance
    sidecar: Path | None = None
    suppression: Any = None  # privacy.SuppressionResult


def prepare(
    df: pd.DataFrame,
    *,
    k: int | None = None,
    count_column: str | None = None,
    dims: Sequence[str] | None = None,
    value_columns: Sequence[str] | None = None,
    pii_columns: Mapping[str, str] | Iterable | None = None,
    allow_pii: bool = False,
):
    """Apply the privacy guards to a table: the PII check, then suppression when ``k`` is set.

    Returns (SuppressionResult or None). Raises PiiExportWarning / SpecError. Used by every export path
    (files, clipboard, report tables) so they all behave the same.
    """
    flagged = _flagged(df, pii_columns)
    if flagged and not allow_pii:
        raise PiiExportWarning(flagged)
    if k is None:
        return None
    from workbench.privacy import suppress

    if count_column is None:
        count_column = _guess_count_column(df)
    return suppress(df, count_column, k, dims=dims, value_columns=value_columns)


def _flagged(df: pd.DataFrame, pii_columns) -> dict[str, str]:
    if not pii_columns:
        return {}
    if isinstance(pii_columns, Mapping):
        kinds = dict(pii_columns)
    else:
        kinds = {}
        for item in pii_columns:
            if hasattr(item, "column"):  # privacy.PiiFinding
                kinds[item.column] = item.kind
            else:
                kinds[str(item)] = ""
    return {c: kinds[c] for c in df.columns if c in kinds}


_COUNT_NAMES = ("units", "users", "n", "count", "n_units", "n_users", "accounts", "unique_users")


def _guess_count_column(df: pd.DataFrame) -> str:
    for name in _COUNT_NAMES:
        if name in df.columns:
            return name
    raise ExportError(
        "Small-cell suppression is on but the table has no count of units per row: choose the "
        "count column (e.g. users) or turn suppression off for this export"
    )


def export_table(
    df: pd.DataFrame,
    path: str | os.PathLike,
    *,
    provenance: Provenance,
    fmt: str | None = None,
    k: int | None = None,
    count_column: str | None = None,
    dims: Sequence[str] | None = None,
    value_columns: Sequence[str] | None = None,
    pii_columns: Mapping[str, str] | Iterable | None = None,
    allow_pii: bool = False,
    pii_reason: str | None = None,
    audit=None,
    sheet_name: str = "Data",
    applied_suppression: Mapping | None = None,
    sidecar: bool = False,
) -> ExportResult:
    """Write ``df`` exactly as given (columns, order, values) to CSV, Parquet or XLSX, stamped.

    Parameters
    ----------
    df : the table on screen (filters, grain, comparison columns, totals rows included).
    path : target file; the format comes from ``fmt`` or the suffix (.csv, .parquet, .xlsx).
    provenance : the stamp (:meth:`Provenance.from_workspace`).
    k : minimum group size; None = no suppression. ``count_column`` holds units per row (guessed from
        common names when None); ``dims``/``value_columns`` as in :func:`workbench.privacy.suppress`.
    pii_columns : flagged columns ({name: kind}, names, or PiiFinding objects).
    allow_pii : export flagged columns anyway (after the user confirmed); ``pii_reason`` goes to the log.
    audit : a :class:`workbench.audit.AuditLog`; an ``export_written`` entry is appended.
    applied_suppression : when the caller already withheld cells by its own rule (k None here), the stamp's
        ``suppression`` entry ({"k", "statement", "primary", ...}); stamped and logged as given.
    sidecar : also write ``FILE.provenance.json`` for Parquet/XLSX (CSV always gets one). With ``audit``,
        the embedded stamp carries a signed checkpoint of the log before the export, the sidecar one that
        covers the ``export_written`` entry too.

    Raises
    ------
    PiiExportWarning, ExportError (bad format, unwritable path, disk full), SpecError (bad suppression spec).
    """
    target = Path(path)
    fmt = (fmt or target.suffix.lstrip(".")).lower()
    if fmt == "xls":
        fmt = "xlsx"
    if fmt not in FORMATS:
        raise ExportError(f"Cannot export to {target.name}: choose a .csv, .parquet or .xlsx file")
    if not target.parent.is_dir():
        raise ExportError(f"Cannot export to {target}: the folder does not exist")
    suppression = prepare(
        df,
        k=k,
        count_column=count_column,
        dims=dims,
        value_columns=value_columns,
        pii_columns=pii_columns,
        allow_pii=allow_pii,
    )
    stamp = provenance.with_suppression(
        _suppression_dict(suppression) or (dict(applied_suppression) if applied_suppression else None)
    )
    if audit is not None and stamp.audit_checkpoint is None:
        stamp = stamp.with_checkpoint(audit)  # what Parquet/XLSX embed: the log up to this export
    sidecar_path = target.with_name(target.name + SIDECAR_SUFFIX) if (fmt == "csv" or sidecar) else None
    try:
        if fmt == "csv":
            table = suppression.frame if suppression is not None else df
            atomic_write(target, lambda tmp: table.to_csv(tmp, index=False, encoding="utf-8"))
        elif fmt == "parquet":
            atomic_write(target, lambda tmp: _write_parquet(df, suppression, stamp, tmp))
        else:
            atomic_write(target, lambda tmp: _write_xlsx(df, suppression, stamp, tmp, sheet_name))
        digest = sha256_file(target)
    except OSError as exc:
        raise ExportError(f"Could not write {target.name}: {exc.strerror or exc}") from exc
    flagged = _flagged(df, pii_columns)
    if audit is not None:
        details = {
            "format": fmt,
            "rows": len(df),
            "columns": [str(c) for c in df.columns],
            "workspace": stamp.workspace,
            "sources": {s["name"]: s["sha256"] for s in stamp.sources},
            "suppression_k": k,
            "suppressed_cells": int(suppression.suppressed.sum()) if suppression is not None else 0,
        }
        if suppression is None and applied_suppression:
            details["suppression_k"] = applied_suppression.get("k")
            details["suppressed_cells"] = int(applied_suppression.get("primary", 0))
        if flagged:
            details["pii_columns"] = flagged
            details["pii_reason"] = pii_reason or ""
        if sidecar_path is not None:
            details["sidecar"] = str(sidecar_path)
        audit.export_written(target, digest, **details)
    if sidecar_path is not None:
        # Written after the log entry, so its checkpoint covers the export itself.
        stamp = stamp.with_checkpoint(audit)
        write_provenance_file(
            sidecar_path, stamp, file=target.name, sha256=digest, rows=len(df), columns=[str(c) for c in df.columns]
        )
    return ExportResult(
        path=target,
        format=fmt,
        sha256=digest,
        rows=len(df),
        columns=[str(c) for c in df.columns],
        provenance=stamp,
        sidecar=sidecar_path,
        suppression=suppression,
    )


def write_provenance_file(path: str | os.PathLike, stamp: Provenance, **about: Any) -> Path:
    """Write ``FILE.provenance.json`` atomically: ``about`` (file, sha256, rows...) then the stamp."""
    target = Path(path)
    doc = {**about, **stamp.to_dict()}
    payload = json.dumps(doc, indent=2, ensure_ascii=False, default=str).encode("utf-8")
    try:
        atomic_write(target, lambda tmp: tmp.write_bytes(payload))
    except OSError as exc:
        raise ExportError(f"Could not write {target.name}: {exc.strerror or exc}") from exc
    return target


def export_csv(df: pd.DataFrame, path, **kwargs) -> ExportResult:
    return export_table(df, path, fmt="csv", **kwargs)


def export_parquet(df: pd.DataFrame, path, **kwargs) -> ExportResult:
    return export_table(df, path, fmt="parquet", **kwargs)


def export_xlsx(df: pd.DataFrame, path, **kwargs) -> ExportResult:
    return export_table(df, path, fmt="xlsx", **kwargs)


def _suppression_dict(result) -> dict | None:
    if result is None:
        return None
    return {
        "k": result.k,
        "statement": result.statement(),
        "primary": result.n_primary,
        "complementary": result.n_complementary,
        "count_column": result.count_column,
        "withheld_totals": list(result.withheld_totals),
    }


def _write_parquet(df: pd.DataFrame, suppression, stamp: Provenance, tmp: Path) -> None:
    # Written by DuckDB (no pyarrow at run time): the frame is scanned in place, the stamp goes in the
    # file's key/value metadata. NaN/None/NaT become NULL, as with Arrow's from_pandas.
    from workbench import sql
    from workbench.backend import ENGINE_ERRORS, scratch_connection

    table_df = df
    if suppression is not None and suppression.applied:
        # Keep column types: hidden cells become null, the marker goes in its own column.
        table_df = df.copy()
        hidden = suppression.suppressed.to_numpy()
        for c in [suppression.count_column] + suppression.value_columns:
            table_df[c] = table_df[c].astype("float64") if pd.api.types.is_integer_dtype(table_df[c]) else table_df[c]
            table_df.loc[hidden, c] = None
        table_df["_suppression"] = [
            (f"<{suppression.k}" if p else "suppressed") if h else None
            for h, p in zip(hidden, suppression.primary.to_numpy())
        ]
    table_df = table_df.reset_index(drop=True)
    table_df.columns = [str(c) for c in table_df.columns]
    con = scratch_connection()
    try:
        con.register("export_frame", table_df)
        con.execute(sql.copy_to_parquet("export_frame", str(tmp), kv_metadata={PROVENANCE_KEY: stamp.to_json()}))
    except ENGINE_ERRORS as exc:
        raise ExportError(f"Could not write the Parquet file: {exc}") from exc
    finally:
        con.close()


def _xlsx_value(v):
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(v, pd.Timestamp):
        v = v.to_pydatetime()
    if isinstance(v, dt.datetime) and v.tzinfo is not None:
        return v.isoformat()  # Excel has no time zones: keep the exact instant as text
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        return v.item()
    if isinstance(v, (list, dict, tuple)):
        return json.dumps(v, default=str)
    return v


def _write_xlsx(df: pd.DataFrame, suppression, stamp: Provenance, tmp: Path, sheet_name: str) -> None:
    from openpyxl import Workbook

    table = suppression.frame if suppression is not None else df
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_name[:31]
    ws.append([str(c) for c in table.columns])
    for row in table.itertuples(index=False, name=None):
        ws.append([_xlsx_value(v) for v in row])
    ws.freeze_panes = "A2"
    digests = ", ".join(f"{s['name']} sha256:{s['sha256']}" for s in stamp.sources)
    ws.oddFooter.left.text = f"Workspace: {stamp.workspace}"[:250]
    ws.oddFooter.right.text = "Sources fingerprinted: see sheet Provenance"
    prov = wb.create_sheet("Provenance")
    prov.append(["key", "value"])
    prov.append(["workspace", stamp.workspace])
    prov.append(["generated_at", stamp.generated_at])
    prov.append(["user", stamp.user])
    prov.append(["app_version", stamp.app_version])
    for key, value in stamp.description.items():
        prov.append([f"description.{key}", json.dumps(value, default=str) if not isinstance(value, str) else value])
    for s in stamp.sources:
        prov.append([f"source {s['name']} sha256", s["sha256"]])
        prov.append([f"source {s['name']} rows", s.get("row_count")])
        for f in s.get("files", []):
            prov.append([f"file {f['file']} sha256", f["sha256"]])
    if stamp.suppression:
        prov.append(["suppression", stamp.suppression["statement"]])
    prov.append(["provenance_json", stamp.to_json()])
    props = wb.properties
    props.title = stamp.workspace
    props.subject = "Workbench export"
    props.creator = stamp.user or "workbench"
    props.keywords = digests[:1000]
    props.description = stamp.to_json()[:30000]
    props.identifier = f"workbench {stamp.app_version}"
    wb.save(tmp)


# --- reading stamps back (tests, auditors) ---------------------------------------------------------------


def read_provenance(path: str | os.PathLike) -> dict:
    """The stamp of an exported file (CSV sidecar, Parquet metadata, XLSX properties)."""
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if suffix == ".csv":
            return safe_json.loads(p.with_name(p.name + SIDECAR_SUFFIX).read_text(encoding="utf-8"))
        if suffix == ".parquet":
            from workbench import sql
            from workbench.backend import ENGINE_ERRORS, scratch_connection

            con = scratch_connection()
            try:
                rows = con.execute(sql.parquet_kv_value(str(p), PROVENANCE_KEY)).fetchall()
            except ENGINE_ERRORS as exc:
                raise ValueError(str(exc)) from exc
            finally:
                con.close()
            if not rows:
                raise KeyError(PROVENANCE_KEY)
            return safe_json.loads(bytes(rows[0][0]).decode("utf-8"))
        if suffix == ".xlsx":
            from openpyxl import load_workbook

            wb = load_workbook(p, read_only=True)
            try:
                rows = {r[0]: r[1] for r in wb["Provenance"].iter_rows(min_row=2, values_only=True)}
            finally:
                wb.close()
            return safe_json.loads(rows["provenance_json"])
        if suffix == ".png":
            return safe_json.loads(read_png_text(p.read_bytes())[PROVENANCE_KEY])
    except (OSError, KeyError, ValueError) as exc:
        raise ExportError(f"{p.name} carries no Workbench provenance stamp ({exc})") from exc
    raise ExportError(f"{p.name}: unknown export format")


# --- clipboard and images --------------------------------------------------------------------------------


def clipboard_text(
    df: pd.DataFrame,
    *,
    k: int | None = None,
    count_column: str | None = None,
    dims: Sequence[str] | None = None,
    pii_columns=None,
    allow_pii: bool = False,
) -> str:
    """Tab-separated text for the clipboard, with the same guards as file exports."""
    suppression = prepare(df, k=k, count_column=count_column, dims=dims, pii_columns=pii_columns, allow_pii=allow_pii)
    table = suppression.frame if suppression is not None else df
    return table.to_csv(sep="\t", index=False, lineterminator="\n")


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def stamp_png(png: bytes, provenance: Provenance, audit=None) -> bytes:
    """Add the stamp to PNG bytes as an ``iTXt`` chunk (UTF-8) keyed ``workbench.provenance``; with ``audit``
    (an AuditLog) the stamp carries a signed checkpoint of it."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ExportError("Not PNG data")
    if audit is not None and provenance.audit_checkpoint is None:
        provenance = provenance.with_checkpoint(audit)
    payload = PROVENANCE_KEY.encode("latin-1") + b"\x00\x00\x00\x00\x00" + provenance.to_json().encode("utf-8")
    # Insert right after IHDR (first chunk: 8 signature + 4 length + 4 type + 13 data + 4 crc = 33 bytes).
    return png[:33] + _png_chunk(b"iTXt", payload) + png[33:]


def read_png_text(png: bytes) -> dict[str, str]:
    """The text chunks of a PNG (``tEXt`` and uncompressed ``iTXt``)."""
    out, pos = {}, 8
    while pos + 8 <= len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        data = png[pos + 8 : pos + 8 + length]
        if kind == b"tEXt":
            key, _, value = data.partition(b"\x00")
            out[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"iTXt":
            key, _, rest = data.partition(b"\x00")
            if rest[:1] == b"\x00":  # not compressed
                rest = rest[2:]
                _lang, _, rest = rest.partition(b"\x00")
                _tkey, _, value = rest.partition(b"\x00")
                out[key.decode("latin-1")] = value.decode("utf-8")
        pos += 12 + length
    return out


def stamp_svg(svg: str, provenance: Provenance, audit=None) -> str:
    """Add the stamp to SVG text as a ``<metadata>`` element right after the opening ``<svg ...>`` tag; with
    ``audit`` (an AuditLog) the stamp carries a signed checkpoint of it."""
    from xml.sax.saxutils import escape

    start = svg.find("<svg")
    end = svg.find(">", start)
    if start < 0 or end < 0:
        raise ExportError("Not SVG text")
    if audit is not None and provenance.audit_checkpoint is None:
        provenance = provenance.with_checkpoint(audit)
    meta = f'<metadata id="{PROVENANCE_KEY}">{escape(provenance.to_json())}</metadata>'
    return svg[: end + 1] + meta + svg[end + 1 :]
