from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from fieldwork.core.forms import DeliberateRadioField
from fieldwork.signals.vocabulary import DOMAINS, THEMES, URGENCIES


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
    # one deliberate choice, nothing preselected: yes (and how) or explicitly no consent
    consent_how = DeliberateRadioField(
        _l("Does the resident agree to be contacted?"),
        choices=[
            ("verbal", _l("Yes, verbally")),
            ("signed_strip", _l("Yes, signed tear-off strip")),
            ("none", _l("No consent: only count it, nobody will call")),
        ],
        message=_l("Choose whether the resident agrees to be contacted, or choose no consent."),
    )
    consent_reference = StringField(_l("Strip number or reference"), validators=[Length(max=120)])
