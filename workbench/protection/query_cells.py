"""Protecting the result of a free SQL query (``workbench sql``, the console) under a protection policy.

An aggregate query releases cells; to protect them we must know how many rows each group holds and, for
cell-key perturbation, the sum of its rows' record keys. Both are added to the query itself (SQLGlot
rewrite: ``count(*) AS __wb_n`` and ``sum(hash(seed, <row>) / 2^64) AS __wb_key``), so DuckDB computes them
with the same grouping and filters. That is only sound for one SELECT over one opened table: a subquery, a
join, a CTE or a set operation could duplicate rows and inflate the counts past k, so with protection on
such aggregate queries are refused with a message. Queries that aggregate nothing return rows, not cells,
and pass through (personal data is masked at the source).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from workbench.errors import QueryError

N_COL, KEY_COL = "__wb_n", "__wb_key"


@dataclass
class PlannedQuery:
    sql: str
    aggregate: bool
    dims: list[str]  # output columns that are group keys
    counts: list[str]  # output columns that are counts (perturbed / compared with k)
    totals: list[str]  # output columns that are sums (scaled with the perturbed count)
    others: list[str]  # other aggregates (hidden with their cell)
    kinds: tuple[str, ...] = ()  # per select expression, in order: "dim", "count", "total" or "other"

    def resolved(self, frame: pd.DataFrame) -> PlannedQuery:
        """This plan with its column names taken from the executed ``frame``, by position: DuckDB names an
        unaliased expression itself (``count_star()``, ``sum("select")``), not as SQLGlot spells it."""
        from dataclasses import replace

        shown = [c for c in frame.columns if c not in (N_COL, KEY_COL)]
        if len(shown) != len(self.kinds) or len(set(shown)) != len(shown):
            raise QueryError(
                "With a protection policy on, an aggregate query must list its columns (no *) "
                "and give each a distinct name"
            )
        groups = {
            kind: [c for c, k in zip(shown, self.kinds) if k == kind] for kind in ("dim", "count", "total", "other")
        }
        return replace(self, dims=groups["dim"], counts=groups["count"], totals=groups["total"], others=groups["other"])


def plan(query: str, tables: dict[str, list[str]], seed: str, *, cell_key: bool) -> PlannedQuery:
    """Rewrite ``query`` so it also returns each cell's row count (and key sum).

    ``tables`` maps each opened table to the columns its record keys are made of (the same as for metric
    cells, so a cell shows the same value whichever command asked for it).

    Raises
    ------
    QueryError for an aggregate query whose cells cannot be protected.
    """
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(query, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise QueryError(f"Cannot read the query: {str(exc).splitlines()[0]}") from exc
    aggregates = list(tree.find_all(exp.AggFunc))
    if not aggregates and not (isinstance(tree, exp.Select) and tree.args.get("group")):
        return PlannedQuery(query, False, [], [], [], [])
    refuse = (
        "With a protection policy on, an aggregate query must be one SELECT ... GROUP BY over one "
        "opened table (no subqueries, joins, WITH, UNION or window functions), so that the cells it "
        "releases can be protected"
    )
    if not isinstance(tree, exp.Select) or tree.find(
        exp.Subquery, exp.With, exp.Join, exp.Window, exp.Union, exp.Lateral
    ):
        raise QueryError(refuse)
    if any(a.find_ancestor(exp.Select) is not tree for a in aggregates):
        raise QueryError(refuse)
    from_tables = list(tree.find_all(exp.Table))
    if len(from_tables) != 1 or from_tables[0].name not in tables:
        raise QueryError(refuse)
    dims, counts, totals, others, kinds = [], [], [], [], []
    for i, e in enumerate(tree.expressions):
        name = e.alias_or_name or f"col{i}"
        inner = e.this if isinstance(e, exp.Alias) else e
        if not inner.find(exp.AggFunc):
            dims.append(name)
            kinds.append("dim")
        elif isinstance(inner, exp.Count):
            counts.append(name)
            kinds.append("count")
        elif isinstance(inner, exp.Sum):
            totals.append(name)
            kinds.append("total")
        else:
            others.append(name)
            kinds.append("other")
    table = from_tables[0]
    extra = [exp.alias_(exp.Count(this=exp.Star()), N_COL)]
    if cell_key:
        from workbench.protection.cellkey import record_key_sql

        qualifier = sql_ident(table.alias_or_name)
        key = record_key_sql(seed, tables[table.name])
        key = _qualify(key, tables[table.name], qualifier)
        extra.append(exp.alias_(sqlglot.parse_one(f"sum({key})", read="duckdb"), KEY_COL))
    rewritten = tree.copy()
    rewritten.set("expressions", list(rewritten.expressions) + extra)
    return PlannedQuery(rewritten.sql("duckdb"), True, dims, counts, totals, others, tuple(kinds))


def sql_ident(name: str) -> str:
    from workbench import sql

    return sql.ident(name)


def _qualify(key_sql: str, columns: list[str], qualifier: str) -> str:
    """Qualify the key's column references with the query's table name or alias (the query may select
    expressions named like columns)."""
    for c in columns:
        key_sql = key_sql.replace(f", {sql_ident(c)}", f", {qualifier}.{sql_ident(c)}")
    return key_sql


def protect_frame(frame: pd.DataFrame, planned: PlannedQuery, policy):
    """Protect an executed planned query's frame; returns a :class:`.apply.ProtectedTable`."""
    from workbench.protection.apply import ProtectedTable, _perturbed, _statement, hidden_marker
    from workbench.protection.cellkey import ptable
    from workbench.protection.policy import CELL_KEY
    from workbench.privacy import suppress

    if planned.kinds:
        planned = planned.resolved(frame)
    n = frame[N_COL].astype(np.int64)
    out = frame.drop(columns=[c for c in (N_COL, KEY_COL) if c in frame.columns])
    values = planned.counts + planned.totals + planned.others
    if policy.mode == CELL_KEY:
        table = ptable(policy.cell_key.max_perturbation, policy.cell_key.variance)
        keys = frame[KEY_COL].astype(float).fillna(0.0)
        p = pd.Series([table.perturbation(a, b - np.floor(b)) for a, b in zip(n, keys)], dtype=np.int64)
        _, hide, shown = _perturbed(n, n, p, policy.k, "count")
        for c in planned.counts:
            vals, _, _ = _perturbed(pd.to_numeric(out[c]), pd.to_numeric(out[c]).astype(np.int64), p, policy.k, "count")
            out[c] = vals
        for c in planned.totals:
            vals, _, _ = _perturbed(out[c], n, p, policy.k, "sum")
            out[c] = vals
        for c in values:
            out[c] = out[c].astype(object)
            out.loc[hide, c] = hidden_marker(policy.k)
        hidden, perturbed = int(hide.sum()), int(((p != 0) & ~hide).sum())
    else:
        work = out.copy()
        smallest = (
            pd.concat(
                [n] + [pd.to_numeric(out[c], errors="coerce").fillna(0).astype(np.int64) for c in planned.counts],
                axis=1,
            ).min(axis=1)
            if planned.counts
            else n
        )
        work[N_COL] = smallest.to_numpy()
        res = suppress(work, N_COL, policy.k, dims=planned.dims, value_columns=values)
        out = res.frame.drop(columns=N_COL)
        hidden, perturbed, shown = int(res.suppressed.sum()), 0, n.to_numpy()
    cells = [
        {
            "key": {d: str(out[d].iloc[i]) for d in planned.dims},
            "n": int(n.iloc[i]),
            "shown": int(shown[i]) if not any(isinstance(out[c].iloc[i], str) for c in values) else "hidden",
        }
        for i in range(len(out))
    ]
    return ProtectedTable(out, policy, _statement(policy, hidden, perturbed), hidden, perturbed, cells, planned.dims)
