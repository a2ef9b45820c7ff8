"""Architecture rules: the engine stays free of Qt (importing every engine module loads no Qt or widgets
module), the import-linter contracts in pyproject.toml hold (no Qt in the engine, no CLI below the CLI, no
``duckdb`` outside workbench.backend) and the type-checked modules pass mypy."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGINE = ROOT / "workbench"


def test_engine_imports_no_qt():
    modules = sorted(
        "workbench." + ".".join(p.relative_to(ENGINE).with_suffix("").parts)
        for p in ENGINE.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py")
    )
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'widgets')]\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_are_kept():
    """``lint-imports`` over the contracts in pyproject.toml: it also sees imports inside functions."""
    code = (
        "from importlinter.cli import lint_imports\n"
        "raise SystemExit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" in result.stdout and " 0 broken" in result.stdout
    # The backend seam's contract is among those checked (its name can wrap over two lines).
    assert "Only workbench.backend imports duckdb" in " ".join(result.stdout.split())


def test_type_checker_passes_on_the_checked_modules():
    """``mypy`` over all of ``workbench/`` (pyproject.toml [tool.mypy] files): typed cursor/connection
    parameters are checked against the backend's Cursor protocol, so a call the DuckDB handle does not
    support fails here."""
    pytest.importorskip("mypy")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # mypy's own incremental cache (.mypy_cache, git-ignored): a cold run takes ~15 s of CPU, a warm one ~2 s.
    result = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_type_checker_covers_all_of_the_engine():
    """The type-checked set is the whole engine package, not a list that new modules can stay out of."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert config["files"] == ["workbench"]
