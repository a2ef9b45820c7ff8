"""The analysis connection, as older imports know it: a re-export of :mod:`workbench.backend`.

The DuckDB configuration (offline lock-down, memory limit, spill folder, progress reporting) lives in
:mod:`workbench.backend.duckdb_backend`; this module only keeps ``from workbench.engine import connect``
and friends working without importing ``duckdb`` itself.
"""

from __future__ import annotations

from workbench.backend.duckdb_backend import (
    OFFLINE_CONFIG,
    EngineSettings,
    apply_session_settings,
    clean_duckdb_message,
    connect,
    default_temp_directory,
    engine_info,
    resolved_memory_limit,
    run_query,
)

__all__ = [
    "OFFLINE_CONFIG",
    "EngineSettings",
    "apply_session_settings",
    "clean_duckdb_message",
    "connect",
    "default_temp_directory",
    "engine_info",
    "resolved_memory_limit",
    "run_query",
]
