"""flask --app fieldwork users …"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from fieldwork.auth.models import User
from fieldwork.auth.services import (
    AccountError,
    create_user,
    deactivate_user,
    find_user_by_email,
    revoke_tokens,
)
from fieldwork.core.roles import ALL_ROLES
from fieldwork.extensions import db

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, type=click.Choice(sorted(ALL_ROLES)))
@click.option("--name", default="")
@click.option("--organisation", default="", help="A referrer's practice or employer.")
@click.option("--password", default=None, help="Prompted (hidden) when not given.")
def create_command(
    email: str, role: str, name: str, organisation: str, password: str | None
) -> None:
    """Create an account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            email=email, role=role, password=password, name=name, organisation=organisation
        )
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


def _existing_user(email: str) -> User:
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with e-mail {email}.")
    return user


@users_cli.command("revoke-tokens")
@click.option("--email", required=True)
def revoke_tokens_command(email: str) -> None:
    """Revoke every API token of an account (a lost phone, a leaked script)."""
    user = _existing_user(email)
    count = revoke_tokens(user)
    db.session.commit()
    click.echo(f"Revoked {count} token(s) of {user.email}.")


@users_cli.command("deactivate")
@click.option("--email", required=True)
def deactivate_command(email: str) -> None:
    """Block an account: no login, no API tokens; its history stays."""
    user = _existing_user(email)
    deactivate_user(user)
    db.session.commit()
    click.echo(f"Deactivated {user.email}.")
