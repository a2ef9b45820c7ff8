"""A workspace's sources in the app: re-checking their fingerprints when it opens, opening the ones found,
the Workspace sources window (locate a moved file, accept a changed one), and fingerprinting, logging and
scanning for personal data the files the user opens. Hashing and opening run on ``ctl.runner``."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from workbench import workspace as wsm
from workbench.errors import WorkbenchError
from workbench.session import problems_of
from widgets.source_check_dialog import SourceCheckDialog

WORKSPACE_KEYS = ("workspace.verify", "workspace.open", "workspace.relocate")


def hashing_progress(ctx):
    """Hashing reports (bytes done, bytes total): the task's progress. Its cancel is ``ctx.cancelled``, so
    Esc, a superseding request or a replaced workspace stop the hashing, not only drop its result."""
    return lambda done, total: ctx.progress(done / total) if total else None


class WorkspaceSources(QObject):
    """Opens ``ctl.ws``'s sources and keeps it in step with the catalog (``ctl.session.checks``)."""

    def __init__(self, ctl):
        super().__init__(ctl)
        self.ctl = ctl
        self.dialog: SourceCheckDialog | None = None
        self._catalog_names: set[str] = set(ctl.open_names())

    def connect(self) -> None:
        ctl = self.ctl
        ctl.runner.result_ready.connect(self._on_runner_result_ready)
        ctl.runner.failed.connect(self._on_runner_failed)
        ctl.runner.cancelled.connect(self._on_runner_cancelled)
        ctl.window.source_opened.connect(self._on_window_source_opened)
        ctl.window.sources_changed.connect(self._on_window_sources_changed)

    def close_all(self) -> None:
        """Before another workspace becomes current: stop the previous one's checks, opens and fingerprints,
        then close the tables (a late open can then neither deliver nor add a table to the new catalog)."""
        ctl = self.ctl
        ctl.runner.discard("workspace.", "fingerprint:")
        for name in ctl.open_names():
            ctl.catalog.close(name)
        self._catalog_names = set()
        ctl.window._sources_changed()  # noqa: SLF001 — MainWindow's own "catalog changed" broadcast

    # ------------------------------------------------------------------ on open
    def start_check(self) -> int:
        ws = self.ctl.ws
        self.ctl.window.statusBar().showMessage(f"Checking the fingerprints of {len(ws.sources)} source(s)…")
        return self.ctl.runner.submit(
            "workspace.verify", lambda ctx: (ws, wsm.verify_sources(ws, hashing_progress(ctx), ctx.cancelled))
        )

    def _on_sources_verified(self, ws, checks: list) -> None:
        ctl = self.ctl
        if ws is not ctl.ws:
            return  # another workspace was opened meanwhile
        moved = wsm.apply_moves(ws, checks)
        ctl.session.checks = checks
        if moved:
            ctl.mark_changed("moved sources")
        ctl.sources_checked.emit(checks)
        self._report_checks(checks)
        records = ctl.session.present_records(ws, checks)
        ctl.window.statusBar().showMessage(f"Opening {len(records)} source(s)…")
        ctl.runner.submit("workspace.open", lambda ctx: (ws, self._open_records(ctx, records)))

    def _open_records(self, ctx, records):
        """Worker side: open recorded sources on the task's cursor (a cancelled task adds no table)."""
        return self.ctl.session.open_records(
            self.ctl.catalog, records, cursor=ctx.cursor, cancelled=ctx.cancelled, check=ctx.check
        )

    def _report_checks(self, checks) -> None:
        window = self.ctl.window
        serious, moved = problems_of(checks)
        if serious:
            lines = wsm.sources_summary(serious).splitlines()
            text = lines[0] + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else "")
            window.banner.show_message(
                text + " — see the Workspace sources window to locate or accept them.", "warning"
            )
            self.show_dialog()
        elif moved:
            window.banner.show_message(
                f"{len(moved)} source file(s) had moved and were found by their fingerprint: "
                + "; ".join(c.message for c in moved[:2]),
                "info",
            )
        else:
            window.statusBar().showMessage("All sources unchanged since the workspace was saved", 8000)

    def show_dialog(self) -> SourceCheckDialog:
        if self.dialog is None:
            self.dialog = SourceCheckDialog(self.ctl.window)
            self.dialog.relocate_requested.connect(self._on_dialog_relocate)
            self.dialog.accept_requested.connect(self.accept_source)
        self.dialog.set_checks(self.ctl.session.checks)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def _on_sources_opened(self, ws, opened: list, failed: list) -> None:
        ctl = self.ctl
        if ws is not ctl.ws:
            return
        self._after_sources_opened(opened)
        banner = ctl.window.banner
        if not failed and banner.isVisible() and banner.level == "error":
            banner.hide()  # an earlier failure does not describe the workspace that just opened cleanly
        for name, message in failed:
            ctl.window.show_error(f"{name} could not be opened: {message}")
        ctl.panel_states.restore_when_explorer_has(opened)

    def _after_sources_opened(self, opened: list) -> None:
        """Catalog changed: tell the panels, log each source with its current digests, look for PII."""
        ctl = self.ctl
        self._catalog_names |= {s.name for s in opened}
        ctl.window._sources_changed()  # noqa: SLF001
        for source in opened:
            files = ctl.session.opened_files(source.name)
            if files is None:
                continue
            ctl.audit.source_opened(source.name, files=files, row_count=source.row_count)
            ctl.masker.flag_by_name(source)
            ctl.privacy.detect_pii(source)
        ctl.refresh_audit()

    # ------------------------------------------------------------------ relocate / accept
    def _on_dialog_relocate(self, name: str) -> None:
        record = self.ctl.ws.source(name)
        path = self.ctl.ask_relocate(name, len(record.files) > 1)
        if path:
            self.relocate(name, path)

    def relocate(self, name: str, new_location: str | Path) -> int:
        """Point a source at a new file/folder, re-check it (background) and open it when found."""
        ws, audit = self.ctl.ws, self.ctl.audit
        return self.ctl.runner.submit(
            "workspace.relocate",
            lambda ctx: (
                ws,
                name,
                wsm.relocate(ws, name, new_location, hashing_progress(ctx), ctx.cancelled, audit=audit),
            ),
        )

    def _on_source_relocated(self, ws, name: str, checks: list) -> None:
        ctl = self.ctl
        if ws is not ctl.ws:
            return
        ctl.session.checks_relocated(name, checks)
        ctl.mark_changed("relocated")
        ctl.sources_checked.emit(ctl.session.checks)
        if self.dialog is not None:
            self.dialog.set_checks(ctl.session.checks)
        bad = [c for c in checks if c.status != wsm.OK]
        if bad:
            ctl.window.banner.show_message(wsm.sources_summary(bad).splitlines()[0], "warning")
        else:
            ctl.window.banner.show_message(f"{name} found: fingerprints match", "info")
        if not any(c.status == wsm.MISSING for c in checks):
            self._reopen(name)
        ctl.refresh_audit()

    def _reopen(self, name: str) -> None:
        ctl = self.ctl
        if name in ctl.catalog:
            ctl.catalog.close(name)
        record = ctl.ws.source(name)
        ctl.runner.submit(f"workspace.reopen:{name}", lambda ctx: self._open_records(ctx, [record]))

    def accept_source(self, name: str) -> None:
        """Adopt a changed source's current fingerprint (a deliberate decision, logged)."""
        ctl = self.ctl
        try:
            ctl.session.accept_source(name)
        except WorkbenchError as exc:
            ctl.window.show_error(str(exc))
            return
        if self.dialog is not None:
            self.dialog.set_checks(ctl.session.checks)
        ctl.mark_changed("accepted")
        ctl.refresh_audit()

    # ------------------------------------------------------------------ sources opened or closed by the user
    def _on_window_source_opened(self, source) -> None:
        """A file the user opened: fingerprint it (background), log it, look for personal data."""
        ctl = self.ctl
        name = source.name
        if _on_spark(ctl.catalog):
            # The cluster holds the files: they cannot be hashed here. What was opened is logged instead.
            ctl.audit.append_later(
                "source_opened",
                source=name,
                location=source.location,
                on="spark",
                rows=source.row_count,
                columns=len(source.columns),
            )
            ctl.masker.flag_by_name(source)
            ctl.privacy.detect_pii(source)
            return
        self._catalog_names.add(name)
        ctl.session.pending_fingerprints.add(name)
        ctl.runner.submit(
            f"fingerprint:{name}",
            lambda ctx: wsm.SourceRecord.from_source(source, hashing_progress(ctx), ctx.cancelled),
        )
        ctl.masker.flag_by_name(source)
        ctl.privacy.detect_pii(source)

    def _on_window_sources_changed(self, sources) -> None:
        ctl = self.ctl
        if _on_spark(ctl.catalog):
            return  # the local tables are only set aside while on Spark: their records stay in the workspace
        names = {s.name for s in sources}
        removed = self._catalog_names - names
        self._catalog_names = names
        if removed and not ctl.session.restoring:
            ctl.session.sources_closed(removed)
            for name in removed:
                ctl.masker.forget(name)
            ctl.mark_changed("closed")

    def _on_fingerprinted(self, name: str, record) -> None:
        ctl = self.ctl
        if ctl.session.fingerprinted(name, record, still_open=name in ctl.catalog):
            ctl.refresh_audit()
            ctl.mark_changed("source")

    # ------------------------------------------------------------------ runner results
    def _on_runner_result_ready(self, request_id: int, key: str, result) -> None:
        ctl = self.ctl
        if key.startswith("fingerprint:"):
            self._on_fingerprinted(key.split(":", 1)[1], result)
        elif key.startswith("pii:"):
            name, findings = result
            if name in ctl.catalog:
                ctl.masker.set_findings(name, findings)
        elif key == "workspace.verify":
            self._on_sources_verified(*result)
        elif key == "workspace.open":
            ws, (opened, failed) = result
            self._on_sources_opened(ws, opened, failed)
        elif key == "workspace.relocate":
            self._on_source_relocated(*result)
        elif key.startswith("workspace.reopen:"):
            opened, failed = result
            self._after_sources_opened(opened)
            for name, message in failed:
                ctl.window.show_error(f"{name} could not be opened: {message}")

    def _on_runner_failed(self, request_id: int, key: str, message: str) -> None:
        ctl = self.ctl
        if key.startswith("fingerprint:"):
            name = key.split(":", 1)[1]
            ctl.session.pending_fingerprints.discard(name)
            ctl.window.show_error(f"Could not fingerprint {name}: {message}")
        elif key.startswith("pii:"):
            ctl.window.statusBar().showMessage(f"Personal-data check failed: {message}", 8000)
        elif key in WORKSPACE_KEYS or key.startswith("workspace.reopen:"):
            ctl.window.show_error(message)
            if key != "workspace.relocate":
                ctl.session.restoring = False

    def _on_runner_cancelled(self, request_id: int, key: str) -> None:
        ctl = self.ctl
        if key.startswith("fingerprint:"):
            ctl.session.pending_fingerprints.discard(key.split(":", 1)[1])
        if key in ("workspace.verify", "workspace.open"):
            ctl.session.restoring = False
            ctl.window.banner.show_message(
                "Checking the workspace's sources was cancelled: their fingerprints were "
                "not verified and they were not opened.",
                "warning",
            )


def _on_spark(catalog) -> bool:
    """Whether the window runs on a Spark cluster (its tables are not the workspace's local sources)."""
    return getattr(catalog.con, "dialect", "duckdb") == "spark"
