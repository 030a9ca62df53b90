from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from fieldwork.core.forms import CheckboxesField
from fieldwork.core.receipts import new_once_key
from fieldwork.signals.vocabulary import CALL_OUTCOMES, ESCALATION_RELATIONS, WEEKDAYS

OUTCOME_CHOICES = list(CALL_OUTCOMES.items())
WEEKDAY_CHOICES = list(WEEKDAYS.items())
RELATION_CHOICES = list(ESCALATION_RELATIONS.items())


class CallForm(FlaskForm):
    """One call; guide answers come as answer_<key>, theme answers as theme_<code>."""

    attempts = StringField()  # the attempts the page saw: a double tap is saved once
    outcome = RadioField(
        _l("How did the call go?"),
        choices=OUTCOME_CHOICES,
        validators=[DataRequired(_l("Choose how the call went."))],
    )
    call_back_at = DateTimeLocalField(
        _l("Call back on"), validators=[Optional()], format="%Y-%m-%dT%H:%M"
    )
    wants_regular_calls = BooleanField(_l("Would like a regular call (good-morning call)"))
    wants_contact = BooleanField(_l("Wants contact with the contact person"))
    consent_given = BooleanField(_l("I read the text aloud and the resident agreed"))
    urgent = BooleanField(_l("Urgent: the contact person must act today"))
    note = TextAreaField(_l("Short note"), validators=[Length(max=2000)])


class CampaignForm(FlaskForm):
    name = StringField(_l("Name of the campaign"), validators=[DataRequired(), Length(max=120)])
    gemeente = SelectField(_l("Municipality"), choices=[])
    neighbourhoods = CheckboxesField(
        _l("Neighbourhoods"),
        choices=[],
        coerce=int,
        validators=[DataRequired(_l("Choose a neighbourhood."))],
    )
    callers = CheckboxesField(_l("Callers"), choices=[], coerce=int)
    guide = TextAreaField(
        _l(
            "Conversation guide: one question per line; for multiple choice "
            "add the options after a | separated by ;"
        ),
        validators=[Length(max=6000)],
    )
    max_attempts = IntegerField(
        _l("Attempts per person"), default=3, validators=[DataRequired(), NumberRange(1, 10)]
    )
    min_gap_minutes = IntegerField(
        _l("Minutes between two attempts"), default=120, validators=[NumberRange(0, 10080)]
    )
    hours_from = TimeField(_l("Call from"), validators=[DataRequired()])
    hours_until = TimeField(_l("Call until"), validators=[DataRequired()])
    consent_text = TextAreaField(
        _l("Consent text the caller reads aloud"), validators=[Length(max=1000)]
    )


class GuideForm(FlaskForm):
    guide = TextAreaField(_l("Conversation guide"), validators=[Length(max=6000)])


class SelectionForm(FlaskForm):
    min_age = IntegerField(_l("From age"), default=80, validators=[Optional(), NumberRange(0, 120)])
    max_age = IntegerField(_l("To age"), default=120, validators=[Optional(), NumberRange(0, 120)])
    living_alone = RadioField(
        _l("Lives alone"),
        choices=[("any", _l("Either")), ("yes", _l("Yes")), ("no", _l("No (or not known)"))],
        default="any",
    )
    neighbourhoods = CheckboxesField(
        _l("Neighbourhoods (none ticked: all of the campaign's)"), choices=[], coerce=int
    )


class CallListImportForm(FlaskForm):
    file = FileField(_l("Call list (CSV)"))


class ShareForm(FlaskForm):
    callers = CheckboxesField(
        _l("Callers"),
        choices=[],
        coerce=int,
        validators=[DataRequired(_l("Choose at least one caller."))],
    )
    neighbourhood = SelectField(_l("Neighbourhood"), choices=[])


class ScheduleForm(FlaskForm):
    once = HiddenField(default=new_once_key)  # sent twice (a double tap): set up once
    resident_id = IntegerField(_l("Resident number"), validators=[DataRequired()])
    weekdays = CheckboxesField(
        _l("Days"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        validators=[DataRequired(_l("Choose one or more days."))],
    )
    window_from = TimeField(_l("Between"), validators=[DataRequired()])
    window_until = TimeField(_l("and"), validators=[DataRequired()])
    callers = CheckboxesField(_l("Callers"), choices=[], coerce=int)
    handler = SelectField(_l("Contact person for alerts"), choices=[], coerce=int)
    escalation_relation = RadioField(
        _l("Who is warned when nobody answers?"), choices=RELATION_CHOICES, default="neighbour"
    )
    escalation_name = StringField(_l("Name"), validators=[Length(max=200)])
    escalation_phone = StringField(_l("Phone number"), validators=[Length(max=40)])
    escalation_consent = BooleanField(_l("This person agreed to be called"))
    retry_minutes = IntegerField(
        _l("Call again after (minutes)"), default=15, validators=[NumberRange(5, 120)]
    )
    max_retries = IntegerField(_l("Number of retries"), default=2, validators=[NumberRange(0, 5)])
    resident_consent = BooleanField(_l("The resident agreed to the regular calls"))


class PauseForm(FlaskForm):
    paused_from = DateField(_l("From"), validators=[DataRequired()])
    paused_until = DateField(_l("Until (empty: until resumed)"), validators=[Optional()])
    reason = StringField(_l("Reason"), validators=[Length(max=120)])


class AckForm(FlaskForm):
    note = TextAreaField(_l("What did you do?"), validators=[Length(max=2000)])
