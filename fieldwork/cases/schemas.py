from __future__ import annotations

import marshmallow as ma

from fieldwork.cases.models import OUTCOMES, Case
from fieldwork.cases.services import ATTEMPT_RESULTS, QUEUE_MAX_PAGE_SIZE, QUEUE_PAGE_SIZE

EVENT_TYPES = (
    "contact_attempt",
    "status_change",
    "close",
    "reassigned",
    "note",
    "withdraw_consent",
)


class QueueQuerySchema(ma.Schema):
    neighbourhood = ma.fields.Integer(load_default=None, validate=ma.validate.Range(1, 2**31 - 1))
    theme = ma.fields.String(load_default=None)
    page = ma.fields.Integer(
        load_default=1,
        validate=ma.validate.Range(1, 2**31 - 1),
        metadata={"description": "Page number, from 1."},
    )
    per_page = ma.fields.Integer(
        load_default=QUEUE_PAGE_SIZE,
        validate=ma.validate.Range(1, QUEUE_MAX_PAGE_SIZE),
        metadata={"description": f"Cases per page (default {QUEUE_PAGE_SIZE})."},
    )


class ResidentOutSchema(ma.Schema):
    """Only the name is always known; a capture may leave out the rest (null)."""

    name = ma.fields.String()
    street = ma.fields.String(allow_none=True)
    house_number = ma.fields.String(allow_none=True)
    postcode = ma.fields.String(allow_none=True)
    birth_year = ma.fields.Integer(allow_none=True)
    phone = ma.fields.String(allow_none=True)


class QueueItemSchema(ma.Schema):
    case_id = ma.fields.Integer(attribute="id")
    status = ma.fields.String()
    urgency = ma.fields.String()
    due = ma.fields.DateTime(attribute="due_at", allow_none=True)
    overdue = ma.fields.Function(lambda c: c.is_overdue)
    neighbourhood = ma.fields.Function(lambda c: c.resident.neighbourhood.name)
    resident = ma.fields.Nested(
        ResidentOutSchema,
        allow_none=True,
        metadata={
            "description": "Null while ``reason_needed``: a coordinator's read of a "
            "case outside their queue and teams starts with a reason (``X-Access-Reason``)."
        },
    )
    reason_needed = ma.fields.Boolean(dump_default=False)


class QueueSchema(ma.Schema):
    """One page of the queue; the order (urgent first, then due date, then id) runs on
    across pages, and ``next``/``prev`` keep the filters."""

    items = ma.fields.List(ma.fields.Nested(QueueItemSchema))
    total = ma.fields.Integer(metadata={"description": "Open cases matching the filters."})
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    pages = ma.fields.Integer()
    next = ma.fields.String(
        allow_none=True, metadata={"description": "URL of the next page; null on the last."}
    )
    prev = ma.fields.String(
        allow_none=True, metadata={"description": "URL of the previous page; null on the first."}
    )


class OwnerSchema(ma.Schema):
    email = ma.fields.String()
    name = ma.fields.String()


class SignalOutSchema(ma.Schema):
    id = ma.fields.Integer()
    theme = ma.fields.String()
    domain = ma.fields.String()
    urgency = ma.fields.String()
    polarity = ma.fields.String()
    source = ma.fields.String()
    note = ma.fields.String()
    created_at = ma.fields.DateTime()
    routing_reason = ma.fields.String(allow_none=True)


class EventOutSchema(ma.Schema):
    type = ma.fields.String()
    at = ma.fields.DateTime()
    by = ma.fields.Function(lambda e: e.by.email if e.by else None)
    detail = ma.fields.Dict()


class CaseSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    outcome = ma.fields.String(allow_none=True)
    urgency = ma.fields.String()
    due = ma.fields.DateTime(attribute="due_at", allow_none=True)
    owner = ma.fields.Nested(OwnerSchema, allow_none=True)
    resident = ma.fields.Nested(ResidentOutSchema)
    neighbourhood = ma.fields.Function(lambda c: c.resident.neighbourhood.name)
    signals = ma.fields.Method("get_signals")
    events = ma.fields.List(ma.fields.Nested(EventOutSchema))

    def get_signals(self, case: Case) -> list[dict]:
        from fieldwork.cases.services import signals_of

        return SignalOutSchema(many=True).dump(signals_of(case))


class CaseEventInSchema(ma.Schema):
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(EVENT_TYPES))
    result = ma.fields.String(validate=ma.validate.OneOf(ATTEMPT_RESULTS), load_default=None)
    call_back_at = ma.fields.AwareDateTime(load_default=None)
    status = ma.fields.String(load_default=None)
    outcome = ma.fields.String(validate=ma.validate.OneOf(OUTCOMES), load_default=None)
    partner = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    confirm_without_contact = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "close: closing as helped while no contact attempt was logged "
            "needs this set to true"
        },
    )
    to = ma.fields.Email(load_default=None, metadata={"description": "reassign: new owner"})
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=4000))
