"""Append-only, hash-chained and signed audit log (JSON lines).

Each line is one JSON object::

    {"seq": 3, "time": "2026-11-02T10:15:04.123456+00:00", "user": "ana", "app_version": "0.1.0",
     "action": "export_written", "details": {"path": "...", "sha256": "..."},
     "prev": "<hash of entry 2>", "key": "<fingerprint of the signing key>",
     "hash": "<SHA-256 of this entry without 'hash' and 'sig'>", "sig": "<Ed25519 signature of hash>"}

``hash`` is the SHA-256 of the entry's canonical JSON (sorted keys, no spaces, UTF-8) without ``hash`` and
``sig``, and ``prev`` is the ``hash`` of the entry before it (64 zeros for the first). Editing, deleting,
reordering or inserting a line therefore breaks the chain at that line, which :func:`verify` reports.

``sig`` is the Ed25519 signature of ``hash`` by the writer's per-user key (:mod:`workbench.audit_keys`).
The first entry a key writes into a log is a ``signing_key`` entry holding its public key, so the log
carries what is needed to check every signature; a line forged without the key cannot be signed.

``user`` is the OS account the process runs as (from its uid), not ``$USER``: when ``$USER`` names someone
else it is recorded as ``claimed_user`` beside it.

What a chain and signatures cannot prove on their own: that the holder of the key did not rewrite the log
and re-sign it, or cut its last lines off. For that, *signed checkpoints* (entry count, head hash, key,
signature: :mod:`workbench.audit_checkpoint`) leave the machine in every export, report and saved
workspace; ``workbench audit verify LOG --against FILE...`` checks the log against them.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from workbench import safe_json
from workbench.audit_keys import PublicKey, SigningKeyError, short_fingerprint
from workbench.errors import WorkbenchError

GENESIS = "0" * 64
FIELDS = ("seq", "time", "user", "app_version", "action", "details", "prev", "key", "hash", "sig")
OPTIONAL_FIELDS = ("claimed_user",)
UNHASHED = ("hash", "sig")  # the hash covers everything else; the signature signs the hash

# Actions the app writes (free-form strings are accepted too; these keep the Audit panel's filter tidy).
SOURCE_OPENED = "source_opened"
QUERY_RUN = "query_run"
VIEW_SAVED = "view_saved"
WORKSPACE_SAVED = "workspace_saved"
WORKSPACE_OPENED = "workspace_opened"
EXPORT_WRITTEN = "export_written"
REPORT_WRITTEN = "report_written"
PII_REVEALED = "pii_revealed"
SOURCE_RELOCATED = "source_relocated"
SOURCE_ACCEPTED = "source_fingerprint_accepted"
SIGNING_KEY = "signing_key"  # a key's public half, written before that key's first entry in a log


class AuditError(WorkbenchError):
    """The audit log cannot be read or written."""


def canonical_json(obj: Any) -> bytes:
    """The byte form that is hashed: sorted keys, no whitespace, UTF-8, no NaN."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def entry_hash(entry: dict) -> str:
    """SHA-256 of an entry without its ``hash`` and ``sig`` fields."""
    body = {k: v for k, v in entry.items() if k not in UNHASHED}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def current_user() -> str:
    """The OS account this process runs as: the uid's passwd name, never ``$USER`` (anyone can set that).

    Windows has no uid: there the account name comes from the system (GetUserNameW), then getpass.
    "unknown" where the platform cannot tell (a container uid without a passwd entry gives "uid:1234").
    """
    try:
        import pwd
    except ImportError:
        return _windows_user()
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid:{uid}"


def _windows_user() -> str:
    try:
        import ctypes

        size = ctypes.c_ulong(257)
        buf = ctypes.create_unicode_buffer(size.value)
        if ctypes.windll.advapi32.GetUserNameW(buf, ctypes.byref(size)):  # type: ignore[attr-defined]
            return buf.value
    except (AttributeError, OSError):
        pass
    try:
        return getpass.getuser()
    except Exception:  # getuser raises OSError/KeyError without any env var
        return "unknown"


def claimed_user() -> str | None:
    """The user name the environment claims (``$USER``/``$LOGNAME``/``$USERNAME``), if any."""
    for var in ("USER", "LOGNAME", "USERNAME"):
        value = os.environ.get(var)
        if value:
            return value
    return None


def app_version() -> str:
    from workbench.version import version_string

    return version_string()


def _json_safe(value: Any) -> Any:
    """Details may hold paths, dates, numpy scalars: turn them into plain JSON values."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (str, bool, int)) or value is None:
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return _json_safe(value.item())
    return str(value)


@dataclass(frozen=True)
class AuditHead:
    """The end of the chain: store it elsewhere to detect a cut-off or rewritten tail."""

    hash: str
    count: int

    def to_dict(self) -> dict:
        return {"hash": self.hash, "count": self.count}

    @classmethod
    def from_dict(cls, data: dict) -> "AuditHead":
        return cls(hash=str(data["hash"]), count=int(data["count"]))


@dataclass(frozen=True)
class AuditProblem:
    """The first place the chain breaks. ``line`` is 1-based; ``kind`` is one of
    "unparseable", "malformed", "edited", "deleted", "reordered", "inserted", "truncated", "head_mismatch"."""

    line: int
    kind: str
    message: str


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify`. ``ok`` is True when the chain is intact (and matches ``expected_head``)."""

    path: str
    entries: int
    head: AuditHead
    problem: AuditProblem | None = None
    actions: dict[str, int] = field(default_factory=dict)
    # Signing keys met in the verified part: fingerprint -> {"owner", "public_key", "seq" (its key entry),
    # "entries" (how many entries it signed)}.
    keys: dict[str, dict] = field(default_factory=dict)
    hashes: tuple[str, ...] = ()  # hash of each verified entry, by seq
    unsigned: int = 0  # entries at the start written before signing existed (chain only)

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def log_id(self) -> str | None:
        """The first entry's hash: names the log in checkpoints."""
        return self.hashes[0] if self.hashes else None

    def report(self) -> str:
        """A short report a person can read (used by ``workbench audit verify``)."""
        name = Path(self.path).name
        if self.ok:
            keys = ", ".join(
                f"{short_fingerprint(fp)} ({k['owner']}, {k['entries']} entries)" for fp, k in self.keys.items()
            )
            legacy = (
                f"; the first {self.unsigned} entries predate signing and carry no signature (only the "
                "hash chain protects them)"
                if self.unsigned
                else ""
            )
            return (
                f"{name}: chain intact, every signature valid — {self.entries} entries, head "
                f"{self.head.hash[:16]}…; signed by {keys or 'no key'}{legacy}"
            )
        p = self.problem
        assert p is not None, "a result that is not ok carries its problem"
        return (
            f"{name}: BROKEN at line {p.line} ({p.kind}): {p.message}\n"
            f"{self.entries} entries before the break were verified; nothing from line {p.line} on can be trusted."
        )


class AuditLog:
    """An append-only, signed audit log file. Safe to share between threads of one process.

    Parameters
    ----------
    path : the ``.jsonl`` file (created on the first append).
    user, version : override the OS user and app version (tests, replays).
    key : the :class:`workbench.audit_keys.SigningKey` to sign with (default: the user's key, created on
        first use; only loaded when something is written).
    """

    def __init__(self, path: str | os.PathLike, *, user: str | None = None, version: str | None = None, key=None):
        self.path = Path(path)
        self.user = user or current_user()
        claim = None if user else claimed_user()
        self.claimed_user = claim if claim and claim != self.user else None
        self.version = version or app_version()
        self._key = key
        self._key_in_log = False
        self._lock = threading.Lock()

    @property
    def key(self):
        """The signing key (loaded or created on first use)."""
        if self._key is None:
            from workbench.audit_keys import load_or_create

            try:
                self._key = load_or_create()
            except SigningKeyError as exc:
                raise AuditError(str(exc)) from exc
        return self._key

    @property
    def key_fingerprint(self) -> str:
        return self.key.fingerprint

    def append(self, action: str, **details: Any) -> dict:
        """Append one signed entry and return it (with its ``hash`` and ``sig``).

        The previous hash is re-read from the file each time, so two processes appending in turn still
        build one chain; on POSIX an advisory lock keeps their writes from interleaving. The first entry
        this key writes into the log is preceded by a ``signing_key`` entry with its public key.
        """
        if not action or not isinstance(action, str):
            raise AuditError("An audit entry needs an action name")
        key = self.key
        return self._locked(lambda fh: self._write_locked(fh, key, action, details))

    def ensure_key_entry(self) -> None:
        """Write this key's ``signing_key`` entry if the log lacks it (a checkpoint needs a non-empty log)."""
        key = self.key
        self._locked(lambda fh: self._ensure_key_locked(fh, key))

    def _locked(self, write):
        """Run ``write(fh)`` on the log opened for appending, holding the thread and the file lock."""
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with open(self.path, "a+b") as fh:
                    _lock_file(fh)
                    try:
                        return write(fh)
                    finally:
                        _unlock_file(fh)
            except OSError as exc:
                raise AuditError(f"Cannot write the audit log {self.path}: {exc.strerror or exc}") from exc

    def _ensure_key_locked(self, fh, key) -> None:
        if not self._key_in_log:
            fh.seek(0)
            self._key_in_log = any(_is_key_entry(raw, key.fingerprint) for raw in fh)
        if not self._key_in_log:
            self._write_entry(
                fh,
                key,
                SIGNING_KEY,
                {
                    "algorithm": "Ed25519",
                    "public_key": key.public.b64,
                    "fingerprint": key.fingerprint,
                    "owner": self.user,
                },
            )
            self._key_in_log = True

    def _write_locked(self, fh, key, action: str, details: dict) -> dict:
        self._ensure_key_locked(fh, key)
        return self._write_entry(fh, key, action, details)

    def _write_entry(self, fh, key, action: str, details: dict) -> dict:
        prev, seq, needs_newline = _tail_state(fh)
        entry = {
            "seq": seq,
            "time": dt.datetime.now(dt.timezone.utc).isoformat(),
            "user": self.user,
            "app_version": self.version,
            "action": action,
            "details": _json_safe(details),
            "prev": prev,
            "key": key.fingerprint,
        }
        if self.claimed_user:
            entry["claimed_user"] = self.claimed_user
        entry["hash"] = entry_hash(entry)
        entry["sig"] = key.sign(entry["hash"].encode("ascii"))
        line = canonical_json(entry) + b"\n"
        fh.seek(0, os.SEEK_END)
        fh.write((b"\n" if needs_newline else b"") + line)
        fh.flush()
        os.fsync(fh.fileno())
        return entry

    def checkpoint(self) -> dict:
        """A signed checkpoint of the log as it is now (see :mod:`workbench.audit_checkpoint`).

        Raises AuditError when the log cannot be written or the key cannot be loaded."""
        from workbench.audit_checkpoint import make_checkpoint

        self.flush()
        self.ensure_key_entry()
        return make_checkpoint(self.path, self.key)

    def flush(self) -> None:
        """Wait for pending writes (none here; a subclass that appends in the background overrides it)."""

    def entries(self) -> list[dict]:
        """Every parseable entry, in file order (the Audit panel's model). Broken lines are skipped;
        call :func:`verify` to learn whether the chain holds."""
        return [e for _, e, _ in _read_lines(self.path) if e is not None]

    def head(self) -> AuditHead:
        """Hash and count of the last entry (``GENESIS``/0 for an empty or absent log)."""
        return read_head(self.path)

    # Convenience wrappers: one per action the app records, so the detail keys stay consistent.
    def source_opened(self, name: str, files: list[dict], row_count: int | None = None) -> dict:
        return self.append(SOURCE_OPENED, source=name, files=files, row_count=row_count)

    def query_run(self, sql: str, rows: int | None = None, source: str | None = None) -> dict:
        return self.append(QUERY_RUN, sql=sql, rows=rows, source=source)

    def view_saved(self, name: str, spec: dict | None = None) -> dict:
        return self.append(VIEW_SAVED, view=name, spec=spec)

    def export_written(self, path: str | os.PathLike, sha256: str, **details: Any) -> dict:
        return self.append(EXPORT_WRITTEN, path=os.fspath(path), sha256=sha256, **details)

    def pii_revealed(self, source: str, column: str, reason: str) -> dict:
        if not reason or not reason.strip():
            raise AuditError("Revealing personal data needs a reason for the audit log")
        return self.append(PII_REVEALED, source=source, column=column, reason=reason.strip())


def read_head(path: str | os.PathLike) -> AuditHead:
    """Hash and count of a log's last entry (``GENESIS``/0 for an empty or absent log)."""
    path = Path(path)
    if not path.exists():
        return AuditHead(GENESIS, 0)
    with open(path, "rb") as fh:
        prev, seq, _ = _tail_state(fh)
    return AuditHead(prev, seq)


def _is_key_entry(raw: bytes, fingerprint: str) -> bool:
    if fingerprint.encode("ascii") not in raw or SIGNING_KEY.encode("ascii") not in raw:
        return False
    try:
        entry = safe_json.loads(raw)
    except (ValueError, RecursionError):
        return False
    return (
        isinstance(entry, dict)
        and entry.get("action") == SIGNING_KEY
        and isinstance(entry.get("details"), dict)
        and entry["details"].get("fingerprint") == fingerprint
    )


def _lock_file(fh) -> None:
    try:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
    except (ImportError, OSError):  # Windows, or a file system without locks: the thread lock still holds
        pass


def _unlock_file(fh) -> None:
    try:
        import fcntl

        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    except (ImportError, OSError):
        pass


def _tail_state(fh) -> tuple[str, int, bool]:
    """(hash of the last line, next seq, whether the file lacks a final newline) read from the file's end.

    A torn last line (a crash mid-write) is chained over by the hash of its raw bytes: the new entry
    still links to *something* fixed, and ``verify`` reports the torn line.
    """
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    if size == 0:
        return GENESIS, 0, False
    block, data = 4096, b""
    pos = size
    while pos > 0:
        step = min(block, pos)
        pos -= step
        fh.seek(pos)
        data = fh.read(step) + data
        stripped = data.rstrip(b"\r\n")
        if b"\n" in stripped:
            break
    needs_newline = not data.endswith(b"\n")
    lines = [ln for ln in data.split(b"\n") if ln.strip()]
    if not lines:
        return GENESIS, 0, needs_newline
    last = lines[-1]
    try:
        entry = safe_json.loads(last)
        return str(entry["hash"]), int(entry["seq"]) + 1, needs_newline
    except (ValueError, KeyError, TypeError, RecursionError):
        # Count lines to keep seq meaningful after a torn line.
        fh.seek(0)
        count = sum(1 for ln in fh if ln.strip())
        return hashlib.sha256(last).hexdigest(), count, needs_newline


def _read_lines(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, entry or None, parse error or None) for each non-blank line."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise AuditError(f"{path}: no such audit log") from None
    except OSError as exc:
        raise AuditError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    with fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                entry = safe_json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError, RecursionError) as exc:
                yield number, None, f"not valid JSON ({exc})"
                continue
            if not isinstance(entry, dict):
                yield number, None, "not a JSON object"
                continue
            yield number, entry, None


def verify(path: str | os.PathLike, expected_head: AuditHead | dict | None = None) -> VerifyResult:
    """Check the hash chain and every signature of an audit log and report the first broken entry.

    Parameters
    ----------
    path : the ``.jsonl`` log.
    expected_head : the head recorded elsewhere (e.g. in the workspace); when given, a log whose end differs
        (lines cut off the end, or a tail rewritten with recomputed hashes) is reported as broken too.
        Signed checkpoints do this better: :func:`workbench.audit_checkpoint.verify_against`.

    Returns
    -------
    VerifyResult : ``ok``, ``entries`` verified, the ``head`` reached, the signing ``keys``, the first
    ``problem`` if any (an empty log is one: every log Workbench writes starts with a key entry).

    Raises
    ------
    AuditError when the file does not exist or cannot be read.
    """
    path = Path(path)
    prev_hash, expected_seq, count = GENESIS, 0, 0
    seen_hashes: set[str] = set()
    hashes: list[str] = []
    actions: dict[str, int] = {}
    keys: dict[str, dict] = {}
    public: dict[str, PublicKey] = {}
    unsigned = 0
    # seq numbers by line, to tell a deletion from a reordering (the "missing" entry shows up later).
    seqs_by_line = [(n, e.get("seq")) for n, e, _ in _read_lines(path) if e is not None]

    def later_seqs(line: int) -> set:
        return {s for n, s in seqs_by_line if n > line}

    def result(problem: AuditProblem | None) -> VerifyResult:
        return VerifyResult(
            str(path), count, AuditHead(prev_hash, count), problem, actions, keys, tuple(hashes), unsigned
        )

    for number, entry, error in _read_lines(path):
        if entry is None:
            return result(AuditProblem(number, "unparseable", f"the line is {error}; it was damaged or hand-edited"))
        required = [f for f in FIELDS if f not in ("key", "sig")]
        missing = [f for f in required if f not in entry]
        extra = sorted(set(entry) - set(FIELDS) - set(OPTIONAL_FIELDS))
        if missing or extra:
            what = f"missing {', '.join(missing)}" if missing else f"unexpected field(s) {', '.join(extra)}"
            return result(AuditProblem(number, "malformed", f"the entry is not an audit entry ({what})"))
        try:
            computed = entry_hash(entry)
            seq = int(entry["seq"])
        except (ValueError, TypeError, RecursionError) as exc:
            return result(AuditProblem(number, "malformed", f"the entry cannot be hashed ({exc})"))
        if computed != entry["hash"]:
            return result(
                AuditProblem(
                    number,
                    "edited",
                    f"entry {entry.get('seq')} ({entry.get('action')}) was changed after it was written: "
                    "its content no longer matches its hash",
                )
            )
        if entry["prev"] != prev_hash:
            return result(_classify_break(number, entry, seq, expected_seq, seen_hashes, later_seqs(number)))
        if seq != expected_seq:
            # Linked correctly but numbered wrongly: only possible when the line was forged with a fresh hash.
            return result(AuditProblem(number, "inserted", f"entry numbered {seq} where {expected_seq} was expected"))
        # Linked and hashed correctly: only the signature can tell a line forged without the key.
        legacy = not keys and not entry.get("key") and not entry.get("sig")  # written before signing existed
        signature_problem = None if legacy else _check_signature(number, entry, public, keys)
        if signature_problem is not None:
            return result(signature_problem)
        unsigned += legacy
        seen_hashes.add(entry["hash"])
        hashes.append(entry["hash"])
        if not legacy:
            keys[entry["key"]]["entries"] += 1
        prev_hash, expected_seq, count = entry["hash"], seq + 1, count + 1
        action = str(entry["action"])
        actions[action] = actions.get(action, 0) + 1

    if count == 0:
        return result(
            AuditProblem(
                0,
                "empty",
                "the log holds no entries: every log Workbench writes starts with "
                "its signing key, so this one was emptied or replaced",
            )
        )
    if expected_head is not None:
        problem = _check_expected_head(path, expected_head, count)
        if problem is not None:
            return result(problem)
    return result(None)


def _check_signature(
    number: int, entry: dict, public: dict[str, "PublicKey"], keys: dict[str, dict]
) -> AuditProblem | None:
    """The entry's signature problem, if any; registers the key of a ``signing_key`` entry."""
    seq = entry.get("seq")
    if not entry.get("key") or not entry.get("sig"):
        return AuditProblem(
            number,
            "unsigned",
            f"entry {seq} ({entry.get('action')}) carries no signature: it was "
            "not written by Workbench with a signing key",
        )
    fp = str(entry["key"])
    if entry["action"] == SIGNING_KEY:
        details = entry["details"] if isinstance(entry["details"], dict) else {}
        try:
            introduced = PublicKey.from_b64(details.get("public_key", ""))
        except SigningKeyError as exc:
            return AuditProblem(number, "malformed", f"entry {seq} introduces a key that cannot be read ({exc})")
        if introduced.fingerprint != fp or details.get("fingerprint") != fp:
            return AuditProblem(number, "malformed", f"entry {seq} introduces a key whose fingerprint does not match")
        if fp not in public:
            public[fp] = introduced
            keys[fp] = {
                "owner": details.get("owner") or entry.get("user"),
                "public_key": introduced.b64,
                "seq": seq,
                "line": number,
                "entries": 0,
            }
    key = public.get(fp)
    if key is None:
        return AuditProblem(
            number,
            "unknown_key",
            f"entry {seq} is signed by key {short_fingerprint(fp)}, which "
            "the log never introduced: it was forged or copied from elsewhere",
        )
    if not key.verify(entry["sig"], str(entry["hash"]).encode("ascii")):
        return AuditProblem(
            number,
            "bad_signature",
            f"entry {seq} ({entry.get('action')}): the signature does not "
            "match; it was written or re-hashed without the signing key",
        )
    return None


def _check_expected_head(path: Path, expected_head: AuditHead | dict, count: int) -> AuditProblem | None:
    head = AuditHead.from_dict(expected_head) if isinstance(expected_head, dict) else expected_head
    if head.count == 0 and head.hash != GENESIS:
        # Only a hash was recorded: it must still be somewhere in the verified chain.
        if not any(e is not None and e.get("hash") == head.hash for _, e, _ in _read_lines(path)):
            return AuditProblem(
                count + 1,
                "head_mismatch",
                f"the recorded head {head.hash[:16]}… is not in the log: entries were cut off the end or rewritten",
            )
    elif count < head.count:
        return AuditProblem(
            count + 1,
            "truncated",
            f"the log ends after {count} entries but {head.count} were recorded: entries were cut off the end",
        )
    elif head.count > 0 and not _has_entry(path, head):
        # The recorded head must still be in the chain at its position.
        return AuditProblem(
            head.count,
            "head_mismatch",
            f"entry {head.count - 1} differs from the one recorded (hash {head.hash[:16]}…): the log was rewritten",
        )
    return None


def _classify_break(number: int, entry: dict, seq: int, expected_seq: int, seen: set[str], later: set) -> AuditProblem:
    if entry["hash"] in seen:
        return AuditProblem(number, "inserted", f"entry {seq} appears twice: a copy of it was inserted here")
    if seq > expected_seq:
        if expected_seq in later:
            return AuditProblem(
                number, "reordered", f"entry {seq} comes before entry {expected_seq}: lines were moved out of order"
            )
        n = seq - expected_seq
        return AuditProblem(
            number,
            "deleted",
            f"{n} entr{'y was' if n == 1 else 'ies were'} removed before this "
            f"line (expected entry {expected_seq}, found {seq})",
        )
    if seq < expected_seq - 1:
        return AuditProblem(
            number, "reordered", f"entry {seq} comes after entry {expected_seq - 1}: lines were moved out of order"
        )
    return AuditProblem(
        number,
        "inserted",
        f"entry {seq} does not link to the line before it: a line was inserted or replaced before this one",
    )


def _has_entry(path: Path, head: AuditHead) -> bool:
    for _, entry, _ in _read_lines(path):
        if entry is not None and entry.get("seq") == head.count - 1:
            return entry.get("hash") == head.hash
    return False


def audit_path_for(workspace_path: str | os.PathLike) -> Path:
    """Where a workspace's audit log lives: ``analysis.wbk`` -> ``analysis.wbk.audit.jsonl`` beside it."""
    p = Path(workspace_path)
    return p.with_name(p.name + ".audit.jsonl")
