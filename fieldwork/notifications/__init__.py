"""E-mail and the in-app inbox; who was told and when."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: its part of the reconciliation sweep, and the
    e-mails refused for good on the coordinator's "Storingen" page."""
    from flask_babel import ngettext

    from fieldwork.core.failures import FailureList, add_failure_list
    from fieldwork.core.reconcile import add_sweep
    from fieldwork.notifications.reconcile import unsent_emails
    from fieldwork.notifications.services import count_failed_emails

    add_sweep(app, "notifications", "notifications.send_email", unsent_emails)
    add_failure_list(
        app,
        FailureList(
            "failed_emails",
            lambda n: ngettext(
                "%(num)d e-mail could not be sent", "%(num)d e-mails could not be sent", n
            ),
            count_failed_emails,
            "notifications.failed_emails",
        ),
    )
