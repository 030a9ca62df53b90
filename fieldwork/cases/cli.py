"""cases' step of ``flask --app fieldwork tasks tick``: due reminders and escalations."""

from __future__ import annotations

from fieldwork.cases.deadlines import check_deadlines
from fieldwork.db import utcnow


def tick_step() -> str:
    counts = check_deadlines(utcnow())
    return f"reminders: {counts['reminders']}, escalations: {counts['escalations']}"
