"""Public pages: the 'Ik wil helpen' form (no account) and the invitation link with which a
new visitor or caller sets their own password."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_user
from werkzeug.wrappers import Response

from fieldwork.areas.models import Municipality
from fieldwork.areas.services import get_municipality, list_municipalities, neighbourhoods_of
from fieldwork.core.drafts import draft_saved
from fieldwork.core.forms import small_id
from fieldwork.core.permissions import public
from fieldwork.extensions import db, limiter
from fieldwork.volunteers import intake
from fieldwork.volunteers.forms import HelpForm, PasswordForm
from fieldwork.volunteers.gate import VolunteerError
from fieldwork.volunteers.spam import form_token, help_form_limit, looks_human
from fieldwork.volunteers.vocabulary import DAYS, PARTS

bp = Blueprint("volunteers", __name__)


def neighbourhood_choices(municipality: Municipality, empty: str) -> list[tuple[str, str]]:
    return [
        ("", empty),
        *((str(n.id), n.name) for n in neighbourhoods_of(municipality) if not n.is_unlocatable),
    ]


@bp.get("/ik-wil-helpen")
@public
def help_start() -> str | Response:
    """One municipality: its form; several: choose yours."""
    municipalities = list_municipalities()
    if len(municipalities) == 1:
        return redirect(url_for(".help_form", code=municipalities[0].code))
    return render_template("volunteers/help_choose.html", municipalities=municipalities)


@bp.route("/ik-wil-helpen/<code>", methods=["GET", "POST"])
@public
@limiter.limit(help_form_limit, methods=["POST"])
def help_form(code: str) -> str | tuple[str, int]:
    municipality = get_municipality(code[:10])
    if municipality is None:
        abort(404)
    form = HelpForm()
    form.neighbourhood_id.choices = neighbourhood_choices(municipality, _("I don't know"))
    if form.validate_on_submit():
        if not looks_human(form.form_token.data, form.website.data):
            form.form_token.data = form_token()
            return render_template(
                "volunteers/help_form.html",
                form=form,
                municipality=municipality,
                days=DAYS,
                parts=PARTS,
                problem=_(
                    "Something went wrong with the form. Check your answers and send it again."
                ),
            ), 422
        about = intake.About(
            name=form.name.data or "",
            email=form.email.data or "",
            phone=form.phone.data or "",
            neighbourhood_id=small_id(form.neighbourhood_id.data),
            talents=form.talents.data or "",
            motivation=form.motivation.data or "",
            languages=intake.words(form.languages.data or ""),
            availability=form.availability.data or [],
            roles=form.roles.data or [],
            data_consent=bool(form.data_consent.data),
        )
        try:
            intake.submit_candidate(municipality, about, "public_form")
        except VolunteerError as exc:
            db.session.rollback()
            getattr(form, exc.field, form.name).errors = [str(exc)]
        else:
            db.session.commit()
            draft_saved()  # the thanks page tells the phone to drop the form's draft
            return render_template("volunteers/help_thanks.html", municipality=municipality)
    status = 422 if form.is_submitted() else 200
    form.form_token.data = form_token()
    return render_template(
        "volunteers/help_form.html",
        form=form,
        municipality=municipality,
        days=DAYS,
        parts=PARTS,
        problem=None,
    ), status


@bp.route("/uitnodiging/<token>", methods=["GET", "POST"])
@public
@limiter.limit("30 per hour", methods=["POST"])
def invitation(token: str) -> str | Response | tuple[str, int]:
    """A new visitor or caller chooses a password, and is logged in."""
    found = intake.open_invitation(token, lock=True)
    if found is None:
        return render_template("volunteers/invitation_gone.html"), 404
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            user = intake.accept_invitation(found, form.password.data or "")
        except VolunteerError as exc:
            db.session.rollback()
            form.password.errors = [str(exc)]
        else:
            db.session.commit()
            login_user(user)
            return redirect(url_for("home.index"))
    return render_template(
        "volunteers/invitation.html", form=form, name=found.volunteer.name
    ), 422 if form.is_submitted() else 200
