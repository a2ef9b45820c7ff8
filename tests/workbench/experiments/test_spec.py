"""The metric mini-language."""

import pytest

from workbench.errors import SpecError
from workbench.experiments.spec import format_metric, parse_metric, parse_weights


def test_parse_full_metric():
    m = parse_metric("violations:mean:viol_count:cov=pre_viol:dir=lower:guardrail:margin=2%:cap=99%:agg=sum")
    assert (m.name, m.type, m.column, m.covariate, m.direction, m.guardrail) == (
        "violations",
        "mean",
        "viol_count",
        "pre_viol",
        "lower",
        True,
    )
    assert m.margin == pytest.approx(0.02) and m.cap == pytest.approx(0.99)
    assert parse_metric(format_metric(m)) == m


def test_parse_ratio_quantile_and_defaults():
    r = parse_metric("ctr:ratio:clicks/sessions")
    assert (r.numerator, r.denominator, r.unit_agg) == ("clicks", "sessions", "sum")
    q = parse_metric("p90:quantile:latency_ms:q=0.9")
    assert q.quantile == 0.9 and q.value_column == "latency_ms"
    c = parse_metric("converted:conversion")
    assert c.type == "proportion" and c.value_column == "converted" and c.unit_agg == "any"


@pytest.mark.parametrize(
    "text, match",
    [
        ("revenue", "expected NAME:TYPE"),
        ("x:median", "unknown type"),
        ("ctr:ratio:clicks", "NUMERATOR/DENOMINATOR"),
        ("x:mean:x:foo=1", "unknown option"),
        ("x:mean:x:margin=abc", "must be a number"),
        ("x:quantile:x:cov=y", "not supported for quantile"),
        ("r:ratio:a/b:cov=y", "PRE_NUMERATOR/PRE_DENOMINATOR"),
        ("x:quantile:x:q=1.5", "between 0 and 1"),
    ],
)
def test_parse_errors(text, match):
    with pytest.raises(SpecError, match=match):
        parse_metric(text)


def test_weights():
    assert parse_weights("control=0.5, treatment=0.5") == (("control", 0.5), ("treatment", 0.5))
    with pytest.raises(SpecError):
        parse_weights("control:0.5")
    with pytest.raises(SpecError):
        parse_weights("control=-1")
