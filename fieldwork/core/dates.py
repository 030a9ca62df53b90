"""Which dates a person can mean: a round, an assignment, a training or a plan is held
between 2000 and 2100. Year 1 or 9999 is a typing error, and stored it breaks what is
computed from it later (a week after 9999-12-31 does not exist; a round that never ends is
never taken by retention)."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _

FIRST_YEAR, LAST_YEAR = 2000, 2100


def plausible(day: date) -> bool:
    return FIRST_YEAR <= day.year <= LAST_YEAR


def not_plausible_message() -> str:
    return _("Give a date between %(first)d and %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)
