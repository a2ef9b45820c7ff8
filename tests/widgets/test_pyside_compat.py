"""The PySide6 6.12.0 emit() reference bug cannot exhaust True's reference count (see widgets/_pyside_compat)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal

import widgets  # noqa: F401  (applies the work-around)


class _Emitter(QObject):
    ping = Signal(bool)


def test_many_emits_do_not_drain_true(qtbot):
    emitter = _Emitter()
    seen = []
    emitter.ping.connect(seen.append)
    for _ in range(20000):
        emitter.ping.emit(True)
    assert len(seen) == 20000
    assert sys.getrefcount(True) > 1000  # would abort the interpreter at 0 without the work-around


def test_many_none_returning_calls_do_not_drain_none(qtbot):
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    for _ in range(20000):
        label.setText("x")
    assert sys.getrefcount(None) > 1000
