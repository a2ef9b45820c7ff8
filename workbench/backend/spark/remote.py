"""A Spark Connect endpoint as the user configured it: ``sc://host:port/;token=...;use_ssl=true``.

The token is a secret: it is kept out of :meth:`SparkRemote.display` (what the audit log, the status bar and
saved profiles show) and is read from ``WORKBENCH_SPARK_TOKEN`` when the URL has none, so a workspace or a
profile never needs to hold it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import unquote

from workbench.errors import WorkbenchError

REMOTE_ENV = "WORKBENCH_SPARK_REMOTE"
TOKEN_ENV = "WORKBENCH_SPARK_TOKEN"
DEFAULT_PORT = 15002
_SECRET_KEYS = frozenset({"token"})


class SparkRemoteError(WorkbenchError):
    """The Spark Connect URL cannot be used as written."""


@dataclass(frozen=True)
class SparkRemote:
    """A parsed Spark Connect URL (host, port and its ``;key=value`` parameters)."""

    host: str
    port: int = DEFAULT_PORT
    params: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def token(self) -> str | None:
        return dict(self.params).get("token")

    @property
    def use_ssl(self) -> bool:
        return dict(self.params).get("use_ssl", "false").lower() == "true"

    @property
    def endpoint(self) -> tuple[str, int]:
        return self.host, self.port

    def url(self) -> str:
        """The full URL, secrets included: only ever handed to the Spark client."""
        tail = "".join(f";{k}={v}" for k, v in self.params)
        return f"sc://{self.host}:{self.port}/{tail}"

    def display(self) -> str:
        """The URL with secrets replaced by ``***``: safe for logs, the status bar and saved profiles."""
        tail = "".join(f";{k}={'***' if k in _SECRET_KEYS else v}" for k, v in self.params)
        return f"sc://{self.host}:{self.port}/{tail}"

    def without_secrets(self) -> "SparkRemote":
        return SparkRemote(self.host, self.port, tuple((k, v) for k, v in self.params if k not in _SECRET_KEYS))


def parse_remote(text: str) -> SparkRemote:
    """Parse ``sc://host[:port][/][;key=value...]``; a missing token is taken from ``WORKBENCH_SPARK_TOKEN``."""
    raw = (text or "").strip()
    if not raw.startswith("sc://"):
        raise SparkRemoteError(f"a Spark Connect URL starts with sc:// (got {_shown(raw)!r})")
    rest = raw[len("sc://") :]
    hostport, _, param_text = rest.partition(";")
    hostport = hostport.rstrip("/")
    if "/" in hostport:
        raise SparkRemoteError(f"unexpected path in Spark Connect URL {_shown(raw)!r}: only sc://host:port/;params")
    host, port = _split_host_port(hostport, raw)
    params: list[tuple[str, str]] = []
    for part in filter(None, param_text.split(";")):
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise SparkRemoteError(f"Spark Connect URL parameter {part.split('=')[0]!r} needs key=value")
        params.append((key.strip(), unquote(value.strip())))
    keys = [k for k, _ in params]
    if "token" not in keys and os.environ.get(TOKEN_ENV):
        params.append(("token", os.environ[TOKEN_ENV]))
    return SparkRemote(host, port, tuple(params))


def remote_from(value: str | None) -> SparkRemote | None:
    """The remote named on the command line, else ``WORKBENCH_SPARK_REMOTE``, else None."""
    text = value or os.environ.get(REMOTE_ENV)
    return parse_remote(text) if text else None


def _split_host_port(hostport: str, raw: str) -> tuple[str, int]:
    if hostport.startswith("["):  # an IPv6 literal: sc://[::1]:15002
        host, _, tail = hostport[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = hostport.partition(":")
    if not host:
        raise SparkRemoteError(f"no host in Spark Connect URL {_shown(raw)!r}")
    if not port_text:
        return host, DEFAULT_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SparkRemoteError(f"port {port_text!r} in Spark Connect URL is not a number from 1 to 65535")
    return host, int(port_text)


def _shown(raw: str) -> str:
    """The URL as it may appear in an error message (a token never does)."""
    head, sep, _ = raw.partition(";")
    return head + (";…" if sep else "")
