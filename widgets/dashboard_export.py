"""Export the board as PDF, HTML or PNG, stamped and audited as the other evidence exports are.

HTML and PDF carry the sources' SHA-256, the app version, the user, the time and a signed audit checkpoint;
leaderboard, table and pivot cells from fewer than k rows are withheld and personal-data-looking dimension
values are masked (``workbench.dashboard.html_render``). PNG is the board as on screen. Every export is an
``export_written`` audit entry with the file's SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

DEFAULT_K = 10


def export_board_dialog(panel, fmt: str) -> None:
    if not panel.tiles or any(t is None for t in panel.tiles):
        panel.error_occurred.emit("The board is still being computed: export it once every tile is drawn")
        return
    name = (panel.board.name if panel.board else "board").replace("/", "-").replace(" ", "_")
    path, _ = QFileDialog.getSaveFileName(
        panel, f"Export the board as {fmt.upper()}", f"{name}.{fmt}", f"{fmt.upper()} (*.{fmt})"
    )
    if path:
        export_board(panel, fmt, path)


def export_board(panel, fmt: str, path: str | Path, on_done=None) -> int | None:
    """Write the board to ``path``; fingerprints are computed on a worker, the file written on the GUI thread."""
    path = Path(path)
    if fmt == "png":
        panel.grid_host.grab().save(str(path), "PNG")
        _audit(panel, path, fmt)
        if on_done:
            on_done(path)
        return None
    from workbench.cli.outputs import source_stamps

    plan = panel.plan
    sources = [panel.catalog.get(scan.table) for scan in plan.scans if scan.table in panel.catalog]
    sources = list({s.name: s for s in sources}.values())
    board = {
        "dashboard": panel.board.name,
        **plan.window.to_dict(),
        "tiles": list(panel.tiles),
        "notes": list(plan.notes) + [f"cross-filter {f.label}" for f in panel.cross_filters],
    }
    return panel.runner.submit(
        "dashboard:export",
        lambda ctx: source_stamps(sources),
        on_done=lambda stamps: _write(panel, fmt, path, board, stamps, on_done),
        on_error=panel.error_occurred.emit,
    )


def _write(panel, fmt: str, path: Path, board: dict, stamps: list[dict], on_done) -> None:
    from workbench.audit import app_version
    from workbench.dashboard.html_render import render_board_html

    audit = _audit_log(panel)
    stamp = {
        "sources": stamps,
        "app_version": app_version(),
        "user": getattr(audit, "user", ""),
        "generated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "audit_checkpoint": _checkpoint(audit),
    }
    page = render_board_html(board, stamp=stamp, k=_suppression_k(panel))
    try:
        if fmt == "html":
            path.write_text(page, encoding="utf-8")
        else:
            from widgets.report_pdf import html_to_pdf

            html_to_pdf(page, path, title=board["dashboard"], header=board["dashboard"])
    except OSError as exc:
        panel.error_occurred.emit(f"Cannot write {path}: {exc.strerror or exc}")
        return
    _audit(panel, path, fmt, sources=[s["name"] for s in stamps])
    if on_done:
        on_done(path)


def _suppression_k(panel) -> int | None:
    """The workspace's small-cell threshold (None: suppression off), else the default."""
    controller = getattr(panel.window(), "workspace", None)
    ws = getattr(controller, "ws", None)
    settings = getattr(ws, "settings", None)
    return settings.suppression_k if settings is not None else DEFAULT_K


def _audit_log(panel):
    window = panel.window()
    controller = getattr(window, "workspace", None)
    return getattr(controller, "audit", None)


def _checkpoint(audit):
    if audit is None:
        return None
    try:
        return audit.checkpoint()
    except Exception:  # an unsigned or unwritable log: the export still says who and when
        return None


def _audit(panel, path: Path, fmt: str, sources=None) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    panel.audit_event.emit(
        "export_written",
        {
            "path": str(path.resolve()),
            "format": fmt,
            "sha256": digest,
            "description": {"dashboard": panel.board.name, "cross_filters": [f.label for f in panel.cross_filters]},
            "sources": sources or [],
        },
    )
    panel.status_message.emit(f"Exported {path.name} (sha256 {digest[:12]}…)")
