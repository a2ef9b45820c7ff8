"""Privacy guards: small-cell suppression of aggregate tables, PII detection on columns, masking.

Small-cell suppression
    A table of aggregates (one row per group, with the number of units in each group) is published only
    after every group with fewer than ``k`` units is hidden (*primary* suppression, shown as ``"<k"``) and
    enough further groups are hidden (*complementary* suppression, shown as ``"suppressed"``) that no
    hidden value can be worked out exactly from what is shown plus the totals of every row, column or
    series of the table — whether or not those totals are in the export, since they can be read elsewhere.
    The check is exact: for each hidden cell we solve the attacker's linear programme (known totals, shown
    cells, hidden small cells in [1, k-1], hidden complementary cells ≥ k) and keep hiding cells until the
    smallest and largest value each hidden cell could take differ.

PII detection
    Columns are flagged by name (``email``, ``phone``, ``ip_address``, ``device_id``, ``user_id``,
    ``first_name``, ``latitude`` ...) and by values: DuckDB runs regular expressions over a reservoir
    sample of each text column (the data never leaves DuckDB) and flags a column when most sampled values
    look like e-mail addresses, phone numbers, IP addresses, UUID/MAC identifiers, personal names or
    "lat, lon" pairs; numeric latitude/longitude columns are flagged when they are precise (≥ 3 decimals).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from workbench import sql
from workbench.errors import SpecError

DEFAULT_K = 10
COMPLEMENTARY_MARKER = "suppressed"
ALL_TOTALS = "all totals of this table (it is too sparse for hidden cells to be protected otherwise)"


def primary_marker(k: int) -> str:
    """How a group with fewer than k units is shown: ``"<10"``."""
    return f"<{k}"


# === small-cell suppression ==============================================================================


@dataclass
class SuppressionResult:
    """A suppressed table and what was done to it.

    Attributes
    ----------
    frame : the table to show or export; hidden count/value cells hold ``"<k"`` or ``"suppressed"``.
    suppressed : bool per row (aligned with the input index): the row's count and values are hidden.
    primary : bool per row: hidden because the group has fewer than k units.
    withheld_totals : descriptions of totals that must not be published anywhere (a line whose every
        cell is hidden and whose total would still reveal one of them); empty in almost all tables.
    """

    frame: pd.DataFrame
    suppressed: pd.Series
    primary: pd.Series
    k: int
    count_column: str
    value_columns: list[str]
    dims: list[str]
    withheld_totals: list[str] = field(default_factory=list)

    @property
    def n_primary(self) -> int:
        return int(self.primary.sum())

    @property
    def n_complementary(self) -> int:
        return int((self.suppressed & ~self.primary).sum())

    @property
    def applied(self) -> bool:
        return bool(self.suppressed.any())

    def statement(self) -> str:
        """The sentence an export or report carries about suppression."""
        base = (
            f"Small-cell suppression with k = {self.k}: groups with fewer than {self.k} units are shown as "
            f'"{primary_marker(self.k)}"'
        )
        if not self.applied:
            return base + "; no group in this table was below the threshold."
        text = base + f" ({self.n_primary} cell{'s' if self.n_primary != 1 else ''})"
        if self.withheld_totals:
            text += "; no totals of this table may be published, because they would reveal hidden cells"
        if self.n_complementary:
            text += (
                f", and {self.n_complementary} further cell{'s were' if self.n_complementary != 1 else ' was'}"
                f' hidden ("{COMPLEMENTARY_MARKER}") so that totals and differences cannot reveal them'
            )
        return text + "."


def suppress(
    df: pd.DataFrame,
    count_column: str,
    k: int = DEFAULT_K,
    *,
    dims: Sequence[str] | None = None,
    value_columns: Sequence[str] | None = None,
    total_label: str = "Total",
) -> SuppressionResult:
    """Apply primary and complementary small-cell suppression to a table of aggregates.

    Parameters
    ----------
    df : one row per group (long format), e.g. ``day, country, users, views``. Rows whose dimension value is
        ``total_label`` are treated as published totals (suppressed only when below k themselves).
    count_column : the number of units (users, accounts...) in each group; the rule applies to it.
    k : minimum group size (groups with 1..k-1 units are hidden; zero-unit groups reveal no one).
    dims : grouping columns (default: every non-numeric column plus datetimes).
    value_columns : columns hidden together with the count (default: every other numeric column).

    Returns
    -------
    SuppressionResult

    Raises
    ------
    SpecError when the count column is missing or k is not a whole number ≥ 2.
    """
    if count_column not in df.columns:
        raise SpecError(f"Small-cell suppression needs the count of units per group: no column {count_column!r}")
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 2:
        raise SpecError(f"The minimum group size k must be a whole number of at least 2 (got {k!r})")
    k = int(k)
    numeric = [c for c in df.columns if _is_numeric_column(df[c])]
    if dims is None:
        dims = [c for c in df.columns if c not in numeric and c != count_column]
    dims = list(dims)
    if value_columns is None:
        value_columns = [c for c in numeric if c != count_column and c not in dims]
    value_columns = list(value_columns)
    for c in dims + value_columns:
        if c not in df.columns:
            raise SpecError(f"No column {c!r} in the table to suppress")

    counts = pd.to_numeric(df[count_column], errors="coerce").to_numpy(dtype=float)
    is_total = np.zeros(len(df), dtype=bool)
    for d in dims:
        is_total |= (df[d].astype(str) == total_label).to_numpy()
    small = np.nan_to_num(counts, nan=0.0)
    small = (small > 0) & (small < k)

    cells = np.flatnonzero(~is_total)
    primary = np.zeros(len(df), dtype=bool)
    primary[cells] = small[cells]
    hidden = primary.copy()
    withheld: list[str] = []
    if hidden[cells].any():
        withheld = _complementary(df, cells, counts, hidden, primary, dims, k)
    # Totals are published constraints; hide only those that are themselves small, unless no total may be
    # published at all.
    if withheld:
        hidden |= is_total
    hidden |= is_total & small
    primary |= is_total & small

    out = df.copy()
    affected = [count_column] + value_columns
    for c in affected:
        if hidden.any():
            out[c] = out[c].astype(object)
            out.loc[hidden & primary, c] = primary_marker(k)
            out.loc[hidden & ~primary, c] = COMPLEMENTARY_MARKER
    index = df.index
    return SuppressionResult(
        frame=out,
        suppressed=pd.Series(hidden, index=index, name="suppressed"),
        primary=pd.Series(primary, index=index, name="primary"),
        k=k,
        count_column=count_column,
        value_columns=value_columns,
        dims=dims,
        withheld_totals=withheld,
    )


def _is_numeric_column(col: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(col):
        return False
    if pd.api.types.is_numeric_dtype(col):
        return True
    # DuckDB DECIMAL results arrive as Python Decimal objects in an object column.
    first = next((v for v in col if v is not None and v == v), None)
    return type(first).__name__ == "Decimal"


def _lines(df: pd.DataFrame, cells: np.ndarray, dims: list[str]) -> list[tuple[str, np.ndarray]]:
    """Every row/column/series of the table: for each dimension, the cells sharing all *other* dimensions.
    Their totals are what an attacker may know."""
    if len(dims) <= 1:
        return [("the grand total", cells)]
    sub = df.iloc[cells]
    lines = []
    for d in dims:
        others = [o for o in dims if o != d]
        # NULL is a group of its own (pandas 3 keeps missing values missing through astype(str)).
        keys = sub[others].astype(object).fillna("(null)").astype(str).agg("\x1f".join, axis=1).to_numpy()
        order = np.argsort(keys, kind="stable")
        keys_sorted = keys[order]
        bounds = np.flatnonzero(np.r_[True, keys_sorted[1:] != keys_sorted[:-1], True])
        for a, b in zip(bounds[:-1], bounds[1:]):
            members = cells[order[a:b]]
            label = ", ".join(f"{o}={v}" for o, v in zip(others, keys_sorted[a].split("\x1f")))
            lines.append((f"the total over {d} for {label}", members))
    return lines


def _complementary(df, cells, counts, hidden, primary, dims, k) -> list[str]:
    """Hide further cells until no hidden cell is exactly recoverable. Mutates ``hidden``."""
    clean = np.nan_to_num(counts, nan=0.0)
    lines = [
        (label, members) for label, members in _lines(df, cells, dims) if not (0 < clean[members].sum() < k)
    ]  # a small line total is itself never published
    cell_lines: dict[int, list[int]] = {}
    for li, (_, members) in enumerate(lines):
        for c in members:
            cell_lines.setdefault(int(c), []).append(li)

    def candidates(li: int) -> list[int]:
        members = lines[li][1]
        return [int(c) for c in members if not hidden[c] and clean[c] > 0]

    def pick(li: int) -> int | None:
        # Prefer cells whose other lines already hold hidden cells (closes cycles, hides less), then small.
        cands = candidates(li)
        if not cands:
            return None

        def score(c):
            shares = any(hidden[lines[l2][1]].any() for l2 in cell_lines.get(c, []) if l2 != li)
            # A complement of exactly k leaves no slack downwards (it is known to be >= k): avoid it.
            return (0 if shares else 1, clean[c] <= k, clean[c])

        return min(cands, key=score)

    def line_unsafe(members) -> bool:
        """One line on its own already pins a hidden small cell (or hides exactly one cell)."""
        hm = [int(c) for c in members if hidden[c]]
        if len(hm) == 1:
            return True
        for p in hm:
            if not primary[p]:
                continue
            others = [o for o in hm if o != p]
            # Room upwards: p <= k-2 and another hidden cell can go down by 1.
            up = clean[p] <= k - 2 and any(clean[o] > (1 if primary[o] else k) for o in others)
            # Room downwards: p >= 2 and another hidden cell can go up by 1.
            down = clean[p] >= 2 and any((not primary[o]) or clean[o] <= k - 2 for o in others)
            if not (up or down):
                return True
        return False

    # 1. Line by line: no line with a single hidden cell or a small cell its own total pins down.
    changed = True
    while changed:
        changed = False
        for li, (_, members) in enumerate(lines):
            if hidden[members].any() and line_unsafe(members):
                c = pick(li)
                if c is not None:
                    hidden[c] = True
                    changed = True

    # 2. Exact check against the attacker's linear programme; hide more until no small cell is pinned.
    todo = None
    for _ in range(len(cells) + 1):
        exposed = _exposed_cells(lines, hidden, primary, clean, k, todo)
        if not exposed:
            return []
        todo = set(exposed)
        progressed, touched = False, set[int]()
        for c in exposed:  # one more hidden cell per exposed cell, in a line not already given one
            lines_of_c = cell_lines.get(c, [])
            if touched.intersection(lines_of_c):
                continue
            for li in sorted(lines_of_c, key=lambda i: len(candidates(i)) == 0):
                extra = pick(li)
                if extra is not None:
                    hidden[extra] = True
                    touched.update(cell_lines.get(extra, []))
                    progressed = True
                    break
        if not progressed:
            # Every line through the exposed cells is fully hidden (a sparse table whose cells form a tree):
            # no choice of cells protects them, so no total of this table may be published.
            return [ALL_TOTALS]
    return [ALL_TOTALS]


def _exposed_cells(lines, hidden, primary, counts, k, todo: set[int] | None = None) -> list[int]:
    """Hidden small cells whose value an attacker can pin down exactly from the known line totals.

    ``todo`` limits the check to these cells: hiding more cells only widens what an attacker must allow
    for, so a cell once found safe stays safe.
    """
    # Group hidden cells into components linked by shared lines; each is an independent small LP.
    hidden_idx = [int(i) for i in np.flatnonzero(hidden)]
    parent = {c: c for c in hidden_idx}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    active = []
    for _, members in lines:
        hm = [int(c) for c in members if hidden[c]]
        if hm:
            active.append(hm)
            for c in hm[1:]:
                parent[find(c)] = find(hm[0])
    comps: dict[int, list[int]] = {}
    for c in hidden_idx:
        comps.setdefault(find(c), []).append(c)
    exposed = []
    for comp in comps.values():
        check = [c for c in comp if primary[c] and (todo is None or c in todo)]
        if not check:
            continue
        comp_set = set(comp)
        rows = [hm for hm in active if hm[0] in comp_set]
        if rows:  # no known total touching the component: nothing to solve
            exposed.extend(_pinned(comp, rows, check, primary, counts, k))
    return sorted(exposed, key=lambda c: counts[c])


def _pinned(comp: list[int], rows: list[list[int]], check: list[int], primary, counts, k) -> list[int]:
    """Which of ``check`` take a single value in every solution of the attacker's linear programme."""
    from scipy.optimize import linprog

    pos = {c: i for i, c in enumerate(comp)}
    a_eq = np.zeros((len(rows), len(comp)))
    for r, hm in enumerate(rows):
        a_eq[r, [pos[c] for c in hm]] = 1.0
    true = np.array([counts[c] for c in comp], dtype=float)
    b_eq = a_eq @ true  # = each line total minus its shown cells
    bounds = [(1.0, k - 1.0) if primary[c] else (float(k), None) for c in comp]
    remaining = list(check)

    def solve(cost) -> bool:
        """Solve; drop every cell the solution moves by ≥ 1 (a second solution proves it is not pinned)."""
        nonlocal remaining
        res = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        if res.status == 3:
            return True
        if res.status != 0:
            return False
        remaining = [c for c in remaining if abs(res.x[pos[c]] - counts[c]) < 1.0 - 1e-7]
        return False

    # A few shared solves clear most cells at once (push each small cell away from its true value, then the
    # other way, then random directions); then one or two solves per cell left.
    rng = np.random.default_rng(0)
    for attempt in range(4):
        if not remaining:
            break
        idx = [pos[c] for c in remaining]
        away = np.where(true[idx] <= k / 2, -1.0, 1.0)  # minimising -x pushes x up
        direction = away if attempt == 0 else -away if attempt == 1 else rng.choice([-1.0, 1.0], len(idx))
        cost = np.zeros(len(comp))
        cost[idx] = direction
        solve(cost)
    pinned = []
    for c in list(remaining):
        if c not in remaining:
            continue
        cost = np.zeros(len(comp))
        cost[pos[c]] = 1.0
        solve(cost)
        if c in remaining:
            if solve(-cost):
                remaining.remove(c)  # unbounded above
        if c in remaining:
            pinned.append(c)
            remaining.remove(c)
    return pinned


def feasible_range(
    result: SuppressionResult, df: pd.DataFrame, row: int, *, known_totals: bool = True
) -> tuple[float, float | None]:
    """The smallest and largest value an attacker can deduce for hidden row ``row`` (positional) from the
    shown cells and all line totals. Used by tests and by anyone auditing an export."""
    counts = pd.to_numeric(df[result.count_column], errors="coerce").fillna(0).to_numpy(dtype=float)
    is_total = np.zeros(len(df), dtype=bool)
    for d in result.dims:
        is_total |= (df[d].astype(str) == "Total").to_numpy()
    cells = np.flatnonzero(~is_total)
    hidden = result.suppressed.to_numpy().copy()
    primary = result.primary.to_numpy()
    lines = [m for _, m in _lines(df, cells, result.dims) if not (0 < counts[m].sum() < result.k)]
    from scipy.optimize import linprog

    comp = [int(c) for c in np.flatnonzero(hidden & ~is_total)]
    pos = {c: i for i, c in enumerate(comp)}
    rows = [[int(c) for c in m if hidden[c]] for m in lines]
    rows = [r for r in rows if r]
    a_eq = np.zeros((len(rows), len(comp)))
    b_eq = np.array([sum(counts[c] for c in r) for r in rows])
    for i, r in enumerate(rows):
        for c in r:
            a_eq[i, pos[c]] = 1.0
    bounds = [(1.0, result.k - 1.0) if primary[c] else (float(result.k), None) for c in comp]
    cost = np.zeros(len(comp))
    cost[pos[row]] = 1.0
    lo = linprog(
        cost, A_eq=a_eq if len(rows) else None, b_eq=b_eq if len(rows) else None, bounds=bounds, method="highs"
    )
    hi = linprog(
        -cost, A_eq=a_eq if len(rows) else None, b_eq=b_eq if len(rows) else None, bounds=bounds, method="highs"
    )
    return float(lo.fun), (None if hi.status == 3 else float(-hi.fun))


# === PII detection =======================================================================================

PII_KINDS = (
    "email",
    "phone",
    "ip_address",
    "device_id",
    "account_id",
    "person_name",
    "location",
    "address",
    "government_id",
)

_NAME_RULES: list[tuple[str, re.Pattern]] = [
    ("email", re.compile(r"(^|_)(e_?mail|email_?address|mail_?address)(_|$)")),
    ("phone", re.compile(r"(^|_)(phone|phone_?number|mobile|msisdn|tel|telephone|cell_?phone|fax)(_|$)")),
    (
        "ip_address",
        re.compile(r"(^|_)(ip|ipv4|ipv6|ip_?addr|ip_?address|client_?ip|remote_?addr|src_?ip|dst_?ip)(_|$)"),
    ),
    (
        "device_id",
        re.compile(
            r"(^|_)(device_?id|idfa|idfv|gaid|aaid|advertising_?id|ad_?id|imei|udid|android_?id|"
            r"mac|mac_?address|cookie_?id|fingerprint)(_|$)"
        ),
    ),
    (
        "account_id",
        re.compile(
            r"(^|_)((user|account|customer|member|player|subscriber|client|person|profile|"
            r"owner|author|sender|recipient|reporter)_?(id|uuid|key|guid|name|handle)|uid|"
            r"username|login|handle|screen_?name)(_|$)"
        ),
    ),
    (
        "person_name",
        re.compile(
            r"^((first|last|full|given|family|middle|sur|fore|display|contact|customer|"
            r"person)_?name|name|surname|forename)$"
        ),
    ),
    (
        "location",
        re.compile(
            r"(^|_)(lat|latitude|lon|lng|longitude|geo_?point|coordinates|gps|lat_?lon|"
            r"lat_?lng)(_|$)"
        ),
    ),
    (
        "address",
        re.compile(
            r"(^|_)(street|street_?address|home_?address|address|postcode|postal_?code|zip|"
            r"zip_?code)(_|$)"
        ),
    ),
    (
        "government_id",
        re.compile(
            r"(^|_)(ssn|passport|passport_?number|national_?id|tax_?id|nin|"
            r"social_?security)(_|$)"
        ),
    ),
]

# RE2 patterns (DuckDB), matched against the whole trimmed value.
_VALUE_RULES: list[tuple[str, str, str]] = [
    ("email", r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}", "e-mail addresses"),
    ("phone", r"(\+|00)[1-9][0-9 ().\-]{6,16}[0-9]|\(?[0-9]{3}\)?[ .\-][0-9]{3}[ .\-][0-9]{4}", "phone numbers"),
    (
        "ip_address",
        r"((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
        r"|([0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|([0-9A-Fa-f]{1,4}:){1,6}:([0-9A-Fa-f]{1,4}(:[0-9A-Fa-f]{1,4}){0,5})?",
        "IP addresses",
    ),
    (
        "device_id",
        r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
        r"|([0-9A-Fa-f]{2}[:\-]){5}[0-9A-Fa-f]{2}",
        "device or account identifiers (UUID/MAC)",
    ),
    ("person_name", r"[A-Z][a-z'\-]+( [A-Z]\.?)?( [A-Z][a-z'\-]+){1,2}", "personal names"),
    ("location", r"-?[0-9]{1,2}\.[0-9]{3,}, ?-?[0-9]{1,3}\.[0-9]{3,}", 'precise "lat, lon" locations'),
]

_TEXT_TYPES = ("VARCHAR", "TEXT", "STRING", "UUID")
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


@dataclass(frozen=True)
class PiiFinding:
    """A column that looks like personal data. ``share`` is the fraction of sampled non-null values that
    matched (None when flagged by name only)."""

    column: str
    kind: str
    reason: str
    by_name: bool
    share: float | None = None

    def to_dict(self) -> dict:
        return {
            "column": self.column,
            "kind": self.kind,
            "reason": self.reason,
            "by_name": self.by_name,
            "share": self.share,
        }


def _name_tokens(name: str) -> str:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", str(name))
    return re.sub(r"[^0-9a-z]+", "_", spaced.lower()).strip("_")


def pii_kind_from_name(name: str) -> str | None:
    """The kind of personal data a column name suggests, or None: ``"customerEmail"`` -> ``"email"``."""
    tokens = _name_tokens(name)
    for kind, pattern in _NAME_RULES:
        if pattern.search(tokens):
            return kind
    return None


def detect_pii(
    con,
    table: str,
    columns: Sequence | None = None,
    *,
    sample_rows: int = 2000,
    min_share: float = 0.5,
    seed: int = 42,
) -> list[PiiFinding]:
    """Flag columns of ``table`` (a view or table in DuckDB) that look like personal data.

    Parameters
    ----------
    con : a DuckDB connection or cursor (use a fresh cursor on a worker thread).
    table : the view name (``Source.name``).
    columns : ``ColumnInfo`` objects or (name, type) pairs; default: DESCRIBE the table.
    sample_rows : size of the reservoir sample the value patterns run on.
    min_share : fraction of non-null sampled values that must match for a value-based flag.

    Returns
    -------
    list[PiiFinding] : at most one per column (the name rule wins; values add detail), in column order.
    """
    cur = con.cursor() if hasattr(con, "cursor") else con
    if columns is None:
        described = cur.execute(f"DESCRIBE SELECT * FROM {sql.ident(table)}").fetchall()
        columns = [(row[0], str(row[1])) for row in described]
    cols = [(getattr(c, "name", None) or c[0], str(getattr(c, "type", None) or c[1])) for c in columns]

    exprs, plan = [], []
    for i, (name, typ) in enumerate(cols):
        col = sql.ident(name)
        if typ.upper().startswith(_TEXT_TYPES):
            text = f"trim(CAST({col} AS VARCHAR))"
            exprs.append(f"count({col}) AS {sql.ident(f'n{i}')}")
            exprs.append(f"count(DISTINCT {col}) AS {sql.ident(f'd{i}')}")
            for j, (_, pattern, _) in enumerate(_VALUE_RULES):
                exprs.append(f"count_if(regexp_full_match({text}, {sql.literal(pattern)})) AS {sql.ident(f'm{i}_{j}')}")
            plan.append((i, "text"))
        elif typ.upper().startswith(_FLOAT_TYPES) or typ.upper().startswith("DECIMAL"):
            if pii_kind_from_name(name) == "location":
                x = f"CAST({col} AS DOUBLE)"
                exprs.append(f"count({col}) AS {sql.ident(f'n{i}')}")
                # ≥ 3 decimals is ~100 m: precise enough to find a home.
                exprs.append(
                    f"count_if(abs({x}) <= 180 AND abs({x} * 100 - round({x} * 100)) > 1e-9) AS {sql.ident(f'p{i}')}"
                )
                plan.append((i, "coord"))
    stats: dict = {}
    if exprs:
        query = (
            f"SELECT {', '.join(exprs)} FROM (SELECT * FROM {sql.ident(table)} "
            f"USING SAMPLE reservoir({int(sample_rows)} ROWS) REPEATABLE ({int(seed)}))"
        )
        row = cur.execute(query).fetchone()
        names = [d[0] for d in cur.description]
        stats = dict(zip(names, row))

    findings = []
    for i, (name, typ) in enumerate(cols):
        kind = pii_kind_from_name(name)
        n = stats.get(f"n{i}") or 0
        value_kind, share, label = None, None, ""
        if (i, "text") in plan and n:
            best = max(range(len(_VALUE_RULES)), key=lambda j: stats[f"m{i}_{j}"])
            share = stats[f"m{i}_{best}"] / n
            value_kind, _, label = _VALUE_RULES[best]
            # Names repeat little; a column of a few repeated capitalised words is more likely places.
            if value_kind == "person_name" and stats[f"d{i}"] < min(100, 0.5 * n):
                share = None
            if share is None or share < min_share:
                value_kind = None
        if (i, "coord") in plan:
            precise = (stats.get(f"p{i}") or 0) / n if n else 1.0
            if precise < min_share:
                continue  # named like a coordinate but coarse (≤ 2 decimals, ~1 km): not a precise location
            findings.append(
                PiiFinding(
                    name,
                    "location",
                    f"column name suggests coordinates and "
                    f"{precise:.0%} of sampled values have 3+ decimals (~100 m precision)",
                    by_name=True,
                    share=precise if n else None,
                )
            )
            continue
        if kind is not None:
            reason = f"column name suggests {kind.replace('_', ' ')}"
            if value_kind is not None:
                reason += f"; {share:.0%} of {n} sampled values look like {label}"
            findings.append(PiiFinding(name, kind, reason, by_name=True, share=share if value_kind else None))
        elif value_kind is not None:
            findings.append(
                PiiFinding(
                    name, value_kind, f"{share:.0%} of {n} sampled values look like {label}", by_name=False, share=share
                )
            )
    return findings


# === masking =============================================================================================


def new_mask_salt() -> str:
    """A random salt per session, so masked tokens cannot be matched against a dictionary across sessions."""
    return secrets.token_hex(8)


def mask_value(value, kind: str | None = None, salt: str = "") -> str | None:
    """A stable token for a personal value: equal values give equal tokens within one salt.

    ``mask_value("ana@example.com", "email", salt)`` -> ``"email#3fa2c1d0"``; None stays None.
    """
    if value is None or (isinstance(value, float) and value != value):
        return None
    digest = hashlib.sha256(f"{salt}\x1f{value}".encode("utf-8")).hexdigest()[:8]
    return f"{kind or 'masked'}#{digest}"


def mask_frame(df: pd.DataFrame, columns: Mapping[str, str] | Iterable[str], salt: str = "") -> pd.DataFrame:
    """A copy of ``df`` with the given columns masked (``{column: kind}`` or a list of names)."""
    kinds = dict(columns) if isinstance(columns, Mapping) else {c: None for c in columns}
    out = df.copy()
    for col, kind in kinds.items():
        if col in out.columns:
            out[col] = [mask_value(v, kind, salt) for v in out[col].tolist()]
    return out


def masked_expression(column: str, kind: str | None = None, salt: str = "") -> str:
    """The DuckDB expression that masks ``column`` in SQL (same tokens as :func:`mask_value`), so a grid can
    mask while it pages through a big table: ``SELECT <masked_expression> AS "email" ...``."""
    prefix = sql.literal(f"{kind or 'masked'}#")
    salted = f"{sql.literal(salt + chr(0x1F))} || CAST({sql.ident(column)} AS VARCHAR)"
    return f"CASE WHEN {sql.ident(column)} IS NULL THEN NULL ELSE {prefix} || left(sha256({salted}), 8) END"


def masked_select_list(columns: Sequence[str], flagged: Mapping[str, str], salt: str = "") -> str:
    """A SELECT list with flagged columns masked and the rest passed through, each under its own name."""
    parts = []
    for c in columns:
        if c in flagged:
            parts.append(f"{masked_expression(c, flagged[c], salt)} AS {sql.ident(c)}")
        else:
            parts.append(sql.ident(c))
    return ", ".join(parts)
