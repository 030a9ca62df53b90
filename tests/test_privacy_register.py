"""The register of processing activities (GDPR art. 30): a coordinator page and PDF made
from the running configuration (embedded and production)."""

from __future__ import annotations

import io

import pypdf
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldwork.privacy.register import (
    CLOSED_CASES_DEFAULT,
    CLOSED_CASES_KEY,
    TARGET_LISTS_DEFAULT,
    TARGET_LISTS_KEY,
    build_register,
    months,
)
from tests.conftest import login


def pdf_text(pdf: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def test_the_register_shows_the_default_retention(app, users):
    client = app.test_client()
    login(client, "coordinator@example.be")
    page = client.get("/privacy/register")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Register van verwerkingsactiviteiten" in html
    assert "24 maanden na het sluiten van het dossier" in html
    assert "6 maanden na het einde van de bezoekronde of belactie" in html
    for heading in ("Doel", "Categorieën gegevens", "Categorieën personen", "Ontvangers"):
        assert heading in html
    assert "Beveiligingsmaatregelen" in html


def test_changing_a_retention_setting_changes_the_page_and_the_pdf(app, users):
    client = app.test_client()
    login(client, "coordinator@example.be")
    app.config[CLOSED_CASES_KEY] = 36
    app.config[TARGET_LISTS_KEY] = "3"  # as it comes from the environment
    app.config["MAIL_SERVER"] = "smtp.moorslede.be"
    html = client.get("/privacy/register").get_data(as_text=True)
    assert "36 maanden na het sluiten van het dossier" in html
    assert "24 maanden" not in html
    assert "3 maanden na het einde van de bezoekronde" in html
    assert "smtp.moorslede.be" in html  # the e-mail server is a processor
    pdf = client.get("/privacy/register.pdf")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "Register van verwerkingsactiviteiten" in text
    assert "36 maanden na het sluiten van het dossier" in text
    assert "3 maanden na het einde van de bezoekronde" in text
    assert "Bewaartermijn" in text


@pytest.mark.parametrize("role", ["volunteer", "referrer", "contact_person", "analyst"])
def test_only_the_coordinator_sees_the_register(app, users, role):
    client = app.test_client()
    assert client.get("/privacy/register").status_code == 302  # to the login page
    login(client, f"{role}@example.be")
    assert client.get("/privacy/register").status_code == 403
    assert client.get("/privacy/register.pdf").status_code == 403


@given(st.one_of(st.integers(-1000, 1000), st.text(max_size=5), st.none(), st.floats()))
def test_any_setting_gives_a_positive_period_in_the_register(value):
    period = months({CLOSED_CASES_KEY: value}, CLOSED_CASES_KEY, CLOSED_CASES_DEFAULT)
    assert period > 0
    if isinstance(value, int) and value > 0:
        assert period == value
    register = build_register({CLOSED_CASES_KEY: value})
    retention = register.activities[0].retention
    assert retention.startswith(f"{period} maand")
    lists = register.activities[1].retention
    assert lists.startswith(f"{TARGET_LISTS_DEFAULT} maanden")
