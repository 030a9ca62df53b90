"""flask --app fieldwork volunteers adopt — a place in the pool for volunteer accounts made
before the pool existed (or on the command line), so that the coordinator can record their
model-2 check: until then the gate keeps them off visit rounds and call lists. Also the
volunteers' step of ``tasks tick``: buurtgezel follow-up reminders."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from fieldwork.areas.services import get_municipality
from fieldwork.auth.models import User
from fieldwork.extensions import db
from fieldwork.volunteers.matching import send_follow_up_reminders
from fieldwork.volunteers.models import Volunteer

volunteers_cli = AppGroup("volunteers", help="The volunteer pool.")


def tick_step() -> str:
    return f"buurtgezel follow-ups: {send_follow_up_reminders()}"


@volunteers_cli.command("adopt")
@click.option("--gemeente", required=True, help="NIS code of their municipality, e.g. 36012.")
def adopt_command(gemeente: str) -> None:
    """Give every volunteer account without a place in the pool one (intake done, visitor
    and caller, model 2 not yet checked)."""
    municipality = get_municipality(gemeente)
    if municipality is None:
        raise click.ClickException(f"municipality {gemeente} has not been imported")
    linked = select(Volunteer.user_id).where(Volunteer.user_id.is_not(None))
    accounts = list(
        db.session.scalars(
            select(User).where(User.role == "volunteer", User.id.not_in(linked)).order_by(User.id)
        )
    )
    for account in accounts:
        db.session.add(
            Volunteer(
                municipality_id=municipality.id,
                name=account.display_name,
                email=account.email,
                status="intake_done",
                source="staff",
                roles=["visitor", "caller"],
                user_id=account.id,
            )
        )
        click.echo(f"{account.email}: in the pool; record the model-2 check, then activate")
    db.session.commit()
    click.echo(f"{len(accounts)} account(s) adopted")
