"""calls' answers to the hooks of volunteers and cases; connected once per process by
``init_app``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from fieldwork.auth.models import User
from fieldwork.calls.goodmorning import stop
from fieldwork.calls.models import CallTarget, GoodMorningSchedule
from fieldwork.cases.hooks import case_consent_withdrawn
from fieldwork.extensions import db
from fieldwork.volunteers.hooks import volunteer_stepped_back


def release_call_targets(_volunteer: object, account: User, **_: Any) -> None:
    """The people this caller had still to call go back to the campaign's coordinator."""
    for target in db.session.scalars(
        select(CallTarget).where(CallTarget.caller_id == account.id, CallTarget.status == "to_call")
    ):
        target.caller_id = None


volunteer_stepped_back.connect(release_call_targets, weak=False)


def stop_calls(case: Any, **_: Any) -> None:
    """A withdrawal stops contact: the resident's good-morning calls stop (their name and
    number are hidden from the callers from now on), and their place on every campaign's list
    still to call ends as "refused" (they do not want to be called), so no caller sees them."""
    for schedule in db.session.scalars(
        select(GoodMorningSchedule).where(
            GoodMorningSchedule.resident_id == case.resident_id,
            GoodMorningSchedule.stopped_at.is_(None),
        )
    ):
        stop(schedule)
    db.session.execute(
        update(CallTarget)
        .where(CallTarget.resident_id == case.resident_id, CallTarget.status == "to_call")
        .values(status="refused", call_back_at=None)
        .execution_options(synchronize_session=False)
    )


case_consent_withdrawn.connect(stop_calls, weak=False)
