"""The rows behind one bucket of a keyed comparison, A and B side by side (the panel's drill-down and the
differences export): only in A, only in B, changed (any column or one), or the rows of duplicated keys."""

from __future__ import annotations

import pandas as pd

from workbench import sql
from workbench.engine import run_query
from workbench.errors import SpecError
from workbench.reconcile.keyed import ReconcileSpec, _side_keys, describe, joined_ctes, resolve

DRILL_LIMIT = 500
BUCKETS = ("only_a", "only_b", "changed", "duplicates_a", "duplicates_b")  # plus "changed:COLUMN"


def bucket_rows(con, spec: ReconcileSpec, bucket: str, limit: int = DRILL_LIMIT) -> tuple[pd.DataFrame, list[str], str]:
    """Up to ``limit`` rows of ``bucket``, ordered by the key.

    Returns ``(frame, changed_flags, sql)``: the frame has the key columns, then ``A: col`` and ``B: col`` per
    compared column, then one boolean ``changed: col`` column per compared column (what to highlight);
    ``changed_flags`` names those boolean columns.
    """
    cols_a, cols_b = describe(con, spec.table_a), describe(con, spec.table_b)
    key_a, key_b, pairs = resolve(spec, cols_a, cols_b)
    limit = max(1, min(int(limit), 100_000))
    if bucket in ("duplicates_a", "duplicates_b"):
        return _duplicates(con, spec, bucket, key_a, key_b, cols_a, cols_b, limit)
    ctes = joined_ctes(spec, key_a, key_b, pairs, cols_a, cols_b)
    if bucket == "only_a":
        where = "in_b IS NULL"
    elif bucket == "only_b":
        where = "in_a IS NULL"
    elif bucket == "changed":
        where = "in_a AND in_b AND (" + (" OR ".join(f"c{i}" for i in range(len(pairs))) or "false") + ")"
    elif bucket.startswith("changed:"):
        name = bucket.split(":", 1)[1]
        index = next((i for i, (a, _) in enumerate(pairs) if a == name), None)
        if index is None:
            raise SpecError(f"{name!r} is not one of the compared columns")
        where = f"in_a AND in_b AND c{index}"
    else:
        raise SpecError(f"Unknown bucket {bucket!r} (one of {', '.join(BUCKETS)} or changed:COLUMN)")
    show_b_key = bucket == "only_b"
    out = [f"{'bk' if show_b_key else 'ak'}{i} AS {sql.ident(k)}" for i, k in enumerate(key_a)]
    flags = []
    for i, (a, b) in enumerate(pairs):
        out += [f"a{i} AS {sql.ident('A: ' + a)}", f"b{i} AS {sql.ident('B: ' + b)}"]
    for i, (a, _) in enumerate(pairs):
        out.append(f"coalesce(in_a AND in_b AND c{i}, false) AS {sql.ident('changed: ' + a)}")
        flags.append(f"changed: {a}")
    order = ", ".join(f"{'bk' if show_b_key else 'ak'}{i}" for i in range(len(key_a)))
    query = (
        f"WITH {', '.join(ctes)}\nSELECT {', '.join(out)}\nFROM __wb_j WHERE {where}\nORDER BY {order}\nLIMIT {limit}"
    )
    return run_query(con, query).to_pandas(), flags, query


def _duplicates(con, spec, bucket, key_a, key_b, cols_a, cols_b, limit):
    a_side = bucket == "duplicates_a"
    table, keys, other = (spec.table_a, key_a, key_b) if a_side else (spec.table_b, key_b, key_a)
    cols, other_cols = (cols_a, cols_b) if a_side else (cols_b, cols_a)
    exprs = _side_keys("t", keys, other, cols, other_cols)
    group = ", ".join(str(i + 1) for i in range(len(keys)))
    dup = (
        f"SELECT {', '.join(f'{e} AS k{i}' for i, e in enumerate(exprs))} FROM {sql.ident(table)} AS t "
        f"GROUP BY {group} HAVING count(*) > 1"
    )
    on = " AND ".join(f"{e} IS NOT DISTINCT FROM d.k{i}" for i, e in enumerate(exprs))
    order = ", ".join(exprs)
    query = f"SELECT t.* FROM {sql.ident(table)} AS t SEMI JOIN ({dup}) AS d ON {on}\nORDER BY {order}\nLIMIT {limit}"
    return run_query(con, query).to_pandas(), [], query
