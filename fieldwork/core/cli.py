"""flask --app fieldwork tasks tick — the periodic work, for when no Celery beat runs."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from fieldwork.calls.goodmorning import tick
from fieldwork.cases.deadlines import check_deadlines
from fieldwork.core.outbox import publish, unsent_ids
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.volunteers.matching import send_follow_up_reminders

tasks_cli = AppGroup("tasks", help="Periodic work.")


@tasks_cli.command("tick")
def tick_command() -> None:
    """Re-send the outbox, send due reminders/escalations, make good-morning calls and
    raise their alerts once (cron, every few minutes,
    in the embedded mode; with Redis, Celery beat does this)."""
    sent = publish(unsent_ids(timedelta(seconds=30)))
    counts = check_deadlines(utcnow())
    calls = tick()
    follow_ups = send_follow_up_reminders()
    db.session.commit()
    click.echo(
        f"outbox: {sent} re-sent; reminders: {counts['reminders']}, "
        f"escalations: {counts['escalations']}; good-morning calls made: "
        f"{calls['calls_made']}, alerts: {calls['alerts']}; buurtgezel follow-ups: "
        f"{follow_ups}"
    )
