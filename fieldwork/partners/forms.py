from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields import EmailField, TelField, URLField
from wtforms.validators import DataRequired, Email, Length, Optional

from fieldwork.core.forms import CheckboxesField
from fieldwork.partners.vocabulary import KINDS, TARGET_GROUPS
from fieldwork.signals.vocabulary import THEMES


class SearchForm(FlaskForm):
    """The search on the social map (GET: no CSRF)."""

    class Meta:
        csrf = False

    theme = SelectField(_l("Theme"), choices=[], validate_choice=False)
    neighbourhood = SelectField(_l("Neighbourhood"), choices=[], validate_choice=False)
    target_group = SelectField(_l("For whom"), choices=[], validate_choice=False)


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=list(KINDS.items()))
    street = StringField(_l("Street"), validators=[Optional(), Length(max=200)])
    house_number = StringField(_l("House number"), validators=[Optional(), Length(max=20)])
    postcode = StringField(_l("Postcode"), validators=[Optional(), Length(max=10)])
    phone = TelField(_l("Phone"), validators=[Optional(), Length(max=40)])
    email = EmailField(_l("E-mail"), validators=[Optional(), Email(), Length(max=200)])
    website = URLField(_l("Website"), validators=[Optional(), Length(max=300)])
    opening_hours = TextAreaField(_l("Opening hours"), validators=[Length(max=2000)])


class ServiceForm(FlaskForm):
    name = StringField(_l("What is offered"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=4000)])
    themes = CheckboxesField(_l("Themes"), choices=list(THEMES.items()))
    target_groups = CheckboxesField(_l("Target groups"), choices=list(TARGET_GROUPS.items()))
    neighbourhoods = CheckboxesField(
        _l("Neighbourhoods (none ticked: the whole municipality)"), choices=[], coerce=int
    )
    how_to_reach = TextAreaField(_l("How to reach them"), validators=[Length(max=2000)])
    cost = StringField(_l("Cost"), validators=[Optional(), Length(max=200)])
    languages = StringField(_l("Languages"), validators=[Optional(), Length(max=200)])


class RegisterImportForm(FlaskForm):
    file = FileField(_l("Social map (CSV)"))


class MenuCardForm(FlaskForm):
    target_group = SelectField(_l("For whom"), choices=[], validate_choice=False)
    neighbourhood = SelectField(_l("Neighbourhood"), choices=[], validate_choice=False)
    size = SelectField(_l("Paper"), choices=[("A4", "A4"), ("A5", "A5")])
