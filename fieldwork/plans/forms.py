from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from fieldwork.core.receipts import new_once_key
from fieldwork.plans.models import ACTION_STATUSES

STATUS_CHOICES = [
    ("planned", _l("Planned")),
    ("running", _l("Running")),
    ("done", _l("Done")),
    ("dropped", _l("Dropped")),
]
assert [c for c, _label in STATUS_CHOICES] == list(ACTION_STATUSES)


class OnceForm(FlaskForm):
    """A form that adds something: sent twice (a double tap, a resend after a slow answer),
    it adds it once (see :func:`fieldwork.core.receipts.claim_once`)."""

    once = HiddenField(default=new_once_key)


class PlanForm(OnceForm):
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the plan a title.")), Length(max=200)]
    )
    neighbourhoods = SelectMultipleField(_l("Neighbourhoods"), choices=[], coerce=int)
    starts_on = DateField(_l("From"), validators=[InputRequired(_l("Give a start date."))])
    ends_on = DateField(_l("Until"), validators=[InputRequired(_l("Give an end date."))])


class ObjectiveForm(OnceForm):
    attention_point = SelectField(_l("Attention point of the analysis"), choices=[], coerce=str)
    neighbourhood = SelectField(_l("Neighbourhood"), choices=[], coerce=str)
    title = StringField(_l("Objective"), validators=[Length(max=200)])
    heard = TextAreaField(
        _l("What we heard, in plain language for residents (no names)"),
        validators=[Length(max=2000)],
    )


class ActionForm(OnceForm):
    description = TextAreaField(
        _l("Action"), validators=[DataRequired(_l("Describe the action.")), Length(max=2000)]
    )
    partners = SelectMultipleField(_l("Partners from the social map"), choices=[], coerce=int)
    partners_text = StringField(_l("Other partners"), validators=[Length(max=300)])
    owner = SelectField(_l("Owner"), choices=[], coerce=str)
    expected_output = TextAreaField(_l("Expected output"), validators=[Length(max=2000)])
    starts_on = DateField(_l("Start"), validators=[InputRequired(_l("Give a start date."))])
    ends_on = DateField(_l("End"), validators=[InputRequired(_l("Give an end date."))])
    milestones = TextAreaField(
        _l("Milestones (one a line: date dd/mm/yyyy, then what)"),
        validators=[Length(max=4000)],
    )
    status = SelectField(_l("Status"), choices=STATUS_CHOICES)


class NoteForm(OnceForm):
    text = TextAreaField(
        _l("Progress note"), validators=[DataRequired(_l("Write what happened.")), Length(max=4000)]
    )
    # the service checks the status (an empty one leaves it as it is)
    status = SelectField(
        _l("Status"), choices=[("", _l("Unchanged")), *STATUS_CHOICES], validate_choice=False
    )


class IndicatorForm(OnceForm):
    measure = SelectField(_l("Indicator"), choices=[])
    neighbourhood = SelectField(_l("Neighbourhood"), choices=[], coerce=str)
    period_kind = SelectField(
        _l("Follow per"), choices=[("quarter", _l("Quarter")), ("month", _l("Month"))]
    )
    baseline_from = DateField(_l("Baseline from"), validators=[Optional()])
    baseline_until = DateField(_l("Baseline until"), validators=[Optional()])
    baseline = FloatField(_l("Baseline (empty: computed)"), validators=[Optional()])
    target = FloatField(_l("Target"), validators=[InputRequired(_l("Give a target."))])


class ReactionForm(OnceForm):
    met_on = DateField(_l("Date"), validators=[InputRequired(_l("Give the date."))])
    meeting = StringField(
        _l("Meeting"), validators=[DataRequired(_l("Name the meeting.")), Length(max=200)]
    )
    text = TextAreaField(
        _l("What residents said"),
        validators=[DataRequired(_l("Write down what residents said.")), Length(max=4000)],
    )
    people = IntegerField(
        _l("Number of people"),
        validators=[InputRequired(_l("Give the number of people.")), NumberRange(0, 100000)],
    )


class EmptyForm(FlaskForm):
    """A button that posts (CSRF only)."""
