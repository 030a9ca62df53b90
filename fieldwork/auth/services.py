"""Accounts: create, authenticate, issue and check API tokens. Flush, never commit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from fieldwork.auth.hooks import user_deactivated
from fieldwork.auth.models import ApiToken, User
from fieldwork.core.roles import ALL_ROLES
from fieldwork.db import savepoint, utcnow
from fieldwork.extensions import db

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


@cache
def _dummy_hash(method: str) -> str:
    """Compared against when the e-mail is unknown, so both paths cost the same hashing time."""
    return generate_password_hash("not-a-real-password", method=method)


class AccountError(ValueError):
    """A clear, user-facing reason why an account could not be created or changed."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password needs at least {MIN_PASSWORD_LENGTH} characters.")


def create_user(
    email: str, role: str, password: str, name: str = "", organisation: str = ""
) -> User:
    email = normalise_email(email)
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise AccountError(f"'{email}' is not an e-mail address.")
    if role not in ALL_ROLES:
        raise AccountError(f"Unknown role '{role}'. Choose one of: {', '.join(sorted(ALL_ROLES))}.")
    if find_user_by_email(email) is not None:
        raise AccountError(f"A user with e-mail {email} already exists.")
    validate_password(password)
    user = User(
        email=email,
        role=role,
        name=name.strip(),
        organisation=organisation.strip(),
        password_hash=hash_password(password),
    )
    try:
        with savepoint(db.session):  # two coordinators at once: the second's insert clashes
            db.session.add(user)
            db.session.flush()
    except IntegrityError as exc:
        raise AccountError(f"A user with e-mail {email} already exists.") from exc
    return user


def deactivate_user(user: User, by: User | None = None) -> None:
    """No login, no API tokens; out of every team, and their open cases handed over
    (the ``user_deactivated`` hook). The page and the CLI both come here."""
    user.active = False
    revoke_tokens(user)
    user_deactivated.send(user, by=by)


def set_password(user: User, password: str) -> None:
    validate_password(password)
    user.password_hash = hash_password(password)


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same timing either way)."""
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def failed_login_record(email: str) -> tuple[int | None, dict[str, Any]]:
    """What the audit log keeps of a failed login: the account's id when the address is one,
    else a keyed digest of the address — repeated tries on one address still line up, but
    what was typed (a stranger's address, or a password in the wrong field) is not stored."""
    user = find_user_by_email(email)
    if user is not None:
        return user.id, {}
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, normalise_email(email).encode(), hashlib.sha256).hexdigest()
    return None, {"unknown_address": digest[:16]}


def email_rate_key() -> str:
    """Rate-limit key for the account being tried, so one account cannot be brute-forced
    from many addresses."""
    from flask import request

    body = request.get_json(silent=True)
    # any JSON may arrive (a list, a string): only an object can name an account
    email = request.form.get("email") or (body.get("email") if isinstance(body, dict) else None)
    return "email:" + normalise_email(str(email or ""))[:254]


def hash_token(token: str) -> str:
    """What is stored of a secret token (API tokens, one-time links): its SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, ApiToken]:
    """A new bearer token for ``user``; the plain token is returned once, never stored."""
    plain = secrets.token_urlsafe(32)
    days = int(current_app.config["API_TOKEN_DAYS"])
    token = ApiToken(
        user=user, token_hash=hash_token(plain), expires_at=utcnow() + timedelta(days=days)
    )
    db.session.add(token)
    db.session.flush()
    return plain, token


def user_for_token(plain: str) -> User | None:
    """The active user behind a valid token, or None. One query: the user as an object, the
    token's few columns beside it (loading the token as an object too cost a third of an
    API request's time in the ORM)."""
    now = utcnow()
    row = db.session.execute(
        select(User, ApiToken.id, ApiToken.last_used_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(
            ApiToken.token_hash == hash_token(plain),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
            User.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    user, token_id, last_used_at = row
    if last_used_at is None or now - last_used_at > timedelta(minutes=5):
        # coarse, so that reads do not write on every request
        db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        db.session.commit()
    return user


def revoke_tokens(user: User) -> int:
    revoked = 0
    for token in user.tokens:
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            revoked += 1
    return revoked


def count_users_by_role() -> dict[str, int]:
    rows = db.session.execute(select(User.role, func.count()).group_by(User.role)).all()
    return {role: count for role, count in rows}
