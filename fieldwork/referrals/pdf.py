"""Printable A4 sheets of referral cards (doorverwijskaarten) with a tear-off consent strip.

Four A6 cells (105 x 148.5 mm) per A4 portrait page, so a stack is cut with two guillotine
cuts. Each cell holds the card itself (QR code, typable code, instruction, the local service
offer) and, below a dashed tear line, the consent strip (afscheurstrook) that the resident
signs; the card code is printed on both so the two can be matched again.

Pure Python: no Flask, no database. Everything that is the same on every card of a series is
laid out once and stored as a PDF form XObject that each cell reuses; per card only the QR
code (filled vector rectangles, crisp at any printer resolution), the code and the host are
drawn. Pages are produced one at a time from the ``cards`` iterable, without images.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from fieldwork.core.pdftext import (
    ascent,
    clean_paragraphs,
    clean_text,
    fill_qr,
    fit,
    qr_matrix,
    text_width,
    truncate,
    wrap,
)

CARDS_PER_PAGE = 4  # 2 x 2 on A4 portrait, each card 105 x 148.5 mm (A6)


@dataclass(frozen=True)
class PrintedCard:
    code: str  # display form, e.g. "K7MQ-4X9"
    url: str  # what the QR code encodes, e.g. "https://zorg.moorslede.be/k/K7MQ4X9"


@dataclass(frozen=True)
class SeriesPrint:
    municipality: str  # "Moorslede"
    title: str  # series name, e.g. "Huisartsen 2026"
    service_offer: list[tuple[str, str]]  # [("Sociaal huis", "051 77 00 00"), ...]
    consent_text: str  # Dutch, a few sentences (up to ~600 characters fit without truncation)
    consent_version: int  # printed as "toestemmingstekst v3"
    contact_line: str = ""  # optional: "Vragen? Bel de aanspreekpersoon: 051 ..."


# --- geometry (PDF points; origin bottom left) ------------------------------------------------

PAGE_W, PAGE_H = A4
COLUMNS, ROWS = 2, 2
CELL_W, CELL_H = PAGE_W / COLUMNS, PAGE_H / ROWS
MARGIN = 5 * mm  # inner margin of a cell: clears the unprintable edge of most office printers
CARD_H = 98 * mm  # from the top of the cell to the tear line; the strip gets the rest (50.5 mm)
CONTENT_W = CELL_W - 2 * MARGIN

QR_SIZE = 30 * mm
QR_QUIET_MODULES = 4
QR_MAX_MODULE = MARGIN / QR_QUIET_MODULES  # the quiet zone never exceeds the cell margin
QR_CLEAR = MARGIN + 1 * mm  # text keeps this distance from the QR modules (quiet zone + air)

CROP_MARK = 9 * mm  # ticks at the ends of the cut lines; the outer few mm may not print
CROP_CROSS = 5 * mm

BLACK, DARK, MID = 0.0, 0.25, 0.45  # grey levels; all survive black-and-white printing

SANS, SANS_BOLD, SANS_ITALIC = "Helvetica", "Helvetica-Bold", "Helvetica-Oblique"
MONO_BOLD = "Courier-Bold"
DINGBATS = "ZapfDingbats"

CONSENT_MAX_SIZE, CONSENT_MIN_SIZE = 8.0, 6.5
CARD_CODE_SIZE, STRIP_CODE_SIZE = 18.0, 12.0
INSTRUCTION = "Samen met de bewoner invullen. De bewoner ondertekent de strook."
INSTRUCTION_SIZE, OFFER_HEADING_SIZE = 8.0, 9.0

_CARD_FORM, _MARKS_FORM = "fieldworkCard", "fieldworkCropMarks"


def render_series_pdf(
    series: SeriesPrint,
    cards: Iterable[PrintedCard],
    progress: Callable[[int], None] | None = None,
) -> bytes:
    """A4 PDF, CARDS_PER_PAGE cards per page; calls progress(cards_done) after each page.

    Raises ValueError when ``cards`` is empty: a PDF without pages cannot exist.
    """
    layout = _SeriesLayout(series)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1, lang="nl-BE")
    canvas.setTitle(f"Doorverwijskaarten {series.municipality} - {series.title}")
    canvas.setSubject("Doorverwijskaarten met afscheurstrook voor toestemming")
    canvas.setAuthor(series.municipality)
    canvas.setCreator("fieldwork")

    canvas.beginForm(_CARD_FORM, 0, 0, CELL_W, CELL_H)
    layout.draw_static(canvas)
    canvas.endForm()
    canvas.beginForm(_MARKS_FORM, 0, 0, PAGE_W, PAGE_H)
    _draw_crop_marks(canvas)
    canvas.endForm()

    done = 0
    for page in _pages(cards):
        canvas.doForm(_MARKS_FORM)
        for index, card in enumerate(page):
            column, row = index % COLUMNS, index // COLUMNS
            canvas.saveState()
            canvas.translate(column * CELL_W, PAGE_H - (row + 1) * CELL_H)
            canvas.doForm(_CARD_FORM)
            layout.draw_card(canvas, card)
            canvas.restoreState()
        canvas.showPage()
        done += len(page)
        if progress is not None:
            progress(done)
    if done == 0:
        raise ValueError("Geen kaarten om af te drukken.")
    canvas.save()
    return buffer.getvalue()


def consent_fits(consent_text: str) -> bool:
    """Whether the consent text fits the strip whole (at the smallest font size at worst).

    The renderer never fails on a longer text but cuts it off with an ellipsis, so a form
    that edits the consent text should check this before saving."""
    return _fit_consent(clean_paragraphs(consent_text))[2]


def _pages(cards: Iterable[PrintedCard]) -> Iterator[list[PrintedCard]]:
    iterator = iter(cards)
    while page := list(itertools.islice(iterator, CARDS_PER_PAGE)):
        yield page


# --- text that the standard PDF fonts can show --------------------------------------------------


def _wrap_limited(
    paragraphs: list[str], font: str, size: float, width: float, max_lines: int
) -> list[str]:
    lines = wrap(paragraphs, font, size, width)
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    kept[-1] = truncate(kept[-1], font, size, width, force=True)
    return kept


# --- consent strip ---------------------------------------------------------------------------

# Vertical positions in the strip, measured from the bottom of the cell.
STRIP_SIGN_BASELINE = MARGIN + 1 * mm  # "Handtekening" row
STRIP_NAME_BASELINE = STRIP_SIGN_BASELINE + 9 * mm  # "Naam bewoner" / "Datum" row
STRIP_WRITING_SPACE = 5.5 * mm  # above the name line, for handwriting
STRIP_HEADING_SIZE = 9.0
STRIP_HEADING_BASELINE = CELL_H - CARD_H - 3.5 * mm - ascent(STRIP_HEADING_SIZE)
CONSENT_TOP = STRIP_HEADING_BASELINE - 2.5 * mm
CONSENT_BOTTOM = STRIP_NAME_BASELINE + STRIP_WRITING_SPACE


def _fit_consent(paragraphs: list[str]) -> tuple[list[str], float, bool]:
    """Lines and font size for the consent text, and whether it fitted without truncation."""
    height = CONSENT_TOP - CONSENT_BOTTOM
    size = CONSENT_MAX_SIZE
    while True:
        leading = size * 1.18
        capacity = max(1, int((height - ascent(size)) / leading) + 1)
        lines = wrap(paragraphs, SANS, size, CONTENT_W)
        if len(lines) <= capacity:
            return lines, size, True
        if size <= CONSENT_MIN_SIZE:
            return _wrap_limited(paragraphs, SANS, size, CONTENT_W, capacity), size, False
        size = max(CONSENT_MIN_SIZE, size - 0.25)


# --- the card layout ---------------------------------------------------------------------------


class _SeriesLayout:
    """Everything that is the same on all cards of a series, measured and placed once.

    Positions are baselines in cell coordinates (points from the cell's bottom left)."""

    HEADING_SIZE = 14.0
    MUNICIPALITY_SIZE, TITLE_SIZE = 10.0, 9.0
    SCAN_SIZE, HOST_SIZE = 7.5, 8.5
    SERVICE_SIZES = ((8.0, 10.2), (7.5, 9.2), (7.0, 8.4))  # (font size, leading), by preference
    CONTACT_SIZE = 7.5

    def __init__(self, series: SeriesPrint) -> None:
        self.text_column_w = CONTENT_W - QR_SIZE - QR_CLEAR  # left of the QR code
        self.consent_version = int(series.consent_version)
        self.consent, self.consent_size, _ = _fit_consent(clean_paragraphs(series.consent_text))
        contact = clean_text(series.contact_line)
        self.contact = (
            _wrap_limited([contact], SANS_ITALIC, self.CONTACT_SIZE, CONTENT_W, 2)
            if contact
            else []
        )
        self._place_header(series)
        self._place_middle()
        self._fit_services(
            [(clean_text(name), clean_text(phone)) for name, phone in series.service_offer]
        )

    def _place_header(self, series: SeriesPrint) -> None:
        """Heading, municipality and title at the top left, the QR code at the top right;
        the card code and "Scan de code ..." under the title, bottom-aligned with the QR code
        when there is room."""
        top = CELL_H - MARGIN
        width = self.text_column_w
        baseline = top - ascent(self.HEADING_SIZE)
        heading = fit("Doorverwijskaart", SANS_BOLD, self.HEADING_SIZE, width, 10.0)
        self.header = [(SANS_BOLD, heading[1], baseline, heading[0])]

        text, size = fit(
            clean_text(series.municipality), SANS_BOLD, self.MUNICIPALITY_SIZE, width, 7
        )
        baseline -= self.HEADING_SIZE * 0.3 + 2.2 * mm + ascent(size)
        self.header.append((SANS_BOLD, size, baseline, text))
        size = self.TITLE_SIZE
        for line in _wrap_limited([clean_text(series.title)], SANS, size, width, 2):
            baseline -= size * 1.2
            self.header.append((SANS, size, baseline, line))
        header_bottom = baseline - size * 0.3

        group = 3 * mm + ascent(CARD_CODE_SIZE) + 2.2 * mm + self.SCAN_SIZE * 1.25 + self.HOST_SIZE
        qr_bottom = top - QR_SIZE
        self.host_baseline = min(qr_bottom + 0.5 * mm, header_bottom - group)
        self.scan_label_baseline = self.host_baseline + self.SCAN_SIZE * 1.25
        self.code_baseline = self.scan_label_baseline + self.SCAN_SIZE + 2.2 * mm
        left_bottom = self.host_baseline - self.HOST_SIZE * 0.3
        self.below_header = min(left_bottom - 3 * mm, qr_bottom - QR_CLEAR)

    def _place_middle(self) -> None:
        """Instruction, a rule, the "Lokaal aanbod" heading; then the service lines."""
        size = INSTRUCTION_SIZE
        self.instruction = wrap([INSTRUCTION], SANS_BOLD, size, CONTENT_W - 3 * mm)
        self.instruction_baseline = self.below_header - ascent(size)
        last = self.instruction_baseline - (len(self.instruction) - 1) * size * 1.2
        self.rule_y = last - size * 0.25 - 3 * mm
        self.offer_baseline = self.rule_y - 2.8 * mm - ascent(OFFER_HEADING_SIZE)
        self.services_top = self.offer_baseline - OFFER_HEADING_SIZE * 0.25 - 2.2 * mm
        self.contact_baseline = (
            CELL_H - CARD_H + 3.5 * mm + (len(self.contact) - 1) * self.CONTACT_SIZE * 1.2
        )

    def _fit_services(self, services: list[tuple[str, str]]) -> None:
        """As many service lines as fit between the heading and the contact line, in the
        largest size that fits them all; a last line says how many were left out."""
        services = [(name, phone) for name, phone in services if name or phone]
        bottom = CELL_H - CARD_H + 3.5 * mm
        if self.contact:
            bottom = self.contact_baseline + self.CONTACT_SIZE + 2 * mm
        room = self.services_top - bottom
        for size, leading in self.SERVICE_SIZES:
            capacity = max(0, int((room - ascent(size)) / leading) + 1)
            if len(services) <= capacity:
                break
        self.service_size, self.service_leading = size, leading
        self.services_hidden = 0
        if len(services) > capacity:
            keep = max(0, capacity - 1)
            self.services_hidden = len(services) - keep
            services = services[:keep]
        self.services = services

    # -- drawing

    def draw_static(self, canvas: Canvas) -> None:
        left, right = MARGIN, CELL_W - MARGIN
        canvas.setFillGray(BLACK)
        for font, size, baseline, text in self.header:
            canvas.setFont(font, size)
            canvas.drawString(left, baseline, text)
        canvas.setFillGray(DARK)
        canvas.setFont(SANS, self.SCAN_SIZE)
        canvas.drawString(left, self.scan_label_baseline, "Scan de code of typ ze in op")
        canvas.setFillGray(BLACK)

        # Instruction, with a bar in the margin so it reads as "do this".
        canvas.setFont(SANS_BOLD, INSTRUCTION_SIZE)
        baseline = self.instruction_baseline
        for line in self.instruction:
            canvas.drawString(left + 3 * mm, baseline, line)
            baseline -= INSTRUCTION_SIZE * 1.2
        canvas.setLineWidth(1.6)
        bar_top = self.instruction_baseline + ascent(INSTRUCTION_SIZE) + 0.6
        bar_bottom = baseline + INSTRUCTION_SIZE * 1.2 - 1.8
        canvas.line(left + 0.8, bar_top, left + 0.8, bar_bottom)

        # Local service offer, as a small menu with dotted leaders.
        if self.services or self.services_hidden:
            canvas.setLineWidth(0.5)
            canvas.line(left, self.rule_y, right, self.rule_y)
            canvas.setFont(SANS_BOLD, OFFER_HEADING_SIZE)
            canvas.drawString(left, self.offer_baseline, "Lokaal aanbod")
        size, leading = self.service_size, self.service_leading
        baseline = self.services_top - ascent(size)
        for name, phone in self.services:
            self._draw_service(canvas, name, phone, baseline, size)
            baseline -= leading
        if self.services_hidden:
            canvas.setFillGray(DARK)
            canvas.setFont(SANS_ITALIC, size)
            more = "andere" if self.services_hidden > 1 else "ander"
            canvas.drawString(left, baseline, f"… en {self.services_hidden} {more} (zie website)")
            canvas.setFillGray(BLACK)

        # Contact line just above the tear line.
        canvas.setFont(SANS_ITALIC, self.CONTACT_SIZE)
        baseline = self.contact_baseline
        for line in self.contact:
            canvas.drawString(left, baseline, line)
            baseline -= self.CONTACT_SIZE * 1.2

        _draw_tear_line(canvas, CELL_H - CARD_H)
        self._draw_strip(canvas)

    def _draw_service(self, canvas: Canvas, name: str, phone: str, y: float, size: float) -> None:
        left, right = MARGIN, CELL_W - MARGIN
        phone, _ = fit(phone, SANS_BOLD, size, CONTENT_W * 0.45, size)
        phone_w = text_width(phone, SANS_BOLD, size)
        gap = 2.5 * mm if phone else 0.0
        name = truncate(name, SANS, size, CONTENT_W - phone_w - gap)
        canvas.setFont(SANS, size)
        canvas.drawString(left, y, name)
        if not phone:
            return
        canvas.setFont(SANS_BOLD, size)
        canvas.drawRightString(right, y, phone)
        start = left + text_width(name, SANS, size) + 1.2 * mm
        end = right - phone_w - 1.2 * mm
        if end - start > 2 * mm:
            canvas.saveState()
            canvas.setStrokeGray(MID)
            canvas.setLineWidth(0.7)
            canvas.setLineCap(1)
            canvas.setDash([0, 2.4])
            canvas.line(start, y + 0.6, end, y + 0.6)
            canvas.restoreState()

    def _draw_strip(self, canvas: Canvas) -> None:
        left, right = MARGIN, CELL_W - MARGIN
        canvas.setFillGray(BLACK)
        canvas.setFont(SANS_BOLD, STRIP_HEADING_SIZE)
        canvas.drawString(left, STRIP_HEADING_BASELINE, "Toestemming (afscheurstrook)")

        size = self.consent_size
        canvas.setFont(SANS, size)
        y = CONSENT_TOP - ascent(size)
        for line in self.consent:
            canvas.drawString(left, y, line)
            y -= size * 1.18

        label_size = 7.5
        split = left + CONTENT_W * 0.64
        canvas.setFont(SANS, label_size)
        canvas.setLineWidth(0.5)
        for label, x0, x1, baseline in (
            ("Naam bewoner:", left, split - 3 * mm, STRIP_NAME_BASELINE),
            ("Datum:", split, right, STRIP_NAME_BASELINE),
            ("Handtekening:", left, split - 3 * mm, STRIP_SIGN_BASELINE),
        ):
            canvas.drawString(x0, baseline, label)
            start = x0 + text_width(label, SANS, label_size) + 1.2 * mm
            canvas.line(start, baseline - 0.8, x1, baseline - 0.8)
        canvas.setFillGray(DARK)
        canvas.setFont(SANS, 6.5)
        canvas.drawRightString(
            right, STRIP_SIGN_BASELINE, f"toestemmingstekst v{self.consent_version}"
        )
        canvas.setFillGray(BLACK)

    def draw_card(self, canvas: Canvas, card: PrintedCard) -> None:
        """The parts that differ per card, in cell coordinates."""
        left, right = MARGIN, CELL_W - MARGIN
        code = clean_text(card.code)
        _draw_qr(canvas, card.url, right, CELL_H - MARGIN)

        text, size = fit(code, MONO_BOLD, CARD_CODE_SIZE, self.text_column_w, 10.0)
        canvas.setFont(MONO_BOLD, size)
        canvas.drawString(left, self.code_baseline, text)

        host, size = fit(_host(card.url), SANS_BOLD, self.HOST_SIZE, self.text_column_w, 6.0)
        canvas.setFont(SANS_BOLD, size)
        canvas.drawString(left, self.host_baseline, host)

        heading_w = text_width("Toestemming (afscheurstrook)", SANS_BOLD, STRIP_HEADING_SIZE)
        room = CONTENT_W - heading_w - 4 * mm
        text, size = fit(code, MONO_BOLD, STRIP_CODE_SIZE, room, 7.0)
        canvas.setFont(MONO_BOLD, size)
        canvas.drawRightString(right, STRIP_HEADING_BASELINE, text)


def _host(url: str) -> str:
    """What a person types: the host of the URL, without scheme, path or "www."."""
    parts = urlsplit(url.strip())
    host = parts.hostname or url.strip().split("/")[0]
    host = host.removeprefix("www.")
    return clean_text(host) or clean_text(url)


# --- drawing helpers ------------------------------------------------------------------------------


def _draw_qr(canvas: Canvas, data: str, right: float, top: float) -> None:
    """The QR code's modules as one filled path of rectangles, its top right corner at
    (right, top). The quiet zone (4 modules) is left white around it."""
    matrix = qr_matrix(data)
    module = min(QR_SIZE / len(matrix), QR_MAX_MODULE)
    size = module * len(matrix)
    fill_qr(canvas, matrix, right - size, top - size, module)


def _draw_tear_line(canvas: Canvas, y: float) -> None:
    """Dashed line across the whole cell, with scissors and "knip of scheur hier"."""
    label = "knip of scheur hier"
    label_size = 6.0
    scissors_x = MARGIN
    label_x = scissors_x + 5 * mm
    label_end = label_x + text_width(label, SANS, label_size) + 1.5 * mm

    canvas.saveState()
    canvas.setFillGray(BLACK)
    canvas.setFont(DINGBATS, 9)
    canvas.drawString(scissors_x, y - 2.3, "✂")
    canvas.setFillGray(DARK)
    canvas.setFont(SANS, label_size)
    canvas.drawString(label_x, y - 2.1, label)
    canvas.setStrokeGray(BLACK)
    canvas.setLineWidth(0.6)
    canvas.setDash([2 * mm, 1.4 * mm])
    canvas.line(0, y, scissors_x - 1 * mm, y)
    canvas.line(label_end, y, CELL_W, y)
    canvas.restoreState()


def _draw_crop_marks(canvas: Canvas) -> None:
    """Ticks where the two guillotine cuts meet the paper edge, and a cross where they meet:
    every cell corner that needs cutting is marked, on the cut line itself."""
    canvas.saveState()
    canvas.setStrokeGray(BLACK)
    canvas.setLineWidth(0.3)
    for column in range(1, COLUMNS):
        x = column * CELL_W
        canvas.line(x, PAGE_H, x, PAGE_H - CROP_MARK)
        canvas.line(x, 0, x, CROP_MARK)
    for row in range(1, ROWS):
        y = row * CELL_H
        canvas.line(0, y, CROP_MARK, y)
        canvas.line(PAGE_W - CROP_MARK, y, PAGE_W, y)
    for column in range(1, COLUMNS):
        for row in range(1, ROWS):
            x, y = column * CELL_W, row * CELL_H
            canvas.line(x - CROP_CROSS, y, x + CROP_CROSS, y)
            canvas.line(x, y - CROP_CROSS, x, y + CROP_CROSS)
    canvas.restoreState()
