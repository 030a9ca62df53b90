"""Accounts, roles, login and API tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Called once per app by ``create_app``: how the API finds a token's user, and its ``users``
    commands. Receivers connect on the first import only, so once per process however many apps are
    made."""
    from fieldwork.auth.cli import users_cli
    from fieldwork.auth.services import user_for_token
    from fieldwork.core.permissions import api_user_loader

    api_user_loader(app, user_for_token)
    app.cli.add_command(users_cli)
