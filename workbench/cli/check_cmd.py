"""``workbench check PATH --rule RULE ... [--rules FILE.yml]``: data-quality rules on one extract.

Exit status 0 when every rule passes (or only warns), 1 when any fails, 2 on an error (a missing column, a
rule that cannot be read). JSON: ``{"rules": [{"rule", "status", "failing_rows", "sample"}]}`` in the
order the rules were given (``--rule`` first, then the file's).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def register(subparsers) -> None:
    from workbench.cli.explore import add_encoding_argument
    from workbench.cli.workspace_option import add_workspace_option

    p = subparsers.add_parser("check", help="data-quality rules on an extract: exit 1 when any rule fails")
    p.add_argument("path", metavar="PATH", nargs="?", help="the extract (file, folder or glob; omit with --workspace)")
    p.add_argument(
        "--rule",
        action="extend",
        nargs="+",
        default=[],
        metavar="RULE",
        help="not_null(col), unique(col[,col]), accepted_values(col, v1, v2, ...), between(col, lo, hi), "
        "regex(col, 'pattern'), freshness(col, 2 days[, as_of=2026-10-01]), no_gaps(col, day), "
        "row_count(min, max), row_count(within 10%%), references(col, PATH, col), expression(SQL)",
    )
    p.add_argument("--rules", metavar="FILE.yml", help="a YAML checks file (Soda/dbt-like; see docs/reconcile.md)")
    p.add_argument("--samples", type=int, default=5, metavar="N", help="failing rows kept per rule (default 5)")
    p.add_argument(
        "--history",
        metavar="FILE",
        help="row counts of previous runs, for row_count(within x%%) (default: a per-user file)",
    )
    add_workspace_option(p)
    p.add_argument("--format", choices=("json", "text"), default="text")
    add_encoding_argument(p)
    p.set_defaults(func=_check)


def _check(args) -> int:
    from workbench.analysis.checks import ChecksRun
    from workbench.checks import load_checks_file, parse_rule
    from workbench.cli.explore import confirm_unchanged
    from workbench.cli.workspace_option import open_session
    from workbench.errors import SpecError

    texts = list(args.rule)
    if args.path is None and texts and "(" not in texts[-1] and Path(texts[-1]).exists():
        args.path = texts.pop()  # `check --rule R PATH`: the rule list swallowed the path
    if args.samples < 0:
        raise SpecError("--samples must be at least 0")
    rules = [parse_rule(t) for t in texts]
    file_table = None
    if args.rules:
        more, file_table = load_checks_file(args.rules)
        rules += more
        if file_table and not args.path and not args.workspace:
            base = Path(args.rules).resolve().parent
            args.path = str(base / file_table) if not Path(file_table).is_absolute() else file_table
    if not rules:
        raise SpecError("Give at least one --rule RULE or a --rules FILE.yml")
    session = open_session(args, [args.path], "check")
    try:
        references = []
        for rule in rules:
            if rule.kind == "references":
                target = rule.params["to"]
                if target in session.catalog:
                    references.append((target, target))
                elif Path(target).exists():
                    references.append((target, session.catalog.open(target, encoding=args.encoding).name))
        history = _History(args.history)
        previous = history.previous(session.source)
        view = ChecksRun(session.source.name, tuple(rules), args.samples, tuple(dict(references).items()), previous)
        result = view.run(session.con, session.catalog)
        confirm_unchanged(session.source)
    finally:
        session.close()
    session.record(query=";\n".join(result.sql), description={"command": "check", "rules": [r.text for r in rules]})
    results = result.value
    n_rows = next((r.observed.get("rows") for r in results if "rows" in r.observed), None)
    history.record(session.source, n_rows)
    if args.format == "json":
        print(json.dumps({"rules": [r.to_json() for r in results]}, ensure_ascii=False, indent=2, default=str))
    else:
        _print(results, args.path or session.source.name)
    return 1 if any(r.status == "fail" for r in results) else 0


def _print(results, where: str) -> None:
    out = sys.stdout
    out.write(f"{where}\n")
    width = max(len(r.rule.text) for r in results)
    for r in results:
        out.write(f"{r.status.upper():<5} {r.rule.text:<{width}}  {r.failing_rows:>10,}  {r.message}\n")
        for s in r.sample:
            out.write("        " + json.dumps(s, ensure_ascii=False, default=str) + "\n")
    failed = sum(r.status == "fail" for r in results)
    warned = sum(r.status == "warn" for r in results)
    out.write(f"\n{len(results) - failed - warned} passed, {warned} warned, {failed} failed\n")


class _History:
    """Row counts of earlier runs per extract (its files), for ``row_count(within x%)``."""

    def __init__(self, path: str | Path | None):
        if path is None:
            from workbench.cli.outputs import default_log_path

            path = default_log_path().with_name("check_history.json")
        self.path = Path(path)

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    @staticmethod
    def _key(source) -> str:
        return "|".join(sorted(source.files)) or source.location

    def previous(self, source) -> int | None:
        value = self._load().get(self._key(source), {}).get("row_count")
        return int(value) if isinstance(value, int) else None

    def record(self, source, row_count: int | None) -> None:
        if row_count is None:
            return
        import datetime as dt

        from workbench.workspace import atomic_write_bytes

        data = self._load()
        data[self._key(source)] = {
            "row_count": int(row_count),
            "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.path, json.dumps(data, indent=1).encode("utf-8"))
        except OSError as exc:
            print(f"workbench: warning — cannot record the row count in {self.path}: {exc}", file=sys.stderr)
