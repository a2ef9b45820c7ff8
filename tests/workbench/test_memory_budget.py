"""DuckDB's memory limit follows the memory really free here: available RAM and cgroup limits (fake trees)."""

from __future__ import annotations

import pytest

from workbench.engine import EngineSettings, connect, engine_info, resolved_memory_limit
from workbench.memory_budget import MIN_LIMIT_BYTES, cgroup_headroom, measure

GIB = 1024**3


def _tree(tmp_path, proc_lines, files):
    proc = tmp_path / "proc_self_cgroup"
    proc.write_text("\n".join(proc_lines) + "\n")
    root = tmp_path / "cgroup"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return proc, root


def test_cgroup_v2_limit_and_usage_bound_the_budget(tmp_path):
    proc, root = _tree(
        tmp_path,
        ["0::/user.slice/app.scope"],
        {
            "user.slice/app.scope/memory.max": str(2 * GIB),
            "user.slice/app.scope/memory.current": str(GIB // 2),
        },
    )
    budget = measure(proc, root, available=20 * GIB, claims_dir=tmp_path)
    assert budget.cgroup_limit == 2 * GIB
    assert budget.budget == GIB + GIB // 2
    assert budget.limit_bytes() == (GIB + GIB // 2) // 2  # the documented half
    assert "memory.max" in budget.describe()


def test_cgroup_v2_max_defers_to_a_limited_parent(tmp_path):
    proc, root = _tree(
        tmp_path,
        ["0::/kubepods/pod1/ctr"],
        {
            "kubepods/pod1/ctr/memory.max": "max",
            "kubepods/pod1/ctr/memory.current": str(GIB),
            "kubepods/pod1/memory.max": str(3 * GIB),
            "kubepods/pod1/memory.current": str(GIB),
        },
    )
    assert cgroup_headroom(proc, root)[:2] == (3 * GIB, 2 * GIB)


def test_cgroup_v2_in_a_namespace_reads_the_mount_root(tmp_path):
    # Inside a container /proc/self/cgroup names a host path that does not exist under the mount.
    proc, root = _tree(tmp_path, ["0::/docker/abc123"], {"memory.max": str(GIB), "memory.current": "0"})
    assert cgroup_headroom(proc, root)[:2] == (GIB, GIB)


def test_cgroup_v1_limit_in_bytes(tmp_path):
    proc, root = _tree(
        tmp_path,
        ["4:memory:/process_api/x", "3:cpu,cpuacct:/", "0::/"],
        {
            "memory/process_api/x/memory.limit_in_bytes": str(4 * GIB),
            "memory/process_api/x/memory.usage_in_bytes": str(GIB),
            "memory/memory.limit_in_bytes": "9223372036854771712",  # v1's "unlimited"
        },
    )
    budget = measure(proc, root, available=32 * GIB, claims_dir=tmp_path)
    assert budget.cgroup_limit == 4 * GIB and budget.budget == 3 * GIB


def test_unlimited_or_missing_cgroups_fall_back_to_available_memory(tmp_path):
    proc, root = _tree(
        tmp_path, ["4:memory:/", "0::/"], {"memory/memory.limit_in_bytes": "9223372036854771712", "memory.max": "max"}
    )
    budget = measure(proc, root, available=6 * GIB, claims_dir=tmp_path)
    assert budget.cgroup_limit is None and budget.budget == 6 * GIB
    assert measure(tmp_path / "no-such-file", root, available=6 * GIB, claims_dir=tmp_path).budget == 6 * GIB


def test_available_memory_wins_when_smaller_and_the_floor_holds(tmp_path):
    proc, root = _tree(tmp_path, ["0::/"], {"memory.max": str(8 * GIB), "memory.current": "0"})
    assert measure(proc, root, available=2 * GIB, claims_dir=tmp_path).budget == 2 * GIB
    assert measure(proc, root, available=10 * 1024**2, claims_dir=tmp_path).limit_bytes() == MIN_LIMIT_BYTES


def test_connect_uses_the_budget_not_half_of_physical_ram(tmp_path, monkeypatch):
    import workbench.memory_budget as mb

    monkeypatch.setattr(mb, "available_memory_bytes", lambda: 3 * GIB)
    monkeypatch.setattr(mb, "cgroup_headroom", lambda *a, **k: (GIB, GIB, "fake/memory.max"))
    monkeypatch.setattr("workbench.memory_claims.default_claims_dir", lambda: tmp_path / "claims")
    assert resolved_memory_limit(EngineSettings()) == "512MiB"
    con = connect(EngineSettings(temp_directory=str(tmp_path)))
    try:
        assert engine_info(con)["memory_limit"] == "512.0 MiB"
    finally:
        con.close()


@pytest.mark.parametrize("share, expected", [(0.25, 256), (0.01, 128)])  # clamped to at least 5%, and the floor
def test_share_is_applied_and_clamped(tmp_path, monkeypatch, share, expected):
    import workbench.memory_budget as mb

    monkeypatch.setattr(mb, "available_memory_bytes", lambda: GIB)
    monkeypatch.setattr(mb, "cgroup_headroom", lambda *a, **k: None)
    monkeypatch.setattr("workbench.memory_claims.default_claims_dir", lambda: tmp_path / "claims")
    assert resolved_memory_limit(EngineSettings(memory_share=share)) == f"{expected}MiB"


def _live_child():
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def test_memory_promised_to_other_live_processes_is_not_offered_again(tmp_path):
    import subprocess
    import sys

    from workbench.memory_claims import record_claim

    proc, root = _tree(tmp_path, ["0::/"], {})
    claims = tmp_path / "claims"
    alive = _live_child()
    try:
        claims.mkdir()
        (claims / f"{alive.pid}.claim").write_text(str(8 * GIB))  # idle: nearly all of it still to come
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        (claims / f"{dead.pid}.claim").write_text(str(8 * GIB))
        record_claim(4 * GIB, claims)  # this process's own claim never counts against itself
        budget = measure(proc, root, available=20 * GIB, claims_dir=claims)
        assert 12 * GIB <= budget.budget < 12 * GIB + 100 * 1024**2  # 20 - (8 - the child's RSS)
        assert "promised to other Workbench processes" in budget.describe()
        assert not (claims / f"{dead.pid}.claim").exists()  # a dead process's claim is dropped
    finally:
        alive.kill()
        alive.wait()


def test_a_crowd_started_one_after_another_stays_within_free_memory(tmp_path, monkeypatch):
    # Each new process sees the others' claims: limits halve, and their sum stays below the free memory.
    import workbench.memory_claims as mc

    proc, root = _tree(tmp_path, ["0::/"], {})
    claims = tmp_path / "claims"
    claims.mkdir()
    monkeypatch.setattr(mc, "_rss", lambda pid: 0)
    children = [_live_child() for _ in range(6)]
    try:
        limits = []
        for child in children:
            limit = measure(proc, root, available=20 * GIB, claims_dir=claims).limit_bytes()
            (claims / f"{child.pid}.claim").write_text(str(limit))
            limits.append(limit)
        assert limits[0] == 10 * GIB and limits[1] == 5 * GIB and limits[2] == 5 * GIB // 2
        assert sum(limits) < 20 * GIB
    finally:
        for child in children:
            child.kill()
            child.wait()


def test_record_claim_keeps_the_largest_limit(tmp_path):
    import os

    from workbench.memory_claims import record_claim

    record_claim(2 * GIB, tmp_path)
    record_claim(GIB, tmp_path)
    assert (tmp_path / f"{os.getpid()}.claim").read_text() == str(2 * GIB)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("4GB", 4 * 1000**3),
        ("512MiB", 512 * 1024**2),
        ("10.2 GiB", int(10.2 * GIB)),
        ("97.6 KiB", int(97.6 * 1024)),
        ("1000", 1000),
    ],
)
def test_sizes_as_duckdb_writes_them(text, expected):
    from workbench.memory_budget import parse_size

    assert parse_size(text) == expected


def test_not_a_size():
    from workbench.memory_budget import parse_size

    with pytest.raises(ValueError):
        parse_size("lots")


def test_available_memory_is_read_from_meminfo_like_psutil(tmp_path):
    """Linux's MemAvailable, read directly (no psutil import at start-up), is the number psutil reports."""
    import sys

    from workbench import memory_budget

    fake = tmp_path / "meminfo"
    fake.write_text("MemTotal:       16000000 kB\nMemFree:  100 kB\nMemAvailable:    8000000 kB\n")
    assert memory_budget._meminfo_available(fake) == 8_000_000 * 1024
    assert memory_budget._meminfo_available(tmp_path / "missing") is None
    if sys.platform.startswith("linux"):
        import psutil

        assert abs(memory_budget.available_memory_bytes() - psutil.virtual_memory().available) < 256 * 1024**2
