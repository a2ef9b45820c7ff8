"""How much memory DuckDB may use here: a share of what is really free, inside any container limit.

Half of the physical RAM is wrong twice over: a container (Docker, Kubernetes, systemd slice) may allow far
less than the machine has, and other programs may already use most of it. The budget is the smaller of

* the memory available on the machine (``psutil.virtual_memory().available``: free plus reclaimable cache),
* the headroom of this process's cgroup and each of its parents: ``memory.max - memory.current`` (cgroup v2)
  or ``memory.limit_in_bytes - memory.usage_in_bytes`` (cgroup v1),

less what other running Workbench processes may still grow into (:mod:`workbench.memory_claims`), and
DuckDB's ``memory_limit`` is ``DEFAULT_MEMORY_SHARE`` (half) of it, never less than ``MIN_LIMIT_BYTES``.
The other half is left for Python, Qt, result frames and whatever else runs. Past the limit DuckDB spills
to its temp directory instead of failing or pushing the machine into swap (``bench/bench_spill.py``).
The budget is measured when a connection opens. The SQL console's database takes half of the engine's
limit on top (:data:`workbench.console_db.CONSOLE_MEMORY_SHARE`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MEMORY_SHARE = 0.5
MIN_LIMIT_BYTES = 128 * 1024**2
FALLBACK_AVAILABLE_BYTES = 4 * 1024**3  # psutil missing or /proc unreadable: assume a small laptop
_UNLIMITED = 1 << 60  # cgroup v1 writes "no limit" as a huge page-aligned number


@dataclass(frozen=True)
class MemoryBudget:
    """What the limit was derived from (bytes), so a reviewer can see why it is what it is."""

    available: int
    cgroup_limit: int | None = None
    cgroup_headroom: int | None = None
    cgroup_file: str | None = None
    claimed_by_others: int = 0  # what other Workbench processes may still grow into (workbench.memory_claims)

    @property
    def budget(self) -> int:
        free = self.available if self.cgroup_headroom is None else min(self.available, self.cgroup_headroom)
        return max(free - self.claimed_by_others, 0)

    def limit_bytes(self, share: float = DEFAULT_MEMORY_SHARE) -> int:
        share = min(max(share, 0.05), 0.95)
        return max(int(self.budget * share), MIN_LIMIT_BYTES)

    def describe(self, share: float = DEFAULT_MEMORY_SHARE) -> str:
        text = f"{share:.0%} of {_gib(self.budget)} ({_gib(self.available)} available"
        if self.cgroup_limit is not None:
            text += (
                f"; cgroup limit {_gib(self.cgroup_limit)}, {_gib(self.cgroup_headroom or 0)} free, {self.cgroup_file}"
            )
        if self.claimed_by_others:
            text += f"; {_gib(self.claimed_by_others)} promised to other Workbench processes"
        return text + ")"


def _gib(n: int) -> str:
    return f"{n / 1024**3:.1f} GiB"


def _meminfo_available(meminfo: str | Path = "/proc/meminfo") -> int | None:
    """Linux's own estimate (what psutil reports there), read without importing psutil at start-up."""
    try:
        for line in Path(meminfo).read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024  # in kB
    except (OSError, ValueError, IndexError):
        pass
    return None


def available_memory_bytes() -> int:
    found = _meminfo_available()
    if found is not None:
        return found
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:
        return FALLBACK_AVAILABLE_BYTES


def measure(
    proc_cgroup: str | Path = "/proc/self/cgroup",
    cgroup_root: str | Path = "/sys/fs/cgroup",
    available: int | None = None,
    claims_dir: str | Path | None = None,
) -> MemoryBudget:
    """The memory budget of this process (paths are parameters so tests can point at fake trees)."""
    from workbench.memory_claims import unused_claims_of_others

    avail = available_memory_bytes() if available is None else available
    claimed = unused_claims_of_others(claims_dir)
    found = cgroup_headroom(proc_cgroup, cgroup_root)
    if found is None:
        return MemoryBudget(available=avail, claimed_by_others=claimed)
    limit, headroom, where = found
    return MemoryBudget(
        available=avail, cgroup_limit=limit, cgroup_headroom=headroom, cgroup_file=where, claimed_by_others=claimed
    )


_UNITS = {
    "": 1,
    "B": 1,
    "BYTES": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "TB": 1000**4,
    "KIB": 1024,
    "MIB": 1024**2,
    "GIB": 1024**3,
    "TIB": 1024**4,
}


def parse_size(text: str) -> int:
    """A DuckDB size ("4GB", "512MiB", DuckDB's own "10.2 GiB") in bytes.

    Raises
    ------
    ValueError when ``text`` is not a size.
    """
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]*)?)\s*([A-Za-z]*)\s*", str(text))
    if not match or match.group(2).upper() not in _UNITS:
        raise ValueError(f"not a size: {text!r}")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def cgroup_headroom(
    proc_cgroup: str | Path = "/proc/self/cgroup", cgroup_root: str | Path = "/sys/fs/cgroup"
) -> tuple[int, int, str] | None:
    """(limit, limit - usage, limit file) of the tightest cgroup memory limit above this process, or None.

    A parent's limit binds its children too, so every level from the process's own group up to the root of
    the mount is checked. Inside a container the group path in ``/proc/self/cgroup`` may not exist under
    the mount (cgroup namespaces show the container's group as the root), hence the walk up.
    """
    try:
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        return None
    root = Path(cgroup_root)
    candidates: list[tuple[Path, str, str]] = []  # (mount, group path, version)
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _hierarchy, controllers, group = parts
        if controllers == "":
            candidates += [(root, group, "v2"), (root / "unified", group, "v2")]
        elif "memory" in controllers.split(","):
            candidates.append((root / "memory", group, "v1"))
    best: tuple[int, int, str] | None = None
    for mount, group, version in candidates:
        for level in _levels(mount, group):
            found = _read_level(level, version)
            if found is not None and (best is None or found[1] < best[1]):
                best = found
    return best


def _levels(mount: Path, group: str) -> list[Path]:
    rel = Path(group.strip("/")) if group.strip("/") else Path()
    levels = [mount / rel]
    while rel != Path():
        rel = rel.parent
        levels.append(mount / rel)
    return levels


def _read_level(folder: Path, version: str) -> tuple[int, int, str] | None:
    limit_name, usage_name = (
        ("memory.max", "memory.current") if version == "v2" else ("memory.limit_in_bytes", "memory.usage_in_bytes")
    )
    limit = _read_int(folder / limit_name)
    if limit is None or limit >= _UNLIMITED:
        return None
    usage = _read_int(folder / usage_name) or 0
    return limit, max(limit - usage, 0), str(folder / limit_name)


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if not text or text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None
