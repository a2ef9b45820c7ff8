"""Which opened table is the experiment, and which of its columns are the unit id and the arm.

Plain name/type rules (no query): an arm column is named like arm / variant / group / treatment / bucket /
cohort, a unit id like user_id / unit_id / *_id / id. A timestamp or a float is never a unit or an arm: an
experiment assigns whole units to a handful of named arms.
"""

from __future__ import annotations

import re

ARM_NAMES = ("arm", "variant", "treatment", "group", "bucket", "cohort", "experiment_group", "ab_group")
ARM_TOKENS = ("arm", "variant", "treatment", "bucket", "cohort", "group")
UNIT_NAMES = ("user_id", "unit_id", "unit", "id", "uid", "user", "account_id", "customer_id", "member_id")
_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL", "DECIMAL")


def _tokens(name: str) -> list[str]:
    return [t for t in re.split(r"[^0-9a-z]+", str(name).lower()) if t]


def _eligible(col) -> bool:
    return not col.is_temporal and not str(col.type).upper().startswith(_FLOAT_TYPES)


def guess_arm(columns) -> str | None:
    """The arm-like column (exact name first, then a name token), never a timestamp or a float."""
    cols = [c for c in columns if _eligible(c)]
    by_name = {c.name.lower(): c.name for c in cols}
    for n in ARM_NAMES:
        if n in by_name:
            return by_name[n]
    for token in ARM_TOKENS:
        for c in cols:
            if token in _tokens(c.name):
                return c.name
    return None


def guess_unit(columns, arm: str | None = None) -> str | None:
    """The unit id column (user_id, unit_id, … then any *_id), never a timestamp, a float or the arm."""
    cols = [c for c in columns if _eligible(c) and c.name != arm]
    by_name = {c.name.lower(): c.name for c in cols}
    for n in UNIT_NAMES:
        if n in by_name:
            return by_name[n]
    for c in cols:
        low = c.name.lower()
        if low.endswith(("_id", "uuid")) or (_tokens(c.name)[-1:] == ["id"]):
            return c.name
    return None


def experiment_score(source) -> int:
    """2 with an arm and a unit column, 1 with an arm only, 0 otherwise (then the table is probably not one)."""
    arm = guess_arm(source.columns)
    if arm is None:
        return 0
    return 2 if guess_unit(source.columns, arm) else 1


def best_experiment_table(sources) -> str | None:
    """The opened table that looks most like an experiment (first among equals); None when none does."""
    best, best_score = None, 0
    for s in sources:
        score = experiment_score(s)
        if score > best_score:
            best, best_score = s.name, score
    return best
