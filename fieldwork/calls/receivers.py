"""calls' answers to the hooks of volunteers; connected once per process by ``init_app``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from fieldwork.auth.models import User
from fieldwork.calls.models import CallTarget
from fieldwork.extensions import db
from fieldwork.volunteers.hooks import volunteer_stepped_back


def release_call_targets(_volunteer: object, account: User, **_: Any) -> None:
    """The people this caller had still to call go back to the campaign's coordinator."""
    for target in db.session.scalars(
        select(CallTarget).where(CallTarget.caller_id == account.id, CallTarget.status == "to_call")
    ):
        target.caller_id = None


volunteer_stepped_back.connect(release_call_targets, weak=False)
