"""The printable neighbourhood report (PDF, A4, Dutch): cover, the figures (quantitative
part), what was heard (qualitative part), the attention points, photos with report consent,
and the sources. Black text on white, tables with lines and no colour that carries meaning,
so that it reads well printed in black and white."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import (
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from fieldwork.core.formatting import dutch_decimal
from fieldwork.core.pdftext import clean_text
from fieldwork.reports.indicators import indicator_unit
from fieldwork.reports.models import AttentionPoint, Quote
from fieldwork.signals.vocabulary import label
from fieldwork.visits.answers import Answers, Cell, Section

SECTIONS = (
    "Cijfers",
    "Wat de bewoners zeiden",
    "Wat we hoorden",
    "Aandachtspunten",
    "Foto's",
    "Bronnen",
)
_STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_STYLES["BodyText"], fontSize=11, leading=15)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=9, leading=12)
H1 = ParagraphStyle("h1", parent=_STYLES["Heading1"], fontSize=22, leading=28)
# keepWithNext: a heading never stays alone at the bottom of a page
H2 = ParagraphStyle(
    "h2", parent=_STYLES["Heading2"], fontSize=16, leading=20, spaceBefore=8, keepWithNext=1
)
H3 = ParagraphStyle(
    "h3", parent=_STYLES["Heading3"], fontSize=13, leading=17, spaceBefore=6, keepWithNext=1
)
QUOTE = ParagraphStyle("quote", parent=BODY, leftIndent=8 * mm, fontName="Helvetica-Oblique")
GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 10),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


@dataclass
class ReportData:
    """Everything the printed report shows; counts only, suppressed (the report leaves the
    municipality)."""

    municipality: str
    neighbourhood: str
    made_on: date
    period: str  # what the figures cover, in words
    figures: dict[str, Any]
    indicators: list[Any] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    points: list[AttentionPoint] = field(default_factory=list)
    photos: list[tuple[str, bytes]] = field(default_factory=list)  # caption, thumbnail JPEG
    sources: list[str] = field(default_factory=list)
    findings: dict[int, list[str]] = field(default_factory=dict)  # attention point: in words
    answers: Answers | None = None  # the visits' and calls' answers, suppressed per line
    # the social map: services for the neighbourhood, organisations there, themes uncovered
    facilities: tuple[list[str], list[str], list[str]] | None = None


def _facilities(facilities: tuple[list[str], list[str], list[str]] | None) -> list[Any]:
    if facilities is None:
        return []
    services, located, uncovered = facilities
    return [
        _p("Voorzieningen (sociale kaart)", H2),
        _p(f"Aanbod voor deze buurt ({len(services)}): " + (", ".join(services) or "geen")),
        _p("Gevestigd in de buurt: " + (", ".join(located) or "geen organisaties")),
        _p("Thema's zonder aanbod: " + (", ".join(uncovered) or "geen")),
        Spacer(1, 4 * mm),
    ]


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _n(value: Any) -> str:
    """A count as printed: suppressed cells stay "<5", nothing is a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return dutch_decimal(value, 1)
    if isinstance(value, int):
        return dutch_decimal(value, 0)  # 1.234
    return str(value)


def _table(rows: list[list[Any]], widths: list[float]) -> Table:
    table = Table(
        [[_p(c, SMALL) if isinstance(c, str) and len(c) > 40 else c for c in row] for row in rows],
        colWidths=widths,
        repeatRows=1,
    )
    table.setStyle(GRID)
    return table


def _figures(figures: dict[str, Any]) -> list[Any]:
    visits, calls, cases = figures["visits"], figures["calls"], figures["cases"]
    rows = [
        ["Wat", "Aantal"],
        ["Adressen in de bezoekrondes", _n(visits["target"])],
        ["Bezoeken gedaan", _n(visits["done"])],
        ["Gesproken aan de deur", _n(visits["spoken"])],
        ["Mensen op de bellijst", _n(calls["targets"])],
        ["Bereikt aan de telefoon", _n(calls["reached"])],
        ["Doorverwijskaarten ingevuld", _n(figures["referrals"]["filed"])],
        ["Signalen", _n(figures["signals"]["total"])],
        ["Dossiers geopend", _n(cases["opened"])],
        ["Dagen tot eerste contact (mediaan)", _n(cases["first_contact_days"]["median"])],
        ["Actieve vrijwilligers", _n(figures["volunteers"]["active"])],
    ]
    themes = [
        [label("theme", theme), _n(count)]
        for theme, count in figures["signals"]["by_theme"].items()
        if count
    ]
    parts: list[Any] = [
        _table(rows, [110 * mm, 40 * mm]),
        Spacer(1, 6 * mm),
        _p("Signalen per thema", H2),
    ]
    parts.append(
        _table([["Thema", "Signalen"], *themes], [110 * mm, 40 * mm])
        if themes
        else _p("Nog geen signalen.")
    )
    parts.append(
        _p('Kleine aantallen (minder dan 5) staan als "<5", zodat niemand herkenbaar wordt.', SMALL)
    )
    return parts


def _theme_rows(section: Section) -> list[list[str]]:
    """Per theme ok / zorg / niet besproken, as the CSV shows them ("<5", "x")."""
    return [
        [label("theme", line.code), *(_n(cell.count) for cell in line.cells)]
        for line in section.lines
    ]


def _answers(answers: Answers | None) -> list[Any]:
    """The section "Wat de bewoners zeiden": the heading kept with its table, then the
    interests, the information handed out and each campaign's guide."""
    heading = _p("Wat de bewoners zeiden", H2)
    themes = next((s for s in answers.sections if s.code == "themes"), None) if answers else None
    if answers is None or themes is None:
        return [heading, _p("Nog geen antwoorden.")]
    rows = [["Thema", "ok", "zorg", "niet besproken"], *_theme_rows(themes)]
    parts: list[Any] = [
        KeepTogether(
            [
                heading,
                _p(f"Bevraagd (huisbezoeken en belacties): {_n(answers.respondents)}", SMALL),
                _table(rows, [80 * mm, 25 * mm, 25 * mm, 30 * mm]),
            ]
        ),
        _p('Bij een sterkte (kan mantelzorg geven) telt "zorg" wie ja zei.', SMALL),
    ]
    for section in answers.sections:
        if section.code in ("interests", "info"):
            parts += _yes_table(section)
        elif section.code == "guide":
            parts += _guide_table(section)
    return parts


def _share(cell: Cell) -> str:
    return "–" if cell.share is None else f"{_n(cell.share)} %"


def _yes_table(section: Section) -> list[Any]:
    """Options ticked (interests, information handed out): how many said yes, and the share
    of the visits."""
    title = {"interests": "Interesse in", "info": "Informatie meegegeven"}[section.code]
    rows = [
        [line.label, _n(cell.count), _share(cell)] for line in section.lines for cell in line.cells
    ]
    if not rows:
        return [KeepTogether([_p(title, H3), _p("Niets aangeduid.", SMALL)])]
    table = _table([[title, "Aantal", "Aandeel"], *rows], [100 * mm, 30 * mm, 30 * mm])
    return [KeepTogether([_p(title, H3), table])]


def _guide_table(section: Section) -> list[Any]:
    """A campaign's guide: per question its answers (free text only as answered)."""
    rows: list[list[Any]] = [["Vraag en antwoord", "Aantal", "Aandeel"]]
    for line in section.lines:
        rows.append([clean_text(line.label), "", ""])
        rows += [
            [f"   {clean_text(cell.label)}", _n(cell.count), _share(cell)] for cell in line.cells
        ]
    heading = _p(clean_text(section.heading), H3)
    return [KeepTogether([heading, _table(rows, [100 * mm, 30 * mm, 30 * mm])])]


def _with_unit(figure: Any, unit: str) -> str:
    if figure is None or figure.value is None:
        return "–"
    return f"{_n(figure.value)} {unit}"


def _indicators(comparisons: list[Any]) -> list[Any]:
    if not comparisons:
        return [_p("Er zijn nog geen cijfers ingeladen.")]
    rows = [["Indicator", "Jaar", "Buurt", "Gemeente", "Vorig jaar"]]
    for c in comparisons:
        unit = str(indicator_unit(c.indicator))
        rows.append(
            [
                c.label,
                str(c.year),
                _with_unit(c.neighbourhood, unit),
                _with_unit(c.municipality, unit),
                _with_unit(c.previous, unit),
            ]
        )
    return [_table(rows, [62 * mm, 16 * mm, 26 * mm, 26 * mm, 26 * mm])]


def render_report(data: ReportData) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=f"Buurtanalyse {data.neighbourhood}",
        author=data.municipality,
    )
    story: list[Any] = [
        Spacer(1, 50 * mm),
        _p(f"Buurtanalyse {data.neighbourhood}", H1),
        _p(f"Gemeente {data.municipality} — zorgzame buurt"),
        _p(f"Periode: {data.period}"),
        _p(f"Opgemaakt op {data.made_on:%d/%m/%Y}"),
        Spacer(1, 20 * mm),
        _p("Inhoud: " + ", ".join(SECTIONS)),
        PageBreak(),
        _p("Cijfers", H2),
        *_figures(data.figures),
        Spacer(1, 4 * mm),
        _p("Ingeladen indicatoren", H2),
        *_indicators(data.indicators),
        *_answers(data.answers),
        *_facilities(data.facilities),
        _p("Wat we hoorden", H2),
    ]
    story += [
        _p(f"“{q.text}”" + (f" — {label('theme', q.theme)}" if q.theme else ""), QUOTE)
        for q in data.quotes
    ] or [_p("Nog geen citaten gekozen.")]
    story.append(_p("Aandachtspunten", H2))
    for number, point in enumerate(data.points, start=1):
        story.append(_p(f"{number}. {point.title}", BODY))
        if point.text:
            story.append(_p(point.text, SMALL))
        linked = data.findings.get(point.id, [])
        if linked:
            story.append(_p("Gebaseerd op: " + ", ".join(linked), SMALL))
    if not data.points:
        story.append(_p("Nog geen aandachtspunten."))
    photos: list[list[Any]] = [
        [
            Image(io.BytesIO(jpeg), width=80 * mm, height=60 * mm, kind="proportional"),
            _p(caption or "", SMALL),
            Spacer(1, 3 * mm),
        ]
        for caption, jpeg in data.photos
    ] or [[_p("Geen foto's met toestemming voor het rapport.")]]
    # the heading on the page of the first photo, never alone at the bottom of the one before
    story.append(KeepTogether([_p("Foto's", H2), *photos[0]]))
    for photo in photos[1:]:
        story += photo
    story += [
        _p("Bronnen", H2),
        _p("Buurtgegevens: Statbel (statistische sectoren), via Provincies in Cijfers."),
        _p(
            "Veldwerk: huisbezoeken, belacties, doorverwijskaarten en foto-opdrachten in fieldwork."
        ),
    ]
    story += [_p(f"Indicatoren: {source}") for source in data.sources]
    doc.build(story)
    return out.getvalue()
