"""One loader for JSON from users: deeply nested documents ('[' * 100000) and non-UTF-8 files give a clear
WorkbenchError in every reader (rules, --spec, .wbk, audit lines, metric specs, provenance), never a
RecursionError or UnicodeDecodeError traceback."""

from __future__ import annotations

import json

import pytest

from workbench import safe_json
from workbench.errors import WorkbenchError

DEEP = "[" * 100_000


@pytest.mark.parametrize(
    "text, depth",
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["[[[[", "\\"]]]["]', 1),
        ('[[["{"]], {}]', 3),
    ],
)
def test_nesting_depth_ignores_brackets_in_strings(text, depth):
    assert safe_json.nesting_depth(text) == depth
    assert safe_json.nesting_depth(text.encode()) == depth


def test_loads_matches_json_for_ordinary_documents():
    doc = {"a": [1, 2.5, None, True, {"b": "x[y]{z}"}], "é": "ü"}
    text = json.dumps(doc, ensure_ascii=False)
    assert safe_json.loads(text) == doc
    assert safe_json.loads(text.encode("utf-8")) == doc


def test_loads_refuses_deep_nesting_as_a_workbench_value_error():
    with pytest.raises(safe_json.JSONInputError, match="100,000 levels deep") as info:
        safe_json.loads(DEEP, "rules.json")
    assert isinstance(info.value, ValueError) and isinstance(info.value, WorkbenchError)
    assert "rules.json" in str(info.value)
    assert safe_json.loads("[" * 128 + "]" * 128) is not None  # the limit itself is allowed
    with pytest.raises(safe_json.JSONInputError):
        safe_json.loads("[" * 129 + "]" * 129)


def test_load_file_messages(tmp_path):
    cases = {
        "latin.json": '{"arms": ["café"]}'.encode("latin-1"),
        "deep.json": DEEP.encode(),
        "bad.json": b'{"a": }',
    }
    expected = {"latin.json": "not UTF-8 text (byte 0xe9", "deep.json": "levels deep", "bad.json": "not valid JSON"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(safe_json.JSONInputError, match=expected[name].replace("(", r"\(")):
            safe_json.load_file(tmp_path / name)
    with pytest.raises(safe_json.JSONInputError, match="no such file"):
        safe_json.load_file(tmp_path / "missing.json")
    (tmp_path / "bom.json").write_bytes(b'\xef\xbb\xbf{"a": 1}')
    assert safe_json.load_file(tmp_path / "bom.json") == {"a": 1}


def _cli(capsys, *argv):
    from workbench.cli import main

    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    _out, err = capsys.readouterr()
    return code, err


@pytest.fixture
def experiment_parquet(tmp_path):
    from tests.conftest import write_parquet

    return write_parquet(
        tmp_path / "exp.parquet",
        """
        SELECT i AS user_id, CASE WHEN i % 2 = 0 THEN 'control' ELSE 'treatment' END AS arm, i % 10 AS x
        FROM range(200) t(i)""",
    )


@pytest.mark.parametrize(
    "content, fragment",
    [
        (DEEP.encode(), "levels deep"),
        ('{"arms": ["café"]}'.encode("latin-1"), "not UTF-8 text"),
        (b"[1, 2]", "holds a JSON object"),
    ],
)
def test_experiment_spec_file(capsys, tmp_path, experiment_parquet, content, fragment):
    spec = tmp_path / "spec.json"
    spec.write_bytes(content)
    code, err = _cli(capsys, "experiment", experiment_parquet, "--spec", spec)
    assert code == 2 and err.startswith("workbench: ") and fragment in err and len(err.strip().splitlines()) == 1


def test_alert_rules_file(capsys, tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(DEEP)
    code, err = _cli(capsys, "alerts", "check", rules)
    assert code == 2 and "levels deep" in err and len(err.strip().splitlines()) == 1


def test_workspace_file(capsys, tmp_path):
    from workbench.workspace import parse

    with pytest.raises(WorkbenchError, match="levels deep"):
        parse(DEEP.encode(), source_name="deep.wbk")
    wbk = tmp_path / "deep.wbk"
    wbk.write_text(DEEP)
    code, err = _cli(capsys, "workspace", "check", wbk)
    assert code == 2 and "deep.wbk" in err and "levels deep" in err


def test_audit_line(tmp_path):
    from workbench.audit import verify

    log = tmp_path / "audit.log"
    log.write_text(DEEP + "\n")
    result = verify(log)
    assert not result.ok
    assert result.problem.line == 1 and "levels deep" in result.problem.message


def test_metric_spec_json():
    from workbench.metrics import MetricSpec

    with pytest.raises(WorkbenchError, match="levels deep"):
        MetricSpec.from_json(DEEP)


def test_analysis_recipe_and_checkpoint_reader(tmp_path):
    from workbench.analysis.base import Analysis
    from workbench.audit_checkpoint import _first_hash

    with pytest.raises(WorkbenchError, match="levels deep"):
        Analysis.from_json(DEEP)
    log = tmp_path / "a.log"
    log.write_text(DEEP + "\n")
    assert _first_hash(log)  # a damaged first line reads as "no chain yet", not a RecursionError


def test_short_and_long_documents_measure_the_same_depth(monkeypatch):
    """Short texts are scanned in a plain loop (no NumPy at start-up), long ones vectorised: same answers."""
    import random

    from workbench import safe_json

    rng = random.Random(7)
    docs = ['{"a": "[[[[", "b": [1, {"c": []}]}', "]]][[", "[]" * 30, '["\\"[", [[]]]']
    docs += ["".join(rng.choice('[]{}"x\\') for _ in range(rng.randint(2, 300))) for _ in range(200)]
    looped = [safe_json.nesting_depth(d) for d in docs]
    monkeypatch.setattr(safe_json, "_VECTORISE_FROM", 0)
    assert [safe_json.nesting_depth(d) for d in docs] == looped
    assert looped[:4] == [4, 0, 1, 3]
