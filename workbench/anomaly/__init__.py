"""Anomaly detection, incidents, root cause, impact sizing and alert rules (Qt-free engine code)."""

from workbench.anomaly.detect import Detection, detect, detect_frame, detect_series
from workbench.anomaly.incidents import Incident
from workbench.anomaly.params import DetectorParams, METHODS
from workbench.anomaly.prepare import Panel, build_panel, panel_from_frame

__all__ = [
    "Detection",
    "DetectorParams",
    "Incident",
    "METHODS",
    "Panel",
    "build_panel",
    "detect",
    "detect_frame",
    "detect_series",
    "panel_from_frame",
]
