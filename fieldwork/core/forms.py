"""Form pieces shared by capabilities."""

from __future__ import annotations

import re
from typing import TypeVar

from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class CheckboxesField(SelectMultipleField):
    """A multiple choice as a list of checkboxes (big tap targets, no Ctrl-click)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


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
