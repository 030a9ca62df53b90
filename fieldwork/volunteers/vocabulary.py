"""Codes of the volunteer intake and buurtgezel matching, with their labels (Dutch in the UI)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

VOLUNTEER_STATUSES = {
    "candidate": _l("Candidate"),
    "intake_done": _l("Intake done"),
    "active": _l("Active"),
    "paused": _l("Paused"),
    "stopped": _l("Stopped"),
}
# the moves a coordinator may make; "active" has its own gate (see intake.activate)
STATUS_MOVES = {
    "candidate": {"intake_done", "stopped"},
    "intake_done": {"active", "paused", "stopped"},
    "active": {"paused", "stopped"},
    "paused": {"active", "stopped"},
    "stopped": {"candidate"},
}

ROLES = {
    "visitor": _l("Visitor (doorstep visits)"),
    "caller": _l("Caller"),
    "buurtgezel": _l("Buurtgezel (companion, small help)"),
    "driver": _l("Driver"),
    "wegwijsbuddy": _l("Wegwijsbuddy (finding the way in services)"),
    "photo_walker": _l("Photo walker"),
    "event_helper": _l("Helper at activities"),
    "other": _l("Something else"),
}
# roles that meet residents one to one: a criminal-record extract (model 2) comes first
ROLES_MEETING_RESIDENTS = frozenset({"visitor", "caller", "buurtgezel", "driver", "wegwijsbuddy"})
# roles that work in the app (their own visit or call list): an account
ROLES_WITH_ACCOUNT = frozenset({"visitor", "caller"})

DAYS = {
    "mon": _l("Monday"),
    "tue": _l("Tuesday"),
    "wed": _l("Wednesday"),
    "thu": _l("Thursday"),
    "fri": _l("Friday"),
    "sat": _l("Saturday"),
    "sun": _l("Sunday"),
}
PARTS = {"morning": _l("Morning"), "afternoon": _l("Afternoon"), "evening": _l("Evening")}
SLOTS = tuple(f"{day}_{part}" for day in DAYS for part in PARTS)

MOBILITY = {
    "on_foot": _l("On foot"),
    "bike": _l("By bike"),
    "car": _l("By car"),
    "public_transport": _l("By bus or train"),
}
SUPPORT = {
    "language_help": _l("Help with Dutch"),
    "accessibility": _l("Accessible places"),
    "buddy": _l("A buddy to start with"),
    "transport": _l("Transport"),
    "flexible_hours": _l("Flexible hours"),
}
SOURCES = {
    "public_form": _l("'I want to help' form"),
    "staff": _l("Intake by staff"),
    "visit": _l("Doorstep visit"),
    "call": _l("Call"),
}

HELP_KINDS = {
    "companionship": _l("Companionship"),
    "chat": _l("A chat"),
    "shopping": _l("Shopping"),
    "lift": _l("A lift"),
    "small_jobs": _l("Small jobs at home"),
    "walk": _l("A walk together"),
    "paperwork": _l("Help with letters and forms"),
}
REQUEST_STATUSES = {
    "open": _l("Waiting for a match"),
    "matched": _l("Matched"),
    "other_solution": _l("Other solution"),
    "withdrawn": _l("Withdrawn"),
}
REQUEST_SOURCES = {
    "visit": _l("Doorstep visit"),
    "call": _l("Call"),
    "case": _l("Case"),
    "manual": _l("Contact person"),
}
FOLLOW_UP_RESULTS = {
    "going_well": _l("Going well"),
    "needs_attention": _l("Needs attention"),
    "ended": _l("Ended"),
}


def slot_label(slot: str) -> str:
    day, _sep, part = slot.partition("_")
    return f"{DAYS.get(day, day)} {str(PARTS.get(part, part)).lower()}"


def _register_labels() -> None:
    """Make these codes known to the templates' label(kind, code)."""
    from fieldwork.signals.vocabulary import LABELS

    LABELS.update(
        {
            "volunteer_status": VOLUNTEER_STATUSES,
            "volunteer_role": ROLES,
            "mobility": MOBILITY,
            "support": SUPPORT,
            "volunteer_source": SOURCES,
            "help_kind": HELP_KINDS,
            "request_status": REQUEST_STATUSES,
            "request_source": REQUEST_SOURCES,
            "follow_up_result": FOLLOW_UP_RESULTS,
        }
    )


_register_labels()
