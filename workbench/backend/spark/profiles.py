"""Saved Spark Connect profiles: a name, the URL without its token, a database and where the token comes from.

Profiles live in the user's config folder (``$WORKBENCH_CONFIG_DIR`` when set). A token is a secret and is
never written here: a profile names the environment variable to read it from, or the user types it each time.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from workbench.audit_keys import config_dir
from workbench.backend.spark.remote import SparkRemote, parse_remote
from workbench.errors import WorkbenchError

PROFILES_FILE = "spark_profiles.json"


class SparkProfileError(WorkbenchError):
    """A profile cannot be saved or read as given."""


@dataclass(frozen=True)
class SparkProfile:
    """One saved connection; ``url`` never holds a token."""

    name: str
    url: str
    database: str = ""
    token_env: str = ""  # read the token from this environment variable; empty: ask for it


def profiles_path() -> Path:
    return config_dir() / PROFILES_FILE


def remote_without_token(url: str) -> SparkRemote:
    """The URL parsed with any token dropped (also one filled in from the environment)."""
    return parse_remote(url).without_secrets()


def load_profiles(path: Path | None = None) -> list[SparkProfile]:
    """Saved profiles, in the order saved; a missing or unreadable file is no profiles."""
    target = path or profiles_path()
    try:
        items = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    out = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("name") and item.get("url"):
            out.append(
                SparkProfile(
                    name=str(item["name"]),
                    url=str(item["url"]),
                    database=str(item.get("database") or ""),
                    token_env=str(item.get("token_env") or ""),
                )
            )
    return out


def save_profile(profile: SparkProfile, path: Path | None = None) -> SparkProfile:
    """Add or replace the profile of that name (its URL stripped of any token) and return what was stored."""
    name = profile.name.strip()
    if not name:
        raise SparkProfileError("A profile needs a name")
    if profile.token_env and not profile.token_env.replace("_", "").isalnum():
        raise SparkProfileError(f"{profile.token_env!r} is not an environment variable name")
    stored = SparkProfile(name, remote_without_token(profile.url).url(), profile.database.strip(), profile.token_env)
    kept = [p for p in load_profiles(path) if p.name != name] + [stored]
    _write(path or profiles_path(), [asdict(p) for p in kept])
    return stored


def delete_profile(name: str, path: Path | None = None) -> None:
    kept = [p for p in load_profiles(path) if p.name != name]
    _write(path or profiles_path(), [asdict(p) for p in kept])


def _write(target: Path, items: list[dict]) -> None:
    # Written to a temporary file and renamed: a crash never leaves half a profiles file.
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".profiles-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(items, fh, indent=2)
        os.replace(tmp, target)
    except OSError as exc:
        raise SparkProfileError(f"Cannot save Spark profiles to {target}: {exc.strerror or exc}") from exc
