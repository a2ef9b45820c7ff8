"""Opening a Spark Connect session: the one network connection Workbench makes, and only when asked.

The endpoint is admitted in the network guard before the client connects (nothing else is), and the
connection is written to the audit log by the caller with :meth:`SparkRemote.display` (never the token).
"""

from __future__ import annotations

import warnings

from workbench import netguard
from workbench.errors import WorkbenchError
from workbench.backend.spark.cursor import SparkConnection, translate_spark_error
from workbench.backend.spark.remote import SparkRemote


class SparkUnavailable(WorkbenchError):
    """The Spark Connect client is not installed, or the server cannot be reached."""


def connect_spark(remote: SparkRemote, *, database: str | None = None) -> SparkConnection:
    """A :class:`SparkConnection` to ``remote`` (admitted in the network guard first)."""
    try:
        with warnings.catch_warnings():  # the client warns about pandas versions on import
            warnings.simplefilter("ignore")
            from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkUnavailable(
            "The Spark Connect client is not installed: pip install 'pyspark-client>=4' (or 'pyspark[connect]')"
        ) from exc
    netguard.allow_endpoint(*remote.endpoint)
    _check_reachable(remote)
    try:
        # create(), not getOrCreate(): an existing session to another endpoint must never be reused.
        session = SparkSession.builder.remote(remote.url()).create()
        session.conf.set("spark.sql.session.timeZone", "UTC")  # wall-clock times, as DuckDB reads them
        session.sql("SELECT 1").collect()  # fail here, clearly, rather than at the first analysis
        if database:
            session.catalog.setCurrentDatabase(database)
    except Exception as exc:
        translated = translate_spark_error(exc)
        message = str(translated) if translated else f"{type(exc).__name__}: {exc}"
        raise SparkUnavailable(f"Cannot reach Spark at {remote.display()}: {message}") from exc
    return SparkConnection(session, display=remote.display())


def _check_reachable(remote: SparkRemote, timeout_s: float = 10.0) -> None:
    """Fail in seconds, with the reason, when nothing listens at the endpoint (the client would otherwise
    retry for minutes before giving up)."""
    import socket

    try:
        with socket.create_connection(remote.endpoint, timeout=timeout_s):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SparkUnavailable(f"Cannot reach Spark at {remote.display()}: {reason}") from exc
