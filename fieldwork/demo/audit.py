"""Demo content of the audit trail: a few days of reads by the demo accounts, one
break-the-glass read with its reason, all sealed in the hash chain."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlalchemy import select

from fieldwork.auth.services import find_user_by_email
from fieldwork.cases.models import Case
from fieldwork.core.audit import record_audit, seal_events
from fieldwork.core.models import AuditEvent
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.signals.models import Resident


def demo_audit_trail() -> None:
    if db.session.scalar(select(AuditEvent.id).filter_by(action="case_glass_broken").limit(1)):
        return
    an = find_user_by_email("aanspreekpersoon@demo.fieldwork.be")
    sofie = find_user_by_email("regisseur@demo.fieldwork.be")
    if an is None or sofie is None:
        return
    now = utcnow()
    cases = list(db.session.scalars(select(Case).order_by(Case.id).limit(3)))
    residents = list(db.session.scalars(select(Resident.id).order_by(Resident.id).limit(3)))
    for days, user in ((3, an), (3, sofie), (2, an), (1, an)):
        record_audit("login", "user", user.id, user_id=user.id).at = now - timedelta(days=days)
    for n, case in enumerate(cases):
        at = now - timedelta(days=2, hours=n)
        record_audit("case_viewed", "case", case.id, user_id=an.id).at = at
    if cases:
        record_audit(
            "case_glass_broken",
            "case",
            cases[0].id,
            user_id=sofie.id,
            reason="Vervanging tijdens verlof van An",
        ).at = now - timedelta(days=1, hours=3)
        at = now - timedelta(days=1, hours=3)
        record_audit("case_viewed", "case", cases[0].id, user_id=sofie.id).at = at
    for resident_id in residents:
        at = now - timedelta(days=1)
        record_audit("near_matches_viewed", "resident", resident_id, user_id=an.id, ids=[]).at = at
    db.session.flush()
    sealed = seal_events(timedelta(0)).sealed
    click.echo(f"audit trail: {sealed} events sealed")
