"""cases' answers to the hooks of signals; connected once per process by ``init_app``."""

from __future__ import annotations

from typing import Any

from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.cases.services import can_see_case
from fieldwork.extensions import db
from fieldwork.signals.hooks import CaseView, signal_case
from fieldwork.signals.models import Signal


def case_of_signal(signal: Signal, user: User, **_: Any) -> CaseView | None:
    case = db.session.get(Case, signal.case_id) if signal.case_id else None
    if case is None:
        return None
    visible = can_see_case(user, case)
    if case.closed_at is not None:
        status = "closed"
    elif case.status in ("contacted", "in_progress") and (
        visible or not _contacted_before(case, signal)
    ):
        status = "contacted"
    else:
        status = "routed"
    return CaseView(status=status, visible=visible)


def _contacted_before(case: Case, signal: Signal) -> bool:
    """The resident was contacted before this signal was filed: to a filer who may not see
    the case, "contacted" at once would reveal that the resident already had one."""
    return (
        case.first_contact_at is not None
        and signal.created_at is not None
        and case.first_contact_at < signal.created_at
    )


signal_case.connect(case_of_signal, weak=False)
