"""CLI (anomalies, explain, alerts check) and alert rules."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.workbench.anomaly.conftest import WINDOW
from workbench.anomaly.alerts import AlertRule, evaluate_rule, load_rules
from workbench.cli import main
from workbench.errors import SpecError

SPIKE = "CASE WHEN country = 'BR' AND platform = 'ios' THEN 6 ELSE 1 END"


def test_anomalies_json(make_cube, capsys):
    src = make_cube(SPIKE)
    code = main(
        [
            "anomalies",
            src.files[0],
            "--time",
            "ts",
            "--measure",
            "sum(views)",
            "--grain",
            "hour",
            "--by",
            "country",
            "--format",
            "json",
        ]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    br = next(s for s in doc["series"] if s["series"] == "BR")
    assert any(i["start"] <= "2024-01-15T10:00:00" <= i["end"] for i in br["incidents"])
    assert "2024-01-15T12:00:00" in br["flagged"]
    assert doc["grain"] == "hour" and "SELECT" in doc["sql"]


def test_explain_json(make_cube, capsys):
    src = make_cube(SPIKE)
    code = main(
        [
            "explain",
            src.files[0],
            "--time",
            "ts",
            "--measure",
            "sum(views)",
            "--window",
            *WINDOW,
            "--dims",
            "country,platform,surface",
            "--format",
            "json",
        ]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["culprits"] == [{"country": "BR", "platform": "ios"}]
    assert doc["culprit_details"][0]["explanatory_power"] > 0.8 and doc["impact"] > 0


def test_explain_window_outside_data_is_one_line(make_cube, capsys):
    src = make_cube()
    code = main(
        [
            "explain",
            src.files[0],
            "--measure",
            "sum(views)",
            "--window",
            "2031-01-01",
            "2031-01-02",
            "--dims",
            "country",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "outside the data" in err and "Traceback" not in err


def _rules(tmp_path, src, conditions, **extra):
    rule = {
        "name": "BR views",
        "source": src.files[0],
        "metric": {
            "measure": "sum(views)",
            "time_column": "ts",
            "grain": "hour",
            "filters": [{"column": "country", "op": "=", "value": "BR"}],
        },
        "conditions": conditions,
        **extra,
    }
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": [rule]}))
    return path


def test_alerts_check_fires_and_exits_1(tmp_path, make_cube, capsys):
    src = make_cube(SPIKE)
    # The window ends the day before the data ends: look back far enough to include it.
    path = _rules(tmp_path, src, [{"type": "anomaly"}], lookback=48)
    assert main(["alerts", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "[FIRED] BR views" in out and "incident" in out
    quiet = _rules(tmp_path, src, [{"type": "anomaly"}], lookback=2)
    assert main(["alerts", "check", str(quiet), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["fired"] is False


def test_threshold_and_change_conditions_and_or(tmp_path, make_cube, catalog, con):
    src = make_cube()
    base = {
        "name": "r",
        "source": src.files[0],
        "metric": {"measure": "sum(views)", "time_column": "ts", "grain": "day"},
    }
    high = {"type": "threshold", "op": ">", "value": 1}
    never = {"type": "threshold", "op": ">", "value": 1e12}
    change = {"type": "change_pct", "op": "<", "value": 1000, "compare": "day"}
    rule_or = AlertRule.from_dict({**base, "conditions": [high, never], "combine": "or"})
    rule_and = AlertRule.from_dict({**base, "conditions": [high, never], "combine": "and"})
    rule_change = AlertRule.from_dict({**base, "conditions": [change]})
    assert evaluate_rule(con, src.name, rule_or).fired
    assert not evaluate_rule(con, src.name, rule_and).fired
    assert evaluate_rule(con, src.name, rule_change).fired
    vol = AlertRule.from_dict({**base, "conditions": [high], "min_volume": 1e12})
    assert not evaluate_rule(con, src.name, vol).fired


def test_snooze(tmp_path, make_cube, con):
    src = make_cube(SPIKE)
    rule = AlertRule.from_dict(
        {
            "name": "s",
            "source": src.files[0],
            "snooze_until": "2099-01-01",
            "metric": {"measure": "sum(views)", "time_column": "ts", "grain": "hour"},
            "conditions": [{"type": "threshold", "op": ">", "value": 0}],
        }
    )
    result = evaluate_rule(con, src.name, rule)
    assert result.snoozed and not result.fired
    assert evaluate_rule(con, src.name, rule, now=dt.datetime(2100, 1, 1)).fired


def test_bad_rules(tmp_path):
    p = tmp_path / "r.json"
    p.write_text("{not json")
    with pytest.raises(SpecError, match="not valid JSON"):
        load_rules(p)
    p.write_text(
        json.dumps(
            {
                "rules": [
                    {
                        "name": "x",
                        "source": "a.parquet",
                        "metric": {"measure": "sum(v)"},
                        "conditions": [{"type": "bogus"}],
                    }
                ]
            }
        )
    )
    with pytest.raises(SpecError, match="Unknown condition"):
        load_rules(p)
    with pytest.raises(SpecError, match="does not exist"):
        load_rules(tmp_path / "missing.json")


@pytest.mark.parametrize("grain", ["30min", "quarter"])
def test_alert_rules_take_the_new_grains(make_cube, con, grain):
    src = make_cube()
    rule = AlertRule.from_dict(
        {
            "name": "g",
            "source": src.files[0],
            "conditions": [{"type": "threshold", "op": ">", "value": 0}],
            "metric": {"measure": "sum(views)", "time_column": "ts", "grain": grain},
        }
    )
    result = evaluate_rule(con, src.name, rule)
    assert result.fired and result.series[0]["latest_value"] > 0
