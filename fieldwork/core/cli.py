"""flask --app fieldwork tasks tick — the periodic work, for when no Celery beat runs.

Core re-sends the outbox and re-enqueues the missing effects the packages registered with
:func:`fieldwork.core.reconcile.add_sweep`; the packages that have periodic work add a step with
:func:`add_tick_step` from their ``init_app`` (cases, calls, volunteers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from fieldwork.core.outbox import count_dead, publish, unsent_ids
from fieldwork.core.reconcile import reconcile, summary
from fieldwork.extensions import db

TICK_STEPS = "fieldwork.tick_steps"

tasks_cli = AppGroup("tasks", help="Periodic work.")


def add_tick_step(app: Flask, step: Callable[[], str]) -> None:
    """One more step of ``tasks tick`` on this app: it does its work (flush, no commit) and
    answers its part of the summary line. Steps run in the order they were added."""
    app.extensions.setdefault(TICK_STEPS, []).append(step)


@tasks_cli.command("tick")
def tick_command() -> None:
    """Re-send the outbox, re-enqueue the effects still missing (unrouted signals, unsent
    e-mails, …; see fieldwork.core.reconcile), send due reminders/escalations, make
    good-morning calls and raise their alerts once (cron, every few minutes,
    in the embedded mode; with Redis, Celery beat does this)."""
    sent = publish(unsent_ids(timedelta(seconds=30)))
    dead = count_dead()
    parts = [f"outbox: {sent} re-sent"]
    if dead:
        parts[0] += f", {dead} dead-lettered (see /storingen)"
    parts.append(summary(reconcile()))
    parts += [step() for step in current_app.extensions.get(TICK_STEPS, [])]
    db.session.commit()
    click.echo("; ".join(parts))
