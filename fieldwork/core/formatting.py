"""Numbers as the reader writes them (a decimal comma and a thousands dot in Dutch), always
through Babel: never Python's own formatting in a page or a printed report. Exports (CSV,
GeoJSON, the API) stay machine-readable and do not come here."""

from __future__ import annotations

from babel.numbers import format_decimal as babel_decimal
from flask_babel import format_decimal


def _pattern(digits: int | None, signed: bool) -> str:
    # digits None: as many decimals as the number has, up to three ("%g" without the point)
    fraction = ".###" if digits is None else f".{'0' * digits}" if digits else ""
    body = f"#,##0{fraction}"
    return f"+{body};-{body}" if signed else body


def decimal(number: float, digits: int | None = 1, signed: bool = False) -> str:
    """In the request's language: decimal(12.5) == "12,5", decimal(1.25, signed=True) == "+1,3"."""
    value = number if digits is None else round(number, digits)
    return str(format_decimal(value, format=_pattern(digits, signed)))


def dutch_decimal(number: float, digits: int | None = 1) -> str:
    """In Dutch whatever the request (the printed report is written in Dutch): "1.234,5"."""
    value = number if digits is None else round(number, digits)
    return str(babel_decimal(value, format=_pattern(digits, False), locale="nl_BE"))


def number(value: object) -> object:
    """A count as the reader writes it ("1.234"); a suppressed cell ("<5", "x") and anything
    that is not a whole number pass unchanged."""
    if isinstance(value, int) and not isinstance(value, bool):
        return decimal(value, 0)
    return value
