"""Form pieces shared by capabilities."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from wtforms import Field, RadioField, SelectMultipleField
from wtforms.form import BaseForm
from wtforms.validators import StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from fieldwork.core.errors import ServiceError


class CheckboxesField(SelectMultipleField):
    """A multiple choice as a list of checkboxes (big tap targets, no Ctrl-click)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DeliberateRadioField(RadioField):
    """A radio group where nothing is preselected and a submission without a choice is
    refused with `message`, shown next to the group. For consent, which is never assumed:
    the person filling in must tap a choice (also the explicit "no consent" one)."""

    def __init__(self, label: Any = None, *, message: Any, **kwargs: Any) -> None:
        kwargs.pop("default", None)  # never a default: that would be a preselected choice
        super().__init__(label, **kwargs)
        self.message = message

    def pre_validate(self, form: BaseForm) -> None:
        if not self.chosen:
            raise StopValidation(str(self.message))
        super().pre_validate(form)

    @property
    def chosen(self) -> bool:
        # without form data RadioField coerces the missing default to the string "None"
        return self.data not in (None, "", "None")


DATABASE_ID = (1, 2**31 - 1)

T = TypeVar("T")


def required(data: T | None) -> T:
    """The data of a field with a DataRequired validator, once the form validated: never None
    then. Says so to the type checker, and fails loudly if a view forgot to validate."""
    if data is None:
        raise ValueError("a required form field has no data: was the form validated?")
    return data


def small_id(text: str | None) -> int | None:
    """A database id typed or sent as text: plain ASCII digits that fit a database integer,
    else None ("²".isdigit() is True, and 10**20 does not fit)."""
    if not text or not re.fullmatch(r"[0-9]{1,10}", text.strip()):
        return None
    number = int(text)
    return number if DATABASE_ID[0] <= number <= DATABASE_ID[1] else None


def show_refusal(form: Any, exc: ServiceError, fallback: Field) -> None:
    """A service's refusal shown next to the field it names (``fallback`` when the form has
    no field by that name), as a validation message is."""
    field = getattr(form, exc.field, None) or fallback
    field.errors = [*field.errors, str(exc)]
