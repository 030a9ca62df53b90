"""Referral onward (warme doorverwijzing): from a case to a partner's service, with the
resident's consent to share a short summary; the partner answers through a link, no account
needed (sent → accepted | declined → done), and is reminded when it stays unanswered."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Its answer to cases' question for the case page, and its step of ``tasks tick``."""
    import fieldwork.onward.receivers  # noqa: F401
    from fieldwork.core.cli import add_tick_step
    from fieldwork.onward.services import remind_step

    add_tick_step(app, remind_step)
