"""Browser forms of the coordinator's side of photo assignments."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional

from fieldwork.core.forms import CheckboxesField
from fieldwork.core.receipts import new_once_key
from fieldwork.signals.vocabulary import THEMES

POLARITY_CHOICES = [
    ("", _l("Not said")),
    ("strength", _l("A strength")),
    ("concern", _l("A concern")),
]
ACTIONS = ("approve", "hide", "rotate_left", "rotate_right", "tag", "signal")


class AssignmentForm(FlaskForm):
    once = HiddenField(default=new_once_key)  # sent twice (a double tap): acts once
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give the assignment a title.")), Length(max=120)]
    )
    gemeente = SelectField(_l("Municipality"), choices=[])
    neighbourhoods = CheckboxesField(
        _l("Neighbourhoods"),
        choices=[],
        coerce=int,
        validators=[DataRequired(_l("Choose a neighbourhood."))],
    )
    starts_on = DateField(_l("First day"), validators=[DataRequired(_l("Choose a date."))])
    ends_on = DateField(_l("Last day"), validators=[DataRequired(_l("Choose a date."))])
    prompts = TextAreaField(
        _l("Prompts, one per week (the last one repeats): prompt | contrast"),
        validators=[DataRequired(_l("Write at least one prompt.")), Length(max=20000)],
    )


def parse_prompts(text: str) -> list[dict[str, Any]]:
    """ "Wat is het gezelligste plekje? | ... het minst gezellige?" lines → prompts."""
    prompts = []
    for line in text.splitlines():
        prompt, _bar, contrast = line.partition("|")
        if prompt.strip() or contrast.strip():
            prompts.append({"prompt": prompt.strip(), "contrast": contrast.strip()})
    return prompts


def prompts_as_text(prompts: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{p['prompt']} | {p['contrast']}" if p.get("contrast") else p["prompt"] for p in prompts
    )


class PhotoActionForm(FlaskForm):
    """One form per photo on the moderation page: the tags as ticked are saved with every
    button; the button says what else happens."""

    action = StringField(validators=[AnyOf(ACTIONS)])  # the pressed button (name="action")
    themes = CheckboxesField(_l("Themes"), choices=list(THEMES.items()))
    polarity = RadioField(
        _l("The photo shows"), choices=POLARITY_CHOICES, default="", validators=[Optional()]
    )
    theme = SelectField(
        _l("Theme of the signal"), choices=[("", "—"), *THEMES.items()], validators=[Optional()]
    )
    back = HiddenField()


class CsrfForm(FlaskForm):
    """A button that only needs the CSRF token (close the assignment)."""
