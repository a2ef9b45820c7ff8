"""File ▸ Connect to Spark…: the URL, an optional database, the token (typed, or read from an environment
variable), Test connection and saved profiles.

Connecting reaches the network and can take many seconds (the server may be warming up), so it runs on a
worker thread; the dialog stays responsive and says what happened. A profile never stores the token.
"""

from __future__ import annotations

import os
import threading

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from workbench.backend.spark.profiles import (
    SparkProfile,
    delete_profile,
    load_profiles,
    remote_without_token,
    save_profile,
)
from workbench.backend.spark.remote import TOKEN_ENV, SparkRemote
from workbench.errors import WorkbenchError

NEW_PROFILE = "(new connection)"


def release_connection(connection) -> None:
    """Close a Spark connection and end its server-side session (errors ignored: it may be gone)."""
    try:
        connection.close()
    finally:
        try:
            connection.session.stop()
        except Exception:
            pass


class _Relay(QObject):
    succeeded = Signal(object)
    failed = Signal(str)


class _ConnectJob(QRunnable):
    """Opens a connection on a worker; a dialog closed meanwhile abandons it and the connection is released."""

    def __init__(self, remote: SparkRemote, database: str):
        super().__init__()
        self.remote, self.database = remote, database
        self.relay = _Relay()
        self.abandoned = threading.Event()

    def run(self) -> None:  # worker thread
        from workbench.backend.spark.connect import connect_spark

        try:
            connection = connect_spark(self.remote, database=self.database or None)
        except WorkbenchError as exc:
            self.relay.failed.emit(str(exc))
            return
        except Exception as exc:  # the client's own failure modes are many; say what it was
            self.relay.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        if self.abandoned.is_set():
            release_connection(connection)
            return
        self.relay.succeeded.emit(connection)


class SparkConnectDialog(QDialog):
    """Collects a Spark Connect endpoint and connects to it off the GUI thread.

    Signals
    -------
    connected(connection, remote, database): Connect succeeded; the receiver owns the connection.
    attempted(action, endpoint): a connection is being opened (``spark_test`` / ``spark_connect``), for the
        audit log; ``endpoint`` is the display form, never the token.
    """

    connected = Signal(object, object, str)
    attempted = Signal(str, str)
    test_finished = Signal(bool, str)

    def __init__(self, parent: QWidget | None = None, profiles_file=None):
        super().__init__(parent)
        self.setWindowTitle("Connect to Spark")
        self.setMinimumWidth(520)
        self._profiles_file = profiles_file
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._job: _ConnectJob | None = None
        self._job_is_test = False

        self.profile_combo = QComboBox()
        self.save_profile_button = QPushButton("Save Profile")
        self.save_profile_button.setToolTip("Remember this URL, database and token source (never the token)")
        self.delete_profile_button = QPushButton("Delete")
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("sc://spark.internal:443/;use_ssl=true")
        self.database_edit = QLineEdit()
        self.database_edit.setPlaceholderText("optional, e.g. warehouse or spark_catalog.warehouse")
        self.token_typed = QRadioButton("Token:")
        self.token_from_env = QRadioButton("From environment variable:")
        self.token_group = QButtonGroup(self)
        self.token_group.addButton(self.token_typed)
        self.token_group.addButton(self.token_from_env)
        self.token_edit = QLineEdit()
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText("asked each time; never saved")
        self.token_env_edit = QLineEdit(TOKEN_ENV)
        self.token_from_env.setChecked(True)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        self.status_label.setObjectName("sparkStatus")
        self.test_button = QPushButton("Test Connection")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = self.buttons.addButton("Connect", QDialogButtonBox.ButtonRole.AcceptRole)
        self.connect_button.setDefault(True)
        self.buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)

        profile_row = QHBoxLayout()
        profile_row.addWidget(self.profile_combo, 1)
        profile_row.addWidget(self.save_profile_button)
        profile_row.addWidget(self.delete_profile_button)
        form = QFormLayout()
        form.addRow("Profile:", profile_row)
        form.addRow("URL:", self.url_edit)
        form.addRow("Database:", self.database_edit)
        form.addRow(self.token_typed, self.token_edit)
        form.addRow(self.token_from_env, self.token_env_edit)
        note = QLabel(
            "Only this endpoint is allowed through the network guard. Only aggregates and capped "
            "samples come back; the connection is written to the audit log without the token."
        )
        note.setWordWrap(True)
        note.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self._reload_profiles()
        self._connect_signals()
        self._sync_token_fields()

    def _connect_signals(self) -> None:
        self.profile_combo.activated.connect(self._on_profile_combo_activated)
        self.save_profile_button.clicked.connect(self.save_current_profile)
        self.delete_profile_button.clicked.connect(self._on_delete_profile_button_clicked)
        self.token_group.buttonToggled.connect(lambda *_: self._sync_token_fields())
        self.test_button.clicked.connect(self.test_connection)
        self.connect_button.clicked.connect(self.connect_to_spark)
        self.buttons.rejected.connect(self.reject)

    # ------------------------------------------------------------------ profiles
    def _reload_profiles(self, select: str | None = None) -> None:
        self.profile_combo.clear()
        self.profile_combo.addItem(NEW_PROFILE)
        for profile in load_profiles(self._profiles_file):
            self.profile_combo.addItem(profile.name, profile)
        if select:
            self.profile_combo.setCurrentIndex(max(0, self.profile_combo.findText(select)))
        self.delete_profile_button.setEnabled(self.profile_combo.currentIndex() > 0)

    def _on_profile_combo_activated(self, index: int) -> None:
        profile = self.profile_combo.itemData(index)
        self.delete_profile_button.setEnabled(profile is not None)
        if profile is not None:
            self.apply_profile(profile)

    def apply_profile(self, profile: SparkProfile) -> None:
        self.url_edit.setText(profile.url)
        self.database_edit.setText(profile.database)
        self.token_edit.clear()
        if profile.token_env:
            self.token_env_edit.setText(profile.token_env)
            self.token_from_env.setChecked(True)
        else:
            self.token_typed.setChecked(True)

    def save_current_profile(self, name: str | None = None) -> SparkProfile | None:
        """Save the form as a profile (named after the selected profile, else the URL's host)."""
        try:
            remote = remote_without_token(self.url_edit.text())
        except WorkbenchError as exc:
            self._show_status(str(exc), ok=False)
            return None
        chosen = self.profile_combo.currentData()
        name = name or (chosen.name if chosen is not None else f"{remote.host}:{remote.port}")
        token_env = self.token_env_edit.text().strip() if self.token_from_env.isChecked() else ""
        try:
            stored = save_profile(
                SparkProfile(name, remote.url(), self.database_edit.text(), token_env), self._profiles_file
            )
        except WorkbenchError as exc:
            self._show_status(str(exc), ok=False)
            return None
        self._reload_profiles(select=stored.name)
        self._show_status(f"Saved profile {stored.name!r} (the token is not saved)", ok=True)
        return stored

    def _on_delete_profile_button_clicked(self) -> None:
        profile = self.profile_combo.currentData()
        if profile is not None:
            delete_profile(profile.name, self._profiles_file)
            self._reload_profiles()

    # ------------------------------------------------------------------ connecting
    def _sync_token_fields(self) -> None:
        self.token_edit.setEnabled(self.token_typed.isChecked())
        self.token_env_edit.setEnabled(self.token_from_env.isChecked())

    def remote(self) -> SparkRemote:
        """The endpoint as entered, with the token from the field or the named environment variable.

        Raises
        ------
        WorkbenchError with a message saying what to fix.
        """
        base = remote_without_token(self.url_edit.text())
        if self.token_typed.isChecked():
            token = self.token_edit.text().strip()
        else:
            name = self.token_env_edit.text().strip()
            token = os.environ.get(name, "") if name else ""
            if name and not token:
                raise WorkbenchError(f"The environment variable {name} is not set: type the token instead, or set it")
        params = base.params + ((("token", token),) if token else ())
        return SparkRemote(base.host, base.port, params)

    def test_connection(self) -> bool:
        """Open and close a connection on a worker; the result arrives as ``test_finished``."""
        return self._start(test=True)

    def connect_to_spark(self) -> bool:
        """Connect on a worker; on success ``connected`` is emitted and the dialog closes."""
        return self._start(test=False)

    def is_busy(self) -> bool:
        return self._job is not None

    def _start(self, test: bool) -> bool:
        if self._job is not None:
            return False
        try:
            remote = self.remote()
        except WorkbenchError as exc:
            self._show_status(str(exc), ok=False)
            if test:
                self.test_finished.emit(False, str(exc))
            return False
        job = _ConnectJob(remote, self.database_edit.text().strip())
        job.relay.succeeded.connect(self._on_job_succeeded)
        job.relay.failed.connect(self._on_job_failed)
        self._job, self._job_is_test = job, test
        self._set_busy(True)
        self._show_status(f"Connecting to {remote.display()}… (a cluster warming up can take a minute)", ok=None)
        self.attempted.emit("spark_test" if test else "spark_connect", remote.display())
        self._pool.start(job)
        return True

    def _on_job_succeeded(self, connection) -> None:
        job, self._job = self._job, None
        self._set_busy(False)
        if job is None:
            release_connection(connection)
            return
        if self._job_is_test:
            try:
                version = connection.session.version
            except Exception:
                version = "?"
            release_connection(connection)
            message = f"Connected to {job.remote.display()} (Spark {version})"
            self._show_status(message, ok=True)
            self.test_finished.emit(True, message)
            return
        self.connected.emit(connection, job.remote, job.database)
        self.accept()

    def _on_job_failed(self, message: str) -> None:
        self._job = None
        self._set_busy(False)
        self._show_status(message, ok=False)
        if self._job_is_test:
            self.test_finished.emit(False, message)

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.test_button, self.connect_button, self.url_edit, self.database_edit):
            widget.setEnabled(not busy)

    def _show_status(self, text: str, ok: bool | None) -> None:
        color = {True: "#2e8b57", False: "#d04437", None: ""}[ok]
        self.status_label.setStyleSheet(f"color: {color};" if color else "")
        self.status_label.setText(text)

    def done(self, result: int) -> None:
        if self._job is not None:  # still connecting: whatever arrives later is released, not leaked
            self._job.abandoned.set()
            self._job.relay.succeeded.disconnect(self._on_job_succeeded)
            self._job.relay.succeeded.connect(release_connection)
            self._job = None
        super().done(result)
