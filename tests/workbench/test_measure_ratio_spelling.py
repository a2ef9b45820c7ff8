"""``sum(a)/sum(b)`` and ``sum(a) / sum(b)`` are spellings of ``ratio(a, b)`` wherever a measure is typed."""

from __future__ import annotations

import json

import pytest

from workbench.cli import main
from workbench.errors import SpecError
from workbench.metrics import Measure


@pytest.mark.parametrize(
    "text", ["sum(violations)/sum(views)", "sum(violations) / sum(views)", "  SUM( violations ) /SUM(views) "]
)
def test_division_of_sums_is_a_ratio(text):
    assert Measure.parse(text) == Measure("ratio", "violations", "views")


def test_quoted_names_keep_their_slash():
    assert Measure.parse('sum("a/b") / sum("c")') == Measure("ratio", "a/b", "c")
    assert Measure.parse('sum("a/b")') == Measure("sum", "a/b")


@pytest.mark.parametrize("text", ["count(*)/sum(views)", "mean(a)/sum(b)", "sum(a)/sum(b)/sum(c)", "sum(a)/"])
def test_other_divisions_are_refused_clearly(text):
    with pytest.raises(SpecError):
        Measure.parse(text)


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    from workbench.demo import write_demo

    return write_demo(tmp_path_factory.mktemp("demo"), rows=20_000, users=1_000)


def test_cli_metric_accepts_the_division(capsys, small_demo):
    outs = []
    for measure in ("ratio(violations, views)", "sum(violations) / sum(views)"):
        code = main(
            [
                "metric",
                str(small_demo.events),
                "--measure",
                measure,
                "--start",
                "2026-10-01",
                "--end",
                "2026-10-04",
                "--format",
                "json",
            ]
        )
        out, err = capsys.readouterr()
        assert code == 0, err
        outs.append(json.loads(out))
    assert outs[1]["spec"]["measure"]["agg"] == "ratio"
    assert [r["value"] for r in outs[0]["rows"]] == [r["value"] for r in outs[1]["rows"]]


def test_cli_explain_accepts_the_division(capsys, small_demo):
    code = main(
        [
            "explain",
            str(small_demo.events),
            "--measure",
            "sum(violations)/sum(views)",
            "--window",
            "2026-10-01",
            "2026-10-02",
            "--baseline",
            "day",
            "--dims",
            "country,platform",
            "--format",
            "json",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["rate_actual"] is not None
