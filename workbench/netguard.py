"""Network guard: a Python audit hook that refuses every attempt to reach the network.

Workbench needs no network at all, so the guard refuses, and records, every Internet-family socket
``connect``/``sendto``/``sendmsg`` (loopback included: a local proxy is still a way out) and every name
lookup (``getaddrinfo``, ``gethostbyname``, ...) for a host that is not a literal address or
``localhost``. Unix-domain sockets (D-Bus, multiprocessing) stay allowed: they cannot leave the machine.

The refusal is a :class:`NetworkBlocked` (a ``PermissionError``, hence an ``OSError``), which is what a
library that "phones home" already handles as "offline", so the app carries on. Each attempt is appended
to :func:`blocked_attempts` and logged on the ``workbench.netguard`` logger.

One controlled exception: :func:`allow_endpoint` admits exactly one configured Spark Connect endpoint
(its host name lookups and connects to its port on the addresses it resolved to); nothing is allowed until
the user configures a connection, and every allowed endpoint is listed by :func:`allowed_endpoints`.

Limits, said plainly: an audit hook sees what Python code does. Native code that opens sockets itself
(e.g. a C extension) bypasses it; DuckDB is configured offline in :mod:`workbench.engine`, Qt's network
module is not bundled, and CI additionally runs the self-test in a namespace with no network
(``unshare -n``, see ``packaging/ci_check.sh``). Audit hooks cannot be removed once added (PEP 578);
:func:`install` adds the hook once per process.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys
import threading
from dataclasses import dataclass

log = logging.getLogger("workbench.netguard")

_CONNECT_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg"})
_LOOKUP_EVENTS = frozenset({"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr"})
_INET_FAMILIES = frozenset({socket.AF_INET, socket.AF_INET6})
_LOCAL_NAMES = frozenset({"", "localhost", "localhost.localdomain", "ip6-localhost"})
MAX_RECORDED = 1000  # a runaway retry loop must not grow memory without bound


class NetworkBlocked(PermissionError):
    """Raised (from inside the audited call) when code tries to reach the network."""


@dataclass(frozen=True)
class BlockedAttempt:
    """One refused call: the audit event name and the address or host it targeted."""

    event: str
    target: str


_lock = threading.Lock()
_attempts: list[BlockedAttempt] = []
_allowed_hosts: set[str] = set()
_allowed_targets: set[tuple[str, int]] = set()  # (address, port) pairs a configured endpoint resolved to
_installed = False
_reentry = threading.local()  # a logging handler that itself uses the network must not recurse


def install() -> None:
    """Add the audit hook to this process (idempotent; cannot be undone)."""
    global _installed
    with _lock:
        if _installed:
            return
        sys.addaudithook(_hook)
        _installed = True


def is_installed() -> bool:
    """Whether :func:`install` ran in this process."""
    return _installed


def allow_endpoint(host: str, port: int) -> None:
    """Admit one configured endpoint (the Spark Connect server): lookups of ``host`` and connects to
    ``port`` on the addresses it resolves to now. Everything else stays refused."""
    name = host.strip().lower()
    with _lock:
        _allowed_hosts.add(name)
    _reentry.resolving = True  # this one lookup is the allowed one
    try:
        infos = socket.getaddrinfo(name, port, proto=socket.IPPROTO_TCP)
    except OSError:
        infos = []
    finally:
        _reentry.resolving = False
    with _lock:
        _allowed_targets.add((name, int(port)))
        for info in infos:
            _allowed_targets.add((str(info[4][0]), int(port)))


def allowed_endpoints() -> list[tuple[str, int]]:
    """The endpoints admitted by :func:`allow_endpoint` (host names and resolved addresses), sorted."""
    with _lock:
        return sorted(_allowed_targets)


def blocked_attempts() -> list[BlockedAttempt]:
    """A copy of the attempts refused so far in this process (oldest first)."""
    with _lock:
        return list(_attempts)


def _hook(event: str, args: tuple) -> None:
    # Called for every audited event in the process (imports, opens, ...): bail out cheaply first.
    if not event.startswith("socket."):
        return
    if event in _CONNECT_EVENTS:
        sock = args[0]
        if getattr(sock, "family", None) in _INET_FAMILIES:
            target = args[1] if len(args) > 1 else None
            if not _is_allowed_target(target):
                _refuse(event, _describe(target))
    elif event in _LOOKUP_EVENTS:
        host = args[0] if args else None
        if not _is_local_name(host) and not _is_allowed_host(host):
            _refuse(event, _describe(host))


def _is_allowed_target(target: object) -> bool:
    if not _allowed_targets or not (isinstance(target, tuple) and len(target) >= 2):
        return False
    return (str(target[0]).lower(), int(target[1])) in _allowed_targets


def _is_allowed_host(host: object) -> bool:
    if getattr(_reentry, "resolving", False):
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    return isinstance(host, str) and host.strip().lower() in _allowed_hosts


def _is_local_name(host: object) -> bool:
    """Literal addresses and localhost need no DNS query; any other name would send one."""
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip().lower()
    if name in _LOCAL_NAMES:
        return True
    try:
        ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _describe(target: object) -> str:
    if isinstance(target, tuple) and len(target) >= 2:
        return f"{target[0]}:{target[1]}"
    if isinstance(target, bytes):
        return target.decode("ascii", "replace")
    return str(target)


def _refuse(event: str, target: str) -> None:
    attempt = BlockedAttempt(event, target)
    with _lock:
        if len(_attempts) < MAX_RECORDED:
            _attempts.append(attempt)
    if not getattr(_reentry, "active", False):
        _reentry.active = True
        try:
            log.warning("blocked network access: %s %s", event, target)
        finally:
            _reentry.active = False
    raise NetworkBlocked(f"Workbench works offline: network access refused ({event} {target})")
