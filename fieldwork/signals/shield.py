"""After a consent withdrawal the resident's personal data is hidden from everyone but the
coordinator, until retention removes it.

Done where the rows are loaded, not in the pages: a Resident, Signal or CaseEvent of a
resident who withdrew is loaded with its personal fields replaced (as their committed
value, so nothing is written back), and every page, API answer, timeline and list built on
it shows the placeholder without knowing. Outside a request (commands, the worker's
retention and erasure jobs) nothing is hidden."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g, has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import ColumnElement, and_, column, exists, table
from sqlalchemy.orm.attributes import set_committed_value

# the consents table, for the "withdrew" rule in the models' column properties (the Consent
# model is defined after the models that use the rule)
_consents = table("consents", column("resident_id"), column("withdrawn_at"))


def withdrew(resident_id: Any) -> ColumnElement[bool]:
    """SQL: the resident withdrew every consent they gave (and gave at least one)."""
    return and_(
        exists()
        .where(_consents.c.resident_id == resident_id, _consents.c.withdrawn_at.is_not(None))
        .correlate_except(_consents),
        ~exists()
        .where(_consents.c.resident_id == resident_id, _consents.c.withdrawn_at.is_(None))
        .correlate_except(_consents),
    )


def placeholder() -> str:
    return _("(personal data hidden after consent withdrawal)")


def sees_withdrawn() -> bool:
    """Whether this request's user may see a withdrawn resident's data: the coordinator
    only. Outside a request: yes (commands and jobs)."""
    if not has_request_context():
        return True
    cached = g.get("_sees_withdrawn")
    if cached is not None:
        return bool(cached)
    user = g.get("api_user")
    if user is None and current_user and current_user.is_authenticated:
        user = current_user
    if user is None:
        return False  # not known yet (or anonymous): not cached, a later load asks again
    g._sees_withdrawn = user.role == "coordinator"
    return bool(g._sees_withdrawn)


def shield(
    target: Any, hidden: bool | None, texts: Iterable[str], cleared: Iterable[str] = ()
) -> None:
    """Replace the loaded personal fields of a withdrawn resident's row for this viewer:
    ``texts`` by the placeholder, ``cleared`` by None."""
    if not hidden or sees_withdrawn():
        return
    loaded = target.__dict__
    for name in texts:
        if loaded.get(name):
            set_committed_value(target, name, placeholder())
    for name in cleared:
        if loaded.get(name) is not None:
            set_committed_value(target, name, None)


def shield_detail(target: Any, hidden: bool | None, keys: Iterable[str]) -> None:
    """The same for free text inside a JSON detail (a case event's note, reason, …)."""
    detail = target.__dict__.get("detail")
    if not hidden or not detail or sees_withdrawn():
        return
    text = placeholder()
    masked = {key: (text if key in keys and value else value) for key, value in detail.items()}
    set_committed_value(target, "detail", masked)
