"""What the panels contribute to a workspace and how it is put back: each panel's ``state()`` is collected
into ``Workspace.panels`` (:mod:`workbench.panel_state`), and on open each panel's ``restore(state)`` runs
once the Explorer has been handed the workspace's tables (its ``sources_ready`` signal: no polling)."""

from __future__ import annotations

import json
import logging
from typing import Callable

from PySide6.QtCore import QObject

from workbench.panel_state import DashboardState, PanelStates, WindowState, read_panel_states, store_panel_states

log = logging.getLogger(__name__)


class WorkspacePanels(QObject):
    """Collects and restores the panels of ``ctl.window`` (Explorer, Anomalies, Experiments, notes, tab)."""

    def __init__(self, ctl):
        super().__init__(ctl)
        self.ctl = ctl
        self._waiter: Callable[[], None] | None = None  # waits for the Explorer's sources_ready

    # ------------------------------------------------------------------ collect
    def collect(self, ws) -> None:
        """Copy the panels' state into ``ws`` (before saving or autosaving)."""
        ctl = self.ctl
        ws.notes = ctl.notes.text()
        store_panel_states(
            ws,
            PanelStates(
                explorer=ctl.explorer.state() if ctl.explorer is not None else None,
                anomalies=_panel_state(ctl.anomalies),
                experiments=_panel_state(ctl.experiments),
                dashboard=_dashboard_state(ctl.window.panels.get("Dashboard")),
                window=WindowState(current_tab=ctl.window.tabs.tabText(ctl.window.tabs.currentIndex())),
            ),
        )
        if ctl.anomalies is not None:
            ws.annotations = [
                {"x": float(a.x), "label": str(a.label)} for a in getattr(ctl.anomalies, "annotations", [])
            ]
        ws.pii = json.loads(json.dumps(ctl.masker.flags))

    def saved_explorer_key(self, ws) -> str:
        """The saved Explorer state's key: the Explorer showing it again is not an edit."""
        saved = read_panel_states(ws).explorer
        return saved.key() if saved is not None else ""

    # ------------------------------------------------------------------ restore
    def restore_when_explorer_has(self, opened: list) -> None:
        """Restore the panels once the Explorer lists the opened tables (MainWindow hands the panels their
        sources one event-loop turn at a time): on its ``sources_ready`` signal, never by polling."""
        ctl = self.ctl
        self.stop_waiting()
        ws, wanted = ctl.ws, {s.name for s in opened}
        explorer = ctl.explorer
        if explorer is None or explorer.has_tables(wanted):
            self.restore(opened)
            return

        def on_sources_ready():
            if ctl.shut_down or ws is not ctl.ws:
                self.stop_waiting()
            elif explorer.has_tables(wanted & set(ctl.open_names())):  # a table closed meanwhile: not awaited
                self.stop_waiting()
                self.restore(opened)

        self._waiter = on_sources_ready
        explorer.sources_ready.connect(on_sources_ready)

    def stop_waiting(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and self.ctl.explorer is not None:
            try:
                self.ctl.explorer.sources_ready.disconnect(waiter)
            except (RuntimeError, TypeError):  # already gone with the window
                pass

    def restore(self, opened: list) -> None:
        """Put the panels' saved state back, then emit ``ctl.restored``. A panel whose state cannot be
        restored is named in one banner; the others are restored all the same."""
        ctl = self.ctl
        if ctl.shut_down:  # the window closed while its sources were still being opened
            return
        ws = ctl.ws
        states = read_panel_states(ws)
        problems = list(states.problems)
        try:
            if states.explorer is not None and ctl.history is not None and states.explorer.spec.table in ctl.catalog:
                ctl.history.apply(states.explorer, zoom=True)
            if ctl.anomalies is not None:
                _restore_annotations(ctl.anomalies, ws.annotations)
            for panel, saved in ((ctl.anomalies, states.anomalies), (ctl.experiments, states.experiments)):
                if panel is not None and saved is not None:
                    try:
                        panel.restore(saved)
                    except Exception as exc:  # one panel's state must not stop the others
                        log.exception("Could not restore %s", type(panel).__name__)
                        problems.append(str(exc))
            dashboard = ctl.window.panels.get("Dashboard")
            if dashboard is not None and states.dashboard is not None:
                dashboard.restore(states.dashboard.to_dict())  # the panel reads the state as a dict
            tab = states.window.current_tab if states.window is not None else ""
            if tab and tab in ctl.window.panels:
                ctl.window.show_panel(tab)
        except Exception as exc:  # restoring someone else's panel must not leave the workspace half-open
            log.exception("Could not restore the panels")
            problems.append(str(exc))
        finally:
            ctl.session.restoring = False
        if problems:
            ctl.window.show_error(f"Part of the workspace's panel state could not be restored: {'; '.join(problems)}")
        if opened:
            ctl.window.statusBar().showMessage(f"Opened workspace {ws.name}: {len(opened)} source(s)", 8000)
        ctl.restored.emit()


def _panel_state(panel):
    """A panel's state, or None when the panel is missing or cannot say (a save must not fail on it)."""
    if panel is None or not hasattr(panel, "state"):
        return None
    try:
        return panel.state()
    except Exception:
        log.exception("Could not read the state of %s", type(panel).__name__)
        return None


def _dashboard_state(panel) -> DashboardState | None:
    """The Dashboard's state (its panel reports a dict: empty before a metrics file is loaded)."""
    if panel is None or not hasattr(panel, "state"):
        return None
    try:
        doc = panel.state()
        return DashboardState.from_dict({"version": DashboardState.version, **doc}) if doc else None
    except Exception:
        log.exception("Could not read the Dashboard's state")
        return None


def _restore_annotations(panel, items: list[dict]) -> None:
    from widgets.anomaly_overlay import Annotation

    panel.set_annotations(
        [Annotation(float(a["x"]), str(a.get("label", ""))) for a in items if isinstance(a, dict) and "x" in a]
    )
