"""When something happened by the phone's clock: a capture recorded offline is sent hours
later, with the moment it was observed (``new Date().toISOString()``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

CLOCK_DRIFT = timedelta(minutes=5)  # a phone's clock may run this far ahead
OLDEST = timedelta(days=30)  # an older moment is not believed: no phone waits that long
MAX_LENGTH = 64


def clamp_observed_at(raw: str | None, now: datetime) -> datetime | None:
    """``raw`` (ISO 8601 with an offset or "Z") as an aware UTC datetime, or None when it is
    missing, unparsable, without an offset, or more than 30 days before ``now``. A moment
    more than five minutes after ``now`` (a clock that runs ahead) becomes ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be aware; use fieldwork.db.utcnow()")
    if not raw or not isinstance(raw, str) or len(raw) > MAX_LENGTH:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
        if moment.tzinfo is None or moment.utcoffset() is None:
            return None
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    now = now.astimezone(UTC)
    if moment > now + CLOCK_DRIFT:
        return now
    if moment < now - OLDEST:
        return None
    return moment
