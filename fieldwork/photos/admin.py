"""Coordinator pages: photo assignments, the flyer, moderation, galleries and the map; and
the public gallery of a link (only approved photos with consent "public")."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from fieldwork.areas.mapsvg import map_of
from fieldwork.areas.models import Neighbourhood
from fieldwork.areas.services import get_municipality, list_municipalities
from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import public, roles_required
from fieldwork.core.receipts import sent_before
from fieldwork.core.storage import StorageError, storage
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.photos import moderation
from fieldwork.photos.flyer import flyer_for, render_flyer
from fieldwork.photos.forms import AssignmentForm, CsrfForm, PhotoActionForm, parse_prompts
from fieldwork.photos.models import Photo, PhotoAssignment
from fieldwork.photos.services import (
    PhotoError,
    create_assignment,
    is_open,
    local_today,
    week_of,
    weeks,
)
from fieldwork.photos.views import public_assignment_or_404
from fieldwork.signals.vocabulary import THEMES

bp = Blueprint("photo_admin", __name__)
STAFF = ("coordinator",)  # photos may show people: no other role sees them
QUEUE_LIMIT = 60
GALLERY_LIMIT = 400
EXAMPLE_PROMPT = (
    "Wat is het gezelligste plekje in je buurt? | Wat is het minst gezellige plekje in je buurt?"
)


def _filters(assignment: PhotoAssignment) -> tuple[int | None, int | None]:
    """?neighbourhood= and ?week=, kept only when they belong to this assignment."""
    neighbourhood_id = request.args.get("neighbourhood", type=int)
    if neighbourhood_id not in {n.id for n in assignment.neighbourhoods}:
        neighbourhood_id = None
    week = request.args.get("week", type=int)
    if week is not None and not 1 <= week <= weeks(assignment):
        week = None
    return neighbourhood_id, week


@bp.get("/foto-opdrachten/")
@roles_required(*STAFF)
def index() -> str:
    assignments = db.session.scalars(
        select(PhotoAssignment).order_by(
            PhotoAssignment.starts_on.desc(), PhotoAssignment.id.desc()
        )
    ).all()
    return render_template(
        "photos/admin_index.html",
        assignments=assignments,
        counts=moderation.counts_by_assignment(),
        is_open=is_open,
    )


@bp.route("/foto-opdrachten/nieuw", methods=["GET", "POST"])
@roles_required(*STAFF)
def new() -> str | Response | tuple[str, int]:
    form = AssignmentForm()
    form.gemeente.choices = [(m.code, m.name) for m in list_municipalities()]
    form.neighbourhoods.choices = [
        (n.id, f"{n.name} ({n.municipality.name})")
        for n in db.session.scalars(
            select(Neighbourhood)
            .where(Neighbourhood.is_unlocatable.is_(False))
            .order_by(Neighbourhood.name)
        )
    ]
    if request.method == "GET":
        today = local_today()
        form.starts_on.data = today
        form.ends_on.data = today + timedelta(weeks=4, days=-1)
        # an example in the residents' language, whatever the coordinator's UI language
        form.prompts.data = EXAMPLE_PROMPT
    if form.validate_on_submit():
        if again := sent_before(form.once.data, url_for("photo_admin.index")):
            return again
        municipality = get_municipality(form.gemeente.data or "")
        try:
            if municipality is None:
                raise PhotoError(_("Choose a municipality."), "gemeente")
            starts_on, ends_on = form.starts_on.data, form.ends_on.data
            if starts_on is None or ends_on is None:  # DataRequired said so already
                raise PhotoError(_("Choose a date."), "starts_on")
            assignment = create_assignment(
                municipality,
                form.title.data or "",
                parse_prompts(form.prompts.data or ""),
                list(form.neighbourhoods.data or []),
                starts_on,
                ends_on,
                current_user,
            )
            record_audit("photo_assignment_created", "photo_assignment", assignment.id)
            db.session.commit()
            flash(
                _("The photo assignment was created. Print the flyer or share the link."), "success"
            )
            return redirect(url_for("photo_admin.show", assignment_id=assignment.id))
        except PhotoError as exc:
            db.session.rollback()
            field = getattr(form, exc.field, form.title)
            field.errors = [*field.errors, str(exc)]
    return render_template(
        "photos/admin_new.html", form=form
    ), 400 if request.method == "POST" else 200


@bp.get("/foto-opdrachten/<int:assignment_id>")
@roles_required(*STAFF)
def show(assignment_id: int) -> str:
    assignment = db.get_or_404(PhotoAssignment, assignment_id)
    return render_template(
        "photos/admin_show.html",
        assignment=assignment,
        link=moderation.public_link(assignment),
        counts=moderation.status_counts(assignment),
        summaries=moderation.week_summaries(assignment),
        open=is_open(assignment),
        current_week=week_of(assignment),
    )


@bp.post("/foto-opdrachten/<int:assignment_id>/sluiten")
@roles_required(*STAFF)
def close(assignment_id: int) -> Response:
    """Stop taking photos before the period ends (the galleries stay)."""
    assignment = db.get_or_404(PhotoAssignment, assignment_id)
    if CsrfForm().validate_on_submit() and assignment.closed_at is None:
        assignment.closed_at = utcnow()
        record_audit("photo_assignment_closed", "photo_assignment", assignment.id)
        db.session.commit()
        flash(_("The link no longer takes photos."), "success")
    return redirect(url_for("photo_admin.show", assignment_id=assignment.id))


@bp.get("/foto-opdrachten/<int:assignment_id>/flyer.pdf")
@roles_required(*STAFF)
def flyer(assignment_id: int) -> Response:
    assignment = db.get_or_404(PhotoAssignment, assignment_id)
    pdf = render_flyer(flyer_for(assignment, moderation.public_link(assignment)))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="foto-opdracht-{assignment.id}.pdf"',
            "Cache-Control": "private, no-cache",
        },
    )


@bp.get("/foto-opdrachten/<int:assignment_id>/moderatie")
@roles_required(*STAFF)
def moderate(assignment_id: int) -> str:
    assignment = db.get_or_404(PhotoAssignment, assignment_id)
    status = request.args.get("status", "new")
    if status not in ("new", "approved", "hidden"):
        status = "new"
    photos = moderation.photos_with_status(assignment, status, QUEUE_LIMIT + 1)
    waiting = moderation.photos_with_status(assignment, "processing", QUEUE_LIMIT)
    failed = moderation.photos_with_status(assignment, "failed", QUEUE_LIMIT)
    record_audit(
        "photo_moderation_viewed",
        "photo_assignment",
        assignment.id,
        status=status,
        ids=[p.id for p in photos[:QUEUE_LIMIT]],
    )
    db.session.commit()
    forms = {p.id: _action_form(p) for p in photos[:QUEUE_LIMIT]}
    return render_template(
        "photos/admin_moderation.html",
        assignment=assignment,
        status=status,
        photos=photos[:QUEUE_LIMIT],
        more=len(photos) > QUEUE_LIMIT,
        waiting=waiting,
        failed=failed,
        counts=moderation.status_counts(assignment),
        forms=forms,
        neighbourhoods={n.id: n.name for n in assignment.neighbourhoods},
    )


def _action_form(photo: Photo) -> PhotoActionForm:
    form = PhotoActionForm(formdata=None)
    form.themes.data = list(photo.themes or [])
    form.polarity.data = photo.polarity or ""
    form.theme.data = (photo.themes or [""])[0]
    return form


@bp.get("/foto-opdrachten/<int:assignment_id>/galerij")
@roles_required(*STAFF)
def gallery(assignment_id: int) -> str:
    assignment = db.get_or_404(PhotoAssignment, assignment_id)
    neighbourhood_id, week = _filters(assignment)
    groups = moderation.gallery(assignment, "analysis", neighbourhood_id, week)
    shown = sum(len(g.main) + len(g.contrasting) for g in groups)
    return render_template(
        "photos/admin_gallery.html",
        assignment=assignment,
        groups=groups,
        shown=shown,
        neighbourhood_id=neighbourhood_id,
        week=week,
        weeks=weeks(assignment),
        neighbourhoods={n.id: n.name for n in assignment.neighbourhoods},
        themes=THEMES,
    )


@bp.get("/foto-opdrachten/<int:assignment_id>/kaart")
@roles_required(*STAFF)
def map_page(assignment_id: int) -> str:
    assignment = db.get_or_404(PhotoAssignment, assignment_id)
    neighbourhood_id, week = _filters(assignment)
    hoods = [
        n for n in assignment.neighbourhoods if neighbourhood_id is None or n.id == neighbourhood_id
    ]
    frame = map_of(hoods)
    photos = moderation.pinned(
        moderation.photos_for("analysis", assignment, neighbourhood_id, week)
    )
    pins, outside = [], 0
    for photo in photos:
        if frame is None or photo.lat is None or photo.lon is None:  # pinned() has both
            outside += 1
            continue
        x, y = frame.point(photo.lat, photo.lon)
        if not (0 <= x <= 1000 and 0 <= y <= frame.height):
            outside += 1
            continue
        pins.append((photo, x, y))
    return render_template(
        "photos/admin_map.html",
        assignment=assignment,
        frame=frame,
        pins=pins,
        outside=outside,
        neighbourhood_id=neighbourhood_id,
        week=week,
        weeks=weeks(assignment),
        neighbourhoods={n.id: n.name for n in assignment.neighbourhoods},
    )


def _back(photo: Photo, back: str | None) -> Response:
    if back and back.startswith("/foto-opdrachten/") and "//" not in back and "\\" not in back:
        return redirect(back)
    return redirect(url_for("photo_admin.moderate", assignment_id=photo.assignment_id))


@bp.post("/foto-opdrachten/foto/<int:photo_id>")
@roles_required(*STAFF)
def act(photo_id: int) -> Response:
    """One moderation step on one photo: the ticked tags are saved, then the button's
    action (approve, hide, turn, a signal for the neighbourhood)."""
    photo = moderation.get_photo(photo_id, lock=True)
    if photo is None:
        abort(404)
    form = PhotoActionForm()
    if not form.validate_on_submit():
        flash(_("This did not work: reload the page and try again."), "error")
        return _back(photo, form.back.data)
    action = form.action.data
    try:
        if photo.status not in ("processing", "failed"):
            moderation.tag(
                photo, list(form.themes.data or []), form.polarity.data or None, current_user
            )
        done = _("Saved.")
        if action == "approve":
            moderation.approve(photo, current_user)
            done = _("Approved.")
        elif action == "hide":
            moderation.hide(photo, current_user)
            done = _("Hidden: the photo is in no gallery or report.")
        elif action in ("rotate_left", "rotate_right"):
            step = 90 if action == "rotate_right" else 270
            moderation.rotate(photo, (photo.rotation + step) % 360, current_user)
            done = _("Turned.")
        elif action == "signal":
            if not form.theme.data:
                raise PhotoError(_("Choose the theme of the signal."), "theme")
            moderation.make_signal(photo, form.theme.data, current_user)
            done = _("The signal was added for the neighbourhood.")
        db.session.commit()
        flash(done, "success")
    except PhotoError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    except StorageError:
        db.session.rollback()
        current_app.logger.exception("photo %s: storage", photo_id)
        flash(_("The stored photo could not be read. Try again later."), "error")
    return _back(photo, form.back.data)


def _image(photo: Photo, kind: str, cache: str) -> Response:
    key = moderation.image_key(photo, kind)
    if not key:
        abort(404)
    try:
        data = storage().get(key)
    except StorageError:
        current_app.logger.warning("photo %s: %s missing in storage", photo.id, kind)
        abort(404)
    return Response(
        data,
        mimetype="image/jpeg",
        headers={
            "Cache-Control": cache,
            "Content-Disposition": f'inline; filename="foto-{photo.id}.jpg"',
        },
    )


@bp.get("/foto-opdrachten/foto/<int:photo_id>/<kind>")
@roles_required(*STAFF)
def image(photo_id: int, kind: str) -> Response:
    """The stored JPEG (no metadata) for staff; the URL carries ?v=<rotation> so a turned
    photo is fetched again."""
    photo = moderation.get_photo(photo_id)
    if photo is None:
        abort(404)
    response = _image(photo, kind, "private, max-age=3600")
    if kind == "full":
        record_audit("photo_viewed", "photo", photo.id)
        db.session.commit()
    return response


# --- public: the gallery of the link -----------------------------------------------------------


@bp.get("/f/<token>/galerij")
@public
def public_gallery(token: str) -> str:
    """What the residents sent in and allowed to be shown publicly, after moderation."""
    assignment = public_assignment_or_404(token)
    groups = moderation.gallery(assignment, "public")
    return render_template(
        "photos/admin_public_gallery.html",
        assignment=assignment,
        groups=groups,
        open=is_open(assignment),
    )


@bp.get("/f/<token>/foto/<int:photo_id>/<kind>")
@public
def public_image(token: str, photo_id: int, kind: str) -> Response:
    """Only an approved photo of this link with consent "public"; anything else is 404."""
    assignment = public_assignment_or_404(token)
    photo = moderation.get_photo(photo_id)
    if (
        photo is None
        or photo.assignment_id != assignment.id
        or not moderation.may_show(photo, "public")
    ):
        abort(404)
    return _image(photo, kind, "public, max-age=60")
