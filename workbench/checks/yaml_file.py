"""Checks files: YAML in the vocabulary of Soda checks and dbt tests.

```yaml
table: events.parquet            # optional: the extract the rules are about (the command's PATH wins)
checks:                          # (or "rules:") one rule per item
  - not_null(user_id)            # the command-line spelling works as is
  - unique: [user_id, day]       # dbt's unique / unique_combination_of_columns
  - accepted_values: {column: country, values: [BR, US, DE]}
  - between: {column: amount, min: 0, max: 1000}
  - regex: {column: email, pattern: '^[^@]+@[^@]+$'}
  - row_count: {min: 1, max: 1000000}
  - row_count: {within_percent: 10}
  - freshness: {column: ts, within: 2 days, as_of: 2026-10-01}
  - no_gaps: {column: ts, grain: day}
  - relationships: {column: user_id, to: users.parquet, field: id}
  - expression: amount >= 0
  - {not_null: email, severity: warn}   # warn instead of fail
columns:                         # dbt style: tests per column
  - name: user_id
    tests: [not_null, unique]
```
"""

from __future__ import annotations

from pathlib import Path

from workbench.checks.rules import Rule, build, parse_rule
from workbench.errors import SpecError

_ALIASES = {
    "relationships": "references",
    "range": "between",
    "unique_combination_of_columns": "unique",
    "expression_is_true": "expression",
    "invalid_format": "regex",
    "match_regex": "regex",
}
_MAX_BYTES = 1_000_000


def load_checks_file(path: str | Path) -> tuple[list[Rule], str | None]:
    """The rules of a YAML checks file and the table it names (or None)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{path}: no such checks file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot be read ({exc})") from None
    if len(text) > _MAX_BYTES:
        raise SpecError(f"{path}: a checks file over 1 MB is not plausible; refusing to read it")
    return parse_checks(text, str(path))


def parse_checks(text: str, where: str = "checks") -> tuple[list[Rule], str | None]:
    """Rules from YAML text (see the module docstring for the format)."""
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError(f"{where}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if doc is None:
        return [], None
    if isinstance(doc, list):
        doc = {"checks": doc}
    if not isinstance(doc, dict):
        raise SpecError(f"{where}: expected a mapping with 'checks:' (a list of rules)")
    unknown = set(doc) - {"table", "checks", "rules", "columns"}
    if unknown:
        raise SpecError(f"{where}: unknown section {sorted(unknown)[0]!r} (sections: table, checks, columns)")
    rules = []
    items = doc.get("checks") or doc.get("rules") or []
    if not isinstance(items, list):
        raise SpecError(f"{where}: 'checks' must be a list of rules")
    for n, item in enumerate(items, 1):
        rules.append(_item(item, None, f"{where}: rule {n}"))
    columns = doc.get("columns") or []
    if not isinstance(columns, list):
        raise SpecError(f"{where}: 'columns' must be a list of {{name, tests}}")
    for entry in columns:
        if not isinstance(entry, dict) or "name" not in entry:
            raise SpecError(f"{where}: each item of 'columns' needs a name")
        for n, test in enumerate(entry.get("tests") or entry.get("checks") or [], 1):
            rules.append(_item(test, str(entry["name"]), f"{where}: column {entry['name']!r} test {n}"))
    table = doc.get("table")
    return rules, str(table) if table is not None else None


def _item(item, column: str | None, where: str) -> Rule:
    if isinstance(item, str):
        if "(" in item:
            return parse_rule(item)
        if column is None:
            raise SpecError(f"{where}: {item!r} needs a column (write {item}(COLUMN))")
        return _mapping(item, {}, column, "fail", where)
    if not isinstance(item, dict):
        raise SpecError(f"{where}: a rule is a string or a mapping, not {type(item).__name__}")
    item = dict(item)
    severity = str(item.pop("severity", item.pop("level", "fail"))).lower()
    if "rule" in item:
        return parse_rule(str(item["rule"]), severity)
    if len(item) != 1:
        raise SpecError(f"{where}: one rule per item (found {', '.join(map(str, item))})")
    ((name, value),) = item.items()
    return _mapping(str(name), value, column, severity, where)


def _mapping(name: str, value, column: str | None, severity: str, where: str) -> Rule:
    kind = _ALIASES.get(name, name)
    if isinstance(value, dict):
        v = dict(value)
    elif kind == "expression":
        v = {"condition": value}
    elif kind == "unique" and isinstance(value, list):
        v = {"columns": value}
    elif kind == "accepted_values" and isinstance(value, list):
        v = {"values": value}
    elif value is None or value == {}:
        v = {}
    else:
        v = {"column": value}
    severity = str(v.pop("severity", v.pop("level", severity))).lower()
    cols = v.pop("columns", None)
    col = v.pop("column", v.pop("column_name", None)) or column
    if cols is None:
        cols = [col] if col is not None else []
    if kind == "references":
        v.setdefault("field", v.pop("to_column", None) or (cols[0] if cols else None))
    if kind == "freshness":
        v.setdefault("within", v.pop("max_age", None) or v.pop("warn_after", None))
    if kind == "expression" and "condition" not in v:
        v["condition"] = v.pop("expression", None) or v.pop("sql", None)
    try:
        return build(kind, list(map(str, cols)), v, "", severity)
    except SpecError as exc:
        raise SpecError(f"{where}: {exc}") from None
