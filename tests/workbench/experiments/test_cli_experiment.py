"""``workbench experiment`` end to end: JSON/CSV/text output, exit code 2 with one line on bad input."""

from __future__ import annotations

import json

from tests.workbench.experiments.conftest import make_users
from workbench.cli import main


def test_cli_json_text_csv(tmp_path, capsys):
    path = tmp_path / "exp.parquet"
    make_users().to_parquet(path, index=False)
    args = [
        "experiment",
        str(path),
        "--unit",
        "user_id",
        "--arm",
        "arm",
        "--control",
        "control",
        "--metric",
        "metric:mean:metric:cov=pre_metric",
        "--metric",
        "converted:proportion",
        "--metric",
        "ctr:ratio:numerator/denominator:guardrail",
        "--segment",
        "country",
        "--time",
        "assigned_at",
        "--weights",
        "control=1,t1=1,t2=1",
    ]
    assert main(args + ["--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["metrics"]) == {"metric", "converted", "ctr"}
    assert data["metrics"]["metric"]["comparisons"]["t1"]["cuped"]["theta"] is not None
    assert ["ctr", "t1"] not in data["multiple_testing"]["family_all"]["members"]
    assert main(args + ["--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("metric,type,arm") and len(lines) == 1 + 3 * 2
    assert main(args + ["--format", "text"]) == 0
    assert "Sample ratio: ok" in capsys.readouterr().out


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    path = tmp_path / "exp.parquet"
    make_users(n_per_arm=(20, 20)).to_parquet(path, index=False)
    assert main(["experiment", str(path), "--metric", "country:mean"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not numeric" in err
    assert main(["experiment", str(path), "--metric", "metric:mean", "--control", "nope"]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["experiment", str(path), "--metric", "metric"]) == 2
    assert "NAME:TYPE" in capsys.readouterr().err
