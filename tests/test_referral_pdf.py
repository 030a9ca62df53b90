"""Referral card sheets: page count, text on each card and strip, QR codes that really scan."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from pathlib import Path

import pypdf
import pypdfium2 as pdfium
import pytest
import qrcode
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qrcode.constants import ERROR_CORRECT_M

from fieldwork.core.pdftext import clean_text, qr_rectangles
from fieldwork.referrals.pdf import (
    CARDS_PER_PAGE,
    PrintedCard,
    SeriesPrint,
    consent_fits,
    render_series_pdf,
)

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

CONSENT = (
    "Ik geef toestemming dat de hulpverlener mijn naam, adres en telefoonnummer doorgeeft aan "
    "de zorgzame buurt van de gemeente Moorslede, zodat iemand contact met mij opneemt over hulp "
    "en ondersteuning. Mijn gegevens worden alleen gebruikt voor deze doorverwijzing en worden "
    "verwijderd als ze niet meer nodig zijn. Ik kan mijn toestemming op elk moment intrekken bij "
    "het Sociaal huis. Meer informatie over hoe de gemeente met mijn gegevens omgaat, staat op "
    "www.moorslede.be/privacy. Een kopie van deze strook krijg ik op vraag mee. De hulpverlener "
    "bewaart deze strook veilig en geeft ze aan het Sociaal huis."
)

SERIES = SeriesPrint(
    municipality="Moorslede",
    title="Huisartsen 2026",
    service_offer=[
        ("Sociaal huis", "051 77 00 00"),
        ("OCMW - thuiszorg", "051 77 12 34"),
        ("Lokaal dienstencentrum De Kim", "051 78 90 12"),
        ("Mantelzorgpunt", "051 77 45 67"),
        ("Buurtwerk Dadizele", "051 77 88 99"),
        ("Vrijwilligerspunt", "051 77 10 10"),
        ("Huisartsenwachtpost (weekend)", "1733"),
        ("Zorgzame buurt aanspreekpersoon", "0470 12 34 56"),
    ],
    consent_text=CONSENT,
    consent_version=3,
    contact_line="Vragen? Bel de aanspreekpersoon: 051 77 00 00 (ma-vr 9-12 u)",
)


def make_cards(count: int) -> list[PrintedCard]:
    """Distinct, realistic-looking codes: 7 characters from the card alphabet."""
    cards = []
    for number in range(count):
        value = int.from_bytes(hashlib.sha256(str(number).encode()).digest()[:8], "big")
        digits = []
        for _ in range(7):
            value, index = divmod(value, len(ALPHABET))
            digits.append(ALPHABET[index])
        code = "".join(digits)
        cards.append(PrintedCard(f"{code[:4]}-{code[4:]}", f"https://zorg.moorslede.be/k/{code}"))
    return cards


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def decoded_urls(pdf: bytes, page: int, dpi: int = 250) -> set[str]:
    image = pdfium.PdfDocument(pdf)[page].render(scale=dpi / 72).to_pil()
    return {result.text for result in zxingcpp.read_barcodes(image)}


def test_nine_cards_make_three_pages_and_report_progress() -> None:
    seen: list[int] = []
    pdf = render_series_pdf(SERIES, iter(make_cards(9)), progress=seen.append)

    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 3
    assert seen == [4, 8, 9]
    assert reader.metadata is not None
    assert reader.metadata.title == "Doorverwijskaarten Moorslede - Huisartsen 2026"
    width, height = (float(value) for value in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 portrait


def test_every_code_is_on_its_card_and_its_strip() -> None:
    cards = make_cards(9)
    texts = page_texts(render_series_pdf(SERIES, cards))

    for number, card in enumerate(cards):
        page = number // CARDS_PER_PAGE
        assert texts[page].count(card.code) == 2, (card.code, page)
        for other, text in enumerate(texts):
            if other != page:
                assert card.code not in text
    for text in texts:
        assert "toestemmingstekst v3" in text
        assert "Toestemming (afscheurstrook)" in text
        assert "zorg.moorslede.be" in text
        assert "Naam bewoner:" in text
        assert "Handtekening:" in text
        assert "Datum:" in text
    # The card is real text: the whole consent text is there, only re-wrapped.
    assert " ".join(texts[0].split()).count(" ".join(CONSENT.split())) == CARDS_PER_PAGE
    assert texts[2].count("Doorverwijskaart") == 1  # the last page holds one card only


def test_qr_codes_decode_to_the_card_urls() -> None:
    cards = make_cards(9)
    pdf = render_series_pdf(SERIES, cards)

    ARTIFACTS.mkdir(exist_ok=True)
    page = pdfium.PdfDocument(pdf)[0]
    page.render(scale=150 / 72).to_pil().save(ARTIFACTS / "referral-cards-page1.png")

    assert decoded_urls(pdf, 0) == {card.url for card in cards[:4]}
    assert decoded_urls(pdf, 1, dpi=200) == {card.url for card in cards[4:8]}
    assert decoded_urls(pdf, 2) == {cards[8].url}


def test_qr_rectangles_cover_exactly_the_dark_modules() -> None:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    qr.add_data("https://zorg.moorslede.be/k/K7MQ4X9")
    qr.make(fit=True)
    matrix = qr.get_matrix()

    covered: list[tuple[int, int]] = []
    for x, y, width, height in qr_rectangles(matrix):
        assert width > 0
        assert height > 0
        covered += [(x + dx, y + dy) for dx in range(width) for dy in range(height)]
    dark = [(x, y) for y, row in enumerate(matrix) for x, value in enumerate(row) if value]
    assert len(covered) == len(set(covered))  # no overlaps
    assert set(covered) == set(dark)


@pytest.mark.parametrize(
    ("changes", "count"),
    [
        ({"municipality": "Sint-Genesius-Rode 🏘️", "title": "Café-aanbod € ë é ï ç"}, 1),
        ({"title": "Huisartsen, apothekers, thuisverpleging en kinesisten regio Zuid " * 4}, 4),
        ({"service_offer": [("Dienst met een héél erg lange naam " * 5, "051 " * 30)] * 20}, 5),
        ({"service_offer": [("☎ Noodnummer 🚑", "📞 112"), ("", ""), ("Łódź – Ⅻ ﬁ", "")]}, 8),
        ({"service_offer": []}, 2),
        ({"consent_text": CONSENT * 5 + " https://example.be/" + "x" * 300}, 3),
        ({"consent_text": "Één zin.\n\n\tTweede alinea met\u200b zero-width 👍🏽 en \x00."}, 4),
        ({"contact_line": "Vragen? 😀 " + "Bel ons gerust, ook ’s avonds. " * 10}, 6),
        ({"municipality": "", "title": "", "contact_line": "", "consent_text": ""}, 1),
    ],
)
def test_odd_input_renders_with_the_right_page_count(changes: dict, count: int) -> None:
    series = replace(SERIES, **changes)
    pdf = render_series_pdf(series, make_cards(count))
    texts = page_texts(pdf)
    assert len(texts) == -(-count // CARDS_PER_PAGE)
    assert "Doorverwijskaart" in texts[0]


def test_accents_and_euro_survive_and_unsupported_characters_are_replaced() -> None:
    series = replace(
        SERIES, title="Ëlke café € 5 😀", service_offer=[("Łódź 🚑 straße", "051 00 00 00")]
    )
    codes = [PrintedCard("AB2C-3D4😀", "https://zorg.moorslede.be/k/AB2C3D4")]
    text = page_texts(render_series_pdf(series, codes))[0]
    assert "Ëlke café € 5" in text
    assert "Lódz straße" in text
    assert text.count("AB2C-3D4") == 2
    assert "■" not in text
    assert clean_text("a\u200db\ufe0f 👍🏽 c") == "ab c"
    assert clean_text("Привет") == "??????"


def test_card_codes_from_an_emoji_url_and_code_still_render() -> None:
    cards = [PrintedCard("😀", "https://zorg.moorslede.be/k/😀"), PrintedCard("", "")]
    pdf = render_series_pdf(SERIES, cards)
    texts = page_texts(pdf)
    assert len(texts) == 1
    text = texts[0]
    assert text.count("Doorverwijskaart") == 2  # both cards, each with its strip
    assert text.count("Toestemming (afscheurstrook)") == 2
    assert text.count("Huisartsenwachtpost (weekend)") == 2
    assert " ".join(text.split()).count(" ".join(CONSENT.split())) == 2
    assert "■" not in text  # no missing-glyph boxes for the emoji
    assert decoded_urls(pdf, 0) == {"https://zorg.moorslede.be/k/😀"}  # the QR keeps the URL


def test_consent_fits_reports_texts_that_would_be_cut_off() -> None:
    assert len(CONSENT) >= 600  # the longest text a series is expected to have
    assert consent_fits(CONSENT)
    assert not consent_fits(CONSENT * 3)


def test_no_cards_is_an_error() -> None:
    with pytest.raises(ValueError, match="Geen kaarten"):
        render_series_pdf(SERIES, [])


printable = st.text(max_size=120)  # any code point except lone surrogates


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    municipality=printable,
    title=printable,
    services=st.lists(st.tuples(printable, printable), max_size=12),
    consent=st.text(max_size=1500),
    contact=printable,
    version=st.integers(min_value=0, max_value=10**6),
    codes=st.lists(printable, min_size=1, max_size=9),
)
def test_any_text_renders(
    municipality: str,
    title: str,
    services: list[tuple[str, str]],
    consent: str,
    contact: str,
    version: int,
    codes: list[str],
) -> None:
    series = SeriesPrint(municipality, title, services, consent, version, contact)
    cards = [PrintedCard(code, f"https://zorg.example.be/k/{code}") for code in codes]
    seen: list[int] = []
    pdf = render_series_pdf(series, cards, progress=seen.append)
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == -(-len(codes) // CARDS_PER_PAGE)
    assert seen[-1] == len(codes)
    assert f"toestemmingstekst v{version}" in pages[0].extract_text()
