"""The per-user Ed25519 key that signs audit entries and checkpoints.

The key is created on first use in the user's config folder (``WORKBENCH_CONFIG_DIR`` overrides it; tests
point it at a temporary folder), never inside a workspace or beside a log: whoever copies a workspace and
its log does not get the power to sign for its author. The file is a PKCS#8 PEM, mode 0600; when a
passphrase is given (argument or ``WORKBENCH_KEY_PASSPHRASE``) it is encrypted with it.

A key's *fingerprint* is the SHA-256 (hex) of its raw 32-byte public key; logs, workspaces, reports and
exports record it so an auditor can tell which key vouched for what.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from workbench.errors import WorkbenchError

CONFIG_ENV = "WORKBENCH_CONFIG_DIR"
PASSPHRASE_ENV = "WORKBENCH_KEY_PASSPHRASE"
KEY_FILE = "audit-signing-key.pem"
ALGORITHM = "Ed25519"


class SigningKeyError(WorkbenchError):
    """The signing key cannot be created, read or unlocked."""


def config_dir() -> Path:
    """The user's Workbench config folder (``$WORKBENCH_CONFIG_DIR`` when set)."""
    override = os.environ.get(CONFIG_ENV)
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir("workbench", appauthor=False))


def default_key_path() -> Path:
    return config_dir() / KEY_FILE


def fingerprint_of(public_raw: bytes) -> str:
    """SHA-256 hex of a raw Ed25519 public key."""
    return hashlib.sha256(public_raw).hexdigest()


def short_fingerprint(fingerprint: str) -> str:
    """The first 16 hex digits in groups of four, for people (``ab12 cd34 ef56 7890``)."""
    head = (fingerprint or "")[:16]
    return " ".join(head[i : i + 4] for i in range(0, len(head), 4))


@dataclass(frozen=True)
class PublicKey:
    """A verifying key as recorded in logs and checkpoints (raw bytes, base64)."""

    raw: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.raw)

    @property
    def b64(self) -> str:
        return base64.b64encode(self.raw).decode("ascii")

    @classmethod
    def from_b64(cls, text: str) -> "PublicKey":
        try:
            raw = base64.b64decode(str(text), validate=True)
        except (ValueError, TypeError) as exc:
            raise SigningKeyError(f"not a base64 public key ({exc})") from None
        if len(raw) != 32:
            raise SigningKeyError(f"an Ed25519 public key has 32 bytes, not {len(raw)}")
        return cls(raw)

    def verify(self, signature_b64: str, message: bytes) -> bool:
        """True when ``signature_b64`` is this key's signature of ``message``."""
        from cryptography.exceptions import InvalidSignature

        try:
            sig = base64.b64decode(str(signature_b64), validate=True)
            _verifier(self.raw).verify(sig, message)
            return True
        except (InvalidSignature, ValueError, TypeError):
            return False


@functools.lru_cache(maxsize=64)
def _verifier(raw: bytes):
    """The loaded public key (loading it per entry cost as much as the check itself)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    return Ed25519PublicKey.from_public_bytes(raw)


class SigningKey:
    """A loaded private key. ``sign`` returns a base64 signature."""

    def __init__(self, private_key, path: Path | None = None):
        from cryptography.hazmat.primitives import serialization

        self._key = private_key
        self.path = path
        raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public = PublicKey(raw)

    @property
    def fingerprint(self) -> str:
        return self.public.fingerprint

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self._key.sign(message)).decode("ascii")

    @classmethod
    def generate(cls) -> "SigningKey":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return cls(Ed25519PrivateKey.generate())


_cache: dict[tuple[str, str | None], SigningKey] = {}
_cache_lock = threading.Lock()


def load_or_create(path: str | os.PathLike | None = None, passphrase: str | None = None) -> SigningKey:
    """The user's signing key, created (mode 0600) on first use.

    Parameters
    ----------
    path : the PEM file (default: ``audit-signing-key.pem`` in :func:`config_dir`).
    passphrase : encrypts a new key / unlocks an existing one (default ``$WORKBENCH_KEY_PASSPHRASE``).

    Raises
    ------
    SigningKeyError when the file cannot be written or read, or the passphrase is missing or wrong.
    """
    target = Path(path) if path is not None else default_key_path()
    secret = passphrase if passphrase is not None else (os.environ.get(PASSPHRASE_ENV) or None)
    cache_key = (str(target.absolute()), secret)
    with _cache_lock:
        cached = _cache.get(cache_key)
        if cached is not None and target.exists():
            return cached
        if not target.exists():
            _create(target, secret)
        key = _load(target, secret)
        _cache[cache_key] = key
        return key


def _create(target: Path, secret: str | None) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    encryption = (
        serialization.BestAvailableEncryption(secret.encode("utf-8")) if secret else serialization.NoEncryption()
    )
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)  # fails if another process created the key first: theirs wins, ours goes
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not target.exists():
                os.replace(tmp, target)
    except OSError as exc:
        raise SigningKeyError(f"Cannot create the audit signing key {target}: {exc.strerror or exc}") from exc
    finally:
        try:
            tmp.unlink()
        except OSError:
            pass


def _load(target: Path, secret: str | None) -> SigningKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        data = target.read_bytes()
        if os.name == "posix" and target.stat().st_mode & 0o077:
            os.chmod(target, 0o600)  # a private key readable by others is no longer private
    except OSError as exc:
        raise SigningKeyError(f"Cannot read the audit signing key {target}: {exc.strerror or exc}") from exc
    try:
        key = serialization.load_pem_private_key(data, password=secret.encode("utf-8") if secret else None)
    except TypeError:
        if secret:
            raise SigningKeyError(
                f"The audit signing key {target} is not protected by a passphrase, but one was given"
            ) from None
        raise SigningKeyError(
            f"The audit signing key {target} is protected by a passphrase: set {PASSPHRASE_ENV}"
        ) from None
    except ValueError:
        raise SigningKeyError(
            f"The audit signing key {target} cannot be read: wrong passphrase or a damaged file"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{target} is not an Ed25519 key")
    return SigningKey(key, target)
