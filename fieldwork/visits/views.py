"""At the door: the volunteer's list for today and the findings sheet."""

from __future__ import annotations

from itertools import groupby

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from fieldwork.core.audit import record_audit
from fieldwork.core.drafts import draft_saved
from fieldwork.core.observed import clamp_observed_at
from fieldwork.core.permissions import roles_required
from fieldwork.core.pictures import PictureError, decode_signature
from fieldwork.core.receipts import capture_key, claim_capture_key
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.signals.vocabulary import THEMES
from fieldwork.visits.forms import ASKED_AS_CHECKBOXES, FindingsForm, theme_groups
from fieldwork.visits.models import THEME_ANSWERS, VisitAddress
from fieldwork.visits.services import (
    Findings,
    VisitError,
    address_label,
    address_state,
    late_visit_target,
    may_be_undone,
    my_open_addresses,
    open_address_for,
    record_visit,
    undo_visit,
    undoable_visit,
)

bp = Blueprint("visits", __name__)


@bp.get("/bezoeken")
@roles_required("volunteer")
def today() -> str:
    addresses = my_open_addresses(current_user)
    record_audit("visit_list_viewed", "visit_address", None, ids=[a.id for a in addresses])
    db.session.commit()
    streets = [
        (rows[0].street, rows)
        for rows in (list(group) for _, group in groupby(addresses, key=lambda a: a.street_key))
    ]
    undoable = undoable_visit(current_user)
    return render_template(
        "visits/today.html",
        streets=streets,
        undoable=undoable,
        undo_message=not_home_noted(undoable.address, undoable.card_left) if undoable else "",
    )


@bp.post("/bezoeken/bezoek/<int:visit_id>/ongedaan")
@roles_required("volunteer")
def undo(visit_id: int) -> Response | tuple[str, int]:
    """The volunteer takes back the "not at home" they just recorded."""
    try:
        address = undo_visit(current_user, visit_id)
    except VisitError as exc:
        db.session.rollback()
        return render_template("visits/undo_refused.html", message=str(exc)), exc.status
    record_audit("visit_undone", "visit_address", address.id, visit_id=visit_id)
    db.session.commit()
    flash(
        _("Undone: %(address)s is on your list again.", address=address_label(address)),
        "success",
    )
    return redirect(url_for("visits.today"))


@bp.route("/bezoeken/<int:address_id>", methods=["GET", "POST"])
@roles_required("volunteer")
def sheet(address_id: int) -> str | Response | tuple[str, int]:
    posted = request.method == "POST"
    observed_at = clamp_observed_at(request.form.get("observed_at"), utcnow()) if posted else None
    flag = None
    try:
        address = open_address_for(current_user, address_id, lock=posted)
    except VisitError:  # done by the partner, reassigned, or never theirs: the same answer
        # ... unless it is a sheet filled in offline while the address was still theirs: then
        # it is kept, and flagged for the coordinator
        late = late_visit_target(current_user, address_id, observed_at) if capture_key() else None
        if late is None:
            return render_template("visits/gone.html"), 404
        address, flag = late
    form = FindingsForm()
    form.info_given.choices = [(item, item) for item in address.round.info_material]
    if request.method == "GET":
        form.attempt.data = str(address.attempts)
    answers = {code: request.form.get(f"theme_{code}", "not_discussed") for code in THEMES}
    if form.validate_on_submit():
        # a double tap: already saved. A record from the phone's queue has its key for that
        # (a second visit made offline carries the attempts of the page it was made on).
        if form.attempt.data != str(address.attempts) and not capture_key():
            flash(_("This visit was already saved."), "success")
            draft_saved()
            return redirect(url_for("visits.today"))
        try:
            before = address_state(address)
            visit = record_visit(
                address, current_user, findings_from(form, answers), observed_at, flag
            )
            if visit.consent_id and form.consent_how.data == "signature":
                visit.signature_png = decode_signature(form.signature.data or "")
            record_audit(
                "visit_recorded",
                "visit_address",
                address.id,
                outcome=visit.outcome,
                visit_id=visit.id,
                before=before,
            )
            claim_capture_key(current_user.id, url_for("visits.today"))
            db.session.commit()
            draft_saved()
            if flag is not None:
                flash(late_visit_kept(), "success")
            elif (form.note.data or "").strip() and not visit.note:
                flash(note_not_kept(), "success")
            elif not may_be_undone(visit):  # else the list confirms it, with an undo button
                flash(_("Saved. Next address."), "success")
            return redirect(url_for("visits.today"))
        except (VisitError, PictureError) as exc:
            db.session.rollback()
            late = late_visit_target(current_user, address_id, observed_at) if flag else None
            address = late[0] if late else open_address_for(current_user, address_id)
            target = form.outcome if exc.field == "outcome" else form.consent_how
            target.errors = [*target.errors, str(exc)]
    record_audit("visit_address_viewed", "visit_address", address.id)
    db.session.commit()
    status = 400 if request.method == "POST" else 200
    return render_template(
        "visits/sheet.html",
        form=form,
        address=address,
        theme_groups=theme_groups(leave_out=ASKED_AS_CHECKBOXES),
        answers=answers,
    ), status


def late_visit_kept() -> str:
    """The confirmation for a sheet filled in offline for an address that meanwhile went to
    someone else or was closed: kept, and the coordinator looks at it."""
    return _(
        "Saved. This address was no longer on your list when the sheet arrived (given to "
        "someone else or closed meanwhile); your coordinator will look at it. Next address."
    )


def not_home_noted(address: VisitAddress, card_left: bool) -> str:
    """The confirmation of a "not at home", naming the door."""
    if card_left:
        return _("Not at home noted: %(address)s — card left", address=address_label(address))
    return _("Not at home noted: %(address)s", address=address_label(address))


def note_not_kept() -> str:
    """The confirmation when the volunteer typed a note that minimisation dropped."""
    return _(
        "Saved. The note was not kept, because a note is only kept with the resident's "
        "consent or when it is urgent. The rest of the visit was saved. Next address."
    )


def findings_from(form: FindingsForm, answers: dict[str, str]) -> Findings:
    wants_contact = bool(form.wants_contact.data)
    how = form.consent_how.data
    given = wants_contact and (
        (how == "signature" and bool(form.signature.data))
        or (how == "signed_strip" and bool((form.consent_reference.data or "").strip()))
    )
    return Findings(
        outcome=form.outcome.data or "",
        themes={
            code: answer
            for code, answer in answers.items()
            if answer in THEME_ANSWERS and answer != "not_discussed"
        },
        info_given=list(form.info_given.data or []),
        interests=list(form.interests.data or []),
        card_left=bool(form.card_left.data),
        wants_buurtgezel=bool(form.wants_buurtgezel.data),
        wants_to_volunteer=bool(form.wants_to_volunteer.data),
        wants_contact=wants_contact,
        consent={
            "given": given,
            "how": how if given else None,
            "reference": (form.consent_reference.data or None) if given else None,
        },
        urgent=bool(form.urgent.data),
        note=form.note.data or "",
    )
