"""DuckDB's file readers (``read_parquet``/``read_csv``) rendered as Spark data sources.

A catalog view ``CREATE VIEW v AS SELECT * FROM read_parquet([...], ...)`` becomes
``CREATE OR REPLACE TEMPORARY VIEW v USING parquet OPTIONS (path ..., ...)``: several files are one Hadoop
glob (``{a,b}``), ``union_by_name`` is ``mergeSchema``, hive partitions need ``basePath``. A reader anywhere
else becomes ``parquet.`path``` when that says the same (one Parquet file, no partitions); otherwise it is
left for the guard to refuse.
"""

from __future__ import annotations

import os
import re
from typing import Any, cast

import sqlglot
from sqlglot import exp

from workbench.errors import DialectError

_HIVE_PART = re.compile(r"[^=/\\]+=[^/\\]*")
_GLOB_SPECIAL = re.compile(r"([\\{}\[\]*?,])")


def rewrite_file_readers(tree: exp.Expression) -> exp.Expression:
    if isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "VIEW":
        reader = _star_over_reader(tree.expression)
        if reader is not None:
            return _temporary_view(tree, reader)
    for node in list(tree.find_all(exp.ReadParquet, exp.ReadCSV)):
        table = node.parent
        kind, paths, options = _reader_arguments(cast(exp.Expression, node))  # typed as SQLGlot's base Func
        if kind != "parquet" or len(paths) != 1 or options.get("hive_partitioning") or not isinstance(table, exp.Table):
            continue
        table.set("this", exp.to_identifier(paths[0], quoted=True))
        table.set("db", exp.to_identifier("parquet"))
    return tree


def _star_over_reader(select: Any) -> exp.Expression | None:
    """The reader of ``SELECT * FROM <reader>`` with nothing else, or None."""
    if (
        not isinstance(select, exp.Select)
        or len(select.expressions) != 1
        or not isinstance(select.expressions[0], exp.Star)
        or select.expressions[0].args.get("replace")
    ):
        return None
    if any(select.args.get(k) for k in ("where", "group", "joins", "order", "limit", "distinct", "with_")):
        return None
    source = select.args.get("from_") or select.args.get("from")
    reader = source.this.this if source is not None and isinstance(source.this, exp.Table) else None
    return reader if isinstance(reader, (exp.ReadParquet, exp.ReadCSV)) else None


def _reader_arguments(node: exp.Expression) -> tuple[str, list[str], dict[str, Any]]:
    kind = "parquet" if isinstance(node, exp.ReadParquet) else "csv"
    args = ([node.this] if node.this is not None and kind == "csv" else []) + list(node.expressions)
    paths: list[str] = []
    options: dict[str, Any] = {}
    for arg in args:
        if isinstance(arg, exp.EQ) and isinstance(arg.this, exp.Column):
            value = arg.expression
            options[arg.this.name.lower()] = value.this if isinstance(value, exp.Boolean) else value.name
        elif isinstance(arg, exp.Array):
            paths += [e.name for e in arg.expressions]
        elif isinstance(arg, exp.Literal) and arg.is_string:
            paths.append(arg.name)
        else:
            raise DialectError(f"The file reader argument {arg.sql('duckdb')} has no Spark form.")
    return kind, paths, options


def _temporary_view(create: exp.Create, reader: exp.Expression) -> exp.Expression:
    kind, paths, options = _reader_arguments(reader)
    if not paths:
        raise DialectError("A file reader without files has no Spark form.")
    spark_options = {"path": _glob(paths)}
    if kind == "parquet":
        if options.get("union_by_name"):
            spark_options["mergeSchema"] = "true"
        if options.get("hive_partitioning"):
            spark_options["basePath"] = _partition_root(paths)
    else:
        if len(paths) > 1:
            raise DialectError(
                "Spark's CSV reader lines several files' columns up by position, not by name; "
                "open one CSV file at a time (or convert them to Parquet) to run on Spark."
            )
        spark_options.update(header="true", inferSchema="true")
        if options.get("encoding"):
            spark_options["encoding"] = str(options["encoding"])
    name = create.this.sql("spark")
    listed = ", ".join(f"{key} {exp.Literal.string(value).sql('spark')}" for key, value in spark_options.items())
    view = sqlglot.parse_one(f"CREATE OR REPLACE TEMPORARY VIEW {name} USING {kind} OPTIONS ({listed})", read="spark")
    return cast(exp.Expression, view)


def _glob(paths: list[str]) -> str:
    """One Hadoop path pattern matching exactly ``paths`` (special characters escaped)."""
    escaped = [_GLOB_SPECIAL.sub(r"\\\1", p) for p in paths]
    return escaped[0] if len(escaped) == 1 else "{" + ",".join(escaped) + "}"


def _partition_root(paths: list[str]) -> str:
    """The folder above the first ``key=value`` folder, the same for every file (Spark's ``basePath``)."""
    roots = set()
    for path in paths:
        parts = re.split(r"[/\\]", path)
        first = next((i for i, part in enumerate(parts[:-1]) if _HIVE_PART.fullmatch(part)), None)
        roots.add("/".join(parts[:first]) if first is not None else os.path.dirname(path))
    if len(roots) != 1:
        raise DialectError("Hive-partitioned files under different folders have no single Spark base path.")
    return roots.pop() or "/"
