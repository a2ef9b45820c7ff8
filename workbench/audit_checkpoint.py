"""Signed checkpoints of an audit log, and checking a log against the checkpoints an auditor holds.

A checkpoint is what Certificate Transparency calls a signed tree head, for a hash chain::

    {"type": "workbench.audit.checkpoint", "version": 1, "log": "a.wbk.audit.jsonl",
     "log_id": "<hash of entry 0>", "entries": 42, "head": "<hash of entry 41>",
     "key": "<fingerprint>", "public_key": "<base64>", "time": "...", "signature": "<base64 Ed25519>"}

The signature covers the canonical JSON of every other field. Checkpoints travel with the work — every
export's provenance, every evidence report (HTML, PDF, replay script) and every saved workspace carries
one — so once a file has left the machine, the log can no longer be rewritten before its checkpoint
without :func:`verify_against` noticing, even by the holder of the key.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any, Sequence, cast
from dataclasses import dataclass, field
from pathlib import Path

from workbench import safe_json
from workbench.audit import GENESIS, AuditError, AuditProblem, VerifyResult, canonical_json, read_head, verify
from workbench.audit_keys import PublicKey, SigningKeyError, short_fingerprint

CHECKPOINT_TYPE = "workbench.audit.checkpoint"
UNSIGNED = "unsigned"  # stands for the entries written before signing existed, in ``unvouched``
_FIELDS = ("type", "version", "log", "log_id", "entries", "head", "key", "public_key", "time", "signature")


def make_checkpoint(log_path: str | os.PathLike, key) -> dict:
    """Sign the log's current head with ``key`` (a :class:`workbench.audit_keys.SigningKey`).

    The head is read under the log's file lock, so an append in progress in another process is never
    half-read (a torn head would make a good log look rewritten later)."""
    from workbench.audit import _lock_file, _unlock_file

    path = Path(log_path)
    try:
        with open(path, "rb") as fh:
            _lock_file(fh)
            try:
                head, log_id = read_head(path), _first_hash(path)
            finally:
                _unlock_file(fh)
    except OSError as exc:
        raise AuditError(f"Cannot read the audit log {path}: {exc.strerror or exc}") from exc
    body = {
        "type": CHECKPOINT_TYPE,
        "version": 1,
        "log": path.name,
        "log_id": log_id,
        "entries": head.count,
        "head": head.hash,
        "key": key.fingerprint,
        "public_key": key.public.b64,
        "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    body["signature"] = key.sign(canonical_json(body))
    return body


def _first_hash(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            for raw in fh:
                if raw.strip():
                    return str(safe_json.loads(raw).get("hash", GENESIS))
    except (OSError, ValueError, AttributeError):
        pass
    return GENESIS


def checkpoint_signature_problem(cp: dict) -> str | None:
    """Why ``cp`` is not a validly signed checkpoint (None when it is)."""
    if not isinstance(cp, dict) or cp.get("type") != CHECKPOINT_TYPE:
        return "not a Workbench audit checkpoint"
    missing = [f for f in _FIELDS if f not in cp]
    if missing:
        return f"the checkpoint lacks {', '.join(missing)}"
    try:
        key = PublicKey.from_b64(cp["public_key"])
    except SigningKeyError as exc:
        return f"the checkpoint's public key cannot be read ({exc})"
    if key.fingerprint != cp["key"]:
        return "the checkpoint's key fingerprint does not match its public key"
    body = {k: v for k, v in cp.items() if k != "signature"}
    try:
        message = canonical_json(body)
    except (TypeError, ValueError):
        return "the checkpoint cannot be read"
    if not key.verify(cp["signature"], message):
        return "the checkpoint's signature does not match: it was edited or forged"
    if not isinstance(cp["entries"], int) or isinstance(cp["entries"], bool) or cp["entries"] < 0:
        return "the checkpoint's entry count is not a whole number"
    return None


# --- finding checkpoints in files ---------------------------------------------------------------------------


def checkpoints_in(path: str | os.PathLike) -> list[dict]:
    """Every checkpoint a file carries: workspaces, ``*.provenance.json``, CSV (its sidecar), Parquet, XLSX,
    PNG, SVG exports, evidence reports (HTML, PDF) and replay scripts. A ``FILE.provenance.json`` beside
    any file is read too.

    Raises
    ------
    AuditError when the file cannot be read.
    """
    from workbench.audit_embed import extract_checkpoints

    p = Path(path)
    if not p.is_file():
        raise AuditError(f"{p}: no such file")
    return extract_checkpoints(p)


# --- checking a log against checkpoints ---------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointCheck:
    """One checkpoint from one file, checked against the log. ``status``: "ok", "mismatch", "truncated",
    "other_log", "forged", "none" (the file carries no checkpoint)."""

    file: str
    status: str
    message: str
    entries: int | None = None
    time: str | None = None
    key: str | None = None
    signed: bool = True  # False for a workspace's bare audit_head: it vouches for no key

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "status": self.status,
            "message": self.message,
            "entries": self.entries,
            "time": self.time,
            "key": self.key,
        }


@dataclass(frozen=True)
class AgainstResult:
    """Outcome of :func:`verify_against`: the log's own check, each checkpoint's, and the keys no checkpoint
    or ``trusted`` fingerprint vouches for."""

    log: VerifyResult
    checks: list[CheckpointCheck] = field(default_factory=list)
    unvouched: dict[str, dict] = field(default_factory=dict)
    changed_after: int | None = None  # entries still matching the newest consistent checkpoint
    changed_by: int | None = None  # entry count of the oldest inconsistent checkpoint

    @property
    def ok(self) -> bool:
        return self.log.ok and all(c.ok for c in self.checks) and not self.unvouched

    def report(self) -> str:
        lines = [self.log.report()]
        for c in self.checks:
            lines.append(f"{'OK' if c.ok else c.status.upper():10} {c.file}: {c.message}")
        for fp, k in self.unvouched.items():
            if fp == UNSIGNED:
                lines.append(
                    f"UNVOUCHED  {k['entries']} unsigned entr{'y' if k['entries'] == 1 else 'ies'} from "
                    f"before signing (from entry {k['seq']} on) lie under no consistent checkpoint"
                )
                continue
            lines.append(
                f"UNVOUCHED  key {short_fingerprint(fp)} ({k['owner']}) signed {k['entries']} entr"
                f"{'y' if k['entries'] == 1 else 'ies'} from entry {k['seq']} on, and no checkpoint or "
                "trusted key vouches for it: entries forged with a new key look like this"
            )
        bad = [c for c in self.checks if not c.ok and c.entries is not None and c.status != "forged"]
        if bad and self.changed_by is not None:  # a rewrite inside this log (not another log, not a forgery)
            early = [c for c in self.checks if c.ok]
            where = f"after entry {self.changed_after - 1} and " if self.changed_after else ""
            lines.append(f"The log was changed {where}at or before entry {self.changed_by - 1}.")
            if early:
                lines.append(
                    "Issued before the change (consistent with the log as it is): "
                    + ", ".join(sorted({c.file for c in early}))
                )
            lines.append(
                "Issued after the entry that was changed (they hold the original): "
                + ", ".join(sorted({c.file for c in bad}))
            )
        lines.append("RESULT: consistent" if self.ok else "RESULT: INCONSISTENT")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        log = self.log
        problem = log.problem
        assert log.ok or problem is not None, "a log that is not ok carries its problem"
        return {
            "ok": self.ok,
            "entries": log.entries,
            "head": log.head.to_dict(),
            "problem": None
            if log.ok or problem is None
            else {"line": problem.line, "kind": problem.kind, "message": problem.message},
            "actions": log.actions,
            "keys": {fp: {k: v for k, v in info.items() if k != "public_key"} for fp, info in log.keys.items()},
            "checkpoints": [c.to_dict() for c in self.checks],
            "unvouched_keys": sorted(self.unvouched),
            "changed_after": self.changed_after,
            "changed_by": self.changed_by,
        }


def check_checkpoint(log: VerifyResult, cp: dict, file: str) -> CheckpointCheck:
    """Is the verified log ``log`` consistent with checkpoint ``cp`` (found in ``file``)?"""
    problem = checkpoint_signature_problem(cp)
    if problem is not None:
        return CheckpointCheck(file, "forged", problem)
    n, when, fp = int(cp["entries"]), str(cp["time"]), str(cp["key"])
    info: dict[str, Any] = {"entries": n, "time": when, "key": fp}
    signed = f"checkpoint of {n} entries signed {when} by {short_fingerprint(fp)}"
    if n == 0:
        return CheckpointCheck(file, "ok", f"{signed} (an empty log; nothing to compare)", **info)
    if log.log_id is not None and cp["log_id"] != log.log_id:
        return CheckpointCheck(
            file,
            "other_log",
            f"{signed} is for another log (its first entry differs), or this log was rewritten from its first entry",
            **info,
        )
    if n > log.entries:
        why = (
            f"the log is broken at line {cast(AuditProblem, log.problem).line}, before entry {n - 1}"
            if not log.ok
            else f"the log now holds only {log.entries} entries: entries were removed or cut off the end"
        )
        return CheckpointCheck(file, "truncated", f"{signed}: {why}", **info)
    if log.hashes[n - 1] != cp["head"]:
        return CheckpointCheck(
            file,
            "mismatch",
            f"{signed}: entry {n - 1} differs from the one it recorded — the "
            f"log was rewritten at or before entry {n - 1}",
            **info,
        )
    return CheckpointCheck(file, "ok", f"{signed} matches", **info)


def _unsigned_head_check(log: VerifyResult, path: Path) -> CheckpointCheck:
    """A file without a checkpoint: a workspace saved before checkpoints still has its (unsigned) head."""
    from workbench.audit_embed import unsigned_head_in

    head = unsigned_head_in(path)
    if head is None:
        return CheckpointCheck(
            str(path), "none", "carries no audit checkpoint (written before checkpoints existed, or stripped)"
        )
    n = head["count"]
    what = f"no signed checkpoint, only an unsigned head of {n} entries (anyone can edit it)"
    if n > log.entries:
        return CheckpointCheck(
            str(path), "truncated", f"{what}: the log now holds only {log.entries} entries", entries=n
        )
    if n and log.hashes[n - 1] != head["hash"]:
        return CheckpointCheck(str(path), "mismatch", f"{what}: entry {n - 1} differs from it", entries=n)
    return CheckpointCheck(str(path), "ok", f"{what}, which matches", entries=n, signed=False)


def _content_check(path: Path) -> CheckpointCheck | None:
    """An export whose bytes no longer match the SHA-256 its provenance sidecar recorded (the sidecar may be
    the file given, or lie beside it): its checkpoint may match the log while its numbers were edited."""
    from workbench.audit_embed import SIDECAR_SUFFIX
    from workbench.fingerprint import sha256_file

    if path.name.endswith(SIDECAR_SUFFIX):
        sidecar, data = path, path.with_name(path.name[: -len(SIDECAR_SUFFIX)])
    else:
        sidecar, data = path.with_name(path.name + SIDECAR_SUFFIX), path
    if not (sidecar.is_file() and data.is_file()):
        return None
    try:
        recorded = safe_json.loads(sidecar.read_text(encoding="utf-8")).get("sha256")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(recorded, str) or sha256_file(data) == recorded:
        return None
    return CheckpointCheck(
        str(path),
        "altered",
        f"{data.name} was changed after it was written: its SHA-256 differs from the one in {sidecar.name}",
        signed=False,
    )


def verify_against(
    log_path: str | os.PathLike, files=(), *, trusted=(), extra: Sequence[tuple[str, dict]] = (), expected_head=None
) -> AgainstResult:
    """Check every signature of the log and its consistency with every checkpoint in ``files``.

    Parameters
    ----------
    files : exports, provenance files, reports, replay scripts, workspaces.
    trusted : key fingerprints the auditor trusts (from elsewhere).
    extra : (label, checkpoint) pairs found by other means (a workspace passed with ``--workspace``).
    expected_head : an unsigned head recorded elsewhere, as in :func:`workbench.audit.verify`.

    A key is *vouched for* when it signed a consistent checkpoint, its key entry lies before the end of one,
    or it is in ``trusted``. When any checkpoint or trusted key is given, entries signed by a key nobody
    vouches for make the result inconsistent.
    """
    log = verify(log_path, expected_head=expected_head)
    checks: list[CheckpointCheck] = []
    for f in files:
        found = checkpoints_in(f)
        if not found:
            checks.append(_unsigned_head_check(log, Path(f)))
        checks.extend(check_checkpoint(log, cp, str(f)) for cp in found)
        altered = _content_check(Path(f))
        if altered is not None:
            checks.append(altered)
    checks.extend(check_checkpoint(log, cp, label) for label, cp in extra)
    good = [c for c in checks if c.ok]
    bad = [c for c in checks if c.status in ("mismatch", "truncated") and c.entries]
    signed_good = [c for c in good if c.signed]
    vouched = {str(t).replace(" ", "").lower() for t in trusted} | {c.key for c in signed_good if c.key}
    covered = max((c.entries or 0 for c in signed_good), default=0)
    vouched |= {fp for fp, k in log.keys.items() if k["seq"] < covered}
    unvouched = {}
    if trusted or any(c.signed and c.entries is not None for c in checks):  # vouching needs signed evidence
        unvouched = {
            fp: k
            for fp, k in log.keys.items()
            if not any(fp == v or (len(v) < 64 and fp.startswith(v)) for v in vouched)
        }
        if log.unsigned > covered:  # entries from before signing, not under any consistent checkpoint
            unvouched[UNSIGNED] = {"owner": "no key", "entries": log.unsigned - covered, "seq": covered}
    # Every check in ``bad`` has a count (filtered above), as does every consistent one.
    changed_by = min((cast(int, c.entries) for c in bad), default=None)
    changed_after = max(
        (cast(int, c.entries) for c in good if changed_by and cast(int, c.entries) < changed_by), default=None
    )
    return AgainstResult(log, checks, unvouched, changed_after, changed_by)
