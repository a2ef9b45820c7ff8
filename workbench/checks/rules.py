"""Rules and their command-line spelling: ``not_null(col)``, ``unique(col[,col])``,
``accepted_values(col, v1, v2, ...)``, ``between(col, lo, hi)``, ``regex(col, 'pattern')``,
``freshness(col, 2 days[, as_of=2026-10-01])``, ``no_gaps(col, day)``, ``row_count(min, max)``,
``row_count(within 10%)`` (against the previous run), ``references(col, TABLE, other_col)`` and
``expression(SQL condition)``.

Arguments are separated by commas; a value or column containing a comma, a parenthesis or spaces at its ends
is quoted, ``'...'`` for values (``''`` inside for a quote) and ``"..."`` for column names.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from workbench.errors import SpecError

KINDS = (
    "not_null",
    "unique",
    "accepted_values",
    "between",
    "regex",
    "freshness",
    "no_gaps",
    "row_count",
    "references",
    "expression",
)
GRAINS = ("minute", "hour", "day", "week", "month", "quarter", "year")
SEVERITIES = ("fail", "warn")
_UNITS = {
    "s": "second",
    "sec": "second",
    "second": "second",
    "m": "minute",
    "min": "minute",
    "minute": "minute",
    "h": "hour",
    "hr": "hour",
    "hour": "hour",
    "d": "day",
    "day": "day",
    "w": "week",
    "week": "week",
}
_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}


@dataclass(frozen=True)
class Rule:
    """One rule. ``columns`` are the columns it reads; ``params`` the rest (bounds, values, pattern, ...);
    ``text`` how it is shown (the command-line spelling it was given in); ``severity`` "fail" or "warn"."""

    kind: str
    columns: tuple[str, ...] = ()
    params: dict = field(default_factory=dict, compare=True, hash=False)
    text: str = ""
    severity: str = "fail"

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "columns": list(self.columns),
            "params": dict(self.params),
            "text": self.text,
            "severity": self.severity,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Rule":
        return build(
            str(d["kind"]),
            list(d.get("columns") or ()),
            dict(d.get("params") or {}),
            str(d.get("text") or ""),
            str(d.get("severity") or "fail"),
        )


def split_args(text: str) -> list[tuple[str, bool]]:
    """Top-level comma-separated arguments as ``(value, quoted)``; quotes and parentheses are respected."""
    args: list[tuple[str, bool]] = []
    buf: list[str] = []
    depth, i, quoted = 0, 0, False
    while i < len(text):
        ch = text[i]
        if ch in "'\"":
            end, value = _quoted(text, i)
            if depth == 0 and not "".join(buf).strip():
                buf, quoted = [value], True
                i = end
                while i < len(text) and text[i].isspace():
                    i += 1
                if i < len(text) and text[i] != ",":
                    raise SpecError(f"Unexpected text after the quoted value {text[: i + 1]!r}")
                continue
            buf.append(text[i:end])
            i = end
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            args.append(("".join(buf) if quoted else "".join(buf).strip(), quoted))
            buf, quoted = [], False
        else:
            buf.append(ch)
        i += 1
    if buf or args:
        args.append(("".join(buf) if quoted else "".join(buf).strip(), quoted))
    return args


def _quoted(text: str, start: int) -> tuple[int, str]:
    q, i, out = text[start], start + 1, []
    while i < len(text):
        if text[i] == q:
            if i + 1 < len(text) and text[i + 1] == q:
                out.append(q)
                i += 2
                continue
            return i + 1, "".join(out)
        out.append(text[i])
        i += 1
    raise SpecError(f"Unclosed {q} quote in {text!r}")


def parse_rule(text: str, severity: str = "fail") -> Rule:
    """A rule from its command-line spelling, e.g. ``between(amount, 0, 100)``."""
    m = re.fullmatch(r"\s*([A-Za-z_]+)\s*\((.*)\)\s*", text, flags=re.S)
    if not m:
        raise SpecError(f"Rule {text!r} is not NAME(ARGS), e.g. not_null(user_id) or between(amount, 0, 100)")
    kind = m.group(1).lower()
    body = m.group(2)
    if kind == "expression":
        return build(kind, [], {"condition": body.strip()}, text.strip(), severity)
    args = split_args(body)
    return build(kind, None, {"args": args}, text.strip(), severity)


def build(kind: str, columns, params: dict, text: str, severity: str = "fail") -> Rule:
    """A validated rule; ``columns=None`` with ``params["args"]`` means "from the command-line arguments"."""
    if kind not in KINDS:
        raise SpecError(f"Unknown rule {kind!r} (rules: {', '.join(KINDS)})")
    if severity not in SEVERITIES:
        raise SpecError(f"Rule severity must be fail or warn, not {severity!r}")
    if columns is None:
        columns, params = _from_args(kind, params["args"], text)
    columns = tuple(str(c) for c in columns)
    need = {
        "not_null": 1,
        "accepted_values": 1,
        "between": 1,
        "regex": 1,
        "freshness": 1,
        "no_gaps": 1,
        "references": 1,
    }.get(kind)
    if need is not None and len(columns) != need:
        raise SpecError(f"{text or kind}: give exactly one column")
    if kind == "unique" and not columns:
        raise SpecError(f"{text or kind}: give one or more columns")
    params = _check_params(kind, dict(params), text or kind)
    return Rule(kind, columns, params, text or _spelling(kind, columns, params), severity)


def _from_args(kind: str, args: list[tuple[str, bool]], text: str):
    values = [v for v, _ in args]
    if kind in ("not_null", "unique"):
        return values, {}
    if kind == "row_count":
        if len(values) == 1 and re.fullmatch(r"within\s+[\d.]+\s*%", values[0]):
            return [], {"within_percent": float(re.findall(r"[\d.]+", values[0])[0])}
        if len(values) != 2:
            raise SpecError(
                f"{text}: write row_count(min, max) (leave one empty for no bound) or row_count(within 10%)"
            )
        return [], {"min": values[0] or None, "max": values[1] or None}
    if not values:
        raise SpecError(f"{text}: the first argument is the column")
    col, rest = values[0], values[1:]
    if kind == "accepted_values":
        if not rest:
            raise SpecError(f"{text}: list the accepted values after the column")
        return [col], {"values": rest}
    if kind == "between":
        if len(rest) != 2:
            raise SpecError(f"{text}: write between(col, lo, hi) (leave one empty for no bound)")
        return [col], {"min": rest[0] or None, "max": rest[1] or None}
    if kind == "regex":
        if len(rest) != 1:
            raise SpecError(f"{text}: write regex(col, 'pattern') (quote a pattern containing commas)")
        return [col], {"pattern": rest[0]}
    if kind == "freshness":
        if not 1 <= len(rest) <= 2:
            raise SpecError(f"{text}: write freshness(col, 2 days[, as_of=2026-10-01])")
        params = {"within": rest[0]}
        if len(rest) == 2:
            name, sep, value = rest[1].partition("=")
            if not sep or name.strip() != "as_of":
                raise SpecError(f"{text}: the third argument is as_of=DATE")
            params["as_of"] = value.strip().strip("'\"")
        return [col], params
    if kind == "no_gaps":
        if len(rest) != 1:
            raise SpecError(f"{text}: write no_gaps(col, day) with a grain: {', '.join(GRAINS)}")
        return [col], {"grain": rest[0]}
    if kind == "references":
        if len(rest) not in (1, 2):
            raise SpecError(f"{text}: write references(col, TABLE[, other_col])")
        return [col], {"to": rest[0], "field": rest[1] if len(rest) == 2 else col}
    raise SpecError(f"{text}: cannot read the arguments")


def _check_params(kind: str, p: dict, text: str) -> dict:
    if kind in ("between", "row_count") and "within_percent" not in p:
        if p.get("min") is None and p.get("max") is None:
            raise SpecError(f"{text}: give a lower bound, an upper bound or both")
        if kind == "row_count":
            for k in ("min", "max"):
                if p.get(k) is not None:
                    p[k] = _whole(p[k], text)
            if p.get("min") is not None and p.get("max") is not None and p["min"] > p["max"]:
                raise SpecError(f"{text}: the minimum is larger than the maximum")
        else:
            p = {k: (None if p.get(k) is None else _plain_value(p[k])) for k in ("min", "max")}
    if kind == "row_count" and "within_percent" in p:
        p["within_percent"] = float(p["within_percent"])
        if p["within_percent"] < 0:
            raise SpecError(f"{text}: the percentage must be at least 0")
    if kind == "accepted_values":
        p["values"] = [_plain_value(v) for v in p.get("values") or []]
        if not p["values"]:
            raise SpecError(f"{text}: list the accepted values")
    if kind == "regex":
        pattern = p.get("pattern")
        if not isinstance(pattern, str) or not pattern:
            raise SpecError(f"{text}: give the pattern")
    if kind == "freshness":
        p["within_seconds"] = duration_seconds(str(p.get("within", "")), text)
        p["within"] = str(p.get("within"))
        if p.get("as_of") is not None:
            p["as_of"] = _as_of(p["as_of"], text)
    if kind == "no_gaps":
        grain = str(p.get("grain", "")).strip().lower()
        if grain not in GRAINS:
            raise SpecError(f"{text}: grain must be one of {', '.join(GRAINS)}, not {grain!r}")
        p["grain"] = grain
    if kind == "references" and not p.get("to"):
        raise SpecError(f"{text}: give the table it refers to")
    if kind == "expression" and not str(p.get("condition", "")).strip():
        raise SpecError(f"{text}: give the condition each row must meet")
    return p


def _whole(value, text: str) -> int:
    try:
        f = float(str(value).replace("_", "").replace(",", ""))
    except ValueError:
        raise SpecError(f"{text}: {value!r} is not a number") from None
    if f != int(f) or f < 0:
        raise SpecError(f"{text}: {value!r} is not a whole number of rows")
    return int(f)


def _plain_value(value):
    """A bound or accepted value as given (text from the command line, typed from YAML); it is read as the
    column's type when the rule runs, so ``01`` stays ``01`` for a text column."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (int, float, str)):
        return value
    raise SpecError(f"{value!r} is not a single value")


def as_number(value):
    """``value`` as an int or float, or None when it is not a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?", text):
        return float(text)
    return None


def duration_seconds(text: str, rule: str = "") -> float:
    """``2 days``, ``36 hours``, ``90 min``, ``1w``, ``1 day 12 hours`` -> seconds."""
    parts = re.findall(r"([\d.]+)\s*([A-Za-z]+)", text)
    if not parts or re.sub(r"([\d.]+)\s*([A-Za-z]+)", "", text).strip():
        raise SpecError(f"{rule or text}: {text!r} is not a duration (e.g. 2 days, 36 hours, 90 minutes)")
    total = 0.0
    for number, unit in parts:
        u = unit.lower()
        u = _UNITS.get(u) or _UNITS.get(u.rstrip("s"))
        if u is None:
            raise SpecError(f"{rule or text}: unknown time unit {unit!r} (seconds, minutes, hours, days, weeks)")
        total += float(number) * _SECONDS[u]
    return total


def _as_of(value, text: str) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    try:
        return dt.datetime.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise SpecError(f"{text}: as_of {value!r} is not a date or timestamp (e.g. 2026-10-01)") from None


def _spelling(kind: str, columns, params: dict) -> str:
    """The command-line spelling of a rule read from a checks file."""
    cols = ", ".join(columns)
    if kind in ("not_null", "unique"):
        return f"{kind}({cols})"
    if kind == "accepted_values":
        return f"accepted_values({cols}, {', '.join(map(str, params['values']))})"
    if kind in ("between", "row_count") and "within_percent" not in params:
        lo = "" if params.get("min") is None else params["min"]
        hi = "" if params.get("max") is None else params["max"]
        return f"{kind}({cols + ', ' if cols else ''}{lo}, {hi})"
    if kind == "row_count":
        return f"row_count(within {params['within_percent']:g}%)"
    if kind == "regex":
        return f"regex({cols}, '{params['pattern']}')"
    if kind == "freshness":
        return f"freshness({cols}, {params['within']}" + (f", as_of={params['as_of']})" if params.get("as_of") else ")")
    if kind == "no_gaps":
        return f"no_gaps({cols}, {params['grain']})"
    if kind == "references":
        return f"references({cols}, {params['to']}, {params['field']})"
    return f"expression({params['condition']})"
