"""The caller's pages: my calls (good-morning calls first, then the campaign list) and the
call sheet with the conversation guide and the needs form."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from fieldwork.calls import goodmorning
from fieldwork.calls.campaigns import (
    CallError,
    Conversation,
    late_target_for,
    my_targets,
    previous_attempts,
    record_attempt,
    target_for,
    tel_href,
)
from fieldwork.calls.forms import CallForm
from fieldwork.calls.models import GOODMORNING_OUTCOMES, CallTarget
from fieldwork.calls.rules import BRUSSELS
from fieldwork.core.audit import record_audit
from fieldwork.core.drafts import draft_saved
from fieldwork.core.observed import clamp_observed_at
from fieldwork.core.permissions import roles_required
from fieldwork.core.receipts import capture_key, claim_capture_key
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.signals.vocabulary import THEMES
from fieldwork.visits.forms import theme_groups

bp = Blueprint("calls", __name__)
CALLERS = ("volunteer", "contact_person", "coordinator")


@bp.get("/bellen")
@roles_required(*CALLERS)
def my_list() -> str:
    targets = my_targets(current_user)
    calls = goodmorning.my_calls(current_user)
    record_audit(
        "call_list_viewed",
        "call_target",
        None,
        ids=[t.id for t, _m in targets],
        goodmorning=[c.id for c, _d in calls],
    )
    db.session.commit()
    return render_template(
        "calls/my_list.html",
        targets=targets,
        calls=calls,
        tel=tel_href,
        outcomes=GOODMORNING_OUTCOMES,
    )


@bp.post("/bellen/goeiemorgen/<int:call_id>")
@roles_required(*CALLERS)
def goodmorning_call(call_id: int) -> Response:
    outcome = request.form.get("outcome", "")
    try:
        call = goodmorning.call_for(current_user, call_id, lock=True)
        if request.form.get("attempts") != str(call.attempts) and not capture_key():  # double tap
            flash(_("This call was already saved."), "success")
            return redirect(url_for("calls.my_list"))
        goodmorning.record_call(call, current_user, outcome)
        record_audit("goodmorning_call_recorded", "goodmorning_call", call.id, outcome=outcome)
        claim_capture_key(current_user.id, url_for("calls.my_list"))
        db.session.commit()
        flash(_("Saved."), "success")
    except CallError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("calls.my_list"))


def _target_for_sheet(target_id: int, posted: bool) -> CallTarget | None:
    """Mine and open (locked when a call is saved); or a call made offline before its
    campaign closed, sent from the phone's queue afterwards (kept, see late_target_for)."""
    try:
        return target_for(current_user, target_id, lock=posted, open_only=not posted)
    except CallError:
        if not (posted and capture_key()):
            return None
        observed_at = clamp_observed_at(request.form.get("observed_at"), utcnow())
        return late_target_for(current_user, target_id, observed_at)


@bp.route("/bellen/<int:target_id>", methods=["GET", "POST"])
@roles_required(*CALLERS)
def sheet(target_id: int) -> str | Response | tuple[str, int]:
    posted = request.method == "POST"
    target = _target_for_sheet(target_id, posted)
    if target is None:
        return render_template("calls/gone.html"), 404
    form = CallForm()
    guide = target.campaign.guide
    answers = {q["key"]: request.form.get(f"answer_{q['key']}", "") for q in guide}
    themes = {code: request.form.get(f"theme_{code}", "not_discussed") for code in THEMES}
    if request.method == "GET":
        form.attempts.data = str(target.attempts)
    if form.validate_on_submit():
        # a double tap; a record from the phone's queue has its key for that instead (a second
        # call made offline carries the attempts of the page it was made on)
        stale = form.attempts.data != str(target.attempts) and not capture_key()
        if stale or target.status != "to_call":
            flash(_("This call was already saved."), "success")
            draft_saved()
            return redirect(url_for("calls.my_list"))
        try:
            attempt, _signals = record_attempt(
                target, current_user, conversation(form, answers, themes)
            )
            attempt.observed_at = clamp_observed_at(request.form.get("observed_at"), utcnow())
            record_audit("call_recorded", "call_target", target.id, outcome=attempt.outcome)
            claim_capture_key(current_user.id, url_for("calls.my_list"))
            db.session.commit()
            draft_saved()
            if (form.note.data or "").strip() and not attempt.note:
                flash(
                    _(
                        "Saved. The note was not kept, because a note is only kept with the "
                        "resident's consent or when it is urgent. The rest of the call was "
                        "saved. Next person."
                    ),
                    "success",
                )
            else:
                flash(_("Saved. Next person."), "success")
            return redirect(url_for("calls.my_list"))
        except CallError as exc:
            db.session.rollback()
            target = _target_for_sheet(target_id, posted) or target_for(current_user, target_id)
            field_name = exc.field.split(".")[0]
            field = getattr(
                form, {"consent": "consent_given"}.get(field_name, field_name), form.outcome
            )
            field.errors = [*field.errors, str(exc)]
    if target.status != "to_call":  # finished, and this post was no repeat of its save
        return render_template("calls/gone.html"), 404
    record_audit("call_target_viewed", "call_target", target.id)
    db.session.commit()
    return render_template(
        "calls/sheet.html",
        form=form,
        target=target,
        guide=guide,
        answers=answers,
        theme_groups=theme_groups(),
        theme_answers=themes,
        tel=tel_href(target.phone),
        previous=previous_attempts([target.id]).get(target.id, []),
    ), 400 if request.method == "POST" else 200


def conversation(form: CallForm, answers: dict[str, str], themes: dict[str, str]) -> Conversation:
    back: datetime | None = form.call_back_at.data
    return Conversation(
        outcome=form.outcome.data or "",
        call_back_at=back.replace(tzinfo=BRUSSELS) if back else None,
        answers={k: v for k, v in answers.items() if v.strip()},
        themes={k: v for k, v in themes.items() if v != "not_discussed"},
        wants_regular_calls=bool(form.wants_regular_calls.data),
        wants_contact=bool(form.wants_contact.data),
        consent_given=bool(form.consent_given.data),
        urgent=bool(form.urgent.data),
        note=form.note.data or "",
    )
