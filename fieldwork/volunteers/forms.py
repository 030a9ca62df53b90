"""Browser forms: the public 'Ik wil helpen' form, the intake, the model-2 check, status,
trainings, the pool filter and the invitation's password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from fieldwork.core.forms import DATABASE_ID, CheckboxesField
from fieldwork.core.phones import PhoneNumber
from fieldwork.core.receipts import new_once_key
from fieldwork.volunteers.vocabulary import (
    HELP_KINDS,
    MOBILITY,
    ROLES,
    SLOTS,
    SUPPORT,
    VOLUNTEER_STATUSES,
    slot_label,
)

ROLE_CHOICES = list(ROLES.items())
SLOT_CHOICES = [(slot, slot) for slot in SLOTS]  # shown as a grid; labels from slot_label


def slot_choices() -> list[tuple[str, str]]:
    return [(slot, slot_label(slot)) for slot in SLOTS]


# a phone shows its number pad, an e-mail field the keyboard with @
TEL_KEYBOARD = {"inputmode": "tel"}
EMAIL_KEYBOARD = {"inputmode": "email"}


class HelpForm(FlaskForm):
    """The public form: a few questions in plain words; the intake asks the rest."""

    name = StringField(
        _l("Your name"), validators=[DataRequired(_l("Fill in your name.")), Length(max=200)]
    )
    phone = TelField(
        _l("Phone number"), validators=[Length(max=40), PhoneNumber()], render_kw=TEL_KEYBOARD
    )
    email = EmailField(
        _l("E-mail address (if you have one)"),
        validators=[Length(max=254)],
        render_kw=EMAIL_KEYBOARD,
    )
    # the service checks the neighbourhood (and a missing one is allowed)
    neighbourhood_id = SelectField(
        _l("Where do you live?"), choices=[], coerce=str, validate_choice=False
    )
    talents = TextAreaField(
        _l("What are you good at, or what do you like doing?"), validators=[Length(max=2000)]
    )
    motivation = TextAreaField(
        _l("Why would you like to help? (optional)"), validators=[Length(max=2000)]
    )
    languages = StringField(_l("Languages you speak"), validators=[Length(max=400)])
    roles = CheckboxesField(_l("What would you like to do?"), choices=ROLE_CHOICES)
    availability = CheckboxesField(_l("When could you?"), choices=SLOT_CHOICES)
    data_consent = BooleanField(
        _l("The municipality may keep these details to contact me about volunteering.")
    )
    form_token = HiddenField()
    website = StringField(_l("Leave this field empty"))  # honeypot, hidden by CSS


class IntakeForm(FlaskForm):
    """The intake conversation: start from the person, not from a vacancy."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    phone = TelField(
        _l("Phone number"), validators=[Length(max=40), PhoneNumber()], render_kw=TEL_KEYBOARD
    )
    email = EmailField(_l("E-mail address"), validators=[Length(max=254)], render_kw=EMAIL_KEYBOARD)
    neighbourhood_id = SelectField(
        _l("Neighbourhood"), choices=[], coerce=str, validate_choice=False
    )
    talents = TextAreaField(
        _l("Talents and skills, in their own words"), validators=[Length(max=2000)]
    )
    tags = StringField(
        _l("Talent tags (comma separated, e.g. cooking, repairs, music)"),
        validators=[Length(max=600)],
    )
    energy = TextAreaField(_l("What gives them energy"), validators=[Length(max=2000)])
    motivation = TextAreaField(_l("Motivation"), validators=[Length(max=2000)])
    experience = TextAreaField(
        _l("Experience, from work and from life"), validators=[Length(max=2000)]
    )
    languages = StringField(_l("Languages (comma separated)"), validators=[Length(max=400)])
    availability = CheckboxesField(_l("Availability"), choices=SLOT_CHOICES)
    mobility = CheckboxesField(_l("Getting around"), choices=list(MOBILITY.items()))
    support = CheckboxesField(_l("Support they need to take part"), choices=list(SUPPORT.items()))
    support_note = TextAreaField(_l("Other support, in their words"), validators=[Length(max=2000)])
    roles = CheckboxesField(_l("Roles of interest"), choices=ROLE_CHOICES)
    other_role = StringField(_l("Something else, namely"), validators=[Length(max=120)])
    help_kinds = CheckboxesField(
        _l("As a buurtgezel they would help with"), choices=list(HELP_KINDS.items())
    )
    data_consent = BooleanField(_l("The volunteer agrees that we keep these details"))


class Model2Form(FlaskForm):
    checked_on = DateField(
        _l("Date of the extract (model 2) I saw"),
        validators=[DataRequired(_l("Fill in the date of the extract."))],
    )


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), choices=list(VOLUNTEER_STATUSES.items()))


class InvitationForm(FlaskForm):
    pass


class LeadForm(FlaskForm):
    signal_id = IntegerField(validators=[DataRequired(), NumberRange(*DATABASE_ID)])


class TrainingForm(FlaskForm):
    once = HiddenField(default=new_once_key)  # sent twice (a double tap): acts once
    title = StringField(_l("Training"), validators=[DataRequired(), Length(max=160)])
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    attendees = CheckboxesField(_l("Attendees"), choices=[], coerce=int)


class PoolFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search

    talent = StringField(_l("Talent"), validators=[Optional(), Length(max=80)])
    role = SelectField(
        _l("Role"), choices=[("", _l("Any role")), *ROLE_CHOICES], validators=[Optional()]
    )
    neighbourhood = SelectField(_l("Neighbourhood"), choices=[], validators=[Optional()])
    slot = SelectField(_l("Available"), choices=[], validators=[Optional()])
    mobility = SelectField(
        _l("Getting around"), choices=[("", _l("Any")), *MOBILITY.items()], validators=[Optional()]
    )
    language = StringField(_l("Language"), validators=[Optional(), Length(max=40)])
    status = SelectField(
        _l("Status"),
        choices=[("", _l("All but stopped")), *VOLUNTEER_STATUSES.items()],
        validators=[Optional()],
    )


class PasswordForm(FlaskForm):
    password = PasswordField(
        _l("Choose a password (at least 10 characters)"),
        validators=[DataRequired(), Length(max=200)],
    )
    confirm = PasswordField(
        _l("The same password again"),
        validators=[EqualTo("password", _l("The two passwords differ."))],
    )
