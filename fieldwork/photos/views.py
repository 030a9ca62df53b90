"""Public pages of a photo assignment: taking part from a phone without an account. With
JavaScript the photo goes to the API (retried on a flaky connection under one
Idempotency-Key); without it the form posts here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import FloatField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from fieldwork.areas.mapsvg import map_of, tiles_for
from fieldwork.core.forms import small_id
from fieldwork.core.permissions import public
from fieldwork.extensions import db, limiter
from fieldwork.photos import services
from fieldwork.photos.api import read_upload, upload_rate_limit
from fieldwork.photos.models import PhotoAssignment
from fieldwork.photos.uploads import MAX_UPLOAD_BYTES

bp = Blueprint("photos", __name__)

CONSENT_CHOICES = [
    ("analysis", _l("Only for the neighbourhood analysis (nobody else sees it)")),
    ("report", _l("May be shown in the neighbourhood report")),
    ("public", _l("May be shown publicly (report, website, exhibition)")),
]
AGE_CHOICES = [
    ("", _l("I'd rather not say")),
    ("child", _l("Child or young person")),
    ("adult", _l("Adult")),
    ("65plus", _l("65 or older")),
]


class TakePartForm(FlaskForm):
    photo = FileField(_l("Your photo"))
    side = RadioField(
        _l("Your photo shows"), choices=[("main", ""), ("contrast", "")], default="main"
    )
    caption = TextAreaField(_l("Something to add? (optional)"), validators=[Length(max=500)])
    neighbourhood_id = SelectField(_l("In which neighbourhood?"), choices=[], validate_choice=False)
    street = StringField(_l("Street (optional)"), validators=[Length(max=200)])
    lat = FloatField(validators=[Optional(), NumberRange(-90, 90)])
    lon = FloatField(validators=[Optional(), NumberRange(-180, 180)])
    age_group = RadioField(
        _l("Your age (optional)"), choices=AGE_CHOICES, default="", validate_choice=False
    )
    consent = RadioField(
        _l("What may we do with your photo?"),
        choices=CONSENT_CHOICES,
        validators=[DataRequired(_l("Choose what we may do with your photo."))],
    )


def public_assignment_or_404(token: str) -> PhotoAssignment:
    assignment = services.by_token(token)
    if assignment is None:
        abort(404)
    return assignment


def _page(
    assignment: PhotoAssignment, form: TakePartForm, status: int = 200, problem: str | None = None
) -> tuple[str, int]:
    week = services.week_of(assignment)
    prompt = services.prompt_for(assignment, week)
    form.side.choices = [("main", prompt["prompt"]), ("contrast", prompt["contrast"])]
    form.neighbourhood_id.choices = [
        ("", _l("I don't know")),
        *((str(n.id), n.name) for n in assignment.neighbourhoods),
    ]
    frame = map_of(assignment.neighbourhoods)
    return render_template(
        "photos/public_take_part.html",
        assignment=assignment,
        form=form,
        prompt=prompt,
        week=week,
        weeks=services.weeks(assignment),
        problem=problem,
        frame=frame,
        tiles=tiles_for(frame, current_app.config.get("MAP_TILES_URL") or "") if frame else [],
        tiles_attribution=current_app.config.get("MAP_TILES_ATTRIBUTION") or "",
        max_bytes=MAX_UPLOAD_BYTES,
        max_mb=MAX_UPLOAD_BYTES // 2**20,
    ), status


def _closed(assignment: PhotoAssignment) -> tuple[str, int]:
    return render_template(
        "photos/public_closed.html", assignment=assignment, not_yet=services.not_started(assignment)
    ), 410


@bp.get("/f/<token>")
@public
def take_part(token: str) -> Any:
    """This week's prompt in large type and the form."""
    assignment = public_assignment_or_404(token)
    if not services.is_open(assignment):
        return _closed(assignment)
    return _page(assignment, TakePartForm())


@bp.post("/f/<token>")
@public
@limiter.shared_limit(upload_rate_limit, scope="photo-upload")
def send_photo(token: str) -> Any:
    """The form without JavaScript."""
    assignment = public_assignment_or_404(token)
    if not services.is_open(assignment):
        return _closed(assignment)
    form = TakePartForm()
    upload = form.photo.data
    if not form.validate_on_submit():
        return _page(assignment, form, 422)
    if upload is None or not getattr(upload, "filename", None):
        form.photo.errors = [str(_l("Choose or take a photo first."))]
        return _page(assignment, form, 422)
    sent = services.Submission(
        raw=read_upload(upload),
        side=form.side.data or "main",
        caption=form.caption.data or "",
        neighbourhood_id=small_id(form.neighbourhood_id.data),
        lat=form.lat.data,
        lon=form.lon.data,
        street=form.street.data or "",
        age_group=form.age_group.data or None,
        consent=form.consent.data or "",
    )
    try:
        services.receive_photo(assignment, sent)
    except (services.PhotoError, services.PictureError) as exc:
        db.session.rollback()
        target = getattr(form, exc.field, None)
        if target is None or exc.field == "token":
            return _page(assignment, form, exc.status, str(exc))
        target.errors = [str(exc)]
        return _page(assignment, form, exc.status)
    db.session.commit()
    return render_template("photos/public_thanks.html", assignment=assignment)
