"""Spark Connect: the one configured network endpoint Workbench may talk to (see docs/spark.md)."""
