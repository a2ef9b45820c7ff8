"""Workbench engine: Qt-free analysis of local Parquet/CSV extracts in embedded DuckDB."""

__version__ = "0.1.0"
