"""The access request as a readable Dutch PDF (A4): one section per kind of data, each
record a table of field and value, black on white as the other printed documents."""

from __future__ import annotations

import io
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from fieldwork.privacy.export import SECTIONS

TITLES = {
    "resident": "Bewoner",
    "consents": "Toestemmingen en hun tekst",
    "signals": "Signalen",
    "cases": "Dossiers en tijdlijn",
    "visits": "Huisbezoeken",
    "calls": "Belacties",
    "goodmorning": "Goeiemorgen-telefoon",
    "buurtgezel": "Buurtgezel: vragen en koppelingen",
    "referrals": "Doorverwijskaarten",
    "photos": "Foto's",
    "onward": "Doorverwijzingen naar partners",
}
NESTED = {
    "events": "Gebeurtenis",
    "visits": "Bevindingenfiche",
    "call_attempts": "Gesprek",
    "calls": "Geplande oproep",
    "matches": "Koppeling",
}
FIELDS = {
    "id": "nummer",
    "name": "naam",
    "street": "straat",
    "house_number": "huisnummer",
    "postcode": "postcode",
    "birth_year": "geboortejaar",
    "phone": "telefoon",
    "neighbourhood": "buurt",
    "created_at": "aangemaakt",
    "note": "notitie",
    "theme": "thema",
    "domain": "levensdomein",
    "urgency": "dringendheid",
    "source": "bron",
    "purpose": "doel",
    "method": "hoe gegeven",
    "reference": "referentie",
    "given_at": "gegeven op",
    "withdrawn_at": "ingetrokken op",
    "consent_text": "toestemmingstekst",
    "consent_text_version": "versie toestemmingstekst",
    "status": "status",
    "outcome": "resultaat",
    "opened_at": "geopend",
    "closed_at": "gesloten",
    "type": "soort",
    "at": "tijdstip",
    "detail": "details",
    "caption": "onderschrift",
    "answers": "antwoorden",
    "themes": "thema's",
    "signature_png": "handtekening",
    "strip_photo": "foto van de afscheurstrook",
}
BINARY = frozenset({"signature_png", "strip_photo"})
_STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_STYLES["BodyText"], fontSize=9, leading=12)
H1 = ParagraphStyle("h1", parent=_STYLES["Heading1"], fontSize=20, leading=26)
H2 = ParagraphStyle("h2", parent=_STYLES["Heading2"], fontSize=14, keepWithNext=1)
H3 = ParagraphStyle("h3", parent=_STYLES["Heading3"], fontSize=11, keepWithNext=1)
GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def shown(key: str, value: Any) -> str:
    """A value in words: a stored image is named, not printed as base64."""
    if value is None or value == "" or value == [] or value == {}:
        return "–"
    if key in BINARY:
        return "afbeelding bewaard (in de JSON-export)"
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {shown(k, v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(shown(key, v) for v in value)
    return str(value)


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(text), style)


def _record(record: dict[str, Any]) -> list[Any]:
    flat = [
        [_p(FIELDS.get(key, key.replace("_", " "))), _p(shown(key, value))]
        for key, value in record.items()
        if not isinstance(value, list) or key not in NESTED
    ]
    story: list[Any] = [Table(flat, colWidths=[45 * mm, 125 * mm], style=GRID, hAlign="LEFT")]
    for key, title in NESTED.items():
        children = record.get(key)
        if not isinstance(children, list):  # a column of that name (a count), shown above
            continue
        for number, child in enumerate(children, start=1):
            if isinstance(child, dict):
                story += [Spacer(1, 2 * mm), _p(f"{title} {number}", H3), *_record(child)]
    story.append(Spacer(1, 4 * mm))
    return story


def render_export(data: dict[str, Any], made_on: date) -> bytes:
    """The PDF of ``resident_export``'s answer."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        title="Inzage persoonsgegevens",
    )
    story: list[Any] = [
        _p("Inzage in je persoonsgegevens", H1),
        _p(
            "Alles wat het zorgzame-buurtensysteem van de gemeente over jou bewaart, "
            f"opgemaakt op {made_on.strftime('%d/%m/%Y')} (AVG artikel 15)."
        ),
        Spacer(1, 4 * mm),
    ]
    for section in SECTIONS:
        story.append(_p(TITLES[section], H2))
        records = data.get(section)
        items = [records] if isinstance(records, dict) else list(records or [])
        if not items:
            story.append(_p("Niets bewaard."))
        for record in items:
            story += _record(record)
    doc.build(story)
    return buffer.getvalue()
