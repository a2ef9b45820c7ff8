"""Qt test fixtures: offscreen platform, a temporary QSettings, an engine connection and a runner."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("LANG", "C.UTF-8")

import pytest  # noqa: E402

from workbench.catalog import Catalog  # noqa: E402
from workbench.engine import EngineSettings, connect  # noqa: E402


@pytest.fixture
def settings(tmp_path):
    """A QSettings in an ini file under tmp_path, so tests never touch the user's preferences."""
    from PySide6.QtCore import QSettings

    s = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield s
    s.sync()


@pytest.fixture
def qcon(tmp_path):
    connection = connect(EngineSettings(memory_limit="1GB", temp_directory=str(tmp_path / "spill")))
    yield connection
    connection.close()


@pytest.fixture
def runner(qtbot, qcon):
    from widgets.query_runner import QueryRunner

    r = QueryRunner(qcon)
    yield r
    r.shutdown()


@pytest.fixture
def qcatalog(qcon):
    return Catalog(qcon)


@pytest.fixture
def window(qtbot, qcon, settings):
    """A MainWindow on the test connection and a temporary QSettings."""
    from widgets.main_window import MainWindow

    w = MainWindow(con=qcon, settings=settings)
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


def open_and_wait(qtbot, window, path, timeout=15000):
    """Open ``path`` in ``window`` as a user would and wait until the table is in the catalog."""
    with qtbot.waitSignal(window.source_opened, timeout=timeout) as blocker:
        window.open_paths([str(path)])
    return blocker.args[0]
