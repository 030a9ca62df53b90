"""Login, logout and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from fieldwork.auth.forms import LoginForm
from fieldwork.auth.services import authenticate, email_rate_key, failed_login_record
from fieldwork.core.audit import record_audit
from fieldwork.core.drafts import all_drafts_cleared
from fieldwork.core.permissions import public
from fieldwork.extensions import db, limiter

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str | None:
    """Only local paths: an attacker's ?next=https://evil must not become a redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _clear_session_keeping_language() -> None:
    """A fresh session on login/logout (no fixation), but the chosen language stays."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_login_limit, methods=["POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=email_rate_key)
def login() -> str | tuple[str, int] | Response:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is None:
            account, detail = failed_login_record(form.email.data or "")
            record_audit("login_failed", "user", account, **detail)
            db.session.commit()
            form.password.errors = [
                *form.password.errors,
                _("E-mail address or password is not correct."),
            ]
        else:
            _clear_session_keeping_language()
            login_user(user)
            session.permanent = True
            record_audit("login", "user", user.id, user_id=user.id)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")) or url_for("home.index"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@public
def logout() -> Response:
    logout_user()
    _clear_session_keeping_language()
    all_drafts_cleared()  # what was typed about residents does not stay on the phone
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language/<code>")
@public
def set_language(code: str) -> Response:
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")) or url_for("home.index"))
