"""Protection of an experiment readout: each segment × arm is a cell of units.

A segment whose arms hold 1..k-1 units would publish the outcomes of a handful of people (means, sums,
lifts of a group of three); its statistics are withheld and its unit counts shown as "<k".
"""

from __future__ import annotations

import copy

from workbench.protection.apply import hidden_marker


def protect_readout(data: dict, policy, refuse_small_arms: bool = True) -> tuple[dict, int]:
    """A copy of the readout ``data`` with small segments withheld; returns (data, segments hidden).

    ``refuse_small_arms``: raise PolicyError when a whole arm has fewer than k units."""
    if not policy.active:
        return data, 0
    k, marker = policy.k, hidden_marker(policy.k)
    arm_units = (data.get("srm") or {}).get("observed") or {}
    few = (
        {arm: n for arm, n in arm_units.items() if isinstance(n, (int, float)) and 0 < n < k}
        if refuse_small_arms
        else {}
    )
    if few:
        # Every statistic of such an arm (mean, proportion, CI) describes fewer than k units: a release the
        # policy forbids, so the whole readout is withheld rather than printed with those arms blanked.
        from workbench.protection.policy import PolicyError

        arms = ", ".join(f"{arm!s} ({int(n)})" for arm, n in few.items())
        raise PolicyError(
            f"The readout is withheld: arm{'s' if len(few) > 1 else ''} {arms} "
            f"{'have' if len(few) > 1 else 'has'} fewer than k = {k} units, so its statistics "
            "would describe too few people (filter less, or wait for more data)"
        )
    out = copy.deepcopy(data)

    def small(units: dict) -> bool:
        return any(isinstance(n, (int, float)) and 0 < n < k for n in (units or {}).values())

    def shown(units: dict) -> dict:
        return {arm: marker if isinstance(n, (int, float)) and 0 < n < k else n for arm, n in (units or {}).items()}

    hidden = 0
    seg = out.get("segments")
    if seg and isinstance(seg.get("values"), list):
        values = []
        for entry in seg["values"]:
            if small(entry.get("units")):
                hidden += 1
                values.append(
                    {
                        "segment": entry.get("segment"),
                        "hidden": marker,
                        "units": shown(entry.get("units")),
                        "srm": {},
                        "metrics": {},
                    }
                )
            else:
                values.append(entry)
        seg["values"] = values
    if isinstance(out.get("segment_counts"), dict):
        out["segment_counts"] = {s: shown(units) for s, units in out["segment_counts"].items()}
    out["protection"] = (
        f"{policy.statement()} {hidden} segment{'s' if hidden != 1 else ''} with fewer than "
        f"k = {k} units in an arm withheld."
    )
    return out, hidden
