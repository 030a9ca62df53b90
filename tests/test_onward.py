"""Referral onward (issue 21): from a case to a partner's service on the social map, only with
the resident's consent to share a summary; the partner, without an account, answers through
the link in its e-mail (sent → accepted | declined → done), the contact person sees each
state on the case, and an unanswered referral is reminded after N working days — on both
paths (real SMTP; the real worker on the production one)."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from fieldwork.areas.models import Municipality
from fieldwork.cases.models import CaseEvent
from fieldwork.extensions import db
from fieldwork.notifications.models import Notification
from fieldwork.onward.models import OnwardReferral
from fieldwork.onward.services import remind_due, reminder_due, working_days_between
from fieldwork.partners.services import (
    OrganisationData,
    ServiceData,
    save_organisation,
    save_service,
)
from fieldwork.signals.models import Consent
from tests.conftest import csrf_from, login, make_user
from tests.test_case_close import assigned_case  # noqa: F401 - fixture
from tests.test_notifications import wait_for_mail
from tests.test_signals import intake, setup, wait_for_status  # noqa: F401 - fixture

LINK = re.compile(r"https?://[^/\s]+(/doorverwijzing/\S+)")


@pytest.fixture
def referable(app, assigned_case):  # noqa: F811 - the imported fixture
    """An's case, a partner service on the social map, An logged in."""
    _, case_id = assigned_case
    with app.app_context():
        moorslede = db.session.scalar(select(Municipality).filter_by(code="36012"))
        org = save_organisation(
            moorslede,
            OrganisationData(
                name="Minder Mobielen Centrale", kind="vervoer", email="mmc@example.be"
            ),
        )
        service = save_service(org, ServiceData(name="Vervoer", themes=["mobiliteit"]))
        db.session.commit()
        service_id = service.id
    an = app.test_client()
    login(an, "an@example.be")
    return an, case_id, service_id


def _refer(client, case_id: int, service_id: int, **changes):
    url = f"/cases/{case_id}/doorverwijzen"
    form = {
        "csrf_token": csrf_from(client.get(url).get_data(as_text=True)),
        "service": str(service_id),
        "purpose": "Vervoer naar het dienstencentrum",
        "summary": "Mevrouw wil naar de koffienamiddag, kan niet meer met de fiets.",
        "consent_given": "y",
        "consent_method": "verbal",
        **changes,
    }
    return client.post(url, data={k: v for k, v in form.items() if v is not None})


def _referrals(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [(r.state, r.reminders) for r in db.session.scalars(select(OnwardReferral))]


def test_without_consent_nothing_is_referred_nor_shared(app, referable, mailbox):
    an, case_id, service_id = referable
    mailbox.messages.clear()
    refused = _refer(an, case_id, service_id, consent_given=None)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Zonder toestemming van de bewoner om met deze partner te delen" in html
    assert "Mevrouw wil naar de koffienamiddag" in html  # what was typed is kept
    no_method = _refer(an, case_id, service_id, consent_method=None)
    assert no_method.status_code == 400
    assert _referrals(app) == []
    with app.app_context():
        shared = select(func.count()).select_from(Consent).filter_by(purpose="partner_share")
        assert db.session.scalar(shared) == 0
        assert (
            db.session.scalar(
                select(func.count()).select_from(Notification).filter_by(kind="onward")
            )
            == 0
        )


def test_the_partner_answers_through_the_link_and_the_case_shows_each_state(
    app, referable, mailbox
):
    an, case_id, service_id = referable
    mailbox.messages.clear()
    sent = _refer(an, case_id, service_id)
    assert sent.status_code == 302
    assert _referrals(app) == [("sent", 0)]
    mail = next(m for m in wait_for_mail(mailbox, 1) if m["To"] == "mmc@example.be")
    body = mail.get_payload(decode=True).decode()
    assert "koffienamiddag" not in body  # the summary is behind the link, never in the mail
    link = LINK.search(body).group(1)

    partner = app.test_client()  # no account, no login
    page = partner.get(link)
    assert page.status_code == 200
    assert "Mevrouw wil naar de koffienamiddag" in page.get_data(as_text=True)
    assert "Maria Claes" not in page.get_data(as_text=True)  # only the summary is shared
    csrf = csrf_from(page.get_data(as_text=True))
    assert partner.post(link, data={"csrf_token": csrf, "action": "accept"}).status_code == 302
    again = partner.post(link, data={"csrf_token": csrf, "action": "accept"}, follow_redirects=True)
    assert "Er is niets veranderd: deze doorverwijzing was al beantwoord." in again.get_data(
        as_text=True
    )
    assert _referrals(app) == [("accepted", 0)]  # the second tap changed nothing
    case_page = an.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Aanvaard door de partner" in case_page

    no_outcome = partner.post(link, data={"csrf_token": csrf, "action": "done", "outcome": ""})
    assert no_outcome.status_code == 422
    assert (
        partner.post(
            link, data={"csrf_token": csrf, "action": "done", "outcome": "Twee ritten gereden."}
        ).status_code
        == 302
    )
    late_decline = partner.post(
        link, data={"csrf_token": csrf, "action": "decline", "reason": "te laat"}
    )
    assert late_decline.status_code == 409
    assert _referrals(app) == [("done", 0)]
    case_page = an.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Afgerond, de partner meldde terug" in case_page
    assert "Twee ritten gereden." in case_page
    with app.app_context():
        types = db.session.scalars(
            select(CaseEvent.type).filter_by(case_id=case_id).order_by(CaseEvent.id)
        ).all()
        assert [t for t in types if t.startswith("onward")] == [
            "onward_sent",
            "onward_accepted",
            "onward_done",
        ]
        told = db.session.scalars(
            select(Notification.subject)
            .filter_by(kind="onward")
            .where(Notification.user_id.is_not(None))
        ).all()
        assert sorted(told) == [
            "Doorverwijzing: Minder Mobielen Centrale aanvaardde",
            "Doorverwijzing: Minder Mobielen Centrale meldde terug: afgerond",
        ]


def test_a_typed_partner_address_is_checked_and_used(app, referable, mailbox):
    """The contact person types the partner's e-mail on the form (a filled address made the
    page fail: the check's library was missing)."""
    an, case_id, service_id = referable
    mailbox.messages.clear()
    wrong = _refer(an, case_id, service_id, email="mmc at moorslede")
    assert wrong.status_code == 400
    assert 'id="email-error"' in wrong.get_data(as_text=True)
    assert _referrals(app) == []
    sent = _refer(an, case_id, service_id, email="onthaal@mmc.be")
    assert sent.status_code == 302
    assert _referrals(app) == [("sent", 0)]
    assert [m["To"] for m in wait_for_mail(mailbox, 1)] in (["onthaal@mmc.be"], ["mmc@example.be"])


def test_a_decline_needs_a_reason_and_a_tampered_link_opens_nothing(app, referable, mailbox):
    an, case_id, service_id = referable
    mailbox.messages.clear()
    _refer(an, case_id, service_id)
    body = (
        next(m for m in wait_for_mail(mailbox, 1) if m["To"] == "mmc@example.be")
        .get_payload(decode=True)
        .decode()
    )
    link = LINK.search(body).group(1)
    partner = app.test_client()
    csrf = csrf_from(partner.get(link).get_data(as_text=True))
    refused = partner.post(link, data={"csrf_token": csrf, "action": "decline", "reason": " "})
    assert refused.status_code == 422
    assert (
        partner.post(
            link,
            data={"csrf_token": csrf, "action": "decline", "reason": "Geen chauffeurs in juli."},
        ).status_code
        == 302
    )
    assert _referrals(app) == [("declined", 0)]
    assert "Geen chauffeurs in juli." in an.get(f"/cases/{case_id}").get_data(as_text=True)
    assert partner.get(link[:-3] + "abc").status_code == 404
    assert partner.get("/doorverwijzing/nothing").status_code == 404
    again = _refer(an, case_id, service_id)  # declined: the contact person may try again
    assert again.status_code == 302


def test_a_partner_with_an_account_answers_from_its_list(app, referable):
    an, case_id, service_id = referable
    _refer(an, case_id, service_id)
    make_user(app, "referrer", email="MMC@example.be")  # the partner's address, any case
    make_user(app, "referrer", email="bakker@example.be")
    partner = app.test_client()
    login(partner, "MMC@example.be")
    listed = partner.get("/doorverwijzingen").get_data(as_text=True)
    assert "Vervoer naar het dienstencentrum" in listed
    with app.app_context():
        referral_id = db.session.scalar(select(OnwardReferral.id))
    url = f"/doorverwijzingen/{referral_id}"
    csrf = csrf_from(partner.get(url).get_data(as_text=True))
    assert partner.post(url, data={"csrf_token": csrf, "action": "accept"}).status_code == 302
    assert _referrals(app) == [("accepted", 0)]
    baker = app.test_client()
    login(baker, "bakker@example.be")
    assert "Vervoer naar het dienstencentrum" not in baker.get("/doorverwijzingen").get_data(
        as_text=True
    )
    not_hers = baker.get(url)
    assert not_hers.status_code == 404
    assert "Deze doorverwijzing is niet naar u verstuurd" in not_hers.get_data(as_text=True)


def test_an_expired_link_says_so_and_changes_nothing(app, referable, mailbox):
    an, case_id, service_id = referable
    mailbox.messages.clear()
    _refer(an, case_id, service_id)
    body = next(m for m in wait_for_mail(mailbox, 1) if m["To"] == "mmc@example.be")
    link = LINK.search(body.get_payload(decode=True).decode()).group(1)
    partner = app.test_client()
    csrf = csrf_from(partner.get(link).get_data(as_text=True))
    app.config["ONWARD_LINK_DAYS"] = -1  # every link is older than that
    try:
        page = partner.get(link)
        assert page.status_code == 410
        assert "Deze link is verlopen" in page.get_data(as_text=True)
        assert partner.post(link, data={"csrf_token": csrf, "action": "accept"}).status_code == 410
    finally:
        app.config["ONWARD_LINK_DAYS"] = 30
    assert _referrals(app) == [("sent", 0)]


def test_one_open_referral_per_case_and_service(app, referable):
    an, case_id, service_id = referable
    assert _refer(an, case_id, service_id).status_code == 302
    twice = _refer(an, case_id, service_id)
    assert twice.status_code == 409
    assert "Dit dossier is al naar dit aanbod doorverwezen." in twice.get_data(as_text=True)
    assert len(_referrals(app)) == 1


@pytest.mark.parametrize("app", ["production"], indirect=True)
def test_two_simultaneous_referrals_to_one_service_make_one(app, referable, monkeypatch, mailbox):
    """Both requests pass every check before either inserts (a barrier after the checks): the
    database lets one referral in, the other gets the same 409 as a late double tap."""
    from fieldwork.onward import services

    _, case_id, service_id = referable
    barrier = threading.Barrier(2)
    checked = services._check

    def check_then_wait(*args, **kwargs):
        service = checked(*args, **kwargs)
        barrier.wait(timeout=10)
        return service

    monkeypatch.setattr(services, "_check", check_then_wait)
    clients = [app.test_client() for _ in range(2)]
    forms = []
    for client in clients:
        login(client, "an@example.be")
        forms.append(
            csrf_from(client.get(f"/cases/{case_id}/doorverwijzen").get_data(as_text=True))
        )
    statuses: list[int] = []

    def refer(client, token) -> None:
        statuses.append(_refer(client, case_id, service_id, csrf_token=token).status_code)

    threads = [
        threading.Thread(target=refer, args=pair) for pair in zip(clients, forms, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [302, 409]
    assert len(_referrals(app)) == 1
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(Consent).filter_by(purpose="partner_share")
            )
            == 1
        )
    deadline = time.monotonic() + 20
    while not _mails_to(mailbox, "mmc@example.be") and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # a second e-mail, if any, is sent by then
    assert len(_mails_to(mailbox, "mmc@example.be")) == 1


def _mails_to(mailbox, address: str) -> list:
    return [m for m in mailbox.messages if m["To"] == address]


def test_only_staff_who_see_the_case_refer(app, referable):
    _, case_id, _service_id = referable
    for role in ("volunteer", "referrer", "analyst"):
        make_user(app, role)
        other = app.test_client()
        login(other, f"{role}@example.be")
        assert other.get(f"/cases/{case_id}/doorverwijzen").status_code == 403
    lies = app.test_client()  # a contact person outside An's case
    login(lies, "lies@example.be")
    assert lies.get(f"/cases/{case_id}/doorverwijzen").status_code == 404


def test_an_unanswered_referral_is_reminded_once_per_period(app, referable, mailbox):
    an, case_id, service_id = referable
    _refer(an, case_id, service_id)
    with app.app_context():
        sent_on = db.session.scalar(select(OnwardReferral.created_at))
        counts = []
        for days in (1, 10, 10, 20):  # a day on: not yet; ten days: once; twenty: again
            counts.append(remind_due(sent_on + timedelta(days=days)))
            db.session.commit()
    assert counts == [0, 1, 0, 1]
    assert _referrals(app) == [("sent", 2)]
    subjects = [m["Subject"] for m in wait_for_mail(mailbox, 3)]
    assert "Herinnering: een doorverwijzing van Moorslede wacht op uw antwoord" in subjects


@given(
    start=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    span=st.integers(min_value=0, max_value=60),
)
def test_working_days_count_mondays_to_fridays(start, span):
    end = start + timedelta(days=span)
    expected = sum(1 for d in range(1, span + 1) if (start + timedelta(days=d)).weekday() < 5)
    assert working_days_between(start, end) == expected


def test_a_reminder_is_due_after_exactly_n_working_days():
    referral = OnwardReferral(state="sent", reminders=0)
    referral.created_at = datetime(2026, 12, 4, 10, tzinfo=UTC)  # a Friday
    monday, wednesday = datetime(2026, 12, 7, tzinfo=UTC), datetime(2026, 12, 9, tzinfo=UTC)
    assert not reminder_due(referral, monday, 3)
    assert reminder_due(referral, wednesday, 3)
    referral.state = "accepted"
    assert not reminder_due(referral, wednesday, 3)


# --- a withdrawal or an erasure ends what the partner was given (found by probing) -----------


def _partner_link(mailbox) -> str:
    body = next(m for m in wait_for_mail(mailbox, 1) if m["To"] == "mmc@example.be")
    return LINK.search(body.get_payload(decode=True).decode()).group(1)


def test_a_withdrawal_ends_the_referral_for_the_partner(app, referable, mailbox):
    """No reminder, no summary behind the link, no accepting it; the partner is told to stop
    (without what was shared)."""
    an, case_id, service_id = referable
    mailbox.messages.clear()
    assert _refer(an, case_id, service_id).status_code == 302
    link = _partner_link(mailbox)
    url = f"/cases/{case_id}"
    withdrawn = an.post(
        url,
        data={
            "csrf_token": csrf_from(an.get(url).get_data(as_text=True)),
            "action": "withdraw",
            "reason": "wil niet meer",
        },
    )
    assert withdrawn.status_code == 302
    with app.app_context():
        referral = db.session.scalars(select(OnwardReferral)).one()
        assert referral.state == "withdrawn"
        assert remind_due(referral.created_at + timedelta(days=10)) == 0
        db.session.commit()
        told = db.session.scalars(
            select(Notification).where(Notification.dedup_key.like("onward:%:withdrawn"))
        ).one()
    assert told.to_address == "mmc@example.be"
    assert "koffienamiddag" not in told.body
    partner = app.test_client()
    page = partner.get(link)
    assert page.status_code == 200
    assert "koffienamiddag" not in page.get_data(as_text=True)
    accepted = partner.post(
        link, data={"csrf_token": csrf_from(page.get_data(as_text=True)), "action": "accept"}
    )
    assert accepted.status_code == 409
    with app.app_context():
        assert db.session.scalars(select(OnwardReferral)).one().state == "withdrawn"


def test_an_erasure_blanks_what_the_partner_was_given_and_closes_the_link(app, referable, mailbox):
    from fieldwork.cases.models import Case
    from fieldwork.privacy.erasure import erase_resident

    an, case_id, service_id = referable
    mailbox.messages.clear()
    assert _refer(an, case_id, service_id).status_code == 302
    link = _partner_link(mailbox)
    with app.app_context():
        erase_resident(db.session.get_one(Case, case_id).resident_id, None, "request")
        db.session.commit()
        referral = db.session.scalars(select(OnwardReferral)).one()
        assert (referral.state, referral.summary, referral.purpose) == ("withdrawn", "", "")
    page = app.test_client().get(link)
    assert "koffienamiddag" not in page.get_data(as_text=True)
    assert "dienstencentrum" not in page.get_data(as_text=True)


def test_an_id_that_is_not_plain_digits_is_ignored_not_a_500(app, referable):
    """ "²".isdigit() is True, int("²") fails."""
    an, case_id, _service_id = referable
    assert an.get(f"/cases/{case_id}/doorverwijzen?dienst=²").status_code == 200
    assert an.get("/sociale-kaart/?gemeente=36012&neighbourhood=²").status_code == 200
    url = "/sociale-kaart/menukaart?gemeente=36012"
    menu = an.post(
        url,
        data={
            "csrf_token": csrf_from(an.get(url).get_data(as_text=True)),
            "target_group": "",
            "neighbourhood": "²",
            "size": "A4",
        },
    )
    assert menu.status_code < 500


def test_the_partner_told_to_stop_after_an_erasure_reads_why(app, referable, mailbox):
    """The erasure blanks what staff and partners were told about the case, and only then
    tells the partner to stop: that notice keeps its text."""
    from fieldwork.cases.models import Case
    from fieldwork.privacy.erasure import erase_resident

    an, case_id, service_id = referable
    mailbox.messages.clear()
    assert _refer(an, case_id, service_id).status_code == 302
    _partner_link(mailbox)
    mailbox.messages.clear()
    with app.app_context():
        erase_resident(db.session.get_one(Case, case_id).resident_id, None, "request")
        db.session.commit()
    notice = next(m for m in wait_for_mail(mailbox, 1) if m["To"] == "mmc@example.be")
    text = notice.get_payload(decode=True).decode()
    assert "geen contact" in text or "do not contact them" in text
    assert "koffienamiddag" not in text
    assert "beëindigd" in text  # not "withdrew their consent": she may have died
    assert "trok de toestemming" not in text


def test_a_withdrawal_while_the_partner_answers_wins(app, referable, mailbox):
    """The partner pressed Accept while the resident's withdrawal was being saved: the accept
    waits for it (on PostgreSQL; on SQLite it simply comes after), reads the ended referral
    and is refused; before, it read the state from before and accepted."""
    from fieldwork.auth.models import User
    from fieldwork.cases.models import Case
    from fieldwork.cases.services import withdraw_consent
    from tests.conftest import while_uncommitted

    an, case_id, service_id = referable
    mailbox.messages.clear()
    assert _refer(an, case_id, service_id).status_code == 302
    link = _partner_link(mailbox)
    partner = app.test_client()
    page = partner.get(link).get_data(as_text=True)

    def withdraw() -> None:
        an_user = db.session.scalars(select(User).filter_by(email="an@example.be")).one()
        withdraw_consent(db.session.get_one(Case, case_id), an_user, "wil niet meer")

    answers = while_uncommitted(
        app,
        withdraw,
        lambda: (
            partner.post(link, data={"csrf_token": csrf_from(page), "action": "accept"}).status_code
        ),
    )
    assert answers == [409]
    with app.app_context():
        assert db.session.scalars(select(OnwardReferral)).one().state == "withdrawn"
