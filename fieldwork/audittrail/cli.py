"""flask audit seal | verify — the hash chain over the audit log (see fieldwork.core.audit)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from fieldwork.core.audit import SEAL_MARGIN, seal_events, verify_chain
from fieldwork.extensions import db

audit_cli = AppGroup("audit", help="The audit log's hash chain.")


@audit_cli.command("seal")
@click.option(
    "--margin",
    type=click.IntRange(min=0),
    default=int(SEAL_MARGIN.total_seconds()),
    show_default=True,
    help="Seal only events older than this many seconds (later ids may commit first).",
)
def seal_command(margin: int) -> None:
    """Extend the hash chain over the events committed since the last seal."""
    result = seal_events(timedelta(seconds=margin))
    db.session.commit()
    click.echo(f"sealed {result.sealed} events; head {result.last_event_id}: {result.head}")


@audit_cli.command("verify")
def verify_command() -> None:
    """Walk the chain; exit 1 naming the first event that was changed, deleted or inserted."""
    checked, breach = verify_chain()
    if breach is not None:
        raise click.ClickException(
            f"audit event {breach.event_id} {breach.reason}: the chain breaks there "
            f"({checked} events before it are intact)"
        )
    click.echo(f"audit chain intact: {checked} sealed events")


def tick_step() -> str:
    """audittrail's step of ``flask tasks tick`` (embedded mode: no beat)."""
    return f"audit: {seal_events().sealed} sealed"
