"""The desktop app on a Spark cluster: the Connect dialog, saved profiles, the window's Spark mode and the
status-bar indicator, against a local Spark Connect server.

The whole module skips, saying why, when Java or the Spark client is absent (CI installs both). Spark round
trips are slow here, so one test walks the whole connect → open → Explorer → disconnect path.
"""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from tests.spark_fixture import spark_remote, spark_skip_reason  # noqa: F401  (a fixture)
from tests.widgets.test_workspace_ui import _actions, _until_result, make_window  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.spark,
    pytest.mark.timeout(600),
    # Where Spark is required (CI), the fixture fails instead of the module skipping.
    pytest.mark.skipif(
        spark_skip_reason() is not None and not os.environ.get("WORKBENCH_REQUIRE_SPARK"),
        reason=spark_skip_reason() or "",
    ),
]


def _split(remote: str) -> tuple[str, str]:
    """(URL without the token, the token) of the test server's URL."""
    head, _, tail = remote.partition(";token=")
    return head, tail.split(";")[0]


@pytest.fixture
def profiles_file(tmp_path):
    return tmp_path / "config" / "spark_profiles.json"


def _dialog(qtbot, profiles_file, url: str, token: str = ""):
    from widgets.spark_connect_dialog import SparkConnectDialog

    dialog = SparkConnectDialog(profiles_file=profiles_file)
    qtbot.addWidget(dialog)
    dialog.url_edit.setText(url)
    if token:
        dialog.token_typed.setChecked(True)
        dialog.token_edit.setText(token)
    return dialog


def test_a_bad_url_says_what_is_wrong_without_connecting(qtbot, profiles_file):
    dialog = _dialog(qtbot, profiles_file, "http://spark:15002")
    with qtbot.waitSignal(dialog.test_finished, timeout=5000) as blocker:
        assert dialog.test_connection() is False
    ok, message = blocker.args
    assert not ok and "starts with sc://" in message
    assert "sc://" in dialog.status_label.text() and not dialog.is_busy()

    dialog.url_edit.setText("sc://spark:99999/")
    assert dialog.test_connection() is False
    assert "port '99999'" in dialog.status_label.text()


def test_a_missing_token_variable_is_named(qtbot, profiles_file, monkeypatch):
    monkeypatch.delenv("WB_TEST_SPARK_TOKEN", raising=False)
    dialog = _dialog(qtbot, profiles_file, "sc://localhost:15002/")
    dialog.token_from_env.setChecked(True)
    dialog.token_env_edit.setText("WB_TEST_SPARK_TOKEN")
    assert dialog.test_connection() is False
    assert "WB_TEST_SPARK_TOKEN is not set" in dialog.status_label.text()


def test_profiles_are_saved_without_the_token(qtbot, profiles_file, monkeypatch):
    monkeypatch.setenv("WORKBENCH_SPARK_TOKEN", "from-the-environment")
    dialog = _dialog(qtbot, profiles_file, "sc://spark.internal:443/;token=s3cret;use_ssl=true", token="typed")
    dialog.database_edit.setText("warehouse")
    stored = dialog.save_current_profile("prod")
    assert stored is not None and stored.url == "sc://spark.internal:443/;use_ssl=true"
    text = profiles_file.read_text()
    assert "s3cret" not in text and "typed" not in text and "from-the-environment" not in text
    assert json.loads(text) == [{"name": "prod", "url": stored.url, "database": "warehouse", "token_env": ""}]

    fresh = _dialog(qtbot, profiles_file, "")
    index = fresh.profile_combo.findText("prod")
    assert index > 0
    fresh.profile_combo.setCurrentIndex(index)
    fresh.profile_combo.activated.emit(index)
    assert fresh.url_edit.text() == stored.url and fresh.database_edit.text() == "warehouse"
    assert fresh.token_typed.isChecked() and fresh.token_edit.text() == ""  # asked for again


def test_test_connection_reaches_the_local_server(qtbot, profiles_file, spark_remote):  # noqa: F811
    url, token = _split(spark_remote)
    dialog = _dialog(qtbot, profiles_file, url, token=token)
    with qtbot.waitSignal(dialog.test_finished, timeout=180000) as blocker:
        assert dialog.test_connection() is True
        assert dialog.is_busy() and not dialog.test_button.isEnabled()  # on a worker; the dialog answers
    ok, message = blocker.args
    assert ok, message
    assert "Connected to sc://localhost:" in message and token not in message
    assert dialog.test_button.isEnabled()


def test_the_window_runs_on_spark_and_back(qtbot, make_window, profiles_file, spark_remote, tmp_path):  # noqa: F811
    from workbench import demo

    paths = demo.ensure_demo(tmp_path / "demo", rows=4000)
    w = make_window()
    spark = w.spark
    assert spark.engine_label.text() == "Local DuckDB" and not spark.browser.isVisibleTo(w)

    # Local first: the Explorer's daily sum of reports on the demo's events.
    with qtbot.waitSignal(w.source_opened, timeout=30000) as opened_locally:
        w.open_paths([str(paths.events)])
    ex = w.explorer
    ex.set_table("events")
    ex.set_measure("sum", "reports")
    ex.set_grain("day")
    local = _until_result(qtbot, ex, lambda s: s.measure.agg == "sum" and s.grain == "day", timeout=30000).frame

    # Connect through the dialog, as a user does.
    url, token = _split(spark_remote)
    spark._profiles_file = profiles_file
    dialog = spark.show_dialog()
    dialog.url_edit.setText(url)
    dialog.token_typed.setChecked(True)
    dialog.token_edit.setText(token)
    with qtbot.waitSignal(spark.mode_changed, timeout=180000) as blocker:
        dialog.connect_to_spark()
    assert blocker.args == [True]
    host_port = url.removeprefix("sc://").rstrip("/")
    assert spark.engine_label.text() == f"Spark: sc://{host_port}"
    assert w.catalog.sources == [] and w.catalog.con is spark.connection
    assert spark.browser.isVisibleTo(w)
    qtbot.waitUntil(lambda: spark.browser.database_item("default") is not None, timeout=60000)

    # The same events, read by the cluster; the Explorer's numbers are the local ones.
    with qtbot.waitSignal(w.source_opened, timeout=120000) as opened:
        spark.open_location(str(paths.events))
    assert opened.args[0].name == "events" and opened.args[0].row_count == 4000
    ex.set_table("events")
    ex.set_measure("sum", "reports")
    ex.set_grain("day")
    ex.refresh_now()
    on_spark = _until_result(
        qtbot,
        ex,
        lambda s: s.measure.agg == "sum" and s.grain == "day" and ex.last_result.frame is not local,
        timeout=180000,
    ).frame
    pd.testing.assert_frame_equal(on_spark.reset_index(drop=True), local.reset_index(drop=True), check_dtype=False)

    # Anomaly detection on the same series runs on the cluster too.
    anomalies = w.panels["Anomalies"]
    anomalies.set_metric_spec(ex.last_result.spec)
    with qtbot.waitSignal(anomalies.detection_ready, timeout=180000) as detected:
        assert anomalies.run_detection() is not None
    assert len(detected.args[0].names) == 1

    # Disconnect: local DuckDB again, with the local table as it was.
    with qtbot.waitSignal(spark.mode_changed, timeout=10000) as blocker:
        spark.disconnect()
    assert blocker.args == [False]
    assert spark.engine_label.text() == "Local DuckDB" and not spark.browser.isVisibleTo(w)
    assert [s.name for s in w.catalog.sources] == ["events"] and w.catalog.con is w.con
    assert w.catalog.get("events") is opened_locally.args[0]
    assert [r.name for r in w.workspace.ws.sources] == ["events"]  # the workspace still records it

    # The audit log has the connect and the disconnect, with the endpoint and never the token.
    w.workspace.audit.flush()
    entries = _actions(w, "spark_connect") + _actions(w, "spark_disconnect")
    assert [e["action"] for e in entries] == ["spark_connect", "spark_disconnect"]
    assert all(e["details"]["endpoint"].startswith(f"sc://{host_port}") for e in entries)
    assert f"token={token}" not in w.workspace.audit.path.read_text()
