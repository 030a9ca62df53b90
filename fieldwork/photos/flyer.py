"""A printable A5 flyer for a photo assignment, for the letterbox or the local service
centre: the title, the first prompt, the period, a big QR code to the public link (drawn as
vector squares, crisp on any printer) with the link written out, the reminder about
recognisable people and the municipality. Black on white only, so it copies and prints in
black and white; large type for older readers. Small: made on request, never stored.

``render_flyer`` is pure Python (no Flask, no database); ``flyer_for`` reads an assignment.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from fieldwork.core.pdftext import ascent, clean_text, fill_qr, fit, qr_matrix, text_width, wrap
from fieldwork.photos.models import PhotoAssignment
from fieldwork.photos.services import prompt_for

PAGE_W, PAGE_H = A5  # portrait, 148 x 210 mm
MARGIN = 12 * mm
CONTENT_W = PAGE_W - 2 * MARGIN
QR_SIZE = 54 * mm

SANS, SANS_BOLD, SANS_ITALIC, MONO_BOLD = (
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-Oblique",
    "Courier-Bold",
)
BLACK, DARK = 0.0, 0.2  # both survive photocopying

SCAN = "Scan de code met de camera van je gsm"
EVERY_WEEK = "Elke week een nieuwe vraag."
NO_ACCOUNT = "Geen account nodig. Je kiest zelf wat we met je foto mogen doen."
REMINDER = "Fotografeer geen herkenbare mensen zonder hun toestemming."
MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


@dataclass(frozen=True)
class FlyerText:
    municipality: str  # "Hamont-Achel"
    title: str
    prompt: str  # the first week's prompt
    contrast: str  # its contrast, or ""
    several_prompts: bool  # "elke week een nieuwe vraag"
    starts_on: date
    ends_on: date
    url: str  # what the QR code encodes and the flyer writes out
    neighbourhoods: tuple[str, ...] = ()


def dutch_date(day: date, with_year: bool = True) -> str:
    text = f"{day.day} {MONTHS[day.month - 1]}"
    return f"{text} {day.year}" if with_year else text


def period_text(starts_on: date, ends_on: date) -> str:
    """ "van 2 maart tot 31 mei 2026" (the year once when both days share it)."""
    same_year = starts_on.year == ends_on.year
    return f"van {dutch_date(starts_on, not same_year)} tot {dutch_date(ends_on)}"


def flyer_for(assignment: PhotoAssignment, url: str) -> FlyerText:
    first = prompt_for(assignment, 1)
    return FlyerText(
        municipality=assignment.municipality.name,
        title=assignment.title,
        prompt=first.get("prompt") or assignment.title,
        contrast=first.get("contrast") or "",
        several_prompts=len(assignment.prompts or []) > 1,
        starts_on=assignment.starts_on,
        ends_on=assignment.ends_on,
        url=url,
        neighbourhoods=tuple(n.name for n in assignment.neighbourhoods),
    )


def _lines_fitting(
    text: str, font: str, sizes: tuple[float, ...], width: float, max_lines: int
) -> tuple[list[str], float]:
    """The largest size at which the text wraps into max_lines; else the smallest, cut."""
    paragraphs = [clean_text(text)] if clean_text(text) else []
    for size in sizes:
        lines = wrap(paragraphs, font, size, width)
        if len(lines) <= max_lines:
            return lines, size
    size = sizes[-1]
    lines = wrap(paragraphs, font, size, width)[:max_lines]
    if lines:
        lines[-1] = lines[-1].rstrip() + "…"
    return lines, size


def _draw_lines(
    canvas: Canvas,
    lines: list[str],
    font: str,
    size: float,
    top: float,
    leading: float = 1.2,
    x: float = MARGIN,
) -> float:
    """Lines whose first visible top is at ``top``; returns the bottom of the last line."""
    canvas.setFont(font, size)
    baseline = top - ascent(size)
    for line in lines:
        canvas.drawString(x, baseline, line)
        baseline -= size * leading
    return baseline + size * leading - 0.25 * size


def _draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> float:
    """The QR code as one filled path of rectangles, bottom left at (x, y); returns the size
    drawn (a whole number of points per module)."""
    matrix = qr_matrix(data)
    module = size / len(matrix)
    fill_qr(canvas, matrix, x, y + size - module * len(matrix), module)
    return module * len(matrix)


def render_flyer(text: FlyerText) -> bytes:
    """One A5 portrait page as PDF bytes."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A5, pageCompression=1, lang="nl-BE")
    municipality = clean_text(text.municipality)
    canvas.setTitle(f"Foto-opdracht {municipality} - {clean_text(text.title)}")
    canvas.setSubject("Flyer met QR-code voor een foto-opdracht")
    canvas.setAuthor(municipality)
    canvas.setCreator("fieldwork")
    canvas.setFillGray(BLACK)
    canvas.setStrokeGray(BLACK)
    left, right = MARGIN, PAGE_W - MARGIN

    # -- header: who asks, and what this is
    top = PAGE_H - MARGIN
    canvas.setFont(SANS_BOLD, 13)
    head, size = fit(f"Gemeente {municipality}", SANS_BOLD, 13, CONTENT_W * 0.62, 9)
    canvas.setFont(SANS_BOLD, size)
    canvas.drawString(left, top - ascent(13), head)
    canvas.setFont(SANS_BOLD, 13)
    canvas.drawRightString(right, top - ascent(13), "FOTO-OPDRACHT")
    rule_y = top - 13 - 2.5 * mm
    canvas.setLineWidth(2)
    canvas.line(left, rule_y, right, rule_y)

    # -- title and period
    lines, size = _lines_fitting(text.title, SANS_BOLD, (26, 23, 20, 18), CONTENT_W, 2)
    bottom = _draw_lines(canvas, lines, SANS_BOLD, size, rule_y - 5 * mm, 1.12)
    period = clean_text(period_text(text.starts_on, text.ends_on))
    period = period[:1].upper() + period[1:]
    period_line, period_size = fit(period, SANS, 13, CONTENT_W, 9)
    bottom = _draw_lines(canvas, [period_line], SANS, period_size, bottom - 3 * mm)

    # -- the bottom part, from the bottom up: footer, reminder, link, QR code
    footer = f"Een initiatief van de zorgzame buurt, gemeente {municipality}"
    if text.neighbourhoods:
        names = [clean_text(n) for n in text.neighbourhoods]
        listed = (
            f"de buurten {', '.join(names[:-1])} en {names[-1]}"
            if len(names) > 1
            else f"de buurt {names[0]}"
        )
        footer = f"Voor {listed} - gemeente {municipality}"
    footer_lines, footer_size = _lines_fitting(footer, SANS, (9.5, 8.5, 7.5), CONTENT_W, 2)
    footer_top = MARGIN + ascent(footer_size) + (len(footer_lines) - 1) * footer_size * 1.2
    canvas.setFillGray(DARK)
    _draw_lines(canvas, footer_lines, SANS, footer_size, footer_top)
    canvas.setFillGray(BLACK)

    reminder_lines, reminder_size = _lines_fitting(
        REMINDER, SANS_BOLD, (13, 12, 11), CONTENT_W - 8 * mm, 2
    )
    box_h = len(reminder_lines) * reminder_size * 1.2 + 5 * mm
    box_y = footer_top + 4 * mm
    canvas.setLineWidth(2)
    canvas.rect(left, box_y, CONTENT_W, box_h, stroke=1, fill=0)
    canvas.setLineWidth(5)
    canvas.line(left + 2.5, box_y, left + 2.5, box_y + box_h)  # a bar: read this
    _draw_lines(
        canvas, reminder_lines, SANS_BOLD, reminder_size, box_y + box_h - 2.5 * mm, x=left + 5 * mm
    )

    url = clean_text(text.url)
    url_line, url_size = fit(url, MONO_BOLD, 13, CONTENT_W, 8)
    url_lines = (
        [url_line]
        if text_width(url_line, MONO_BOLD, url_size) <= CONTENT_W
        else wrap([url], MONO_BOLD, url_size, CONTENT_W)
    )
    url_top = box_y + box_h + 5 * mm + ascent(url_size) + (len(url_lines) - 1) * url_size * 1.2
    _draw_lines(canvas, url_lines, MONO_BOLD, url_size, url_top)
    link_bottom = box_y + box_h + 4 * mm
    canvas.linkURL(text.url, (left, link_bottom, right, url_top + 1), relative=0)

    qr_y = url_top + 4 * mm
    drawn = _draw_qr(canvas, text.url, left, qr_y, QR_SIZE)
    column_x = left + drawn + 6 * mm
    column_w = right - column_x
    scan_lines, scan_size = _lines_fitting(SCAN, SANS_BOLD, (15, 14, 13, 12), column_w, 4)
    scan_bottom = _draw_lines(canvas, scan_lines, SANS_BOLD, scan_size, qr_y + drawn, x=column_x)
    hint_lines, hint_size = _lines_fitting(NO_ACCOUNT, SANS, (11, 10, 9), column_w, 5)
    _draw_lines(canvas, hint_lines, SANS, hint_size, scan_bottom - 4 * mm, x=column_x)
    canvas.linkURL(text.url, (left, qr_y, left + drawn, qr_y + drawn), relative=0)

    # -- the prompt, in the room between the period and the QR code
    room_top = bottom - 6 * mm
    room_bottom = qr_y + drawn + 7 * mm
    label = "De eerste vraag" if text.several_prompts else "De vraag"
    canvas.setFillGray(DARK)
    y = _draw_lines(canvas, [label.upper()], SANS_BOLD, 10, room_top)
    canvas.setFillGray(BLACK)
    extra = (1 if text.contrast else 0) + (1 if text.several_prompts else 0)
    for sizes in ((20, 18, 16), (15, 14, 13), (12, 11)):
        prompt_lines, prompt_size = _lines_fitting(text.prompt, SANS_BOLD, sizes, CONTENT_W, 4)
        contrast_lines, contrast_size = _lines_fitting(
            f"En: {text.contrast}" if text.contrast else "",
            SANS,
            (sizes[-1] - 2, 11, 10),
            CONTENT_W,
            3,
        )
        needed = (
            len(prompt_lines) * prompt_size * 1.18
            + len(contrast_lines) * contrast_size * 1.2
            + extra * 14
            + 4 * mm
        )
        if y - 2 * mm - needed >= room_bottom:
            break
    y = _draw_lines(canvas, prompt_lines, SANS_BOLD, prompt_size, y - 2 * mm, 1.18)
    if contrast_lines:
        y = _draw_lines(canvas, contrast_lines, SANS, contrast_size, y - 2 * mm)
    if text.several_prompts:
        _draw_lines(canvas, [EVERY_WEEK], SANS_ITALIC, 12, y - 3 * mm)

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
