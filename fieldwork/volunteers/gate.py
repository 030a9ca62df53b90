"""Who may meet residents: a volunteer visits or calls residents (or is matched with one)
only when active and after their criminal-record extract (model 2) was checked."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from fieldwork.auth.models import User
from fieldwork.core.errors import ServiceError
from fieldwork.extensions import db
from fieldwork.volunteers.models import Volunteer


class VolunteerError(ServiceError):
    pass


def refusal_for(volunteer: Volunteer | None, who: str) -> str | None:
    """Why this volunteer may not meet residents yet, or None when they may."""
    if volunteer is None:
        return _(
            "%(who)s has no volunteer intake yet: record the intake and the model 2 "
            "check in the volunteer pool first.",
            who=who,
        )
    if volunteer.model2_checked_on is None:
        return _(
            "The criminal-record extract (model 2) of %(who)s has not been checked: "
            "record the check in the volunteer pool first.",
            who=who,
        )
    if volunteer.status != "active":
        return _("%(who)s is not an active volunteer.", who=who)
    return None


def volunteer_of(user: User) -> Volunteer | None:
    return db.session.scalar(select(Volunteer).where(Volunteer.user_id == user.id))


def account_refusal(user: User) -> str | None:
    """Why this account may not be given residents to visit or call, or None. Staff
    (contact persons, coordinators) are employees and pass."""
    if user.role != "volunteer":
        return None
    return refusal_for(volunteer_of(user), user.display_name)
