from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from fieldwork.core.forms import CheckboxesField
from fieldwork.signals.vocabulary import DOMAINS, THEME_DOMAINS, THEME_POLARITIES, THEMES

OUTCOME_CHOICES = [
    ("spoken", _l("Spoken")),
    ("not_home", _l("Not at home")),
    ("refused", _l("Refused")),
    ("moved", _l("Moved")),
    ("deceased", _l("Deceased")),
]
INTEREST_CHOICES = [
    ("dienstencentrum", _l("Local service centre")),
    ("dorpsrestaurant", _l("Village restaurant")),
    ("verenigingen", _l("Associations")),
    ("activiteiten", _l("Activities in the neighbourhood")),
]
ANSWER_CHOICES = [
    ("not_discussed", _l("not discussed")),
    ("ok", _l("ok")),
    ("concern", _l("concern")),
]
# A strength is there or it was not talked about: "zorg" would make no sense. Stored as
# "concern" (the answer that makes a signal; its polarity is the theme's, a strength).
STRENGTH_CHOICES = [
    ("not_discussed", _l("not discussed")),
    ("concern", _l("yes")),
]
# asked once on the findings sheet, as the checkboxes "buurtgezel" and "wants to volunteer"
ASKED_AS_CHECKBOXES = ("buurtgezel", "vrijwilliger")


@dataclass(frozen=True)
class ThemeQuestion:
    code: str
    label: str
    choices: list[tuple[str, Any]]


@dataclass(frozen=True)
class ThemeGroup:
    """The themes of one life domain, a fold on the sheet."""

    domain: str
    label: str
    questions: list[ThemeQuestion]

    def answered(self, answers: dict[str, str]) -> bool:
        return any(answers.get(q.code, "not_discussed") != "not_discussed" for q in self.questions)


def theme_groups(leave_out: tuple[str, ...] = ()) -> list[ThemeGroup]:
    """The sheet's theme questions by life domain, in the vocabulary's order."""
    return [
        ThemeGroup(
            domain,
            str(label),
            [
                ThemeQuestion(
                    code,
                    str(THEMES[code]),
                    STRENGTH_CHOICES
                    if THEME_POLARITIES.get(code) == "strength"
                    else ANSWER_CHOICES,
                )
                for code in THEMES
                if THEME_DOMAINS[code] == domain and code not in leave_out
            ],
        )
        for domain, label in DOMAINS.items()
    ]


class FindingsForm(FlaskForm):
    """The findings sheet (bevindingenfiche); theme answers come as theme_<code> fields."""

    attempt = HiddenField()
    outcome = RadioField(
        _l("What happened at the door?"),
        choices=OUTCOME_CHOICES,
        validators=[DataRequired(_l("Choose what happened."))],
    )
    card_left = BooleanField(_l("Card left in the letterbox"))
    info_given = CheckboxesField(_l("Information handed out"), choices=[])
    interests = CheckboxesField(_l("Interested in"), choices=INTEREST_CHOICES)
    wants_buurtgezel = BooleanField(_l("Would like a buurtgezel (companion)"))
    wants_to_volunteer = BooleanField(_l("Wants to volunteer"))
    wants_contact = BooleanField(_l("Wants contact with the contact person"))
    # nothing preselected: asked only when the resident wants contact, and then a choice
    # must be made (validate_consent_how); consent is never assumed
    consent_how = RadioField(
        _l("Consent"),
        choices=[
            ("signature", _l("Signs here on the screen")),
            ("signed_strip", _l("Signed the paper form")),
        ],
        validate_choice=False,
    )
    consent_reference = StringField(_l("Number of the signed form"), validators=[Length(max=120)])
    signature = HiddenField()
    urgent = BooleanField(_l("Urgent: the contact person must act today"))
    note = TextAreaField(_l("Short note"), validators=[Length(max=2000)])

    def validate_consent_how(self, field: RadioField) -> None:
        from wtforms.validators import ValidationError

        wants_contact = self.outcome.data == "spoken" and self.wants_contact.data
        if wants_contact and field.data not in ("signature", "signed_strip"):
            raise ValidationError(
                _l(
                    "Choose how the resident gave consent: a signature on the screen or "
                    "the signed paper form."
                )
            )


class RoundForm(FlaskForm):
    name = StringField(_l("Name of the round"), validators=[DataRequired(), Length(max=120)])
    gemeente = SelectField(_l("Municipality"), choices=[])
    neighbourhoods = CheckboxesField(
        _l("Neighbourhoods"),
        choices=[],
        coerce=int,
        validators=[DataRequired(_l("Choose a neighbourhood."))],
    )
    starts_on = DateField(_l("From"), validators=[DataRequired()])
    ends_on = DateField(_l("Until"), validators=[DataRequired()])
    max_attempts = IntegerField(
        _l("Attempts per address"), default=3, validators=[DataRequired(), NumberRange(1, 10)]
    )
    info_material = TextAreaField(
        _l("Information handed out, one per line"), validators=[Length(max=1500)]
    )


class ImportForm(FlaskForm):
    file = FileField(_l("Target list (CSV)"))


class HandAssignForm(FlaskForm):
    volunteer = SelectField(_l("Volunteer"), choices=[])
    partner = SelectField(_l("Together with (optional)"), choices=[], validators=[Optional()])


class AssignForm(HandAssignForm):
    street = SelectField(_l("Street"), choices=[])
