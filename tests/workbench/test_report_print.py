"""Print layout of report tables: wide tables split into parts repeating the keys, narrow long ones flowed."""

from __future__ import annotations

import re

from workbench.report_print import PrintLayout, column_widths, split_columns, table_html


def _table(n_rows: int, n_values: int, key_len: int = 8):
    head = [("metric", "t"), ("arm", "t")] + [(f"value {i}", "") for i in range(n_values)]
    rows = [
        [("t", f"m{r}".ljust(key_len, "x")), ("t", "treatment_a")]
        + [("", f"{-0.00123456 * (r + i):.6g}") for i in range(n_values)]
        for r in range(n_rows)
    ]
    return head, rows


def test_widths_count_numbers_whole_and_headers_by_their_longest_word():
    head = [("impact 95% low", ""), ("segment", "t")]
    rows = [[("", "-12,345.6"), ("t", "country=BR & platform=android & app_version=5.4.0")]]
    (w_num, nowrap_num), (w_seg, nowrap_seg) = column_widths(head, rows)
    assert nowrap_num and w_num >= len("-12,345.6")
    assert not nowrap_seg and len("app_version=5.4.0") <= w_seg < len(rows[0][1][1])  # long text wraps


def test_split_columns_balances_parts_and_repeats_keys():
    widths = [10.0, 10.0] + [12.0] * 10
    parts = split_columns(widths, [0, 1], budget=100.0)
    assert len(parts) == 2 and all(p[:2] == [0, 1] for p in parts)
    assert sorted(i for p in parts for i in p[2:]) == list(range(2, 12))  # every value column exactly once
    assert abs(len(parts[0]) - len(parts[1])) <= 1  # 5 + 5, not 6 + 4
    assert split_columns([10.0, 20.0], [0], budget=100.0) == [[0, 1]]


def test_wide_table_is_split_and_every_cell_kept():
    head, rows = _table(8, 14)
    out = table_html(head, rows, ["metric", "arm"], PrintLayout(line_chars=100))
    assert out.count('<table class="data"') >= 2 and "each part repeats metric, arm" in out
    cells = re.findall(r"<td[^>]*>(.*?)</td>", out)
    for r in rows:
        for _, text in r[2:]:
            assert text in cells
    assert cells.count(rows[0][0][1]) == out.count('<table class="data"')  # the key, once per part


def test_long_split_table_goes_in_bands_of_rows():
    head, rows = _table(70, 14)
    out = table_html(head, rows, ["metric", "arm"], PrintLayout(line_chars=100, split_band_rows=30))
    assert "Rows 1–24, part 1 of" in out and "Rows 25–48, part 1 of" in out and "Rows 49–70" in out


def test_long_narrow_table_flows_side_by_side():
    head = [("bucket", "t"), ("value", "")]
    rows = [[("t", f"2026-01-{d:02d}"), ("", str(d * 10))] for d in range(1, 91)]
    out = table_html(head, rows, ["bucket"], PrintLayout(line_chars=110, max_blocks=3, rows_per_block=50))
    assert out.count('<td class="flow">') == 3 and out.count('<table class="data"') == 3
    assert len(re.findall(r"<td[^>]*>2026-01-\d\d</td>", out)) == 90
    short = table_html(head, rows[:10], ["bucket"], PrintLayout(line_chars=110))
    assert 'class="flow"' not in short and short.count('<table class="data"') == 1
