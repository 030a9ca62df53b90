from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from fieldwork.core.forms import CheckboxesField, DeliberateRadioField
from fieldwork.core.phones import PhoneNumber
from fieldwork.core.receipts import new_once_key
from fieldwork.signals.vocabulary import THEMES, URGENCIES

CONTACT_CONSENTS = ("signed_strip", "signature")  # the contact person will call the resident
CONSENT_CHOICES = [
    ("signed_strip", _l("The resident signed the tear-off strip")),
    ("signature", _l("The resident signs here on the screen")),
    ("none", _l("No consent: only count it, nobody will call")),
]


class CodeForm(FlaskForm):
    code = StringField(_l("Card code"), validators=[DataRequired(_l("Type the code."))])


class CardForm(FlaskForm):
    """What the referrer fills in together with the resident."""

    name = StringField(_l("Name of the resident"), validators=[Length(max=200)])
    street = StringField(
        _l("Street"), validators=[DataRequired(_l("Fill in the street.")), Length(max=200)]
    )
    house_number = StringField(_l("House number"), validators=[Length(max=20)])
    no_exact_number = BooleanField(_l("I don't know the exact number"))
    deelgemeente = SelectField(_l("Village"), choices=[], validate_choice=True)
    postcode = StringField(
        _l("Postcode"),
        validators=[
            Optional(),
            Regexp(r"^[1-9]\d{3}$", message=_l("A Belgian postcode has 4 digits.")),
        ],
    )
    phone = TelField(
        _l("Phone"),
        validators=[Length(max=40), PhoneNumber()],
        render_kw={"inputmode": "tel"},  # the number pad on a phone
    )
    birth_year = IntegerField(
        _l("Birth year"), validators=[Optional(), NumberRange(1900, 2100, _l("A year like 1942."))]
    )
    themes = CheckboxesField(
        _l("What are the concerns?"),
        choices=list(THEMES.items()),
        validators=[DataRequired(_l("Choose at least one concern."))],
    )
    description = TextAreaField(_l("Short description"), validators=[Length(max=2000)])
    urgency = RadioField(_l("Urgency"), choices=list(URGENCIES.items()), default="normal")
    best_time = StringField(_l("Best time to call"), validators=[Length(max=120)])
    # nothing preselected: a card sent without a choice here is refused, never assumed
    consent = DeliberateRadioField(
        _l("Consent"),
        choices=CONSENT_CHOICES,
        message=_l(
            "Choose whether the resident gave consent: the signed strip, a signature "
            "on the screen, or no consent."
        ),
    )
    signature = HiddenField()
    strip_photo = FileField(_l("Photo of the signed strip (optional)"))

    def validate_name(self, field: StringField) -> None:
        from wtforms.validators import ValidationError

        if self.consent.data in CONTACT_CONSENTS and not (field.data or "").strip():
            raise ValidationError(_l("Fill in the name: the contact person will call."))

    def validate_phone(self, field: TelField) -> None:
        from wtforms.validators import ValidationError

        if self.consent.data in CONTACT_CONSENTS and not (field.data or "").strip():
            raise ValidationError(
                _l("Fill in the resident's phone number: the contact person will call.")
            )

    def validate_deelgemeente(self, field: SelectField) -> None:
        from wtforms.validators import ValidationError

        if self.no_exact_number.data and not field.data:
            raise ValidationError(
                _l("Choose the village: without a number it places the resident.")
            )

    def validate_house_number(self, field: StringField) -> None:
        from wtforms.validators import ValidationError

        if not self.no_exact_number.data and not (field.data or "").strip():
            raise ValidationError(_l("Fill in the number, or tick that you don't know it."))


class SeriesForm(FlaskForm):
    once = HiddenField(default=new_once_key)  # sent twice (a double tap): acts once
    name = StringField(
        _l("Name of the series"),
        validators=[DataRequired(_l("Give the series a name.")), Length(max=120)],
    )
    gemeente = SelectField(_l("Municipality"), choices=[])
    count = IntegerField(
        _l("Number of cards"),
        default=100,
        validators=[
            DataRequired(_l("How many cards?")),
            NumberRange(1, 5000, _l("Between 1 and 5000.")),
        ],
    )
    service_offer = TextAreaField(
        _l("Local service offer, one per line: name: phone"), validators=[Length(max=1500)]
    )
    consent_text = TextAreaField(
        _l("Consent text on the tear-off strip"),
        validators=[DataRequired(_l("The consent text is empty.")), Length(max=1500)],
    )


class HandOutForm(FlaskForm):
    to = StringField(_l("Handed out to (referrer or organisation)"), validators=[Length(max=200)])
    to_user = SelectField(_l("Referrer with an account"), choices=[], default="")


class VoidForm(FlaskForm):
    reason = StringField(_l("Why is the card made invalid?"), validators=[Length(max=200)])


class LinkForm(FlaskForm):
    once = HiddenField(default=new_once_key)  # sent twice (a double tap): acts once
    referrer_name = StringField(
        _l("Name of the referrer"),
        validators=[DataRequired(_l("Give the name of the referrer.")), Length(max=120)],
    )
    organisation = StringField(_l("Organisation"), validators=[Length(max=200)])
    gemeente = SelectField(_l("Municipality"), choices=[])
    days = IntegerField(
        _l("Valid for (days)"),
        default=14,
        validators=[DataRequired(), NumberRange(1, 90, _l("1 to 90 days."))],
    )
