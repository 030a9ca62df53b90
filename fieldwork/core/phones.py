"""Phone numbers as people type them ("051/12.34.56", "+32 470 12 34 56", "0032 51 123456"),
checked against the numbering plan (phonenumbers, Google's libphonenumber) and stored in one
readable form: a Belgian number in its national format, "051 12 34 56" or "0470 12 34 56",
as a contact person dials it; a foreign number (typed with +) in its international format,
"+33 6 12 34 56 78". The same number typed in another way is then stored the same."""

from __future__ import annotations

from typing import Any

import phonenumbers
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

REGION = "BE"
MAX_TYPED = 40  # the columns hold 40 characters; nobody types a longer number


class PhoneError(ValueError):
    """Not a phone number that can be called."""


def normalise_phone(typed: str) -> str:
    """The number in its stored form; PhoneError when it is no valid number."""
    text = typed.strip()
    if not text or len(text) > MAX_TYPED:
        raise PhoneError(typed)
    try:
        number = phonenumbers.parse(text, REGION)
    except phonenumbers.NumberParseException as exc:
        raise PhoneError(typed) from exc
    if not phonenumbers.is_valid_number(number):
        raise PhoneError(typed)
    if phonenumbers.region_code_for_number(number) == REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


PHONE_MESSAGE = _l(
    "This is not a phone number we can call. Type it as on a phone, e.g. 051 12 34 56 or "
    "0470 12 34 56."
)


class PhoneNumber:
    """WTForms validator: an empty field passes (make it required elsewhere); a filled one
    must be a valid number and is replaced by its stored form."""

    def __init__(self, message: Any = None) -> None:
        self.message = message or PHONE_MESSAGE

    def __call__(self, form: Any, field: Any) -> None:
        if not (field.data or "").strip():
            field.data = ""
            return
        try:
            field.data = normalise_phone(field.data)
        except PhoneError as exc:
            raise ValidationError(str(self.message)) from exc
