"""The manual intake page (contact person or coordinator)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from fieldwork.areas.services import list_municipalities
from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import roles_required
from fieldwork.extensions import db
from fieldwork.signals.forms import IntakeForm
from fieldwork.signals.services import SignalError, create_signal

bp = Blueprint("signals", __name__)


@bp.route("/intake", methods=["GET", "POST"])
@roles_required("contact_person", "coordinator")
def intake() -> str | tuple[str, int] | Response:
    form = IntakeForm()
    form.gemeente.choices = [(m.code, m.name) for m in list_municipalities()]
    if form.validate_on_submit():
        payload = {
            "resident": {
                "name": form.name.data,
                "street": form.street.data,
                "house_number": form.house_number.data or None,
                "postcode": form.postcode.data,
                "gemeente": form.gemeente.data,
                "birth_year": form.birth_year.data,
                "phone": form.phone.data or None,
                "lat": None,
                "lon": None,
                "statsec": None,
            },
            "theme": form.theme.data,
            "domain": form.domain.data,
            "urgency": form.urgency.data,
            "polarity": "need",
            "note": form.note.data or "",
            "consent": {
                "given": form.consent_how.data != "none",
                "how": None if form.consent_how.data == "none" else form.consent_how.data,
                "reference": (form.consent_reference.data or None)
                if form.consent_how.data != "none"
                else None,
            },
        }
        try:
            signal = create_signal(payload, current_user)
            record_audit("signal_created", "signal", signal.id)
            db.session.commit()
            if (form.note.data or "").strip() and not signal.note:
                flash(
                    _(
                        "Signal registered. The note was not kept, because a note is only kept "
                        "with the resident's consent or when it is urgent. Without consent the "
                        "signal only counts for the neighbourhood figures."
                    ),
                    "success",
                )
            else:
                flash(
                    _("Signal registered. It is being routed to the right contact person."),
                    "success",
                )
            return redirect(url_for("signals.intake"))
        except SignalError as exc:
            db.session.rollback()
            form.street.errors = [*form.street.errors, str(exc)]
    status = 400 if request.method == "POST" else 200
    return render_template("signals/intake.html", form=form), status
