"""Mask personal data at the source: the catalog's views expose personal-data columns as masked expressions.

Masking by output column name (the console's old approach) is bypassed by ``SELECT email AS x``. Here the
view itself — the only name queries can use for a source — returns ``email#3fa2c1d0``-style tokens
(:func:`workbench.privacy.masked_expression`: equal values give equal tokens within a session, so
counts, joins and distinct counts still work), so no alias, expression or join reaches the raw value.
Revealing a column (with a reason, audited) recreates the view without its mask.

Reading the files directly (``read_parquet('users.parquet')``, ``FROM 'users.parquet'``) would go around
the views: while any column is masked, :func:`check_reads_only_views` refuses queries that name anything
but the opened views or call a file-reading function.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Mapping

from workbench import sql
from workbench.errors import QueryError

_FILE_FUNCTIONS = (
    "glob",
    "sniff_csv",
    "parquet_scan",
    "parquet_metadata",
    "parquet_schema",
    "parquet_file_metadata",
    "parquet_kv_metadata",
    "parquet_bloom_probe",
    "csv_scan",
    "json_scan",
    "query_table",
    "query",
)


def masked_view_sql(view: str, reader: str, columns: Iterable[str], masks: Mapping[str, str], salt: str) -> str:
    """``CREATE OR REPLACE VIEW`` over ``reader`` with ``masks`` ({column: kind}) applied."""
    from workbench.privacy import masked_select_list  # privacy loads pandas: only when a view is masked

    return (
        f"CREATE OR REPLACE VIEW {sql.ident(view)} AS SELECT "
        f"{masked_select_list(list(columns), dict(masks), salt)} FROM {reader}"
    )


def reader_of(source) -> str:
    """The table function a source's view reads (the raw files)."""
    return sql.read_files(source.kind, list(source.files), bool(source.hive_columns), source.encoding)


def policy_masks(policy, source: str, columns: Iterable[str]) -> dict[str, str]:
    """{column: kind} to mask in ``source``'s view: the policy's personal-data columns not revealed, plus —
    when masking is on — columns whose names look personal and that the policy has not decided about."""
    if not policy.mask_pii:
        return {}
    from workbench.privacy import pii_kind_from_name

    masks = policy.masked_columns(source)
    decided = {p.column for p in policy.pii if p.source in (source, "*")}
    for c in columns:
        kind = pii_kind_from_name(c)
        if kind and c not in decided:
            masks[c] = kind
    return {c: k for c, k in masks.items() if c in set(columns)}


def install(catalog, policy) -> None:
    """Make ``catalog`` mask every source it opens according to ``policy``."""
    catalog.column_masks = lambda name, columns: policy_masks(policy, name, columns)


def set_masks(catalog, name: str, masks: Mapping[str, str]) -> bool:
    """Recreate ``name``'s view with exactly ``masks`` applied; returns whether the view changed."""
    source = catalog.get(name)
    current = catalog.view_masks.get(name, {})
    wanted = {c: k for c, k in masks.items() if c in set(source.column_names)}
    if wanted == current:
        return False
    view_sql = masked_view_sql(name, reader_of(source), source.column_names, wanted, catalog.mask_salt)
    cur = catalog.con.cursor()
    try:
        cur.execute(view_sql)
    finally:
        cur.close()
    catalog.replace_source(replace(source, view_sql=view_sql))  # the console database rebuilds from it
    catalog.view_masks[name] = wanted
    return True


def masked_anywhere(catalog) -> bool:
    return any(catalog.view_masks.values())


def check_console_query(catalog, query: str) -> None:
    """The console's check: while any column is masked, a query reads only the opened views."""
    if masked_anywhere(catalog):
        check_reads_only_views(query, [s.name for s in catalog.sources])


def check_reads_only_views(query: str, views: Iterable[str]) -> None:
    """Refuse a query that reads anything but the opened views (files, table functions, file functions).

    Raises
    ------
    QueryError naming what was refused.
    """
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(query, read="duckdb")
    except sqlglot.errors.ParseError:
        return  # DuckDB will report the syntax error itself
    known = {v.lower() for v in views}
    known |= {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    why = (
        "personal data is masked in the opened tables; while it is, queries may read only those tables "
        "(by name), not files or table functions"
    )
    for node in tree.walk():
        if isinstance(node, exp.Table):
            if isinstance(node.this, exp.Func) or node.name.lower() not in known:
                raise QueryError(f"{node.sql('duckdb')[:60]}: {why}")
        elif isinstance(node, exp.Func):
            name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
            if name.startswith("read_") or name in _FILE_FUNCTIONS:
                raise QueryError(f"{name}(): {why}")
