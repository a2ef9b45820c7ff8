"""The evidence report's PDF: wide tables split into parts, long narrow ones flowed, every cell printed."""

from __future__ import annotations

import html as htmllib
import re
import shutil
import subprocess
import unicodedata
from collections import Counter

import pytest

from tests.workbench.test_report_analyses import report  # noqa: F401  (fixture: anomaly + experiment sections)
from workbench.metrics import Measure, MetricSpec, metric_series
from workbench.report import ReportSection, render_html

pytestmark = pytest.mark.timeout(120)


def _cells(page: str) -> list[str]:
    """Texts of the data cells (not the print layout's flow containers, not the suppression box)."""
    page = re.sub(r'<table class="box".*?</table>', "", page, flags=re.S)
    return [
        htmllib.unescape(re.sub("<[^>]+>", "", c)) for c in re.findall(r'<td(?! class="flow")[^>]*>(.*?)</td>', page)
    ]


@pytest.fixture
def full_report(report, con):  # noqa: F811
    rep, tmp = report
    spec = MetricSpec(table="events", measure=Measure("count"), time_column="ts", grain="day", breakdown="country")
    frame = metric_series(con.cursor(), spec).frame.drop(columns=["comparison_value"])
    assert len(frame) > 60  # a long, narrow table: flowed side by side in print
    rep.sections.insert(
        0, ReportSection("Events per day by country", data=frame, recipe={"kind": "metric", "spec": spec.to_dict()})
    )
    return rep, tmp


def test_pdf_prints_every_cell_of_the_html(qapp, full_report):
    from widgets.report_pdf import print_layout, report_to_pdf

    rep, tmp = full_report
    when = "2026-01-01T00:00:00+00:00"
    screen = render_html(rep, generated_at=when)
    printed = render_html(rep, generated_at=when, layout=print_layout())
    assert 'class="part"' not in screen and 'class="page"' not in screen  # the HTML report keeps its layout
    assert "Part 1 of 2" in printed  # the results table is wider than A4 portrait: split, keys repeated
    # Same cells, arranged differently: split tables repeat their key columns, nothing else is added.
    assert not Counter(_cells(screen)) - Counter(_cells(printed))
    assert set(_cells(printed)) == set(_cells(screen))

    pdf = report_to_pdf(rep, tmp / "evidence.pdf", generated_at=when)
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert 6 <= pages <= 11, pages  # 8 now: cover, 3 sections on their own pages, appendix
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: cell text not checked")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    tokens = set(unicodedata.normalize("NFKC", text).split())  # the PDF's text uses ligatures (ﬁ)
    lost = [c for c in _cells(screen) if any(t not in tokens for t in c.split())]
    assert not lost, lost[:10]
    text = unicodedata.normalize("NFKC", text)
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text
    for number in ("Welch", "Benjamini-Hochberg", "<10", "country=BR"):
        assert number in text, number


def test_pdf_carries_the_signed_audit_checkpoint(qapp, tmp_path):
    import pandas as pd

    from widgets.report_pdf import report_to_pdf
    from workbench.audit import AuditLog
    from workbench.audit_checkpoint import checkpoints_in, verify_against
    from workbench.export import Provenance
    from workbench.report import EvidenceReport, ReportSection, write_report

    log = AuditLog(tmp_path / "r.wbk.audit.jsonl", version="t")
    log.query_run("SELECT 1")
    rep = EvidenceReport(title="Checkpointed", provenance=Provenance(workspace="r"), k=None)
    rep.sections.append(ReportSection(title="One", data=pd.DataFrame({"a": [1]})))
    res = write_report(rep, tmp_path / "r.html", audit=log)
    pdf = report_to_pdf(rep, tmp_path / "r.pdf")
    (cp,) = checkpoints_in(pdf)
    assert cp == checkpoints_in(res.html_path)[0] and cp["key"] == log.key_fingerprint
    assert verify_against(log.path, [pdf, res.html_path]).ok
