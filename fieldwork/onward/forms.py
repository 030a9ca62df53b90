from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields import EmailField
from wtforms.validators import DataRequired, Email, Length, Optional

from fieldwork.core.forms import DeliberateRadioField
from fieldwork.signals.vocabulary import CONSENT_METHODS


class OnwardForm(FlaskForm):
    service = SelectField(_l("Partner and service"), choices=[], coerce=int)
    purpose = StringField(
        _l("What for"), validators=[DataRequired(_l("Say what for.")), Length(max=300)]
    )
    summary = TextAreaField(
        _l("Short summary for the partner (only this is shared)"),
        validators=[DataRequired(_l("Write a short summary.")), Length(max=1000)],
    )
    consent_given = BooleanField(
        _l("The resident agrees that this summary is shared with this partner")
    )
    consent_method = DeliberateRadioField(
        _l("How the resident agreed"),
        choices=list(CONSENT_METHODS.items()),
        message=_l("Say how the resident agreed."),
    )
    email = EmailField(
        _l("Partner's e-mail (when the social map has none)"),
        validators=[Optional(), Email(), Length(max=200)],
    )


class AnswerForm(FlaskForm):
    """The partner's answer on the link's page."""

    reason = TextAreaField(_l("Why you decline"), validators=[Length(max=2000)])
    outcome = TextAreaField(_l("What was done"), validators=[Length(max=2000)])
