from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from fieldwork.core.forms import CheckboxesField, DeliberateRadioField
from fieldwork.core.phones import PhoneNumber
from fieldwork.core.receipts import new_once_key
from fieldwork.neighbours.vocabulary import CAN_DO, RESIDENT_CONSENT
from fieldwork.signals.vocabulary import THEMES, URGENCIES


class JoinForm(FlaskForm):
    """The short intake: on the public page, or filled in by the coordinator."""

    name = StringField(_l("Your name"), validators=[Length(max=200)])
    email = EmailField(_l("E-mail address"), validators=[Length(max=254)])
    phone = TelField(
        _l("Phone"), validators=[Length(max=40), PhoneNumber()], render_kw={"inputmode": "tel"}
    )
    neighbourhood_id = SelectField(_l("Neighbourhood"), choices=[], validate_choice=True)
    streets = TextAreaField(
        _l("Which streets do you keep an eye on? (separate them with commas)"),
        validators=[Length(max=2000)],
    )
    can_do = CheckboxesField(_l("What can you do?"), choices=list(CAN_DO.items()))
    can_do_note = TextAreaField(_l("Anything else you can do"), validators=[Length(max=1000)])
    data_consent = BooleanField(_l("I agree to the text above"))
    # spam resistance, as on "Ik wil helpen" (fieldwork.volunteers.spam)
    form_token = HiddenField()
    website = StringField(_l("Leave this field empty"))
    once = HiddenField(default=new_once_key)  # Send pressed twice (a slow answer) joins once


class CodeForm(FlaskForm):
    code = StringField(
        _l("Your code"),
        validators=[DataRequired(_l("Type the code from your paper.")), Length(max=40)],
    )


class LinkRequestForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Fill in your e-mail address.")), Length(max=254)],
    )


class NeighbourSignalForm(FlaskForm):
    """A concern about someone in the street, from the neighbour's phone."""

    name = StringField(_l("Name of the resident"), validators=[Length(max=200)])
    street = StringField(
        _l("Street"), validators=[DataRequired(_l("Fill in the street.")), Length(max=200)]
    )
    house_number = StringField(_l("House number"), validators=[Length(max=20)])
    phone = TelField(
        _l("Phone of the resident"),
        validators=[Length(max=40), PhoneNumber()],
        render_kw={"inputmode": "tel"},
    )
    birth_year = IntegerField(
        _l("Birth year"), validators=[Optional(), NumberRange(1900, 2100, _l("A year like 1942."))]
    )
    themes = CheckboxesField(
        _l("What are the concerns?"),
        choices=list(THEMES.items()),
        validators=[DataRequired(_l("Choose at least one concern."))],
    )
    note = TextAreaField(_l("What did you notice?"), validators=[Length(max=2000)])
    urgency = RadioField(_l("Urgency"), choices=list(URGENCIES.items()), default="normal")
    consent = DeliberateRadioField(
        _l("Does the resident agree to be contacted?"),
        choices=list(RESIDENT_CONSENT.items()),
        message=_l("Choose whether the resident agrees to be contacted, or choose no consent."),
    )
    # sent without the page's queue script (which has its own key), twice: filed once
    once = HiddenField(default=new_once_key)


class StatusForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        choices=[
            ("active", _l("Take up again")),
            ("paused", _l("Pause")),
            ("ended", _l("End the role")),
        ],
    )


class MessageForm(FlaskForm):
    neighbourhood_id = SelectField(_l("Neighbourhood"), choices=[], validate_choice=True)
    subject = StringField(
        _l("Subject"), validators=[DataRequired(_l("Give the message a subject.")), Length(max=200)]
    )
    body = TextAreaField(
        _l("Message"), validators=[DataRequired(_l("The message is empty.")), Length(max=5000)]
    )
    once = HiddenField(default=new_once_key)  # a double tap sends it once


class TrainingForm(FlaskForm):
    title = StringField(
        _l("Training or meeting"),
        validators=[DataRequired(_l("Give the training a title.")), Length(max=160)],
    )
    held_on = DateField(_l("Date"), validators=[DataRequired(_l("Give the date."))])
    attendees = CheckboxesField(_l("Caring neighbours present"), choices=[], validate_choice=False)
    once = HiddenField(default=new_once_key)  # a double tap records it once
