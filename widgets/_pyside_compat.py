"""Work around a reference-counting bug of PySide6 6.12.0 on Python 3.11.

Measured here with PySide6-Essentials 6.12.0 on CPython 3.11: calls that return ``None`` (every setter,
``setText``, ``show``, ``data()`` of an empty role, ...) and ``SignalInstance.emit()`` (which returns
``True``) hand back the singleton without taking a new reference. Each call steals one reference; on
Python >= 3.12 these singletons are immortal and nothing happens, but on 3.11 the count reaches zero after
a few thousand calls and the interpreter aborts ("Fatal Python error: none_dealloc" / "bool_dealloc"),
typically at exit or while moving the mouse over a pyqtgraph chart. PySide6 6.11.x is not affected.
Prefer pinning ``PySide6-Essentials<6.12`` (or a fixed release).

When a leak is detected at start-up, ``None``, ``True`` and ``False`` (and ``Ellipsis``/``NotImplemented``
for good measure) get an enormous reference count — exactly what Python 3.12 does for them (immortal
objects). Nothing is done when the bug is absent.
"""

from __future__ import annotations

import platform
import sys

_PROBE_CALLS = 16
_SINGLETONS = (None, True, False, Ellipsis, NotImplemented)


def _add_references(obj, n: int) -> None:
    import ctypes

    ctypes.c_ssize_t.from_address(id(obj)).value += n


def leaks_singletons() -> bool:
    """Whether PySide6 calls steal references to None/True (probing a few calls, then repaying them)."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(_PROBE_CALLS):
        probe.setObjectName("probe")  # returns None
        probe.ping.emit()  # returns True
    none_lost = none_before - sys.getrefcount(None)
    true_lost = true_before - sys.getrefcount(True)
    if none_lost > 0:
        _add_references(None, none_lost)
    if true_lost > 0:
        _add_references(True, true_lost)
    return none_lost >= _PROBE_CALLS or true_lost >= _PROBE_CALLS


def apply() -> bool:
    """Apply the work-around if needed; returns whether it was applied."""
    if sys.version_info >= (3, 12) or platform.python_implementation() != "CPython":
        return False  # the singletons are immortal there
    if not leaks_singletons():
        return False
    for obj in _SINGLETONS:
        _add_references(obj, 1 << 40)
    return True


APPLIED = apply()
