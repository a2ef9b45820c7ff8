"""Sampled rows of a keyed comparison, in two steps so the scan stays cheap.

The comparison's one scan keeps only the smallest *keys* of each bucket (``min(key, n)``, plain values, no
row payload built per row); afterwards the rows of those few keys are read from each side — an ``IN`` list
the file scan filters on for a one-column key, else a NULL-safe semi-join on a ``VALUES`` list — and the
samples are assembled here. Building a struct of every compared value for every joined row, only to keep
five, cost up to half the comparison's time at tens of millions of rows.
"""

from __future__ import annotations

from typing import Any

from workbench import sql
from workbench.engine import run_query
from workbench.errors import WorkbenchError
from workbench.reconcile.schema import DATE, TIMESTAMP, family


def key_value(nk: int, side: str) -> str:
    """The key of a joined row as one comparable value (``ak0``, or a struct of ``ak0, ak1, ...``)."""
    if nk == 1:
        return f"{side}k0"
    return "{" + ", ".join(f"'k{i}': {side}k{i}" for i in range(nk)) + "}"


def sample_aggregates(nk: int, n_pairs: int, n: int) -> list[str]:
    """The scan's aggregates: the ``n`` smallest keys per bucket. ``min`` skips a NULL key, so with a
    one-column key a flag per bucket says whether a NULL key is in it (listed after the others)."""
    ka, kb = key_value(nk, "a"), key_value(nk, "b")
    buckets = [("s_only_a", ka, "ak0", "in_b IS NULL"), ("s_only_b", kb, "bk0", "in_a IS NULL")]
    buckets += [(f"s_changed_{i}", ka, "ak0", f"in_a AND in_b AND c{i}") for i in range(n_pairs)]
    aggs = []
    for name, key, first, cond in buckets:
        aggs.append(f"min({key}, {n}) FILTER (WHERE {cond}) AS {name}")
        if nk == 1:
            aggs.append(f"bool_or({first} IS NULL) FILTER (WHERE {cond}) AS {name}_null")
    return aggs


def _tuple(value, nk: int) -> tuple:
    return (value,) if nk == 1 else tuple(value[f"k{i}"] for i in range(nk))


def _key_type(own: str, other: str) -> str:
    return "TIMESTAMP" if {family(own), family(other)} == {DATE, TIMESTAMP} else own


def fetch_samples(
    con, spec, key_a, key_b, pairs, cols_a, cols_b, row, side_keys, n: int
) -> tuple[dict, list[str], list[str]]:
    """``({"only_a": [...], "only_b": [...], "changed": {col: [...]}}, queries, notes)`` for the keys the scan
    kept in ``row``. ``side_keys(alias, keys, other_keys, cols, other_cols)`` gives the key expressions."""
    from workbench.reconcile.keyed import plain

    nk = len(key_a)

    def keys_of(name: str) -> list[tuple]:
        keys = [_tuple(k, nk) for k in row.get(name) or []]
        if row.get(f"{name}_null") and len(keys) < n:
            keys.append((None,))
        return keys

    only_a, only_b = keys_of("s_only_a"), keys_of("s_only_b")
    changed = {i: keys_of(f"s_changed_{i}") for i in range(len(pairs))}
    wanted_a = set(only_a) | {k for ks in changed.values() for k in ks}
    wanted_b = set(only_b) | {k for ks in changed.values() for k in ks}
    queries, notes = [], []

    def fetch(table, keys, other_keys, cols, other_cols, values, wanted) -> dict:
        if not wanted:
            return {}
        exprs = side_keys("t", keys, other_keys, cols, other_cols)
        types = [_key_type(cols[k], other_cols[o]) for k, o in zip(keys, other_keys)]
        select = [f"{e} AS k{i}" for i, e in enumerate(exprs)]
        select += [f"t.{sql.ident(v)} AS v{j}" for j, v in enumerate(values)]
        ordered = sorted(wanted, key=repr)
        if nk == 1:  # a plain IN list is pushed into the file scan: only matching rows are read in full
            present = [k[0] for k in ordered if k[0] is not None]
            listed = ", ".join(f"CAST({sql.literal(v)} AS {types[0]})" for v in present)
            parts = [f"{exprs[0]} IN ({listed})"] if present else []
            if len(present) < len(ordered):
                parts.append(f"{exprs[0]} IS NULL")
            query = f"SELECT {', '.join(select)} FROM {sql.ident(table)} AS t WHERE {' OR '.join(parts)}"
        else:
            rows = ", ".join(
                "(" + ", ".join(f"CAST({sql.literal(v)} AS {t})" for v, t in zip(key, types)) + ")" for key in ordered
            )
            on = " AND ".join(f"{e} IS NOT DISTINCT FROM s.k{i}" for i, e in enumerate(exprs))
            query = (
                f"SELECT {', '.join(select)} FROM {sql.ident(table)} AS t SEMI JOIN (VALUES {rows}) AS "
                f"s({', '.join(f'k{i}' for i in range(nk))}) ON {on}"
            )
        queries.append(query)
        try:
            fetched = run_query(con, query).to_pylist()
        except WorkbenchError as exc:  # an exotic key type that does not round-trip as a literal
            notes.append(f"Sampled rows of {table} could not be read back ({exc}); only their keys are shown")
            return {}
        return {tuple(r[f"k{i}"] for i in range(nk)): [r[f"v{j}"] for j in range(len(values))] for r in fetched}

    rows_a = fetch(spec.table_a, key_a, key_b, cols_a, cols_b, [a for a, _ in pairs], wanted_a)
    rows_b = fetch(spec.table_b, key_b, key_a, cols_b, cols_a, [b for _, b in pairs], wanted_b)

    def record(key, names, values) -> dict:
        rec = {k: plain(v) for k, v in zip(names, key)}
        if values is not None:
            rec.update({name: plain(v) for name, v in zip(values[0], values[1])})
        return rec

    samples: dict[str, Any] = {
        "only_a": [record(k, key_a, ([a for a, _ in pairs], rows_a[k]) if k in rows_a else None) for k in only_a],
        "only_b": [record(k, key_b, ([b for _, b in pairs], rows_b[k]) if k in rows_b else None) for k in only_b],
        "changed": {},
    }
    for i, (a, _) in enumerate(pairs):
        if changed[i]:
            samples["changed"][a] = [
                {
                    "key": {name: plain(v) for name, v in zip(key_a, k)},
                    "a": plain(rows_a[k][i]) if k in rows_a else None,
                    "b": plain(rows_b[k][i]) if k in rows_b else None,
                }
                for k in changed[i]
            ]
    return samples, queries, notes
