"""What in a SQLGlot tree only DuckDB understands.

Used twice: before a query is rendered for another engine (anything listed here that survived that engine's
rewrites is refused with a clear error, never emitted), and by the tests, on the tree the other engine's
parser reads back.
"""

from __future__ import annotations

from typing import cast

from sqlglot import exp

# Functions SQLGlot keeps as ``exp.Anonymous`` (or that another engine spells differently) and that have no
# same-named equivalent elsewhere. Lower case.
DUCKDB_ONLY_FUNCTIONS = frozenset(
    # reading files and their metadata
    "read_parquet parquet_scan read_csv read_csv_auto read_json read_json_auto read_text read_blob sniff_csv glob "
    "parquet_metadata parquet_file_metadata parquet_schema parquet_kv_metadata "
    # the engine's own catalog and settings
    "duckdb_views duckdb_tables duckdb_columns duckdb_settings duckdb_functions current_setting "
    "json_serialize_sql pragma_table_info "
    # aggregates and scalars spelled differently elsewhere
    "quantile quantile_cont quantile_disc bitstring_agg time_bucket generate_series unnest epoch epoch_ms "
    "epoch_us epoch_ns timezone isfinite isinf list_value list_contains list_aggregate struct_pack strftime "
    "strptime regexp_matches regexp_full_match string_split str_split to_timestamp hash".split()
)

# Node types whose Spark rendering by SQLGlot is not valid Spark SQL (or changes the meaning).
_DUCKDB_ONLY_NODES: dict[type[exp.Expression], str] = {
    exp.ReadParquet: "read_parquet",
    exp.ReadCSV: "read_csv",
    exp.DateBin: "time_bucket",
    exp.PercentileCont: "quantile_cont",
    exp.PercentileDisc: "quantile_disc",
    exp.UnixToTime: "to_timestamp/epoch_ms",
    exp.TimeToUnix: "epoch",
    exp.RegexpFullMatch: "regexp_full_match",
    exp.TableSample: "USING SAMPLE",
    exp.Copy: "COPY",
    exp.Pragma: "PRAGMA",
}


def duckdb_only_constructs(tree: exp.Expression) -> list[str]:
    """Names of the DuckDB-only functions and syntax in ``tree`` (empty when there are none), in tree order."""
    found: list[str] = []
    for node in tree.walk():
        name = _construct_name(cast(exp.Expression, node))  # walk() is typed with SQLGlot's base class
        if name and name not in found:
            found.append(name)
    return found


def _construct_name(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Anonymous):
        name = str(node.name).lower()
        return name if name in DUCKDB_ONLY_FUNCTIONS or name.startswith("duckdb_") else None
    if isinstance(node, (exp.PercentileCont, exp.PercentileDisc)) and isinstance(node.parent, exp.WithinGroup):
        return None  # the standard ``percentile_disc(q) WITHIN GROUP (ORDER BY x)`` form
    for node_type, label in _DUCKDB_ONLY_NODES.items():
        if isinstance(node, node_type):
            return label
    if isinstance(node, exp.Star) and any(node.args.get(k) for k in ("replace", "except_", "except", "rename")):
        return "* REPLACE/EXCLUDE"
    if isinstance(node, exp.Group) and node.args.get("all"):
        return "GROUP BY ALL"
    if isinstance(node, exp.Grouping) and len(node.expressions) > 1:
        return "GROUPING(a, b, ...)"  # DuckDB's bitmask over several columns; one column elsewhere
    return None
