"""Which column the Explorer's leaderboard ranks by default.

A leaderboard is for a handful of named groups (country, platform, policy). Never a float (every value is its
own row), an ID-like column (user ids, uuids: one row per entity) or a column that names people (a board of
masked values helps nobody and invites a reveal).
"""

from __future__ import annotations

import re

from workbench.privacy import pii_kind_from_name

_FLOAT_TYPES = ("FLOAT", "DOUBLE", "REAL", "DECIMAL")


def is_id_like(name: str) -> bool:
    """``user_id``, ``UserID``, ``User "ID"``, ``uuid``, ``id``: one value per entity, not a grouping."""
    tokens = [t for t in re.split(r"[^0-9a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", str(name)).lower()) if t]
    return bool(tokens) and tokens[-1] in ("id", "uuid", "guid", "key")


def dimension_candidates(columns, is_personal=None) -> list[str]:
    """Columns fit to rank by, best first: text and boolean, then integers; no timestamps, floats, ids, PII."""

    def fits(c) -> bool:
        if c.is_temporal or str(c.type).upper().startswith(_FLOAT_TYPES) or is_id_like(c.name):
            return False
        if pii_kind_from_name(c.name) is not None:
            return False
        return not (is_personal is not None and is_personal(c.name))

    text = [c.name for c in columns if (c.is_text or c.is_boolean) and fits(c)]
    ints = [c.name for c in columns if c.is_numeric and fits(c) and c.name not in text]
    return text + ints


def default_dimension(columns, is_personal=None) -> str | None:
    """The leaderboard's default column, or None when no column fits (the user then picks one)."""
    candidates = dimension_candidates(columns, is_personal)
    return candidates[0] if candidates else None
