"""The neighbourhood analysis in words a council member reads: no "p90", numbers with a
decimal comma (issue 19, item 9)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from fieldwork.areas.models import Neighbourhood
from fieldwork.demo.cli import DEMO_PASSWORD
from fieldwork.extensions import db
from tests.conftest import login


@pytest.fixture
def demo(embedded_app):
    assert embedded_app.test_cli_runner().invoke(args=["demo", "load"]).exit_code == 0
    return embedded_app


def test_time_to_first_contact_is_said_in_words_with_a_decimal_comma(demo):
    from fieldwork.cases.models import Case
    from fieldwork.cases.services import log_contact_attempt

    with demo.app_context():
        hoods = db.session.scalars(select(Neighbourhood.id)).all()
        for case in db.session.scalars(select(Case).where(Case.closed_at.is_(None))):
            if case.owner is not None and case.first_contact_at is None:
                log_contact_attempt(case, case.owner, "reached", "")
        db.session.commit()
    client = demo.test_client()
    login(client, "regisseur@demo.fieldwork.be", DEMO_PASSWORD)
    values = []
    for hood in hoods:
        html = client.get(f"/buurtanalyse/{hood}").get_data(as_text=True)
        assert "p90" not in html
        assert "mediaan" not in html.lower()
        assert "Eerste contact: 9 op 10 bewoners binnen" in html
        values += re.findall(r"<td>([\d.,]+) dagen</td>", html)
    assert values, "the demo has cases with a first contact"
    assert all(re.fullmatch(r"\d+,\d", value) for value in values), values
