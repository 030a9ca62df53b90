"""The printed neighbourhood report reads as a council member expects (issue 19, item 9): the
period on the cover, indicators with their unit, and no heading left alone at the bottom of a
page, however long the sections before it are."""

from __future__ import annotations

import io
from datetime import date

from PIL import Image
from pypdf import PdfReader

from fieldwork.reports.indicators import Comparison, Figure
from fieldwork.reports.models import Quote
from fieldwork.reports.pdf import ReportData, render_report

FIGURES = {
    "visits": {"target": 40, "done": 31, "spoken": 22},
    "calls": {"targets": 12, "reached": 9},
    "referrals": {"filed": 6},
    "signals": {"total": 18, "by_theme": {"eenzaamheid": 7, "mobiliteit": "<5"}},
    "cases": {"opened": 11, "first_contact_days": {"median": 2.5, "p90": 6.0}},
    "volunteers": {"active": 8},
}


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), (120, 160, 90)).save(out, "JPEG")
    return out.getvalue()


def pages(data: ReportData) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(render_report(data))).pages]


def report(quotes: int = 0, comparisons: list[Comparison] | None = None) -> ReportData:
    return ReportData(
        municipality="Moorslede",
        neighbourhood="Dadizele",
        made_on=date(2026, 12, 6),
        period="alles van 03/02/2026 tot en met 06/12/2026",
        figures=FIGURES,
        indicators=comparisons or [],
        quotes=[Quote(text=f"Citaat nummer {n} over de buurt.", theme=None) for n in range(quotes)],
        photos=[("Het bankje aan de kerk", jpeg())],
    )


def test_the_cover_says_which_period_the_figures_cover():
    cover = pages(report())[0]
    assert "Periode: alles van 03/02/2026 tot en met 06/12/2026" in cover


def test_indicators_carry_their_unit():
    share = Comparison(
        indicator="share_80plus",
        year=2025,
        neighbourhood=Figure(7.5),
        municipality=Figure(6.25),
        previous_year=2024,
        previous=None,
    )
    text = "\n".join(pages(report(comparisons=[share])))
    assert "7,5 %" in text
    assert "6,2 %" in text or "6,3 %" in text


def test_the_photos_heading_is_never_alone_at_the_bottom_of_a_page():
    for quotes in range(0, 60, 3):  # pushes the heading down the page, step by step
        for page in pages(report(quotes=quotes)):
            if "Foto's" in page.split("\n"):
                assert "Het bankje aan de kerk" in page, f"{quotes} quotes: heading orphaned"
