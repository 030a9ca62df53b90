"""Counts on the home pages read as Dutch: "1 kandidaat wacht", "6 adressen", never
"adres(sen)" or "kandida(a)t(en)" (issue 19, item 9)."""

from __future__ import annotations

import re

import pytest

from fieldwork.demo.cli import DEMO_PASSWORD, DEMO_USERS
from tests.conftest import login

# "(s)", "(en)", "(sen)", "(a)t(en)", "persoon/personen", "buur/buren": a plural left to the reader
LEFT_TO_THE_READER = re.compile(r"\w\((?:s|en|sen|es|a)\)|persoon/personen|buur/buren")
# (singular, plural) as the Dutch catalogue words them; each must follow its number
WORDS = [
    ("adres te bezoeken", "adressen te bezoeken"),
    ("persoon te bellen", "personen te bellen"),
    ("kandidaat wacht", "kandidaten wachten"),
    ("open dossier,", "open dossiers,"),
    ("open alarm:", "open alarmen:"),
    ("achtergrondbericht mislukt", "achtergrondberichten mislukt"),
    ("adres kon niet", "adressen konden niet"),
]


@pytest.fixture
def demo(embedded_app):
    assert embedded_app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    return embedded_app


@pytest.mark.parametrize("email", [email for email, _role, _name in DEMO_USERS])
def test_every_home_page_counts_in_proper_dutch(demo, email):
    client = demo.test_client()
    login(client, email, DEMO_PASSWORD)
    html = client.get("/home").get_data(as_text=True)
    assert not LEFT_TO_THE_READER.search(html), LEFT_TO_THE_READER.search(html)
    for singular, plural in WORDS:
        for number in re.findall(rf"(\d+) {re.escape(singular)}", html):
            assert number == "1", f"{number} {singular}"
        for number in re.findall(rf"(\d+) {re.escape(plural)}", html):
            assert number != "1", f"{number} {plural}"


def test_the_coordinator_reads_the_candidates_waiting_as_a_sentence(demo):
    from fieldwork.extensions import db
    from fieldwork.volunteers.models import Volunteer

    with demo.app_context():
        waiting = db.session.query(Volunteer).filter_by(status="candidate").all()
        for extra in waiting[1:]:  # one left: the singular
            extra.status = "active"
        db.session.commit()
    client = demo.test_client()
    login(client, "regisseur@demo.fieldwork.be", DEMO_PASSWORD)
    html = client.get("/home").get_data(as_text=True)
    assert waiting, "the demo has candidates waiting for an intake"
    assert "1 kandidaat wacht op een intakegesprek." in html
