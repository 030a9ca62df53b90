from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

OUTCOME_LABELS = [("helped", _l("Helped")), ("referred_onward", _l("Referred onward")),
                  ("info_only", _l("Information only")), ("declined", _l("Declined")),
                  ("unreachable", _l("Unreachable")),
                  ("moved_or_deceased", _l("Moved or deceased"))]
ATTEMPT_LABELS = [("reached", _l("Reached")), ("no_answer", _l("No answer")),
                  ("call_back_at", _l("Call back later"))]
STATUS_LABELS = [("contacted", _l("Contacted")), ("in_progress", _l("In progress"))]


class AttemptForm(FlaskForm):
    result = RadioField(_l("Result"), choices=ATTEMPT_LABELS,
                        validators=[DataRequired(_l("Choose a result."))])
    call_back_at = DateTimeLocalField(_l("Call back at"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Length(max=4000)])


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=STATUS_LABELS)
    reason = StringField(_l("Why"), validators=[Length(max=2000)])


class CloseForm(FlaskForm):
    outcome = SelectField(_l("Outcome"), choices=OUTCOME_LABELS)
    partner = StringField(_l("Partner (when referred onward)"), validators=[Length(max=200)])
    reason = StringField(_l("Explanation"), validators=[Length(max=2000)])


class ReassignForm(FlaskForm):
    to = SelectField(_l("New contact person"), choices=[])
    reason = StringField(_l("Why"), validators=[DataRequired(_l("Say why.")), Length(max=2000)])


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Note"), validators=[DataRequired(_l("The note is empty.")),
                                                 Length(max=4000)])
