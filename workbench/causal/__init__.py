"""Policy impact for changes that were never A/B tested (``workbench impact``).

The unit x period panel of a measure is aggregated in DuckDB (:mod:`workbench.causal.panel`); the
estimators work on that small panel in numpy/scipy/statsmodels: two-way fixed effects DiD and event study
(:mod:`.twfe`), synthetic control (:mod:`.synthetic`), Callaway & Sant'Anna staggered adoption
(:mod:`.staggered`) and an interrupted time series for one series without controls (:mod:`.its`).
:func:`workbench.causal.impact.run_impact` ties them together into the ``impact/1`` document.
"""

SCHEMA = "impact/1"
GRAINS = ("day", "week", "month", "quarter", "year")
METHODS = ("did", "event-study", "synthetic", "staggered", "its", "all")
