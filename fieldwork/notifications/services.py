"""Create notifications (inbox + e-mail after commit) and send the e-mail over SMTP."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, func, or_, select, update

from fieldwork.auth.models import User
from fieldwork.core.outbox import enqueue_after_commit
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.notifications.models import (
    INBOX_ONLY,
    NOT_EMAILED,
    NOT_SENT_ERASED,
    Notification,
)


def notify(
    user: User, kind: str, dedup_key: str, subject: str, body: str, case_id: int | None = None
) -> Notification | None:
    """Queue one notification; None when this dedup_key was already sent. A deactivated
    account's messages go to the coordinator instead."""
    if not user.active:
        coordinator = db.session.scalar(
            select(User).where(User.role == "coordinator", User.active.is_(True)).order_by(User.id)
        )
        if coordinator is None:
            return None
        body = f"(voor {user.display_name}, niet meer actief) {body}"
        user = coordinator
    if db.session.scalar(select(Notification.id).where(Notification.dedup_key == dedup_key)):
        return None
    notification = Notification(
        user_id=user.id, kind=kind, dedup_key=dedup_key, subject=subject, body=body, case_id=case_id
    )
    db.session.add(notification)
    db.session.flush()
    enqueue_after_commit("notifications.send_email", notification.id)
    return notification


#: what an address-only notification keeps of its text once e-mailed
NOT_KEPT = "(e-mailed; the text is not kept here)"


def notify_address(
    address: str, kind: str, dedup_key: str, subject: str, body: str, case_id: int | None = None
) -> Notification | None:
    """An e-mail to someone without an account (no inbox); None when this dedup_key was
    already sent."""
    if db.session.scalar(select(Notification.id).where(Notification.dedup_key == dedup_key)):
        return None
    notification = Notification(
        to_address=address,
        kind=kind,
        dedup_key=dedup_key,
        subject=subject,
        body=body,
        case_id=case_id,
    )
    db.session.add(notification)
    db.session.flush()
    enqueue_after_commit("notifications.send_email", notification.id)
    return notification


ERASED = "(not kept: the recipient's details were erased)"


def forget_address(address: str, dedup_keys: list[str]) -> int:
    """Someone without an account whose details must go (a caring neighbour whose role
    ended): the e-mails to ``address`` whose dedup_key matches one of these LIKE patterns
    keep neither the address nor their text, and one not sent yet is not sent. How many."""
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.user_id.is_(None),
            Notification.to_address == address,
            or_(*(Notification.dedup_key.like(pattern) for pattern in dedup_keys)),
        )
        .values(to_address=None, body=ERASED)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def send_email(notification_id: int, last_try: bool = True) -> bool:
    """Send once; a notification already e-mailed is skipped. A refusal for good (an SMTP 5xx
    answer) or a failure on the ``last_try`` is kept in ``email_error`` for the coordinator's
    "Storingen" page; any other failure (the server away, a 4xx "try later") writes nothing
    and propagates, so the task retries, and the sweep sends it again if that retry is lost
    (a worker killed, Redis restarted empty)."""
    notification = db.session.get(Notification, notification_id, with_for_update=True)
    if notification is None or notification.emailed_at is not None:
        return False
    if notification.body == ERASED or not notification.recipient:
        # held back (the mail server away), then erased; or its address forgotten
        # (forget_address): not sent, and the sweep need not look at it again
        notification.email_error = NOT_SENT_ERASED
        db.session.commit()
        return False
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        notification.email_error = INBOX_ONLY
        db.session.commit()
        return False
    try:
        _hand_over(notification, config)
    except (OSError, smtplib.SMTPException) as exc:
        if not (last_try or _refused_for_good(exc)):
            db.session.rollback()
            raise
        notification.email_error = f"{type(exc).__name__}: {exc}"[:2000]
        db.session.commit()
        return False
    notification.emailed_at, notification.email_error = utcnow(), None
    if notification.user_id is None:
        # to an address without an inbox here: the e-mail is the copy that counts, and its
        # text may hold a personal link (a caring neighbour's sign-in, a partner's referral)
        # that the database and its backups should not keep working
        notification.body = NOT_KEPT
    db.session.commit()
    return True


def _refused_for_good(exc: Exception) -> bool:
    """An SMTP 5xx answer about this e-mail: sending it again the same way fails the same
    way. (A refused login is the server's setting, put right for every e-mail at once: it
    is retried like a server that is away.)"""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return False
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _message in exc.recipients.values())
    code = getattr(exc, "smtp_code", None)
    return isinstance(code, int) and code >= 500


def _hand_over(notification: Notification, config: Any) -> None:
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = notification.recipient
    message["Subject"] = notification.subject
    message.set_content(notification.body)
    with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def _failed_for_good() -> tuple[ColumnElement[bool], ...]:
    return (
        Notification.emailed_at.is_(None),
        Notification.email_error.is_not(None),
        Notification.email_error.not_in(NOT_EMAILED),
        Notification.email_dismissed_at.is_(None),
    )


def failed_emails() -> list[Notification]:
    """E-mails the server refused for good, or whose retries ran out: the coordinator sends
    them again (an address corrected) or marks them dealt with (the partner was phoned)."""
    return list(
        db.session.scalars(
            select(Notification).where(*_failed_for_good()).order_by(Notification.id).limit(200)
        )
    )


def count_failed_emails() -> int:
    return int(
        db.session.scalar(select(func.count()).select_from(Notification).where(*_failed_for_good()))
        or 0
    )


def failed_email(notification_id: int) -> Notification | None:
    """One of :func:`failed_emails`, locked against a second click; None if it is not one."""
    return db.session.scalar(
        select(Notification)
        .where(Notification.id == notification_id, *_failed_for_good())
        .with_for_update()
    )


def send_again(notification: Notification) -> None:
    notification.email_error = None
    enqueue_after_commit("notifications.send_email", notification.id)


def dismiss(notification: Notification) -> None:
    notification.email_dismissed_at = utcnow()


def inbox(user: User) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id.desc())
            .limit(100)
        )
    )


def case_notifications(case_id: int) -> list[Notification]:
    return list(
        db.session.scalars(
            select(Notification).where(Notification.case_id == case_id).order_by(Notification.id)
        )
    )
