from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from fieldwork.signals.vocabulary import CONSENT_METHODS, DOMAINS, THEMES, URGENCIES


class IntakeForm(FlaskForm):
    """A signal received by phone or at the desk (manual intake)."""

    name = StringField(
        _l("Name of the resident"),
        validators=[DataRequired(_l("Fill in the name.")), Length(max=200)],
    )
    street = StringField(
        _l("Street"), validators=[DataRequired(_l("Fill in the street.")), Length(max=200)]
    )
    house_number = StringField(_l("House number"), validators=[Length(max=20)])
    postcode = StringField(
        _l("Postcode"),
        validators=[
            DataRequired(_l("Fill in the postcode.")),
            Regexp(r"^[1-9]\d{3}$", message=_l("A Belgian postcode has 4 digits.")),
        ],
    )
    gemeente = SelectField(_l("Municipality"), choices=[])
    birth_year = IntegerField(
        _l("Birth year"), validators=[Optional(), NumberRange(1900, 2100, _l("A year like 1942."))]
    )
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    theme = SelectField(_l("Theme"), choices=list(THEMES.items()))
    domain = SelectField(_l("Life domain"), choices=list(DOMAINS.items()))
    urgency = RadioField(_l("Urgency"), choices=list(URGENCIES.items()), default="normal")
    note = TextAreaField(_l("What was noticed"), validators=[Length(max=4000)])
    consent_given = BooleanField(_l("The resident agrees to be contacted"))
    consent_how = SelectField(
        _l("How the consent was given"), choices=list(CONSENT_METHODS.items()), default="verbal"
    )
    consent_reference = StringField(_l("Strip number or reference"), validators=[Length(max=120)])
