"""Public pages: the 'Ik wil helpen' form (no account) and the invitation link with which a
new visitor or caller sets their own password."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import login_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from fieldwork.areas.models import Municipality
from fieldwork.areas.services import (
    get_municipality,
    list_municipalities,
    neighbourhood_choices,
)
from fieldwork.core.drafts import draft_saved
from fieldwork.core.errors import handle_csrf_error, handle_http_exception
from fieldwork.core.forms import small_id
from fieldwork.core.permissions import public
from fieldwork.extensions import db, limiter
from fieldwork.volunteers import intake
from fieldwork.volunteers.forms import HelpForm, PasswordForm
from fieldwork.volunteers.gate import VolunteerError
from fieldwork.volunteers.spam import (
    accepted,
    form_token,
    help_form_limit,
    minutes_until_allowed,
    spam_refusal,
    token_again,
)
from fieldwork.volunteers.vocabulary import DAYS, PARTS

bp = Blueprint("volunteers", __name__)


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
@limiter.limit(help_form_limit, methods=["POST"], deduct_when=accepted)
def help_form(code: str) -> str | tuple[str, int]:
    municipality = _municipality_or_404(code)
    form = _help_form(municipality)
    if not form.is_submitted():
        form.form_token.data = form_token()
        return _help_page(form, municipality), 200
    if not form.validate():
        return _refused(form, municipality)
    refusal = spam_refusal(form.form_token.data, form.website.data)
    if refusal in ("trap", "expired"):
        return _refused(form, municipality, problem=_spam_problem(refusal), seen=False)
    try:
        intake.submit_candidate(municipality, _about(form), "public_form")
    except VolunteerError as exc:
        db.session.rollback()
        getattr(form, exc.field, form.name).errors = [str(exc)]
        return _refused(form, municipality)
    if refusal == "too_fast":  # only now: a person first hears what to fix, if anything
        db.session.rollback()
        return _refused(form, municipality, problem=_spam_problem(refusal), seen=False)
    db.session.commit()
    draft_saved()  # the thanks page tells the phone to drop the form's draft
    return render_template("volunteers/help_thanks.html", municipality=municipality)


@bp.errorhandler(429)
def help_form_busy(error: HTTPException) -> Response | tuple[str, int]:
    """The public form's limit reached: the form again with the answers, and how long to wait
    (other pages of this blueprint get the usual error page)."""
    municipality = _help_form_municipality()
    if municipality is None:
        return handle_http_exception(error)
    minutes = minutes_until_allowed()
    problem = ngettext(
        "This form was sent many times from this internet connection (a shared one, such as "
        "in a service centre, counts everybody). You can send it again in %(num)d minute: "
        "your answers are kept below.",
        "This form was sent many times from this internet connection (a shared one, such as "
        "in a service centre, counts everybody). You can send it again in %(num)d minutes: "
        "your answers are kept below.",
        minutes,
    )
    return _refused(_help_form(municipality), municipality, problem=problem, seen=False, status=429)


@bp.errorhandler(CSRFError)
def help_form_expired(error: CSRFError) -> Response | tuple[str, int]:
    """The session behind the public form expired: the form again with the answers."""
    municipality = _help_form_municipality()
    if municipality is None:
        return handle_csrf_error(error)
    problem = _("The form had expired. Check your answers and press Send again.")
    return _refused(_help_form(municipality), municipality, problem=problem, seen=False, status=400)


def _municipality_or_404(code: str) -> Municipality:
    municipality = get_municipality(code[:10])
    if municipality is None:
        abort(404)
    return municipality


def _help_form_municipality() -> Municipality | None:
    """The municipality of the public form this request posted, None on any other page."""
    if request.endpoint != "volunteers.help_form":
        return None
    return get_municipality(str((request.view_args or {}).get("code", ""))[:10])


def _help_form(municipality: Municipality) -> HelpForm:
    form = HelpForm()
    form.neighbourhood_id.choices = neighbourhood_choices(municipality, _("I don't know"))
    return form


def _spam_problem(refusal: str) -> str:
    if refusal == "too_fast":
        return _(
            "You sent the form very quickly after opening it. Wait a few seconds and press "
            "Send again: your answers are kept."
        )
    return _("The form had expired. Check your answers and press Send again.")


def _refused(
    form: HelpForm,
    municipality: Municipality,
    problem: str | None = None,
    *,
    seen: bool = True,
    status: int = 422,
) -> tuple[str, int]:
    """The form again with the person's answers. ``seen``: they got it back with what to
    fix, so the corrected resend is not held to the minimum time."""
    form.form_token.data = token_again(form.form_token.data, seen=seen)
    return _help_page(form, municipality, problem), status


def _help_page(form: HelpForm, municipality: Municipality, problem: str | None = None) -> str:
    return render_template(
        "volunteers/help_form.html",
        form=form,
        municipality=municipality,
        days=DAYS,
        parts=PARTS,
        problem=problem,
    )


def _about(form: HelpForm) -> intake.About:
    return intake.About(
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
