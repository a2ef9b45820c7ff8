"""The panels' shared layout: a fixed-width form on the left, results stretching on the right."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget


def form_splitter(panel: QWidget, left: QWidget, right: QWidget, form_width: int) -> QSplitter:
    """Fill ``panel`` with a horizontal splitter of ``left`` (the form) and ``right``; returns the splitter."""
    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(left)
    splitter.addWidget(right)
    splitter.setStretchFactor(0, 0)
    splitter.setStretchFactor(1, 1)
    splitter.setChildrenCollapsible(False)
    splitter.setSizes([form_width, 1000])
    QVBoxLayout(panel).addWidget(splitter)
    return splitter
