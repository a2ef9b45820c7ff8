"""Small-cell suppression (nothing recoverable from exported totals), PII detection, masking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from tests.conftest import write_parquet
from workbench import privacy
from workbench.errors import SpecError
from workbench.privacy import COMPLEMENTARY_MARKER, detect_pii, mask_frame, mask_value, suppress

K = 10


def with_totals(df: pd.DataFrame, dims: list[str], count: str) -> pd.DataFrame:
    """The table plus every marginal total (per row, per column, grand), as a screen with totals shows it."""
    parts = [df]
    if len(dims) == 1:
        parts.append(pd.DataFrame({dims[0]: ["Total"], count: [df[count].sum()]}))
    else:
        a, b = dims
        ra = df.groupby(a, as_index=False)[count].sum()
        ra[b] = "Total"
        rb = df.groupby(b, as_index=False)[count].sum()
        rb[a] = "Total"
        parts += [ra, rb, pd.DataFrame({a: ["Total"], b: ["Total"], count: [df[count].sum()]})]
    return pd.concat(parts, ignore_index=True)[df.columns]


def attacker_ranges(exported: pd.DataFrame, dims: list[str], count: str, k: int) -> dict[int, tuple[float, float]]:
    """Independent attack: from the exported table alone (numbers, markers, totals), the min and max each
    hidden cell can take (hidden small cells in [1, k-1], other hidden cells >= k, totals as published)."""
    is_total = np.zeros(len(exported), dtype=bool)
    for d in dims:
        is_total |= (exported[d].astype(str) == "Total").to_numpy()
    cells = [i for i in range(len(exported)) if not is_total[i]]
    hidden = [i for i in cells if isinstance(exported[count].iloc[i], str)]
    pos = {c: j for j, c in enumerate(hidden)}
    bounds = [(1, k - 1) if exported[count].iloc[c] == f"<{k}" else (k, None) for c in hidden]
    a_eq, b_eq = [], []
    totals = exported[is_total]
    for _, t in totals.iterrows():
        if isinstance(t[count], str):
            continue  # a hidden total tells nothing
        fixed = {d: t[d] for d in dims if str(t[d]) != "Total"}
        members = [c for c in cells if all(exported[d].iloc[c] == v for d, v in fixed.items())]
        row = np.zeros(len(hidden))
        known = 0.0
        for c in members:
            if c in pos:
                row[pos[c]] = 1
            else:
                known += float(exported[count].iloc[c])
        if row.any():
            a_eq.append(row)
            b_eq.append(float(t[count]) - known)
    out = {}
    for c in hidden:
        cost = np.zeros(len(hidden))
        cost[pos[c]] = 1
        kw = dict(A_eq=np.array(a_eq), b_eq=np.array(b_eq)) if a_eq else {}
        lo = linprog(cost, bounds=bounds, method="highs", **kw)
        hi = linprog(-cost, bounds=bounds, method="highs", **kw)
        assert lo.status == 0
        out[c] = (lo.fun, np.inf if hi.status == 3 else -hi.fun)
    return out


def assert_protected(df, dims, count="users", k=K):
    exported = suppress(with_totals(df, dims, count), count, k, dims=dims).frame
    n_cells = len(df)
    ranges = attacker_ranges(exported, dims, count, k)
    for c, (lo, hi) in ranges.items():
        assert hi - lo >= 1 - 1e-6, f"cell {c} ({df.iloc[c].to_dict() if c < n_cells else ''}) recoverable: {lo}..{hi}"
    # Every small group is hidden, and nothing visible is below k.
    shown = exported[count][~exported[count].map(lambda v: isinstance(v, str))].astype(float)
    assert ((shown == 0) | (shown >= k)).all()
    return exported, ranges


def test_one_dimension_single_small_cell_gets_a_complement():
    df = pd.DataFrame({"country": list("ABCDE"), "users": [3, 40, 55, 70, 90], "views": [5, 80, 90, 100, 120]})
    result = suppress(df, "users", K)
    assert result.frame["users"].tolist() == ["<10", COMPLEMENTARY_MARKER, 55, 70, 90]
    assert result.frame["views"].tolist()[:2] == ["<10", COMPLEMENTARY_MARKER]
    assert result.n_primary == 1 and result.n_complementary == 1
    assert "k = 10" in result.statement() and "1 further cell was hidden" in result.statement()
    assert_protected(df[["country", "users"]], ["country"])


def test_two_ones_in_a_line_are_not_recoverable():
    # Two hidden cells of 1 each with a known total: both would be pinned to 1 without a third.
    df = pd.DataFrame({"country": list("ABCD"), "users": [1, 1, 30, 40]})
    exported, ranges = assert_protected(df, ["country"])
    assert len(ranges) >= 3


def test_complement_equal_to_k_is_not_enough():
    # p=1 and c=k: with p in [1, k-1] and c >= k the sum k+1 pins both; a third cell must be hidden.
    df = pd.DataFrame({"country": list("ABCD"), "users": [1, 10, 300, 400]})
    assert_protected(df, ["country"])


def test_no_small_cells_means_nothing_hidden():
    df = pd.DataFrame({"country": list("AB"), "users": [10, 20]})
    result = suppress(df, "users", K)
    assert not result.applied and result.frame.equals(df)
    assert "no group" in result.statement()


def test_zero_groups_are_not_small():
    df = pd.DataFrame({"country": list("ABC"), "users": [0, 20, 30]})
    assert not suppress(df, "users", K).applied


@pytest.mark.parametrize("seed", range(8))
def test_random_two_way_tables_nothing_recoverable(seed):
    rng = np.random.default_rng(seed)
    days, countries = [f"d{i}" for i in range(6)], [f"c{j}" for j in range(5)]
    rows = [
        (d, c, int(rng.choice([rng.integers(1, 10), rng.integers(10, 200), 0], p=[0.3, 0.65, 0.05])))
        for d in days
        for c in countries
    ]
    df = pd.DataFrame(rows, columns=["day", "country", "users"])
    exported, ranges = assert_protected(df, ["day", "country"])
    small = df.index[(df.users > 0) & (df.users < K)]
    assert all(exported.loc[i, "users"] == "<10" for i in small)


def test_sparse_two_way_table_withholds_totals():
    # The cells form a tree: every hidden cell follows from row and column totals, so totals must go.
    df = pd.DataFrame(
        {"day": ["d1", "d1", "d2", "d3", "d3"], "country": ["A", "B", "A", "B", "C"], "users": [3, 50, 60, 4, 70]}
    )
    exported, _ = assert_protected(df, ["day", "country"])
    result = suppress(df, "users", K)
    assert result.withheld_totals == [privacy.ALL_TOTALS] and "no totals" in result.statement()


def test_time_series_with_small_days():
    df = pd.DataFrame({"day": pd.date_range("2024-01-01", periods=10), "users": [50, 3, 60, 70, 2, 80, 90, 5, 100, 40]})
    result = suppress(df, "users", K)
    assert result.dims == ["day"]
    assert_protected(df.assign(day=df.day.astype(str)), ["day"])


def test_small_totals_are_hidden_too():
    df = pd.DataFrame({"day": ["d1", "d1", "d2", "d2"], "country": ["A", "B", "A", "B"], "users": [2, 3, 50, 60]})
    exported = suppress(with_totals(df, ["day", "country"], "users"), "users", K, dims=["day", "country"]).frame
    total_d1 = exported[(exported.day == "d1") & (exported.country == "Total")]["users"].iloc[0]
    assert total_d1 == "<10"


def test_suppress_errors():
    df = pd.DataFrame({"c": ["a"], "users": [1]})
    with pytest.raises(SpecError, match="count of units"):
        suppress(df, "n", K)
    with pytest.raises(SpecError, match="at least 2"):
        suppress(df, "users", 1)


def test_feasible_range_helper_agrees():
    df = pd.DataFrame({"country": list("ABCD"), "users": [3, 40, 55, 70]})
    result = suppress(df, "users", K)
    lo, hi = privacy.feasible_range(result, df, 0)
    assert lo <= 3 <= hi and hi - lo >= 1


# --- PII ------------------------------------------------------------------------------------------------


@pytest.fixture
def people(tmp_path, con):
    path = write_parquet(
        tmp_path / "people.parquet",
        r"""
        SELECT i AS event_id,
               'user' || i || '@example.com' AS contact,
               '+44 20 7946 ' || lpad(CAST(i % 10000 AS VARCHAR), 4, '0') AS c2,
               '10.0.' || (i % 250) || '.' || (i % 200 + 1) AS c3,
               uuid() AS c4,
               ['Ana', 'John', 'Mary', 'Li', 'Omar', 'Eva', 'Raj', 'Sofia', 'Ken', 'Zoe', 'Ivan', 'Nia'][1 + i % 12]
               || ' ' || ['Lima', 'Smith', 'Watson', 'Wei', 'Haddad', 'Novak', 'Patel', 'Rossi', 'Sato', 'Brown',
                          'Petrov', 'Okafor'][1 + (i // 12) % 12] AS c5,
               51.5 + (i % 997) / 100003.0 AS lat,
               round(-0.12 + (i % 5) / 10.0, 1) AS lon,
               i % 1000 AS user_id,
               ['BR', 'US', 'DE'][1 + i % 3] AS country,
               ['United States', 'New Zealand'][1 + i % 2] AS country_name,
               i * 1.2345 AS amount,
               'free text ' || i AS long_description,
               TIMESTAMP '2024-01-01' + INTERVAL (i) MINUTE AS ts,
               '2024-01-' || lpad(CAST(1 + i % 28 AS VARCHAR), 2, '0') AS day_text,
               'a' AS email
        FROM range(3000) t(i)""",
    )
    con.execute(f"CREATE VIEW people AS SELECT * FROM read_parquet('{path}')")
    return con


def test_detect_pii_by_values_and_names(people):
    findings = {f.column: f for f in detect_pii(people, "people")}
    assert findings["contact"].kind == "email" and not findings["contact"].by_name
    assert findings["c2"].kind == "phone"
    assert findings["c3"].kind == "ip_address"
    assert findings["c4"].kind == "device_id"
    assert findings["c5"].kind == "person_name"
    assert findings["lat"].kind == "location"
    assert findings["user_id"].kind == "account_id" and findings["user_id"].by_name
    assert findings["email"].kind == "email" and findings["email"].share is None  # by name only
    for clean in ("event_id", "lon", "country", "country_name", "amount", "long_description", "ts", "day_text"):
        assert clean not in findings, findings.get(clean)
    assert findings["contact"].share == 1.0 and "sampled values look like e-mail" in findings["contact"].reason


def test_detect_pii_ipv6_and_mac(con):
    con.execute(
        "CREATE VIEW t AS SELECT * FROM (VALUES ('2001:db8::8a2e:370:7334', '00:1A:2B:3C:4D:5E', '12:30:00'),"
        " ('fe80::1', '00-1A-2B-3C-4D-5F', '13:45:10')) v(a, b, clock)"
    )
    findings = {f.column: f.kind for f in detect_pii(con, "t")}
    assert findings == {"a": "ip_address", "b": "device_id"}


@pytest.mark.parametrize(
    "name, kind",
    [
        ("customerEmail", "email"),
        ("Phone Number", "phone"),
        ("client_ip", "ip_address"),
        ("IDFA", "device_id"),
        ("account_id", "account_id"),
        ("first_name", "person_name"),
        ("Latitude", "location"),
        ("zip_code", "address"),
        ("ssn", "government_id"),
        ("country", None),
        ("shipping_cost", None),
        ("hotel", None),
        ("views", None),
    ],
)
def test_pii_kind_from_name(name, kind):
    assert privacy.pii_kind_from_name(name) == kind


def test_masking_is_stable_and_salted():
    a = mask_value("ana@example.com", "email", "s1")
    assert a.startswith("email#") and "ana" not in a
    assert a == mask_value("ana@example.com", "email", "s1") != mask_value("ana@example.com", "email", "s2")
    assert mask_value(None) is None
    df = pd.DataFrame({"email": ["x@y.z", None], "n": [1, 2]})
    masked = mask_frame(df, {"email": "email"}, "s")
    assert masked["n"].tolist() == [1, 2] and pd.isna(masked["email"][1]) and masked["email"][0].startswith("email#")


def test_sql_masking_matches_python(con):
    salt = privacy.new_mask_salt()
    select = privacy.masked_select_list(["e mail", "n"], {"e mail": "email"}, salt)
    rows = con.execute(f"SELECT {select} FROM (VALUES ('ana@example.com', 1), (NULL, 2)) v(\"e mail\", n)").fetchall()
    assert rows == [(mask_value("ana@example.com", "email", salt), 1), (None, 2)]


def test_null_dimension_values_are_a_group_of_their_own():
    import pandas as pd

    from workbench.privacy import suppress

    df = pd.DataFrame({"day": ["d1", "d1", "d2", "d2"], "country": ["BR", None, "BR", None], "users": [3, 20, 15, 25]})
    result = suppress(df, "users", 10)
    assert int(result.suppressed.sum()) >= 2  # the small BR cell and at least one complement
