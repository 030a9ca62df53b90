"""/api/v1/auth and /api/v1/users."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from fieldwork.auth.models import User
from fieldwork.auth.schemas import TokenRequestSchema, TokenSchema, UserSchema
from fieldwork.auth.services import authenticate, email_rate_key, issue_token
from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import api_roles, public
from fieldwork.core.roles import Role
from fieldwork.extensions import db, limiter

bp = Blueprint("api_auth", __name__, url_prefix="/api/v1", description="Tokens and accounts")

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


@bp.post("/auth/token")
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=email_rate_key)
@bp.arguments(TokenRequestSchema)
@bp.response(201, TokenSchema)
@bp.alt_response(401, description="Wrong e-mail or password")
def create_token(payload: dict[str, str]) -> dict[str, Any]:
    """Exchange e-mail and password for a bearer token."""
    user = authenticate(payload["email"], payload["password"])
    if user is None:
        record_audit("token_failed", "user", None, email=payload["email"][:254])
        db.session.commit()
        abort(401, message="E-mail address or password is not correct.")
    plain, token = issue_token(user)
    record_audit("token_issued", "user", user.id, user_id=user.id)
    db.session.commit()
    return {"token": plain, "token_type": "Bearer", "expires_at": token.expires_at}


@bp.get("/me")
@api_roles()
@bp.response(200, UserSchema)
@bp.doc(security=BEARER)
def me() -> User:
    """The account behind the token."""
    return g.api_user


@bp.get("/users")
@api_roles(Role.COORDINATOR)
@bp.response(200, UserSchema(many=True))
@bp.doc(security=BEARER)
def list_users() -> list[User]:
    """All accounts (coordinator only)."""
    users = list(db.session.scalars(select(User).order_by(User.email)))
    record_audit("users_listed", "user", None, count=len(users))
    db.session.commit()
    return users
