"""Save screenshots of the main panels to docs/screenshots/ (run under a display or Xvfb: `make screenshots`).

    xvfb-run -a -s "-screen 0 1600x1000x24" python docs/make_screenshots.py [--out DIR] [--rows N]

The demo extract is written to a temporary folder, so the screenshots are the same on every machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def wait_until(app, condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the UI did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float = 0.4) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--rows", type=int, default=1_000_000, help="demo extract size")
    parser.add_argument(
        "--theme",
        choices=("light", "dark"),
        default="light",
        help="palette; dark screenshots are saved with a -dark suffix (explorer-dark.png)",
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    suffix = "-dark" if args.theme == "dark" else ""

    def shot(name: str) -> str:
        return str(out / f"{name}{suffix}.png")

    from PySide6.QtCore import QSettings

    from widgets.app import create_application

    app = create_application([sys.argv[0]])
    from widgets import theme
    from widgets.main_window import MainWindow
    from workbench import demo

    theme.apply_theme(app, args.theme)
    with tempfile.TemporaryDirectory(prefix="workbench-shots-") as tmp:
        paths = demo.write_demo(Path(tmp) / "demo", rows=args.rows)
        settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings=settings)
        window.resize(1400, 900)
        window.show()
        window.open_paths([[str(paths.events)], [str(paths.experiment)]], grouped=True)
        wait_until(
            app,
            lambda: (
                "events" in window.catalog
                and "experiment" in window.catalog
                and window.data_panel.table_item("events") is not None
                and window.data_panel.table_item("experiment") is not None
            ),
        )
        settle(app)  # MainWindow selects each opened table on a later event-loop turn: let that happen first

        explorer = window.explorer
        explorer.set_table("events")
        explorer.set_measure("sum", "reports")
        explorer.set_grain("day")
        explorer.set_breakdown("country", top_n=6)
        explorer.set_range("Last 30 days")
        explorer.set_compare(True)
        wait_until(
            app,
            lambda: (
                explorer.last_result is not None
                and explorer.last_result.spec.breakdown == "country"
                and explorer.last_result.spec.compare
                and explorer.last_leaderboard_spec is not None
                and explorer.last_leaderboard_spec.compare
            ),
        )
        window.data_panel.select_column("events", "country")
        wait_until(
            app,
            lambda: (
                window.data_panel.profile.title.text() == "country"
                and not window.data_panel.profile.message.isVisible()
            ),
        )
        window.show_panel("Explorer")
        settle(app)
        chart = explorer.chart
        first = chart.series()[0]
        (_x0, _x1), (_y0, y1) = chart.plot_item.vb.viewRange()
        chart.show_readout_at(float(first.x[len(first.x) * 2 // 3]), y1 * 0.75)  # as if hovering
        settle(app, 0.2)
        window.grab().save(shot("explorer"))

        window.data_panel.select_column("events", "sla_days")
        wait_until(
            app,
            lambda: (
                window.data_panel.profile.title.text() == "sla_days" and window.data_panel.profile.histogram.isVisible()
            ),
        )
        settle(app)
        window.data_dock.grab().save(shot("data"))

        console = window.sql_console
        window.show_panel("SQL")
        console.set_sql(
            "-- Deletion requests and SLA breaches by country\n"
            "SELECT country,\n"
            "       sum(deletion_requests) AS deletion_requests,\n"
            "       round(avg(sla_days), 1) AS avg_sla_days,\n"
            "       count(*) FILTER (WHERE sla_breached) AS breached_batches\n"
            "FROM events\nGROUP BY ALL\nORDER BY deletion_requests DESC"
        )
        console.run()
        wait_until(app, lambda: console.footer.text().endswith("ms"))
        settle(app)
        window.grab().save(shot("sql"))

        # Anomalies: the demo's BR reporting spike, hourly, with the band, the incident region and its root cause.
        anomalies = window.panels.get("Anomalies")
        if anomalies is not None:
            explorer.set_breakdown(None)
            explorer.set_compare(False)
            explorer.set_range("All data")
            explorer.set_grain("hour")
            wait_until(
                app,
                lambda: (
                    explorer.last_result is not None
                    and explorer.last_result.spec.grain == "hour"
                    and not explorer.last_result.spec.breakdown
                ),
            )
            window.show_panel("Anomalies")  # the form follows the Explorer's metric: sum(reports) per hour
            wait_until(
                app,
                lambda: (
                    anomalies.measure_edit.text() == "sum(reports)" and anomalies.grain_combo.currentText() == "hour"
                ),
            )
            anomalies.detect_button.click()
            wait_until(app, lambda: anomalies.detection is not None and anomalies.detection.incidents)
            anomalies.select_incident(0)
            settle(app, 0.2)
            anomalies.explain_selected()
            wait_until(app, lambda: anomalies.explanation is not None)
            settle(app)
            window.grab().save(shot("anomalies"))

        # Experiments: the demo A/B/n test, metrics from "Suggest metrics", results with CUPED.
        experiments = window.panels.get("Experiments")
        if experiments is not None:
            window.show_panel("Experiments")
            experiments.table_combo.setCurrentText("experiment")
            wait_until(app, lambda: experiments.control_combo.currentText() == "control")
            experiments.suggest_metrics()
            wait_until(app, lambda: experiments.metrics.rowCount() > 0)
            experiments.run()
            wait_until(app, lambda: experiments.readout is not None, timeout=60)
            settle(app)
            window.grab().save(shot("experiments"))

        # The audit trail of this session (sources with SHA-256, queries), chain verified.
        audit = window.workspace.audit_panel
        window.show_panel("Audit")
        wait_until(app, lambda: len(audit.entries()) >= 3)
        audit.verify()
        wait_until(app, lambda: audit.result_label.isVisible())
        settle(app)
        window.grab().save(shot("audit"))
        window.close()
    print(f"Screenshots written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
