"""Data-quality checks: rules per table (not null, unique, accepted values, range, regex, row count,
freshness, no gaps, referential integrity, a custom read-only condition) evaluated in ONE scan of the table
(one aggregate query with a FILTER per rule), failing-row samples fetched afterwards, capped.

* :func:`parse_rule` reads the command-line spelling (``not_null(col)``, ``between(col, 0, 10)``, ...).
* :func:`load_checks_file` reads a YAML checks file (Soda/dbt-like vocabulary).
* :func:`run_checks` evaluates rules on an open table and returns one :class:`CheckResult` per rule.
"""

from workbench.checks.rules import GRAINS, Rule, parse_rule
from workbench.checks.run import CheckResult, run_checks
from workbench.checks.yaml_file import load_checks_file, parse_checks

__all__ = ["GRAINS", "Rule", "parse_rule", "CheckResult", "run_checks", "load_checks_file", "parse_checks"]
