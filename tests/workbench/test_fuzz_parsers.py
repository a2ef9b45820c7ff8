"""Property-based tests (Hypothesis) for the parsers of user input: whatever the text, each parser returns a
value or raises a WorkbenchError with a message — never another exception — and what it prints reads back.
Every test is bounded (max_examples, no deadline) so the file runs in a few seconds."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import safe_json
from workbench.errors import WorkbenchError
from workbench.metrics import AGGREGATIONS, Filter, Measure, MetricSpec

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
FEW = settings(FAST, max_examples=30)  # file-writing properties

# Column names as users have them: letters, digits, spaces, punctuation, unicode; no control characters.
names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12)
plain_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,10}", fullmatch=True)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


def _clean(fn, *args):
    """Call ``fn``; a WorkbenchError is an acceptable answer, anything else fails the property."""
    try:
        return fn(*args)
    except WorkbenchError as exc:
        assert str(exc).strip(), "an error needs a message"
        return None


@FAST
@given(st.text(max_size=40))
def test_measure_parser_never_crashes(text):
    _clean(Measure.parse, text)


@FAST
@given(st.sampled_from([a for a in AGGREGATIONS if a not in ("count", "ratio")]), names)
def test_measure_round_trips_with_quoted_names(agg, column):
    quoted = '"' + column.replace('"', '""') + '"'
    m = Measure.parse(f"{agg}({quoted})")
    assert (m.agg, m.column) == (agg, column)
    r = Measure.parse(f"ratio({quoted}, {quoted})")
    assert (r.column, r.denominator) == (column, column)


@FAST
@given(st.sampled_from(["sum", "mean", "p90", "p99", "median", "count_distinct"]), plain_names)
def test_measure_label_reads_back(agg, column):
    m = Measure(agg, column)
    assert Measure.parse(m.label) == m


@FAST
@given(st.text(max_size=40))
def test_filter_parser_never_crashes(text):
    _clean(Filter.parse, text)


@FAST
@given(
    plain_names,
    st.sampled_from(["=", "!=", "<", "<=", ">", ">=", "contains"]),
    st.from_regex(r"[A-Za-z0-9_.]{1,8}", fullmatch=True),
)
def test_filter_label_reads_back(column, op, value):
    f = Filter(column, op, value)
    assert Filter.parse(f.label) == f


@FAST
@given(
    plain_names,
    st.sampled_from(["in", "not in"]),
    st.lists(st.from_regex(r"[A-Za-z0-9_]{1,6}", fullmatch=True), min_size=1, max_size=4),
)
def test_filter_lists_read_back(column, op, values):
    f = Filter(column, op, tuple(values))
    assert Filter.parse(f.label) == f


@FAST
@given(st.text(max_size=60))
def test_experiment_metric_parser_never_crashes(text):
    from workbench.experiments.spec import parse_metric

    _clean(parse_metric, text)


@FAST
@given(st.text(max_size=40))
def test_experiment_weights_parser_never_crashes(text):
    from workbench.experiments.spec import parse_weights

    _clean(parse_weights, text)


@FAST
@given(json_values)
def test_metric_spec_json_never_crashes(doc):
    spec = _clean(MetricSpec.from_json, json.dumps(doc))
    if spec is not None:
        assert MetricSpec.from_json(spec.to_json()) == spec


@FAST
@given(json_values)
def test_experiment_spec_file_never_crashes(doc):
    from workbench.experiments.spec import metrics_from_reference_spec

    if isinstance(doc, dict):
        _clean(metrics_from_reference_spec, doc)


@FEW
@given(
    json_values
    | st.fixed_dictionaries(
        {
            "rules": st.lists(
                st.fixed_dictionaries(
                    {
                        "name": st.text(max_size=5),
                        "source": st.just("x.parquet"),
                        "metric": st.dictionaries(
                            st.sampled_from(["measure", "grain", "time_column"]), json_values, max_size=3
                        ),
                    },
                    optional={
                        "conditions": json_values,
                        "lookback": json_values,
                        "snooze_until": json_values,
                        "combine": json_values,
                        "min_volume": json_values,
                    },
                ),
                max_size=3,
            )
        }
    )
)
def test_rules_parser_never_crashes(tmp_path_factory, doc):
    from workbench.anomaly.alerts import load_rules

    path = tmp_path_factory.getbasetemp() / "fuzz_rules.json"
    path.write_text(json.dumps(doc))
    _clean(load_rules, path)


@FAST
@given(st.binary(max_size=200) | json_values.map(lambda d: json.dumps(d).encode()))
def test_workspace_parse_never_crashes(data):
    from workbench.workspace import parse

    _clean(parse, data)


@FAST
@given(json_values)
def test_workspace_parse_of_objects_with_a_version_never_crashes(doc):
    from workbench.workspace import parse

    if isinstance(doc, dict):
        doc = {"schema_version": 1, **doc}
    _clean(parse, json.dumps(doc).encode())


@FAST
@given(st.text(max_size=60))
def test_safe_json_agrees_with_json(text):
    try:
        expected = json.loads(text)
    except (ValueError, RecursionError):
        with pytest.raises(ValueError):
            safe_json.loads(text)
        return
    assert safe_json.loads(text) == expected or expected != expected


@FAST
@given(json_values)
def test_nesting_depth_matches_structure(doc):
    def depth(v):
        if isinstance(v, list):
            return 1 + max((depth(x) for x in v), default=0)
        if isinstance(v, dict):
            return 1 + max((depth(x) for x in v.values()), default=0)
        return 0

    assert safe_json.nesting_depth(json.dumps(doc)) == depth(doc)
