"""Constants the command line's parsers need, kept free of heavy imports.

``workbench metric --help`` and every command's argument parsing read these; importing
:mod:`workbench.metrics` or :mod:`workbench.demo` for them would load pandas before any work starts.
The modules that own the values import them from here, so there is one definition.
"""

from __future__ import annotations

GRAINS = ("minute", "5min", "15min", "30min", "hour", "day", "week", "month", "quarter", "year")

DEMO_DEFAULT_ROWS = 3_000_000
DEMO_DEFAULT_USERS = 200_000
DEMO_DEFAULT_SEED = 7
DEMO_MAX_ROWS = 1_000_000_000
DEMO_MAX_USERS = 100_000_000
