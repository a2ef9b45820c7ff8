"""Middle elision for long labels in item views: ``country=BR & … & surface=feed`` keeps both ends.

Segment labels of a root cause differ mostly at their ends ("country=BR & platform=android & …" twice
reads the same), so the middle is what can go. The style's own elision is not applied reliably to text
with spaces and ampersands, so the delegate elides the text itself before the style draws it; the full
label stays in the tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyledItemDelegate

PADDING = 10  # the style's left and right text margins together


class MiddleElideDelegate(QStyledItemDelegate):
    def initStyleOption(self, option, index) -> None:  # noqa: N802 (Qt naming)
        super().initStyleOption(option, index)
        option.text = elide_middle(option.fontMetrics, option.text, option.rect.width() - PADDING)


def elide_middle(metrics, text: str, width: int) -> str:
    """``text`` shortened in the middle to fit ``width`` pixels (unchanged when it fits)."""
    if not text or width <= 0 or metrics.horizontalAdvance(text) <= width:
        return text
    return metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, width)
