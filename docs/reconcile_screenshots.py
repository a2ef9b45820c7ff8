"""Screenshots of the Reconcile panel and the Checks view (run under a display or Xvfb).

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/reconcile_screenshots.py [--theme dark] [--out DIR]

Two extracts are made in a temporary folder with DuckDB (a moderation log and the enforcement table that
should agree with it, with a few known differences), so the pictures are the same on every machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs.make_screenshots import settle, wait_until  # noqa: E402

LOG = """
SELECT 100000 + i AS case_id, TIMESTAMP '2026-09-01' + INTERVAL (i * 37) SECOND AS opened_at,
       ['BR', 'US', 'DE', 'IN', 'FR'][1 + i % 5] AS country, ['spam', 'harassment', 'nudity'][1 + i % 3] AS policy,
       ['removed', 'warned', 'no action'][1 + (i * 7) % 3] AS decision, round((i % 40) * 2.5, 2) AS fine_eur
FROM range(60000) t(i)
"""
# The enforcement table: 40 cases never arrived, 25 extra ones, decisions recased, a few fines off, a gap day.
ENFORCEMENT = """
SELECT case_id, opened_at, country, policy,
       CASE WHEN case_id % 997 = 0 THEN upper(decision) ELSE decision END AS decision,
       CASE WHEN case_id % 1499 = 0 THEN fine_eur + 5 ELSE fine_eur END AS fine_eur
FROM log WHERE case_id % 1500 <> 7 AND NOT (opened_at >= TIMESTAMP '2026-09-12' AND opened_at < TIMESTAMP '2026-09-13')
UNION ALL SELECT 200000 + i, TIMESTAMP '2026-09-20', 'BR', 'spam', 'removed', 0 FROM range(25) t(i)
UNION ALL SELECT 100010, TIMESTAMP '2026-09-01 00:06:10', 'IN', 'spam', 'removed', 25
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--theme", choices=("light", "dark"), default="light")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.theme == "light" else "_dark"

    import duckdb
    from PySide6.QtCore import QSettings

    from widgets import theme
    from widgets.app import create_application
    from widgets.main_window import MainWindow

    app = create_application([sys.argv[0]])
    theme.apply_theme(app, args.theme)
    with tempfile.TemporaryDirectory(prefix="workbench-reconcile-shots-") as tmp:
        log, enforcement = Path(tmp) / "moderation_log.parquet", Path(tmp) / "enforcement.parquet"
        raw = duckdb.connect()
        raw.execute(f"CREATE TABLE log AS {LOG}")
        raw.execute(f"COPY log TO '{log}' (FORMAT parquet)")
        raw.execute(f"COPY ({ENFORCEMENT}) TO '{enforcement}' (FORMAT parquet)")
        raw.close()
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings)
        window.resize(1400, 900)
        window.show()
        window.open_paths([[str(log)], [str(enforcement)]], grouped=True)
        wait_until(app, lambda: "moderation_log" in window.catalog and "enforcement" in window.catalog)
        settle(app)
        panel = window.panels["Reconcile"]
        wait_until(app, lambda: panel.b_combo.count() == 2)
        panel.a_combo.setCurrentText("moderation_log")
        panel.b_combo.setCurrentText("enforcement")
        panel.set_checked(panel.key_list, ["case_id"])
        panel.ignore_case.setChecked(False)
        window.show_panel("Reconcile")
        panel.run()
        wait_until(app, lambda: panel.result is not None and panel.rows.rowCount() > 0)
        panel.show_bucket("changed")
        wait_until(app, lambda: panel.bucket == "changed" and panel.rows_note.text() != "loading…")
        settle(app, 0.8)
        window.grab().save(str(out / f"reconcile{suffix}.png"))

        checks = window.panels["Checks"]
        checks.table_combo.setCurrentText("enforcement")
        checks.rules_edit.setPlainText(
            "\n".join(
                [
                    "row_count(50000, )",
                    "unique(case_id)",
                    "not_null(decision)",
                    "accepted_values(decision, removed, warned, no action)",
                    "between(fine_eur, 0, 100)",
                    "no_gaps(opened_at, day)",
                    "freshness(opened_at, 2 days, as_of=2026-10-01)",
                ]
            )
        )
        window.show_panel("Checks")
        checks.run()
        wait_until(app, lambda: checks.result is not None)
        checks.show_failing_rows(3)
        wait_until(app, lambda: checks.rows.rowCount() > 0)
        settle(app, 0.8)
        window.grab().save(str(out / f"checks{suffix}.png"))
        window.close()
    print(f"wrote {out / f'reconcile{suffix}.png'} and {out / f'checks{suffix}.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
