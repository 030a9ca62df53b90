"""Mijn signalen: the filer's step for each signal on a page, in one statement for all."""

from __future__ import annotations

from sqlalchemy import select

from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.extensions import db
from fieldwork.signals.filed import filer_step
from fieldwork.signals.hooks import case_view
from fieldwork.signals.models import Signal


def filer_steps(signals: list[Signal], user: User) -> dict[int, str]:
    """Each signal's step (:func:`filer_step` on the status hook's answer).

    The page's cases are loaded in one statement first: cases' answer to the hook reads a
    case by its key, which then comes from the session instead of a query per signal."""
    cases = _cases_by_id({s.case_id for s in signals if s.case_id is not None})
    return {s.id: _step(s, cases.get(s.case_id), user) for s in signals}


def _cases_by_id(ids: set[int]) -> dict[int | None, Case]:
    if not ids:
        return {}
    return {case.id: case for case in db.session.scalars(select(Case).where(Case.id.in_(ids)))}


def _step(signal: Signal, case: Case | None, user: User) -> str:
    # cases' answer keeps "contacted" from a filer when the resident was contacted before
    # the signal was filed (the case existed already): the status API says the same
    return filer_step(signal, case_view(signal, user))
