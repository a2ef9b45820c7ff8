"""Workspaces: round trip, relative paths, migrations, bad files, atomic save, recovery, source checks."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import write_parquet
from workbench import atomic_files
from workbench import workspace as wsmod
from workbench.audit import AuditLog, verify
from workbench.cli import main as cli_main
from workbench.fingerprint import FingerprintCancelled
from workbench.workspace import (
    SavedView,
    SourceRecord,
    Workspace,
    WorkspaceError,
    WorkspaceSaveError,
    WorkspaceSettings,
    WorkspaceVersionError,
    find_recovery,
    list_recoveries,
    load,
    save,
    verify_sources,
    write_recovery,
)

DATA = Path(__file__).resolve().parent / "data"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path, catalog):
    """A folder with data/views.parquet opened in the catalog, and a workspace recording it."""
    (tmp_path / "proj" / "data").mkdir(parents=True)
    parquet = write_parquet(
        tmp_path / "proj" / "data" / "views.parquet", "SELECT i AS id, 'c' || (i % 3) AS country FROM range(50) t(i)"
    )
    source = catalog.open(parquet)
    ws = Workspace(name="Review")
    ws.add_source(SourceRecord.from_source(source))
    return tmp_path / "proj", ws


def full_workspace(ws: Workspace) -> Workspace:
    ws.save_view(
        SavedView(
            "daily",
            {"source": "views", "value": "id", "agg": "sum", "filters": [["country", "=", "c1"]]},
            chart={"range": [0, 10], "log_y": True},
            description="by day",
        )
    )
    ws.anomaly_rules.append({"metric": "daily", "detector": "zscore", "threshold": 3.0})
    ws.annotations.append({"time": "2024-01-02T00:00:00", "text": "campaign start ✓"})
    ws.experiments.append({"name": "exp1", "arm": "arm", "metrics": ["metric"], "cuped": True})
    ws.notes = "Line one\nLine two — unicode ok"
    ws.settings = WorkspaceSettings(suppression_k=5, mask_pii=False, suppress_on_screen=True, extra={"theme": "dark"})
    ws.pii = {"views": {"email": {"kind": "email", "masked": True}}}
    ws.extra = {"future_key": [1, 2]}
    return ws


def test_round_trip_every_element(project):
    folder, ws = project
    full_workspace(ws)
    path = save(ws, folder / "review.wbk")
    loaded = load(path)
    assert loaded == ws
    assert loaded.path == path and loaded.source("views").sha256 == ws.sources[0].files[0].sha256
    assert loaded.view("daily").chart == {"range": [0, 10], "log_y": True}


def test_paths_are_relative_and_survive_moving_the_folder(project, tmp_path):
    folder, ws = project
    save(ws, folder / "review.wbk")
    doc = json.loads((folder / "review.wbk").read_text())
    assert doc["schema_version"] == wsmod.SCHEMA_VERSION
    assert doc["sources"][0]["files"][0]["path"] == "data/views.parquet"
    assert doc["sources"][0]["location"] == "data/views.parquet"
    moved = shutil.move(str(folder), str(tmp_path / "elsewhere"))
    loaded = load(Path(moved) / "review.wbk")
    assert loaded.sources[0].files[0].path == str(Path(moved) / "data" / "views.parquet")
    assert [c.status for c in verify_sources(loaded)] == ["ok"]


def test_save_adds_suffix_and_names_workspace(tmp_path):
    ws = Workspace()
    path = save(ws, tmp_path / "analysis")
    assert path.name == "analysis.wbk" and ws.name == "analysis"


def test_migrates_stored_v1_file_without_rewriting_it():
    fixture = DATA / "workspace_v1.wbk"
    before = fixture.read_bytes()
    ws = load(fixture)
    assert fixture.read_bytes() == before
    assert ws.name == "Fraud review (v1)"
    assert ws.notes == "Spike on 2 Jan is the BR campaign.\nChecked with the data owner."
    assert ws.settings.suppression_k == 5
    assert ws.views[0].name == "daily views" and ws.views[0].spec["agg"] == "sum"
    assert ws.views[0].chart == {"log_y": False}
    src = ws.source("views_v1")
    assert src.kind == "csv" and src.row_count == 3
    assert [c["name"] for c in src.columns] == ["day", "country", "views"]
    assert src.files[0].path == str(DATA / "views_v1.csv")
    assert [c.status for c in verify_sources(ws)] == ["ok"]
    assert ws.modified == "2026-06-01T09:30:00+00:00"


def test_migrated_file_saves_as_current_version(tmp_path):
    shutil.copy(DATA / "workspace_v1.wbk", tmp_path / "old.wbk")
    shutil.copy(DATA / "views_v1.csv", tmp_path / "views_v1.csv")
    ws = load(tmp_path / "old.wbk")
    save(ws)
    assert json.loads((tmp_path / "old.wbk").read_text())["schema_version"] == wsmod.SCHEMA_VERSION
    assert load(tmp_path / "old.wbk") == ws


def test_every_migration_step_is_registered():
    assert sorted(wsmod.MIGRATIONS) == list(range(1, wsmod.SCHEMA_VERSION))


def test_newer_version_refused_and_untouched(tmp_path):
    path = tmp_path / "new.wbk"
    path.write_text(json.dumps({"format": "workbench-workspace", "schema_version": 99, "name": "x"}))
    before, mtime = path.read_bytes(), path.stat().st_mtime_ns
    with pytest.raises(WorkspaceVersionError, match="newer Workbench.*format 99.*not changed"):
        load(path)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == mtime


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "is empty"),
        (b'{"format": "workbench-workspace", "schema_version": 2, "name": "x", "sour', "truncated"),
        (b'{"format": "workbench-workspace", "schema_version": 2,, "name": "x"}', "damaged or hand-edited"),
        (b"[1, 2]", "not a Workbench workspace"),
        (b'{"hello": 1}', "not a Workbench workspace"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b'{"format": "workbench-workspace", "schema_version": "two"}', "schema_version must be"),
        (b'{"format": "workbench-workspace", "schema_version": 2, "sources": {"a": 1}}', "sources must be a list"),
        (
            b'{"format": "workbench-workspace", "schema_version": 2, "sources": [{"name": "a", "files": '
            b'[{"path": "x", "size": 1, "sha256": "nothex"}]}]}',
            r"sources\[0\].files\[0\].sha256 is not a SHA-256",
        ),
        (
            b'{"format": "workbench-workspace", "schema_version": 2, "sources": [], "settings": {"suppression_k": 0}}',
            "suppression_k must be",
        ),
        (b'{"format": "workbench-workspace", "schema_version": 1, "sources": [{"nope": 1}]}', "cannot upgrade"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.wbk"
    path.write_bytes(content)
    with pytest.raises(WorkspaceError, match=message):
        load(path)


def test_missing_file(tmp_path):
    with pytest.raises(WorkspaceError, match="no such workspace file"):
        load(tmp_path / "none.wbk")


def test_truncated_real_file(project):
    folder, ws = project
    full_workspace(ws)
    path = save(ws, folder / "r.wbk")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(WorkspaceError, match="truncated"):
        load(path)


def test_full_disk_during_save_keeps_old_file(project, monkeypatch):
    folder, ws = project
    path = save(ws, folder / "r.wbk")
    before = path.read_bytes()

    def half_then_enospc(fh, data):
        fh.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic_files, "_write_all", half_then_enospc)
    full_workspace(ws)
    with pytest.raises(WorkspaceSaveError, match="disk is full.*previous version.*unchanged"):
        save(ws)
    assert path.read_bytes() == before
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
    monkeypatch.undo()
    assert load(path).notes == ""  # the old content


def test_failing_replace_keeps_old_file(project, monkeypatch):
    folder, ws = project
    path = save(ws, folder / "r.wbk")
    before = path.read_bytes()
    monkeypatch.setattr(atomic_files.os, "replace", lambda *a: (_ for _ in ()).throw(OSError(errno.EACCES, "denied")))
    with pytest.raises(WorkspaceSaveError, match="permission denied"):
        save(ws)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


def test_unserialisable_content_is_refused(tmp_path):
    ws = Workspace()
    ws.views.append(SavedView("bad", {"x": float("nan")}))
    with pytest.raises(WorkspaceSaveError, match="cannot be stored"):
        save(ws, tmp_path / "x.wbk")
    assert not (tmp_path / "x.wbk").exists()


def test_save_records_audit_head(project):
    folder, ws = project
    log = AuditLog(folder / "r.wbk.audit.jsonl", user="u", version="v")
    log.query_run("SELECT 1")
    save(ws, folder / "r.wbk", audit=log)
    loaded = load(folder / "r.wbk")
    assert loaded.audit_head == log.head().to_dict() and loaded.audit_head["count"] == 3  # key entry, query, save
    assert loaded.audit_path == folder / "r.wbk.audit.jsonl"
    assert verify(log.path, expected_head=loaded.audit_head).ok
    assert cli_main(["audit", "verify", str(log.path), "--workspace", str(folder / "r.wbk")]) == 0


# --- sources ---------------------------------------------------------------------------------------------


def test_changed_source_is_reported(project):
    folder, ws = project
    save(ws, folder / "r.wbk")
    write_parquet(folder / "data" / "views.parquet", "SELECT 1 AS id")
    checks = verify_sources(load(folder / "r.wbk"))
    assert [c.status for c in checks] == ["changed"]
    assert checks[0].message.startswith("views.parquet changed since this workspace was saved")


def test_missing_source_is_reported(project):
    folder, ws = project
    save(ws, folder / "r.wbk")
    os.remove(folder / "data" / "views.parquet")
    checks = verify_sources(load(folder / "r.wbk"))
    assert [c.status for c in checks] == ["missing"] and "views.parquet is missing" in checks[0].message
    assert wsmod.sources_summary(checks) == checks[0].message


def test_moved_source_found_beside_workspace(project):
    folder, ws = project
    save(ws, folder / "r.wbk")
    shutil.move(folder / "data" / "views.parquet", folder / "views.parquet")
    loaded = load(folder / "r.wbk")
    checks = verify_sources(loaded)
    assert [c.status for c in checks] == ["moved"] and checks[0].found_path == str(folder / "views.parquet")
    assert wsmod.apply_moves(loaded, checks) == 1
    assert [c.status for c in verify_sources(loaded)] == ["ok"]


def test_workspace_copied_alone_finds_original_path(project, tmp_path):
    folder, ws = project
    save(ws, folder / "r.wbk")
    (tmp_path / "other").mkdir()
    shutil.copy(folder / "r.wbk", tmp_path / "other" / "r.wbk")
    checks = verify_sources(load(tmp_path / "other" / "r.wbk"))
    assert checks[0].status == "moved" and checks[0].found_path == str(folder / "data" / "views.parquet")


def test_relocate_and_accept(project, tmp_path):
    folder, ws = project
    log = AuditLog(tmp_path / "log.jsonl", user="u", version="v")
    save(ws, folder / "r.wbk")
    shutil.move(folder / "data" / "views.parquet", tmp_path / "copy.parquet")
    loaded = load(folder / "r.wbk")
    assert [c.status for c in wsmod.relocate(loaded, "views", tmp_path / "copy.parquet", audit=log)] == ["ok"]
    write_parquet(tmp_path / "other.parquet", "SELECT 2 AS id")
    checks = wsmod.relocate(loaded, "views", tmp_path / "other.parquet")
    assert [c.status for c in checks] == ["changed"]
    wsmod.accept_current(loaded, "views", checks, audit=log)
    assert [c.status for c in verify_sources(loaded)] == ["ok"]
    assert [e["action"] for e in log.entries()] == ["signing_key", "source_relocated", "source_fingerprint_accepted"]
    with pytest.raises(WorkspaceError, match="no such file"):
        wsmod.relocate(loaded, "views", tmp_path / "nope.parquet")


def test_folder_source_new_file_and_relocate(tmp_path, catalog):
    folder = tmp_path / "parts"
    folder.mkdir()
    write_parquet(folder / "a.parquet", "SELECT 1 AS x")
    write_parquet(folder / "b.parquet", "SELECT 2 AS x")
    ws = Workspace()
    ws.add_source(SourceRecord.from_source(catalog.open(str(folder))))
    assert len(ws.sources[0].files) == 2
    write_parquet(folder / "c.parquet", "SELECT 3 AS x")
    checks = verify_sources(ws)
    assert [c.status for c in checks] == ["ok", "ok", "changed"] and "c.parquet appeared" in checks[2].message
    os.remove(folder / "c.parquet")
    shutil.copytree(folder, tmp_path / "parts2")
    assert [c.status for c in wsmod.relocate(ws, "parts", tmp_path / "parts2")] == ["ok", "ok"]
    assert ws.sources[0].location == str(tmp_path / "parts2")


def test_verify_progress_and_cancel(project):
    folder, ws = project
    seen = []
    verify_sources(ws, progress=lambda d, t: seen.append((d, t)))
    total = ws.sources[0].files[0].size
    assert seen[-1] == (total, total)
    stop = threading.Event()
    stop.set()
    with pytest.raises(FingerprintCancelled):
        verify_sources(ws, cancel=stop)


def test_all_sources_missing_open_reports_each(project, con):
    from workbench.catalog import Catalog

    folder, ws = project
    save(ws, folder / "r.wbk")
    os.remove(folder / "data" / "views.parquet")
    opened, failed = wsmod.open_sources(load(folder / "r.wbk"), Catalog(con))
    assert opened == [] and failed[0][0] == "views" and "no such file" in failed[0][1]


def test_open_sources(project, con):
    from workbench.catalog import Catalog

    folder, ws = project
    opened, failed = wsmod.open_sources(ws, Catalog(con))
    assert failed == [] and opened[0].name == "views" and opened[0].row_count == 50


def test_cli_workspace_check(project, capsys):
    folder, ws = project
    save(ws, folder / "r.wbk")
    assert cli_main(["workspace", "check", str(folder / "r.wbk")]) == 0
    os.remove(folder / "data" / "views.parquet")
    assert cli_main(["workspace", "check", str(folder / "r.wbk")]) == 1
    assert "missing" in capsys.readouterr().out


# --- recovery --------------------------------------------------------------------------------------------


def test_recovery_round_trip(project):
    folder, ws = project
    path = save(ws, folder / "r.wbk")
    assert find_recovery(path) is None
    ws.notes = "unsaved edit"
    rp = write_recovery(ws)
    assert rp == folder / ".r.wbk.recovery"
    assert load(path).notes == ""  # the .wbk is never touched by autosave
    found = find_recovery(path)
    assert found is not None and found.workspace_path == path
    recovered = found.load()
    assert recovered.notes == "unsaved edit" and recovered.path == path and recovered == ws
    save(recovered)
    assert not rp.exists() and find_recovery(path) is None


def test_unchanged_recovery_not_offered(project):
    folder, ws = project
    path = save(ws, folder / "r.wbk")
    write_recovery(ws)
    assert find_recovery(path) is None


def test_untitled_recovery(tmp_path):
    ws = Workspace()
    ws.notes = "never saved"
    rp = write_recovery(ws, recovery_dir=tmp_path / "rec")
    found = list_recoveries(tmp_path / "rec")
    assert [r.path for r in found] == [rp]
    assert found[0].load().notes == "never saved" and found[0].load().path is None
    wsmod.discard_recovery(found[0])
    assert list_recoveries(tmp_path / "rec") == []


CRASHY_SESSION = r"""
import sys
from workbench.workspace import Workspace, save, write_recovery
ws = Workspace(name="crashy")
save(ws, sys.argv[1])
i = 0
while True:  # an editing session that autosaves after every change, until it is killed
    i += 1
    ws.notes = f"edit {i}"
    ws.annotations.append({"n": i})
    write_recovery(ws)
    print(i, flush=True)
"""


@pytest.mark.skipif(os.name != "posix", reason="kill -9 is POSIX")
def test_crash_recovery_after_kill_9(tmp_path):
    path = tmp_path / "crashy.wbk"
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASHY_SESSION, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        last = 0
        for line in proc.stdout:
            last = int(line)
            if last >= 25:
                break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert load(path).notes == ""  # the saved file is intact and old
    found = find_recovery(path)
    assert found is not None
    ws = found.load()
    n = int(ws.notes.split()[1])
    assert n >= last  # nothing that was reported autosaved is lost
    assert [a["n"] for a in ws.annotations] == list(range(1, n + 1))
