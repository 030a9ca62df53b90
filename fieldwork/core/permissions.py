"""Role checks for pages (session login) and the JSON API (bearer tokens).

Every view carries one of ``public``, ``roles_required`` or ``api_roles``; a test walks the URL
map and fails on a view with none, so a forgotten check cannot ship.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Flask, abort, current_app, g, request
from flask_login import current_user

from fieldwork.core.roles import ALL_ROLES

F = TypeVar("F", bound=Callable[..., Any])
P = ParamSpec("P")
R = TypeVar("R")


def _mark(view: Callable[..., Any], allowed: frozenset[str] | None) -> None:
    """Which roles may open the view (None: anyone); the permissions test reads it."""
    view.__dict__["_fieldwork_roles"] = allowed


API_USER_LOADER = "fieldwork.api_user_loader"


def api_user_loader(app: Flask, loader: Callable[[str], Any]) -> None:
    """How this app finds the user of a bearer token (auth's ``user_for_token``): the user,
    or None for an unknown, expired or revoked token."""
    app.extensions[API_USER_LOADER] = loader


def public(view: F) -> F:
    """Marks a view that anyone may open (login page, health check, …)."""
    _mark(view, None)
    return view


def roles_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Page views: anonymous → login page, wrong role → 403 page."""
    allowed = frozenset(roles or ALL_ROLES)

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            from fieldwork.core.receipts import from_phone_queue
            from fieldwork.extensions import login_manager

            if not current_user.is_authenticated:
                if from_phone_queue():
                    abort(401)  # the phone's queue keeps the record until they log in again
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        _mark(wrapped, allowed)
        return wrapped

    return decorator


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authorise_token(token: str, allowed: frozenset[str]) -> Any:
    """The token's user, who must have one of the allowed roles (else 401 or 403 as JSON);
    kept as ``g.api_user`` for the view."""
    user = current_app.extensions[API_USER_LOADER](token)
    if user is None:
        abort(401, description="The token is invalid, expired or revoked.")
    if user.role not in allowed:
        abort(403, description="Your role may not use this endpoint.")
    g.api_user = user
    return user


def api_roles(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """API views: no or a bad token → 401, wrong role → 403, both as JSON errors."""
    allowed = frozenset(roles or ALL_ROLES)

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            token = bearer_token()
            if token is None:
                abort(
                    401,
                    description="Send 'Authorization: Bearer <token>'; "
                    "get a token from POST /api/v1/auth/token.",
                )
            authorise_token(token, allowed)
            return view(*args, **kwargs)

        _mark(wrapped, allowed)
        return wrapped

    return decorator


def acting_user_id() -> int | None:
    """The user behind this request: the API token's owner or the logged-in user."""
    api_user = g.get("api_user")
    if api_user is not None:
        return int(api_user.id)
    if current_user and current_user.is_authenticated:
        return int(current_user.id)
    return None
