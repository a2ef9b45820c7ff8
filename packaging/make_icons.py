"""Render resources/icons/workbench.svg into the icon formats installers want (build-time only).

    python packaging/make_icons.py OUT_DIR     # writes workbench.ico (Windows) and workbench.icns (macOS)

Qt's own image plugins do the conversion, so no extra tool is needed. Formats Qt cannot write on this
machine are skipped with a message (the spec then builds without that icon).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "packaging" / "build"
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])  # noqa: F841 (Qt needs one for painting)
    renderer = QSvgRenderer(str(ROOT / "resources" / "icons" / "workbench.svg"))
    image = QImage(256, 256, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    writable = {bytes(f).decode() for f in QImageWriter.supportedImageFormats()}
    for suffix in ("ico", "icns"):
        target = out / f"workbench.{suffix}"
        if suffix in writable and image.save(str(target)):
            print(f"wrote {target}")
        else:
            print(f"make_icons: Qt cannot write .{suffix} here; skipped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
