"""Protections applied by the engine to every analysis result, whatever asked for it.

* :mod:`.policy` — the protection policy a workspace carries (suppression or cell-key perturbation, k,
  personal-data columns) and the installation's minimum policy no workspace can lower.
* :mod:`.cellkey` — the cell-key method: record keys, the perturbation table, perturbed counts in SQL.
* :mod:`.apply` — one function per kind of result (metric tables, generic count tables) that the CLI,
  the GUI and reports call.
* :mod:`.release_log` — which cells were released, and the differencing warning.
* :mod:`.masked_views` — personal-data columns masked in the catalog's views until revealed.
"""
