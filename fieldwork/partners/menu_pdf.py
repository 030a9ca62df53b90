"""The info card (menukaart): a target group's offer in a neighbourhood, printed in large type
for residents, one QR code per service to its page on the social map."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from fieldwork.core.pdftext import clean_text, fill_qr, qr_matrix

PAGE_SIZES = {"A4": A4, "A5": A5}
TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=22, leading=27)
INTRO = ParagraphStyle("intro", fontName="Helvetica", fontSize=13, leading=17)
NAME = ParagraphStyle("name", fontName="Helvetica-Bold", fontSize=15, leading=19)
TEXT = ParagraphStyle("text", fontName="Helvetica", fontSize=12.5, leading=16)
QR_SIDE = 24 * mm


@dataclass
class MenuItem:
    service: str
    organisation: str
    description: str
    phone: str
    opening_hours: str
    url: str


@dataclass
class MenuCard:
    title: str
    intro: str
    size: str  # A4 | A5
    items: list[MenuItem] = field(default_factory=list)
    empty: str = ""


class _QrCode(Flowable):
    def __init__(self, data: str, side: float) -> None:
        super().__init__()
        self.matrix = qr_matrix(data)
        self.width = self.height = side

    def draw(self) -> None:
        canvas: Canvas = self.canv
        fill_qr(canvas, self.matrix, 0, 0, self.width / len(self.matrix))


def _text(value: str) -> str:
    return escape(clean_text(value))


def _item(item: MenuItem, width: float) -> Table:
    lines = [Paragraph(_text(item.service), NAME), Paragraph(_text(item.organisation), TEXT)]
    if item.description:
        lines.append(Paragraph(_text(item.description), TEXT))
    if item.phone:
        lines.append(Paragraph(f"<b>{_text(item.phone)}</b>", TEXT))
    if item.opening_hours:
        lines.append(Paragraph(_text(item.opening_hours), TEXT))
    table = Table(
        [[lines, _QrCode(item.url, QR_SIDE)]],
        colWidths=[width - QR_SIDE - 4 * mm, QR_SIDE + 4 * mm],
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, "#888888"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4 * mm),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def render_menu_card(card: MenuCard) -> bytes:
    buffer = io.BytesIO()
    size = PAGE_SIZES[card.size]
    margin = 12 * mm if card.size == "A5" else 18 * mm
    document = SimpleDocTemplate(
        buffer,
        pagesize=size,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin,
        title=clean_text(card.title),
    )
    width = size[0] - 2 * margin
    story: list[Flowable] = [
        Paragraph(_text(card.title), TITLE),
        Spacer(1, 3 * mm),
        Paragraph(_text(card.intro), INTRO),
        Spacer(1, 6 * mm),
    ]
    for item in card.items:
        story.append(KeepTogether([_item(item, width), Spacer(1, 3 * mm)]))
    if not card.items:
        story.append(Paragraph(_text(card.empty), INTRO))
    document.build(story)
    return buffer.getvalue()
