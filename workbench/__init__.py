"""Workbench engine: Qt-free analysis of local Parquet/CSV extracts in embedded DuckDB."""

from workbench.version import __version__  # noqa: F401  (re-exported)
