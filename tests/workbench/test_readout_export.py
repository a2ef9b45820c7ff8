"""Experiment readout CSV export: the report's small-cell rules, the provenance stamp, the audit entry."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.workbench.test_clipboard import readout  # noqa: F401 (module fixture: readout with a 6-unit arm)
from workbench.readout_export import export_readout_csv, guarded_readout_frame

pytestmark = pytest.mark.timeout(120)


def test_guarded_readout_withholds_the_tiny_arm(readout):  # noqa: F811
    g = guarded_readout_frame(readout, 10)
    tiny = g.frame[g.frame["arm"] == "tiny"]
    assert len(tiny) == 2 and (tiny["n_treatment"] == "<10").all() and (tiny["p_value"] == "<10").all()
    assert (g.frame.loc[g.frame["arm"] == "treatment", "n_treatment"] == 997).all()
    assert g.withheld == 2 and g.suppression()["k"] == 10
    plain = guarded_readout_frame(readout, None)
    assert plain.withheld == 0 and plain.suppression() is None and 6 in set(plain.frame["n_treatment"])


def test_export_readout_csv_is_stamped_and_logged(readout, tmp_path):  # noqa: F811
    from workbench.audit import AuditLog
    from workbench.export import Provenance, read_provenance
    from workbench.fingerprint import sha256_file

    log = AuditLog(tmp_path / "audit.jsonl")
    prov = Provenance(workspace="study", sources=[{"name": "exp", "sha256": "ab" * 32}])
    result, _g = export_readout_csv(readout, tmp_path / "r.csv", provenance=prov, k=10, audit=log)
    df = pd.read_csv(result.path, dtype=str)
    assert "<10" in set(df["n_treatment"]) and "6" not in set(df["n_treatment"])
    stamp = read_provenance(result.path)
    assert stamp["workspace"] == "study" and stamp["sources"][0]["sha256"] == "ab" * 32
    assert stamp["suppression"]["k"] == 10 and "withheld" in stamp["suppression"]["statement"]
    entry = log.entries()[-1]
    assert entry["action"] == "export_written" and entry["details"]["sha256"] == sha256_file(result.path)
    assert entry["details"]["suppression_k"] == 10 and entry["details"]["suppressed_cells"] == 2
