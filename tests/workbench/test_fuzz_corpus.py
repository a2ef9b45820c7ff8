"""The seeded fuzz corpus (tests/workbench/data/fuzz/, written by make_corpus.py): every file through every
command that reads it gives a result (exit 0/1) or one clear error line (exit 2) — never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.cli import main

CORPUS = Path(__file__).resolve().parent / "data" / "fuzz"
EXPERIMENT = CORPUS / "experiment_nan.parquet"


def _commands(path: Path) -> list[list[str]]:
    name = path.name
    if name.endswith((".parquet", ".csv")):
        if name.startswith("experiment_"):
            return [
                ["experiment", str(path), "--metric", "x:mean:x"],
                ["schema", str(path)],
                ["profile", str(path), "x"],
            ]
        return [
            ["schema", str(path)],
            ["metric", str(path), "--grain", "day"],
            ["metric", str(path), "--measure", "sum(v)"],
            ["anomalies", str(path), "--grain", "day"],
            ["sql", str(path), "SELECT count(*) FROM data"],
            ["profile", str(path), "v"],
            ["profile", str(path), "ts"],
        ]
    if name.endswith("_spec.json"):
        return [["experiment", str(EXPERIMENT), "--spec", str(path)]]
    if name.endswith("_rules.json"):
        return [["alerts", "check", str(path)]]
    if name.endswith(".wbk"):
        return [["workspace", "check", str(path)]]
    if name.endswith(".audit.log"):
        return [["audit", "verify", str(path)]]
    return []


CASES = [(p.name, cmd) for p in sorted(CORPUS.iterdir()) for cmd in _commands(p)]


def test_corpus_is_there():
    assert len({name for name, _ in CASES}) >= 25


@pytest.mark.parametrize("name, argv", CASES, ids=[f"{n}-{a[0]}" for n, a in CASES])
def test_corpus_file_gives_a_result_or_one_clear_line(capsys, name, argv):
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    _out, err = capsys.readouterr()
    assert code in (0, 1, 2), (name, code, err)
    assert "Traceback" not in err
    if code == 2:
        lines = [line for line in err.strip().splitlines() if not line.startswith("workbench: note:")]
        assert len(lines) == 1 and lines[0].startswith("workbench: "), err
