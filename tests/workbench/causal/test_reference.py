"""Every shared causal reference case through the CLI, compared with expected.json at the tolerances its
spec.json states (CONVENTIONS.md §7). Skips cleanly when ../shared/reference/causal is absent."""

from __future__ import annotations

import fnmatch
import json
import math
from pathlib import Path

import pytest

from workbench.cli import main as cli_main

_CANDIDATES = (
    Path(__file__).resolve().parents[3] / ".." / "shared" / "reference" / "causal",
    Path("/work/shared/reference/causal"),
)
REF = next((p for p in _CANDIDATES if p.exists()), None)
CASES = sorted(p.name for p in REF.iterdir() if (p / "expected.json").exists()) if REF else []
needs_ref = pytest.mark.skipif(REF is None, reason="../shared/reference/causal is not available")
EXACT = ("n_units", "n_periods", "relative_period", "treatment_start", "cohort", "period")


def _tolerance(path: str, tolerances: dict) -> dict:
    tol = {"rtol": 1e-6, "atol": 1e-9}
    for pattern, value in tolerances.items():  # the last match wins
        if fnmatch.fnmatchcase(path, pattern):
            tol = value
    return tol


def _close(actual, expected, tol) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    return abs(actual - expected) <= tol["atol"] + tol["rtol"] * abs(expected)


def compare(expected: dict, actual: dict, sections: list[str], tolerances: dict) -> list[str]:
    """Mismatches as readable strings; sets where order is not significant, cells matched by key."""
    bad: list[str] = []
    for key in ("treated", "controls"):
        if set(expected[key]) != set(actual.get(key, [])):
            bad.append(f"{key}: {sorted(actual.get(key, []))} != {sorted(expected[key])}")
    if expected.get("treatment_start") != actual.get("treatment_start"):
        bad.append(f"treatment_start {actual.get('treatment_start')} != {expected.get('treatment_start')}")
    for section in sections:
        if section not in actual:
            bad.append(f"section {section} missing")
            continue
        exp, act = expected[section], actual[section]
        if section == "event_study":
            _rows(bad, "event_study", exp, act, ("relative_period",), tolerances)
            _scalar(
                bad, "pretrend_p_value", expected.get("pretrend_p_value"), actual.get("pretrend_p_value"), tolerances
            )
            continue
        for key, value in exp.items():
            path = f"{section}.{key}"
            if key == "weights":
                for donor in set(value) | set(act.get("weights", {})):
                    _scalar(bad, f"{path}.{donor}", value.get(donor, 0.0), act["weights"].get(donor, 0.0), tolerances)
            elif key == "gap":
                _rows(bad, path, value, act.get(key, []), ("period",), tolerances)
            elif key == "group_time":
                _rows(bad, path, value, act.get(key, []), ("cohort", "period"), tolerances)
            elif key in EXACT:
                if value != act.get(key):
                    bad.append(f"{path}: {act.get(key)} != {value}")
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    _scalar(bad, f"{path}.{i}", v, act[key][i], tolerances)
            else:
                _scalar(bad, path, value, act.get(key), tolerances)
    return bad


def _scalar(bad, path, expected, actual, tolerances):
    if not _close(actual, expected, _tolerance(path, tolerances)):
        bad.append(f"{path}: {actual} != {expected}")


def _rows(bad, path, expected, actual, keys, tolerances):
    index = {tuple(r[k] for k in keys): r for r in actual}
    if set(index) != {tuple(r[k] for k in keys) for r in expected}:
        bad.append(f"{path}: keys differ ({len(index)} vs {len(expected)})")
        return
    for i, row in enumerate(expected):
        got = index[tuple(row[k] for k in keys)]
        for field, value in row.items():
            if field in keys:
                continue
            p = f"{path}.{i}.{field}"
            if isinstance(value, list):
                for j, v in enumerate(value):
                    _scalar(bad, f"{p}.{j}", v, got[field][j], tolerances)
            else:
                _scalar(bad, p, value, got.get(field), tolerances)


def _run_case(case: str, capsys) -> tuple[dict, dict, dict]:
    d = REF / case
    spec = json.loads((d / "spec.json").read_text())
    args = [str(d / a) if a == "data.parquet" else a for a in spec["args"]]
    code = cli_main(args)
    out, err = capsys.readouterr()
    assert code == 0, err
    return spec, json.loads((d / "expected.json").read_text()), json.loads(out)


@needs_ref
@pytest.mark.parametrize("case", CASES)
def test_reference_case_matches_expected(case, capsys):
    spec, expected, actual = _run_case(case, capsys)
    assert actual["schema"] == "impact/1"
    mismatches = compare(expected, actual, spec["sections"], spec["tolerances"])
    assert not mismatches, "\n".join(mismatches[:20])


def test_compare_catches_a_wrong_number():
    """The comparison itself can fail (so the reference test is not vacuous)."""
    exp = {
        "treated": ["a"],
        "controls": ["b"],
        "treatment_start": "2020-01-01",
        "did": {"att": 1.0, "se": 0.5, "ci95": [0.0, 2.0], "p_value": 0.1, "n_units": 2, "n_periods": 3},
    }
    act = json.loads(json.dumps(exp))
    assert compare(exp, act, ["did"], {"*": {"rtol": 1e-6, "atol": 1e-9}}) == []
    act["did"]["att"] = 1.0 + 1e-4
    act["did"]["n_units"] = 3
    bad = compare(exp, act, ["did"], {"*": {"rtol": 1e-6, "atol": 1e-9}})
    assert len(bad) == 2 and not math.isnan(len(bad))
