"""Reading the audit log back: filters, keyset pages (newest first) and the CSV export."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, and_, cast, exists, false, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB

from fieldwork.audittrail.labels import ACTION_LABELS, action_label, subject_label
from fieldwork.auth.models import User
from fieldwork.cases.models import Case
from fieldwork.core.models import AuditEvent
from fieldwork.extensions import db

PER_PAGE = 50
MAX_PER_PAGE = 200
_MAX_ID = 2**31 - 1
_ACTION = re.compile(r"[a-z0-9_]{1,64}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CSV_BATCH = 1000


@dataclass(frozen=True)
class AuditFilter:
    user_id: int | None = None
    resident_id: int | None = None
    case_id: int | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    def as_args(self) -> dict[str, Any]:
        """The filter as query parameters (for links that keep it)."""
        values = {
            "user": self.user_id,
            "resident": self.resident_id,
            "case": self.case_id,
            "action": self.action,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }
        return {key: str(value) for key, value in values.items() if value is not None}


@dataclass
class ParsedQuery:
    filter: AuditFilter
    before: int | None = None
    per_page: int = PER_PAGE
    errors: dict[str, list[str]] = field(default_factory=dict)


def _int(args: Mapping[str, str], name: str, errors: dict[str, list[str]]) -> int | None:
    raw = args.get(name) or ""
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or not 0 < int(raw) <= _MAX_ID:
        errors[name] = [_("Give a positive whole number.")]
        return None
    return int(raw)


def _date(args: Mapping[str, str], name: str, errors: dict[str, list[str]]) -> date | None:
    raw = args.get(name) or ""
    if not raw:
        return None
    try:
        if not _DATE.fullmatch(raw):  # fromisoformat also takes 20260501 and 2026-W18
            raise ValueError(raw)
        day = date.fromisoformat(raw)
        if not date(2000, 1, 1) <= day <= date(2999, 12, 31):  # 9999-12-31 + a day overflows
            raise ValueError(raw)
        return day
    except ValueError:
        errors[name] = [_("Give a date as YYYY-MM-DD.")]
        return None


def parse_query(args: Mapping[str, str]) -> ParsedQuery:
    """The filters from query parameters, with a message per bad field (never an exception)."""
    errors: dict[str, list[str]] = {}
    action = args.get("action") or None
    if action is not None and not _ACTION.fullmatch(action):
        errors["action"] = [_("Unknown action.")]
        action = None
    date_from, date_to = _date(args, "from", errors), _date(args, "to", errors)
    if date_from and date_to and date_to < date_from:
        errors["to"] = [_("The end date is before the start date.")]
    per_page = _int(args, "per_page", errors) or PER_PAGE
    if per_page > MAX_PER_PAGE:
        errors["per_page"] = [_("At most %(max)d per page.", max=MAX_PER_PAGE)]
    audit_filter = AuditFilter(
        user_id=_int(args, "user", errors),
        resident_id=_int(args, "resident", errors),
        case_id=_int(args, "case", errors),
        action=action,
        date_from=date_from,
        date_to=date_to,
    )
    return ParsedQuery(
        audit_filter, _int(args, "before", errors), min(per_page, MAX_PER_PAGE), errors
    )


def _local_midnight(day: date) -> datetime:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(day, time(), tzinfo=zone)


def _subject(subject_type: str, subject_id: int) -> Any:
    return and_(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == str(subject_id))


def _shown_in_a_queue(case_ids: list[int]) -> ColumnElement[bool]:
    """A queue page is one event naming the cases it showed (their names and addresses) in
    its detail: a read of each of those residents, so their trail lists it too."""
    if not case_ids:
        return false()
    in_a_queue = AuditEvent.action == "queue_viewed"
    if db.session.get_bind().dialect.name == "postgresql":
        shown = cast(AuditEvent.detail, JSONB)["ids"]
        return and_(in_a_queue, or_(*(shown.contains([case_id]) for case_id in case_ids)))
    listed = func.json_each(AuditEvent.detail, "$.ids").table_valued("value")
    return and_(
        in_a_queue, exists(select(1).select_from(listed).where(listed.c.value.in_(case_ids)))
    )


def filtered(audit_filter: AuditFilter) -> Select[AuditEvent]:
    """The events the filter selects. A resident's events are those about the resident and
    about each of their cases."""
    query = select(AuditEvent)
    if audit_filter.user_id is not None:
        query = query.where(AuditEvent.user_id == audit_filter.user_id)
    if audit_filter.action is not None:
        query = query.where(AuditEvent.action == audit_filter.action)
    if audit_filter.case_id is not None:
        query = query.where(_subject("case", audit_filter.case_id))
    if audit_filter.resident_id is not None:
        case_ids = db.session.scalars(
            select(Case.id).where(Case.resident_id == audit_filter.resident_id)
        ).all()
        query = query.where(
            or_(
                _subject("resident", audit_filter.resident_id),
                and_(
                    AuditEvent.subject_type == "case",
                    AuditEvent.subject_id.in_([str(i) for i in case_ids]),
                ),
                _shown_in_a_queue(list(case_ids)),
            )
        )
    if audit_filter.date_from is not None:
        query = query.where(AuditEvent.at >= _local_midnight(audit_filter.date_from))
    if audit_filter.date_to is not None:
        end = _local_midnight(audit_filter.date_to + timedelta(days=1))
        query = query.where(AuditEvent.at < end)
    return query


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    user_name: str | None
    case_id: int | None
    resident_id: int | None

    @property
    def action_label(self) -> str:
        return action_label(self.event.action)

    @property
    def subject_label(self) -> str:
        return subject_label(self.event.subject_type)

    @property
    def detail_text(self) -> str:
        return json.dumps(self.event.detail or {}, ensure_ascii=False, sort_keys=True)

    @property
    def detail_items(self) -> list[tuple[str, str]]:
        """The detail as (field, value) for the page; lists of ids joined."""
        return [
            (key, ", ".join(map(str, value)) if isinstance(value, list) else str(value))
            for key, value in sorted((self.event.detail or {}).items())
        ]


def _rows(events: list[AuditEvent]) -> list[AuditRow]:
    """Events with their user's name, in one more query."""
    user_ids = {e.user_id for e in events if e.user_id is not None}
    names = (
        {
            u.id: u.display_name
            for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))
        }
        if user_ids
        else {}
    )

    def number(event: AuditEvent, kind: str) -> int | None:
        sid = event.subject_id
        return int(sid) if event.subject_type == kind and sid and sid.isdigit() else None

    return [
        AuditRow(
            e,
            names.get(e.user_id) if e.user_id is not None else None,
            number(e, "case"),
            number(e, "resident"),
        )
        for e in events
    ]


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    next_before: int | None


def audit_page(parsed: ParsedQuery) -> AuditPage:
    """One page, newest first; ``next_before`` is the cursor of the next (older) page."""
    query = filtered(parsed.filter)
    if parsed.before is not None:
        query = query.where(AuditEvent.id < parsed.before)
    events = list(
        db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(parsed.per_page + 1))
    )
    more = len(events) > parsed.per_page
    events = events[: parsed.per_page]
    return AuditPage(_rows(events), events[-1].id if more and events else None)


def all_rows(audit_filter: AuditFilter, upto: int | None) -> Iterator[AuditRow]:
    """Every event the filter selects up to id ``upto``, newest first, read in batches."""
    before = None if upto is None else upto + 1
    while True:
        query = filtered(audit_filter)
        if before is not None:
            query = query.where(AuditEvent.id < before)
        events = list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(_CSV_BATCH)))
        yield from _rows(events)
        if len(events) < _CSV_BATCH:
            return
        before = events[-1].id


CSV_COLUMNS = ("id", "at", "user_id", "user", "action", "label", "subject_type", "subject_id")


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    # a spreadsheet runs a cell that starts like a formula
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(rows: Iterator[AuditRow], labels: Mapping[str, str]) -> Iterator[str]:
    """The CSV, a line at a time; ``labels``: the actions in the reader's language (taken in
    the request, which the stream outlives)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([*CSV_COLUMNS, "detail", "ip"])
    yield flush()
    for row in rows:
        e = row.event
        label = labels.get(e.action, e.action)
        values = (e.id, e.at.isoformat(), e.user_id, row.user_name, e.action, label)
        writer.writerow(
            [_cell(v) for v in (*values, e.subject_type, e.subject_id, row.detail_text, e.ip)]
        )
        yield flush()


def latest_id() -> int | None:
    """The newest event now: an export stops there, so it is not chasing its own writes."""
    return db.session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))


def staff_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.name, User.email)))


def known_actions() -> list[str]:
    """The actions the "what" menu offers: those with a label, in label order. Not a DISTINCT
    over the log, which reads all of it; any other action can still be asked for by code."""
    return sorted(ACTION_LABELS, key=action_label)
