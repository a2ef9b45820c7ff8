"""PDF of an evidence report, printed with Qt (the engine stays Qt-free, so this lives in widgets/).

QTextDocument renders the print version of :func:`workbench.report.render_html` (``layout=PrintLayout``:
the same text and cells, with tables wider than an A4 page split into stacked parts that repeat the
identifying columns, long narrow tables flowed side by side, each section on a new page). Pages are painted
one by one so each gets a running header (report title, workspace) and a "Page n of N" footer.
Embedded ``data:image/png;base64`` images are handed to the document as resources (QTextDocument does not
load data URLs itself), scaled to the page width.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

from PySide6.QtCore import QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QPen,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)

_DATA_IMG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')
DPI = 96  # document pixels = PDF device pixels, so CSS px and the images' sizes mean the same on paper
TABLE_PT = 7.0  # the print CSS's table font size (workbench.report_print.PRINT_CSS)
BODY_PT = 9.0
_HEADER_MM = 9.0  # running header / footer bands inside the 14 mm page margins


def _font(pt: float) -> QFont:
    font = QFont()
    font.setPointSizeF(pt)
    return font


def html_to_pdf(
    html: str,
    path: str | os.PathLike,
    *,
    title: str = "Evidence report",
    header: str = "",
    footer: str = "",
    xmp: bytes | None = None,
) -> Path:
    """Write ``html`` to a PDF file (A4 portrait); returns the path.

    Parameters
    ----------
    header : right-hand text of the running header (the title is on the left).
    footer : left-hand text of the footer ("Page n of N" is on the right).
    xmp : the document's XMP metadata packet (the signed audit checkpoint travels in it).
    """
    target = Path(path)
    writer = QPdfWriter(str(target))
    writer.setTitle(title)
    writer.setCreator("Workbench")
    if xmp:
        writer.setDocumentXmpMetadata(xmp)
    writer.setResolution(DPI)
    writer.setPageLayout(_page_layout())
    page = writer.pageLayout().paintRectPixels(DPI)
    band = _HEADER_MM / 25.4 * DPI
    body = QSizeF(page.width(), page.height() - 2 * band)
    doc = _document(html, writer, body.width())
    doc.setPageSize(body)
    _keep_headings_with_next(doc, body)
    pages = doc.pageCount()
    painter = QPainter(writer)
    if not painter.isActive():
        raise OSError(f"Cannot write {target}: the folder does not exist or is read-only")
    try:
        for n in range(pages):
            if n:
                writer.newPage()
            _decorate(painter, page.width(), page.height(), band, title, header, footer, n + 1, pages)
            painter.save()
            painter.translate(0, band - n * body.height())
            doc.drawContents(painter, QRectF(0, n * body.height(), body.width(), body.height()))
            painter.restore()
    finally:
        painter.end()
    return target


def _document(html: str, device, width: float) -> QTextDocument:
    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(device)  # fonts measured at the PDF's resolution, not the screen's
    doc.setDefaultFont(_font(BODY_PT))
    doc.setDocumentMargin(0)
    images: list[tuple[str, QImage]] = []

    def to_resource(match: re.Match) -> str:
        name = f"wbimg{len(images)}.png"
        image = QImage.fromData(base64.b64decode(match.group(1)), "PNG")
        images.append((name, image))
        w = min(float(image.width()), width - 2)
        h = image.height() * w / max(image.width(), 1)
        return f'src="{name}" width="{w:.0f}" height="{h:.0f}"'

    html = _DATA_IMG.sub(to_resource, html)
    for name, image in images:
        doc.addResource(QTextDocument.ResourceType.ImageResource, QUrl(name), image)
    doc.setHtml(html)
    doc.setTextWidth(width)
    return doc


def _keep_headings_with_next(doc: QTextDocument, page: QSizeF, room: float = 90.0, rounds: int = 40) -> bool:
    """Move a heading that would end a page (no room for what it introduces) to the next page.

    QTextDocument knows no "keep with next": after layout, a heading whose bottom lies within ``room``
    pixels of its page's end gets a page break before it, and the rest is laid out again. True when a
    heading was moved.
    """
    layout = doc.documentLayout()
    page_height = page.height()
    start, changed = doc.begin(), False
    for _ in range(rounds):
        block, moved = start, False
        while block.isValid():
            fmt = block.blockFormat()
            if fmt.headingLevel() > 0:
                rect = layout.blockBoundingRect(block)
                top_in_page = rect.top() % page_height
                page_end = (rect.top() // page_height + 1) * page_height
                if top_in_page > room and page_end - rect.bottom() < room:
                    fmt.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
                    QTextCursor(block).setBlockFormat(fmt)
                    start, moved, changed = block.next(), True, True
                    # A full relayout: after an incremental one, later blocks' positions can be stale.
                    doc.setPageSize(QSizeF(page.width(), page_height + 1))
                    doc.setPageSize(page)
                    break
            block = block.next()
        if not moved:
            break
    return changed


def _decorate(
    painter: QPainter,
    width: float,
    height: float,
    band: float,
    title: str,
    header: str,
    footer: str,
    page: int,
    pages: int,
) -> None:
    """Running header (title · header text, rule) and footer (footer text · Page n of N)."""
    painter.save()
    font = _font(7.0)
    painter.setFont(font)
    metrics = QFontMetricsF(font, painter.device())
    painter.setPen(QColor("#5a6475"))
    half = width / 2 - 8
    top = QRectF(0, 0, width, band * 0.6)
    painter.drawText(
        top,
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        metrics.elidedText(title, Qt.TextElideMode.ElideRight, half),
    )
    painter.drawText(
        top,
        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
        metrics.elidedText(header, Qt.TextElideMode.ElideLeft, half),
    )
    bottom = QRectF(0, height - band * 0.6, width, band * 0.6)
    painter.drawText(
        bottom,
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
        metrics.elidedText(footer, Qt.TextElideMode.ElideRight, width - 90),
    )
    painter.drawText(bottom, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"Page {page} of {pages}")
    painter.setPen(QPen(QColor("#c9d0db"), 0.8))
    painter.drawLine(0, int(band * 0.6), int(width), int(band * 0.6))
    painter.drawLine(0, int(height - band * 0.6), int(width), int(height - band * 0.6))
    painter.restore()


def _page_layout() -> QPageLayout:
    return QPageLayout(
        QPageSize(QPageSize.PageSizeId.A4),
        QPageLayout.Orientation.Portrait,
        QMarginsF(14, 12, 14, 12),
        QPageLayout.Unit.Millimeter,
    )


def print_layout():
    """The :class:`workbench.report_print.PrintLayout` of the PDF's pages: how many digits of the table font
    fit across the printable width, measured with the font the document will use at the PDF's resolution."""
    from workbench.report_print import PrintLayout

    device = QImage(1, 1, QImage.Format.Format_RGB32)  # a paint device at the PDF's DPI, for font metrics
    device.setDotsPerMeterX(round(DPI / 0.0254))
    device.setDotsPerMeterY(round(DPI / 0.0254))
    digit = QFontMetricsF(_font(TABLE_PT), device).horizontalAdvance("0123456789") / 10
    return PrintLayout(line_chars=_page_layout().paintRectPixels(DPI).width() / max(digit, 1e-6))


def report_to_pdf(
    report, path: str | os.PathLike, *, replay_name: str | None = None, generated_at: str | None = None
) -> Path:
    """Render a :class:`workbench.report.EvidenceReport` to PDF (its print layout; every cell of the HTML)."""
    import datetime as dt

    from workbench.audit_embed import xmp_packet
    from workbench.report import render_html

    when = generated_at or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    prov = report.provenance
    html = render_html(report, replay_name=replay_name, generated_at=when, layout=print_layout())
    return html_to_pdf(
        html,
        path,
        title=report.title,
        header=f"Workspace {prov.workspace}",
        footer=f"Workbench {prov.app_version} · generated {when} · "
        + (f"small-cell suppression k = {report.k}" if report.k else "no small-cell suppression"),
        xmp=xmp_packet(prov.audit_checkpoint, report.title),
    )
