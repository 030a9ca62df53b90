"""Create notifications (inbox + e-mail after commit) and send the e-mail over SMTP."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import or_, select, update

from fieldwork.auth.models import User
from fieldwork.core.outbox import enqueue_after_commit
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.notifications.models import Notification


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


def send_email(notification_id: int) -> bool:
    """Send once; a notification already e-mailed is skipped. SMTP errors propagate so the
    task can retry; the inbox has the message either way."""
    notification = db.session.get(Notification, notification_id, with_for_update=True)
    if notification is None or notification.emailed_at is not None:
        return False
    if not notification.recipient:  # erased meanwhile (forget_address)
        return False
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        notification.email_error = "MAIL_SERVER not configured: in-app inbox only"
        db.session.commit()
        return False
    message = EmailMessage()
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = notification.recipient
    message["Subject"] = notification.subject
    message.set_content(notification.body)
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        notification.email_error = f"{type(exc).__name__}: {exc}"[:2000]
        db.session.commit()
        raise
    notification.emailed_at, notification.email_error = utcnow(), None
    if notification.user_id is None:
        # to an address without an inbox here: the e-mail is the copy that counts, and its
        # text may hold a personal link (a caring neighbour's sign-in, a partner's referral)
        # that the database and its backups should not keep working
        notification.body = NOT_KEPT
    db.session.commit()
    return True


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
