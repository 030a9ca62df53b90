from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from fieldwork.core.receipts import new_once_key
from fieldwork.signals.vocabulary import ATTEMPT_RESULTS, CASE_STATUSES, OUTCOMES

OUTCOME_LABELS = list(OUTCOMES.items())
ATTEMPT_LABELS = list(ATTEMPT_RESULTS.items())
STATUS_LABELS = [(code, CASE_STATUSES[code]) for code in ("contacted", "in_progress")]


class AttemptForm(FlaskForm):
    once = HiddenField(default=new_once_key)  # sent twice (a double tap): acts once
    result = RadioField(
        _l("Result"), choices=ATTEMPT_LABELS, validators=[DataRequired(_l("Choose a result."))]
    )
    call_back_at = DateTimeLocalField(_l("Call back at"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Length(max=4000)])


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=STATUS_LABELS)
    reason = StringField(_l("Why"), validators=[Length(max=2000)])


class CloseForm(FlaskForm):
    # Starts on an empty choice: with the first outcome as default, one click closed as helped.
    outcome = SelectField(
        _l("Outcome"),
        choices=[("", _l("Choose an outcome")), *OUTCOME_LABELS],
        default="",
        validators=[DataRequired(_l("Choose an outcome."))],
    )
    partner = StringField(_l("Partner (when referred onward)"), validators=[Length(max=200)])
    reason = StringField(_l("Explanation"), validators=[Length(max=2000)])
    # shown only while the case has no contact attempt
    confirm_without_contact = BooleanField(
        _l("No contact attempt has been logged yet: close as helped anyway")
    )


class ReassignForm(FlaskForm):
    to = SelectField(_l("New contact person"), choices=[])
    reason = StringField(_l("Why"), validators=[DataRequired(_l("Say why.")), Length(max=2000)])


class NoteForm(FlaskForm):
    once = HiddenField(default=new_once_key)  # sent twice (a double tap): acts once
    text = TextAreaField(
        _l("Note"), validators=[DataRequired(_l("The note is empty.")), Length(max=4000)]
    )


class ReasonForm(FlaskForm):
    """Why a coordinator opens a case outside their queue and team ("break the glass")."""

    reason = StringField(
        _l("Why do you open this case?"),
        validators=[
            DataRequired(_l("Give a short reason.")),
            Length(min=5, max=200, message=_l("Between 5 and 200 characters.")),
        ],
    )
