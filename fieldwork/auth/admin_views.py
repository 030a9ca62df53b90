"""The coordinator's accounts page: list, create, deactivate."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from fieldwork.auth.models import User
from fieldwork.auth.services import AccountError, create_user, deactivate_user
from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import roles_required
from fieldwork.core.roles import ROLE_LABELS
from fieldwork.extensions import db

bp = Blueprint("users", __name__, url_prefix="/users")


class NewUserForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Length(max=120)])
    organisation = StringField(_l("Organisation (for a referrer)"), validators=[Length(max=200)])
    role = SelectField(_l("Role"), choices=[(r.value, label) for r, label in ROLE_LABELS.items()])
    password = PasswordField(
        _l("Temporary password (at least 10 characters)"),
        validators=[DataRequired(), Length(min=10, max=200)],
    )


@bp.route("/", methods=["GET", "POST"])
@roles_required("coordinator")
def index() -> str | tuple[str, int] | Response:
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                email=form.email.data or "",
                role=form.role.data or "",
                password=form.password.data or "",
                name=form.name.data or "",
                organisation=form.organisation.data or "",
            )
            record_audit("user_created", "user", user.id, role=user.role)
            db.session.commit()
            flash(_("Account created for %(email)s.", email=user.email), "success")
            return redirect(url_for("users.index"))
        except AccountError as exc:
            db.session.rollback()
            form.email.errors = [*form.email.errors, str(exc)]
    users = list(db.session.scalars(select(User).order_by(User.role, User.name)))
    record_audit("users_listed", "user", None, count=len(users))
    db.session.commit()
    status = 400 if request.method == "POST" else 200
    return render_template("users/index.html", form=form, users=users), status


@bp.post("/<int:user_id>/deactivate")
@roles_required("coordinator")
def deactivate(user_id: int) -> Response:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("users.index"))
    deactivate_user(user, by=current_user._get_current_object())
    record_audit("user_deactivated", "user", user.id)
    db.session.commit()
    flash(_("%(email)s can no longer log in.", email=user.email), "success")
    return redirect(url_for("users.index"))
