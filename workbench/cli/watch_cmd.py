"""``workbench watch FOLDER --rules RULES --metrics METRICS.yml``: alerts as data lands.

The folder is polled (file size and modification time; see :mod:`workbench.watch`); when files appear or
change, every rule is evaluated again on fresh views of the data. Each firing is printed, appended to a
JSON-lines alerts file and written to the audit log. Ctrl+C stops it cleanly (exit 0).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("watch", help="re-evaluate alert rules whenever files appear or change in a folder")
    p.add_argument("folder", metavar="FOLDER", help="where data lands (e.g. hive partitions arriving daily)")
    p.add_argument("--rules", required=True, metavar="RULES.json", help="alert rules (may name defined metrics)")
    p.add_argument("--metrics", metavar="METRICS.yml", help="the metrics file the rules' metric names come from")
    p.add_argument(
        "--alerts",
        metavar="FILE.jsonl",
        help="JSON-lines file every firing is appended to (default: alerts.jsonl beside the rules)",
    )
    p.add_argument("--interval", type=float, default=2.0, metavar="SECONDS", help="poll interval (default 2)")
    p.add_argument("--once", action="store_true", help="evaluate once and exit (1 when a rule fired)")
    p.set_defaults(func=_watch)


def _watch(args) -> int:
    from workbench.cli.outputs import cli_audit_log
    from workbench.errors import SourceError
    from workbench.metrics_layer import load_metrics
    from workbench.watch import FolderWatcher

    folder = Path(args.folder)
    if not folder.is_dir():
        raise SourceError(f"{folder} is not a folder")
    metrics_file = load_metrics(args.metrics) if args.metrics else None
    alerts_path = Path(args.alerts) if args.alerts else Path(args.rules).resolve().parent / "alerts.jsonl"
    log = cli_audit_log(None)
    state = _WatchState(args.rules, metrics_file, folder, alerts_path, log)
    watcher = FolderWatcher(folder)
    watcher.poll()
    try:
        fired = state.evaluate(trigger=[])
        if args.once:
            return 1 if fired else 0
        print(
            f"watching {folder} every {args.interval:g} s (Ctrl+C stops); alerts go to {alerts_path}",
            file=sys.stderr,
            flush=True,
        )
        while True:
            time.sleep(max(0.05, args.interval))
            changes = watcher.poll()
            if changes:
                print(f"{len(changes)} file(s) changed: re-evaluating", file=sys.stderr, flush=True)
                state.evaluate(trigger=[c.to_dict() for c in changes])
    except KeyboardInterrupt:
        print("stopped watching", file=sys.stderr, flush=True)
        return 0


class _WatchState:
    def __init__(self, rules_path, metrics_file, folder: Path, alerts_path: Path, log):
        self.rules_path, self.metrics_file, self.folder = rules_path, metrics_file, folder
        self.alerts_path, self.log = alerts_path, log
        self._seen: set[str] = set()  # a firing already reported is not repeated on every poll

    def evaluate(self, trigger: list[dict]) -> int:
        """Evaluate every rule on fresh views; report new firings. Returns how many rules fired."""
        from workbench.anomaly.alerts import evaluate_rule
        from workbench.catalog import Catalog
        from workbench.cli.outputs import record
        from workbench.engine import connect
        from workbench.errors import WorkbenchError
        from workbench.metrics_layer.rules import load_rules

        rules = load_rules(self.rules_path, self.metrics_file, (self.folder,))
        fired = 0
        for named in rules:
            con = connect()
            try:
                source = Catalog(con).open(named.rule.source)
                result = evaluate_rule(con, source.name, named.rule)
            except WorkbenchError as exc:  # a half-landed partition must not stop the watch
                print(f"workbench: rule {named.rule.name!r}: {exc}", file=sys.stderr, flush=True)
                continue
            finally:
                con.close()
            if not result.fired:
                continue
            fired += 1
            doc = result.to_dict()
            key = json.dumps([doc["name"], doc["series"], doc["incidents"]], sort_keys=True, default=str)
            if key in self._seen:
                continue
            self._seen.add(key)
            series = [
                {**s, "latest_value": None if s.get("latest_value") is None else s["latest_value"] * named.scale}
                for s in doc["series"]
                if s["fired"]
            ]
            entry = {
                "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "rule": doc["name"],
                "metric": named.metric,
                "series": series,
                "incidents": doc["incidents"],
                "trigger": trigger,
            }
            line = json.dumps(entry, ensure_ascii=False, default=str)
            with open(self.alerts_path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
            record(
                self.log,
                "alert_fired",
                rule=doc["name"],
                metric=named.metric,
                source=named.rule.source,
                series=entry["series"],
                trigger=trigger,
                alerts_file=str(self.alerts_path.resolve()),
            )
            print(line, flush=True)
        return fired
