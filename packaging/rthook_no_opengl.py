"""PyInstaller runtime hook: stand-ins for PySide6.QtOpenGL/QtOpenGLWidgets, which the bundle leaves out.

pyqtgraph imports both unconditionally (graphicsItems/PColorMeshItem.py, Qt/OpenGLHelpers.py, which also
subclasses QOpenGLWidget at import time) but uses them only inside an OpenGL viewport, i.e. with
``useOpenGL``. Workbench draws with QPainter and never enables OpenGL, so the imports only have to succeed;
creating an OpenGL widget or touching anything else in them says plainly why it is not there. Saves the
8.5 MB QtOpenGL binding. Nothing is imported here until pyqtgraph asks (the network guard goes first).
"""

import sys
import types

_WHY = "Qt's OpenGL modules are not part of this build (Workbench draws without OpenGL; see packaging/trim.py)"


def _opengl_getattr(name):
    raise AttributeError(f"PySide6.QtOpenGL.{name}: {_WHY}")


def _widgets_getattr(name):
    if name != "QOpenGLWidget":
        raise AttributeError(f"PySide6.QtOpenGLWidgets.{name}: {_WHY}")
    from PySide6.QtWidgets import QWidget

    class QOpenGLWidget(QWidget):  # pyqtgraph subclasses it at import; nothing may create one
        def __init__(self, *args, **kwargs):
            raise RuntimeError(f"QOpenGLWidget: {_WHY}")

    sys.modules["PySide6.QtOpenGLWidgets"].QOpenGLWidget = QOpenGLWidget
    return QOpenGLWidget


for _name, _getattr in (("PySide6.QtOpenGL", _opengl_getattr), ("PySide6.QtOpenGLWidgets", _widgets_getattr)):
    if _name not in sys.modules:
        _stub = types.ModuleType(_name, __doc__)
        _stub.__getattr__ = _getattr
        sys.modules[_name] = _stub
