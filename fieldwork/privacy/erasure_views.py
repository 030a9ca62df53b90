"""The erasure page: a coordinator erases a resident, behind a confirmation."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField, SelectField
from wtforms.validators import AnyOf, DataRequired

from fieldwork.cases.models import Case
from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import roles_required
from fieldwork.extensions import db
from fieldwork.privacy.erasure import ErasureError, erase_resident
from fieldwork.privacy.ledger import ErasureEntry
from fieldwork.signals.models import Resident

bp = Blueprint("privacy_erasure", __name__)

REASON_LABELS = [
    ("", _l("Choose a reason")),
    ("request", _l("The resident asked for erasure")),
    ("consent_withdrawn", _l("Consent was withdrawn")),
    ("deceased", _l("The resident died")),
    ("unlawful", _l("The data should never have been recorded")),
    ("other", _l("Another reason")),
]
REASON_CODES = [code for code, _label in REASON_LABELS if code]


class ErasureForm(FlaskForm):
    reason = SelectField(
        _l("Why"),
        choices=REASON_LABELS,
        validators=[AnyOf(REASON_CODES, message=_l("Choose why the data is erased."))],
    )
    confirm = BooleanField(
        _l("I understand that this cannot be undone, also not from a back-up."),
        validators=[DataRequired(_l("Tick this box to confirm the erasure."))],
    )


@bp.route("/privacy/residents/<int:resident_id>/erase", methods=["GET", "POST"])
@roles_required("coordinator")
def erase(resident_id: int) -> str | Response | tuple[str, int]:
    resident = db.session.get(Resident, resident_id)
    if resident is None:
        abort(404)
    erased_before = db.session.scalar(
        select(ErasureEntry.erased_at).where(ErasureEntry.resident_id == resident_id)
    )
    form = ErasureForm()
    if erased_before is None and form.validate_on_submit():
        try:
            erase_resident(resident_id, current_user.id, form.reason.data or "other")
        except ErasureError:
            db.session.rollback()
            abort(409)
        db.session.commit()
        flash(_("The resident's personal data is erased. The counts stay."), "success")
        return redirect(url_for("privacy_erasure.erase", resident_id=resident_id))
    # the page shows the name, to be sure the right person is erased: a read to audit
    record_audit("erasure_page_viewed", "resident", resident_id)
    case_id = db.session.scalar(
        select(Case.id).where(Case.resident_id == resident_id).order_by(Case.id.desc())
    )
    html = render_template(
        "privacy/erase.html",
        resident=resident,
        form=form,
        erased_at=erased_before,
        case_id=case_id,
    )
    db.session.commit()
    return (html, 400) if form.errors else html
