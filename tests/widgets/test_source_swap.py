"""A file replaced on disk after it was opened: the next analysis fails with a clear banner message."""

from __future__ import annotations

import os

from tests.conftest import write_parquet
from tests.widgets.conftest import open_and_wait


def test_analysis_after_a_swap_is_refused(qtbot, window, tmp_path):
    path = write_parquet(
        tmp_path / "swap.parquet", "SELECT TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS ts, i AS v FROM range(48) t(i)"
    )
    other = write_parquet(
        tmp_path / "other.parquet", "SELECT TIMESTAMP '2025-01-01' + INTERVAL (i) HOUR AS ts, i AS v FROM range(9) t(i)"
    )
    open_and_wait(qtbot, window, path)
    failures = []
    window.runner.failed.connect(lambda _id, key, message: failures.append((key, message)))
    os.replace(other, path)
    window.runner.submit("test.analysis", lambda cur: cur.execute("SELECT count(*) FROM swap").fetchall())
    qtbot.waitUntil(lambda: any(k == "test.analysis" for k, _ in failures), timeout=15000)
    message = dict(failures)["test.analysis"]
    assert "swap.parquet (table swap) changed on disk after it was opened" in message
