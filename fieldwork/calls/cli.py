"""calls' step of ``flask --app fieldwork tasks tick``: good-morning calls and their alerts."""

from __future__ import annotations

from fieldwork.calls.goodmorning import tick


def tick_step() -> str:
    calls = tick()
    return f"good-morning calls made: {calls['calls_made']}, alerts: {calls['alerts']}"
