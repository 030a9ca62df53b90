"""Notifications by e-mail (a real SMTP server) and in the inbox; deadlines once."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from fieldwork.cases.deadlines import check_deadlines
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.notifications.models import Notification
from tests.conftest import (
    SMTP_PORT,
    api_token,
    bearer,
    free_port,
    import_areas,
    login,
    make_user,
)
from tests.test_signals import intake, setup, wait_for_status  # noqa: F401 - fixture


def wait_for_mail(mailbox, count, timeout=20):
    deadline = time.monotonic() + timeout
    while len(mailbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return mailbox.messages


def routed_case(client, token):
    signal_id = client.post("/api/v1/signals", json=intake(), headers=bearer(token)).get_json()[
        "id"
    ]
    return wait_for_status(client, token, signal_id)["case_id"]


def test_new_case_mails_the_owner_once_and_lands_in_the_inbox(app, setup, mailbox):  # noqa: F811
    client, token = setup
    case_id = routed_case(client, token)
    messages = wait_for_mail(mailbox, 1)
    assert [m["To"] for m in messages] == ["an@example.be"]
    assert messages[0]["Subject"] == "Nieuw dossier in je wachtrij"
    assert "regel 1" in messages[0].get_payload()
    with app.app_context():
        note = db.session.scalars(select(Notification)).one()
        assert note.case_id == case_id
        deadline = time.monotonic() + 10
        while note.emailed_at is None and time.monotonic() < deadline:
            db.session.expire_all()
            time.sleep(0.1)
        assert note.emailed_at is not None
    an = app.test_client()
    login(an, "an@example.be")
    assert "Nieuw dossier in je wachtrij" in an.get("/inbox").get_data(as_text=True)


def test_reminder_then_escalation_each_sent_once(app, setup, mailbox):  # noqa: F811
    client, token = setup
    case_id = routed_case(client, token)
    wait_for_mail(mailbox, 1)
    with app.app_context():
        due = db.session.get(Case, case_id).due_at
        assert check_deadlines(due - timedelta(days=2)) == {"reminders": 0, "escalations": 0}
        assert check_deadlines(due - timedelta(hours=3)) == {"reminders": 1, "escalations": 0}
        db.session.commit()
        assert check_deadlines(due - timedelta(hours=1)) == {"reminders": 0, "escalations": 0}
        assert check_deadlines(due + timedelta(hours=1)) == {"reminders": 0, "escalations": 1}
        db.session.commit()
        assert check_deadlines(due + timedelta(days=3)) == {"reminders": 0, "escalations": 0}
        db.session.commit()
        kinds = db.session.scalars(select(CaseEvent.type).where(CaseEvent.case_id == case_id))
        assert sorted(kinds) == ["assigned", "escalated", "reminder_sent", "routed"]
    messages = wait_for_mail(mailbox, 3)
    subjects = sorted(m["Subject"] for m in messages)
    assert not any("Maria" in m.as_string() for m in messages)  # no names over SMTP
    assert subjects == [
        f"Herinnering: eerste contact voor dossier {case_id}",
        "Nieuw dossier in je wachtrij",
        f"Over tijd: dossier {case_id}",
    ]


def test_a_contact_attempt_stops_reminders(app, setup, mailbox):  # noqa: F811
    client, token = setup
    case_id = routed_case(client, token)
    an_token = client.post(
        "/api/v1/auth/token", json={"email": "an@example.be", "password": "correct-horse-battery"}
    ).get_json()["token"]
    client.post(
        f"/api/v1/cases/{case_id}/events",
        json={"type": "contact_attempt", "result": "no_answer"},
        headers=bearer(an_token),
    )
    with app.app_context():
        due = db.session.get(Case, case_id).due_at
        assert check_deadlines(due + timedelta(days=1)) == {"reminders": 0, "escalations": 0}
        assert db.session.get(Case, case_id).is_overdue is False


def test_without_mail_server_the_inbox_still_has_it(embedded_app):
    embedded_app.config["MAIL_SERVER"] = None
    import_areas(embedded_app, "36012")
    make_user(embedded_app, "coordinator")
    client = embedded_app.test_client()
    token = api_token(client, "coordinator@example.be")
    routed_case(client, token)  # no rules: the coordinator gets the case
    with embedded_app.app_context():
        note = db.session.scalars(select(Notification)).one()
        assert note.user.email == "coordinator@example.be"
        assert note.emailed_at is None
        assert "not configured" in note.email_error


def test_the_case_page_shows_who_was_told(app, setup, mailbox):  # noqa: F811
    client, token = setup
    case_id = routed_case(client, token)
    wait_for_mail(mailbox, 1)
    an = app.test_client()
    login(an, "an@example.be")
    page = an.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Wie werd verwittigd" in page
    assert "An Peeters · Nieuw dossier in je wachtrij" in page


def test_tasks_tick_sends_due_reminders_without_beat(embedded_app):
    from datetime import timedelta

    import_areas(embedded_app, "36012")
    make_user(embedded_app, "coordinator")
    client = embedded_app.test_client()
    token = api_token(client, "coordinator@example.be")
    case_id = routed_case(client, token)
    with embedded_app.app_context():
        db.session.get(Case, case_id).due_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    runner = embedded_app.test_cli_runner()
    first = runner.invoke(args=["tasks", "tick"])
    assert "reminders: 1, escalations: 1" in first.output
    assert "reminders: 0, escalations: 0" in runner.invoke(args=["tasks", "tick"]).output


class _Refusing:
    """A mail server that refuses every recipient for good (a 550: no such mailbox)."""

    def __init__(self) -> None:
        self.tries = 0

    async def handle_RCPT(self, server, session, envelope, address, *rest):
        self.tries += 1
        return "550 5.1.1 No such user here"


def test_an_email_refused_for_good_waits_for_the_coordinator(embedded_app, mailbox):
    from aiosmtpd.controller import Controller

    from fieldwork.core.models import AuditEvent

    refusing = _Refusing()
    server = Controller(refusing, hostname="127.0.0.1", port=free_port())
    server.start()
    embedded_app.config["MAIL_PORT"] = server.port
    import_areas(embedded_app, "36012")
    make_user(embedded_app, "coordinator")
    make_user(embedded_app, "contact_person", email="an@example.be")
    client = embedded_app.test_client()
    token = api_token(client, "coordinator@example.be")
    try:
        first = routed_case(client, token)  # no rules: the coordinator is told, by e-mail
    finally:
        server.stop()
    assert refusing.tries == 1  # refused for good: not tried again ten times
    health = client.get("/healthz").get_json()
    assert health["status"] == "degraded"
    assert health["outbox"]["failed_emails"] == 1
    login(client, "coordinator@example.be")
    assert "1 e-mail kon niet verstuurd worden" in client.get("/storingen/").get_data(True)
    listing = client.get("/storingen/e-mails").get_data(as_text=True)
    assert "5.1.1 No such user here" in listing  # the server's answer
    assert "coordinator@example.be" in listing
    assert "de e-mail kon niet verstuurd worden" in client.get(f"/cases/{first}").get_data(True)
    an = embedded_app.test_client()
    login(an, "an@example.be")
    assert an.get("/storingen/e-mails").status_code == 403
    with embedded_app.app_context():
        note_id = db.session.scalars(select(Notification.id)).one()
    embedded_app.config["MAIL_PORT"] = SMTP_PORT  # the address or the server put right
    again = f"/storingen/e-mails/{note_id}/opnieuw"
    assert post(client, again).status_code == 302
    assert [m["To"] for m in wait_for_mail(mailbox, 1)] == ["coordinator@example.be"]
    assert post(client, again).status_code == 404  # a second click sends nothing twice
    assert client.get("/healthz").get_json()["status"] == "ok"
    assert "Elke e-mail werd verstuurd." in client.get("/storingen/e-mails").get_data(True)
    with embedded_app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "email_sent_again" in actions


def test_a_refused_email_dealt_with_another_way_leaves_the_list(embedded_app):
    from aiosmtpd.controller import Controller

    server = Controller(_Refusing(), hostname="127.0.0.1", port=free_port())
    server.start()
    embedded_app.config["MAIL_PORT"] = server.port
    import_areas(embedded_app, "36012")
    make_user(embedded_app, "coordinator")
    client = embedded_app.test_client()
    try:
        routed_case(client, api_token(client, "coordinator@example.be"))
    finally:
        server.stop()
    login(client, "coordinator@example.be")
    with embedded_app.app_context():
        note_id = db.session.scalars(select(Notification.id)).one()
    assert post(client, f"/storingen/e-mails/{note_id}/afgehandeld").status_code == 302
    assert client.get("/healthz").get_json()["outbox"]["failed_emails"] == 0
    assert "Elke e-mail werd verstuurd." in client.get("/storingen/e-mails").get_data(True)
    assert post(client, f"/storingen/e-mails/{note_id}/opnieuw").status_code == 404


def post(client, path):
    from tests.conftest import csrf_from

    page = client.get("/storingen/").get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_from(page)})
