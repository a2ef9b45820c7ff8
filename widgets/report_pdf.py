"""PDF of an evidence report, printed with Qt (the engine stays Qt-free, so this lives in widgets/).

QTextDocument renders the same HTML that :func:`workbench.report.render_html` produces (a subset of CSS
applies: tables, headings and images come out; grid layout and colours of some elements do not). Embedded
``data:image/png;base64`` images are handed to the document as resources, since QTextDocument does not load
data URLs itself.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

from PySide6.QtCore import QMarginsF, QSizeF, QUrl
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPdfWriter, QTextDocument

_DATA_IMG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')


def html_to_pdf(html: str, path: str | os.PathLike, *, title: str = "Evidence report") -> Path:
    """Write ``html`` (a Workbench evidence report) to a PDF file (A4, 15 mm margins); returns the path."""
    target = Path(path)
    doc = QTextDocument()
    images: list[tuple[str, QImage]] = []

    def to_resource(match: re.Match) -> str:
        name = f"wbimg{len(images)}.png"
        image = QImage.fromData(base64.b64decode(match.group(1)), "PNG")
        images.append((name, image))
        return f'src="{name}"'

    html = _DATA_IMG.sub(to_resource, html)
    for name, image in images:
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
    doc.setHtml(html)
    writer = QPdfWriter(str(target))
    writer.setTitle(title)
    writer.setCreator("Workbench")
    writer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter)
    writer.setResolution(96)
    layout = writer.pageLayout()
    rect = layout.paintRectPixels(writer.resolution())
    doc.setPageSize(QSizeF(rect.width(), rect.height()))
    doc.print_(writer)
    return target


def report_to_pdf(report, path: str | os.PathLike) -> Path:
    """Render a :class:`workbench.report.EvidenceReport` to PDF."""
    from workbench.report import render_html

    return html_to_pdf(render_html(report), path, title=report.title)
