"""What a user filed: their own signals, a page at a time, with the filer's status step.

The filer sees the status only (product.md: "never case content"): what each signal is
about (date, source, theme, neighbourhood) and how far it got, never the resident or the
case."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from fieldwork.auth.models import User
from fieldwork.core.paging import Paged
from fieldwork.extensions import db
from fieldwork.signals.hooks import CaseView
from fieldwork.signals.models import Signal
from fieldwork.signals.services import signal_status

FILED_PAGE_SIZE = 50

#: The filer's steps, in order; a signal without a resident (no consent) is only counted.
FILER_STEPS = ("received", "contacted", "closed")
COUNTED_ONLY = "counted_only"


@dataclass(frozen=True)
class FiledPage(Paged):
    signals: list[Signal]
    total: int
    page: int
    per_page: int = FILED_PAGE_SIZE


def filed_signals_page(user: User, page: int = 1) -> FiledPage:
    """One page of the signals ``user`` filed, newest first, in two statements (the count,
    and the page with its neighbourhoods); the resident is not loaded."""
    page = max(1, page)
    mine = Signal.filed_by_id == user.id
    total = db.session.scalar(select(func.count()).select_from(Signal).where(mine)) or 0
    signals = db.session.scalars(
        select(Signal)
        .options(joinedload(Signal.neighbourhood))
        .where(mine)
        .order_by(Signal.created_at.desc(), Signal.id.desc())
        .limit(FILED_PAGE_SIZE)
        .offset((page - 1) * FILED_PAGE_SIZE)
    ).all()
    return FiledPage(list(signals), total, page)


def filer_step(signal: Signal, case: CaseView | None) -> str:
    """The step the filer sees: "counted_only" for a signal kept without a resident, else
    :func:`signal_status` in three steps ("routed" is still "received" to the filer)."""
    if signal.resident_id is None:
        return COUNTED_ONLY
    status = signal_status(signal, case)
    return status if status in FILER_STEPS else "received"
