from __future__ import annotations

from typing import Any

import marshmallow as ma

from fieldwork.calls.campaigns import LIVING_ALONE_CHOICES
from fieldwork.calls.models import ESCALATION_RELATIONS, GOODMORNING_OUTCOMES, OUTCOMES
from fieldwork.signals.vocabulary import THEMES

ID = ma.validate.Range(1, 2**31 - 1)
EMAILS = ma.fields.List(ma.fields.Email(), validate=ma.validate.Length(max=50))


class AwareDateTime(ma.fields.AwareDateTime):
    """An ISO datetime with its offset (a phone's local time says which)."""


class CallInSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(["campaign", "goodmorning"]))
    id = ma.fields.Integer(
        required=True,
        strict=True,
        validate=ID,
        metadata={"description": "the call-list entry (campaign) or the day's call (goodmorning)"},
    )
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(OUTCOMES))
    call_back_at = AwareDateTime(
        load_default=None,
        metadata={"description": "with outcome call_back_at: the moment the resident chose"},
    )
    answers = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Length(max=10)),
        values=ma.fields.String(validate=ma.validate.Length(max=1000)),
        load_default=dict,
        metadata={"description": "conversation guide answers by question key"},
    )
    themes = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(list(THEMES))),
        values=ma.fields.String(validate=ma.validate.OneOf(["ok", "concern", "not_discussed"])),
        load_default=dict,
    )
    wants_regular_calls = ma.fields.Boolean(load_default=False)
    wants_contact = ma.fields.Boolean(load_default=False)
    consent_given = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "the caller read the consent text aloud and the resident agreed; "
            "left out: no consent (no note is kept unless urgent); wants_contact without it "
            "is refused (422, field consent)"
        },
    )
    urgent = ma.fields.Boolean(load_default=False)
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))

    @ma.validates_schema
    def fits_kind(self, data: dict[str, Any], **kwargs: object) -> None:
        if data["kind"] == "goodmorning" and data["outcome"] not in GOODMORNING_OUTCOMES:
            raise ma.ValidationError(
                f"One of {', '.join(GOODMORNING_OUTCOMES)}.", field_name="outcome"
            )


class CallCreatedSchema(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    status = ma.fields.String(metadata={"description": "of the list entry or the day's call"})
    attempts = ma.fields.Integer()
    signals = ma.fields.Integer(metadata={"description": "signals passed to the core"})


class AttemptSchema(ma.Schema):
    outcome = ma.fields.String()
    created_at = ma.fields.DateTime()
    call_back_at = ma.fields.DateTime(allow_none=True)


class QuestionSchema(ma.Schema):
    key = ma.fields.String(dump_only=True)
    text = ma.fields.String(required=True, validate=ma.validate.Length(1, 300))
    kind = ma.fields.String(dump_only=True)
    options = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(1, 80)),
        load_default=list,
        validate=ma.validate.Length(max=12),
    )


class TargetItemSchema(ma.Schema):
    id = ma.fields.Integer()
    campaign = ma.fields.String(attribute="campaign.name")
    name = ma.fields.String()
    phone = ma.fields.String()
    tel = ma.fields.String(metadata={"description": "tel: link"})
    street = ma.fields.String(allow_none=True)
    house_number = ma.fields.String(allow_none=True)
    birth_year = ma.fields.Integer(allow_none=True)
    attempts = ma.fields.Integer()
    call_back_at = ma.fields.DateTime(allow_none=True)
    may_call_now = ma.fields.Boolean()
    previous = ma.fields.List(ma.fields.Nested(AttemptSchema))
    guide = ma.fields.List(ma.fields.Nested(QuestionSchema))
    consent_text = ma.fields.String(metadata={"description": "read aloud before consent"})


class GoodMorningItemSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    tel = ma.fields.String()
    day = ma.fields.Date()
    next_try_at = ma.fields.DateTime()
    attempts = ma.fields.Integer()
    time_now = ma.fields.Boolean()


class MyCallsSchema(ma.Schema):
    goodmorning = ma.fields.List(ma.fields.Nested(GoodMorningItemSchema))
    campaign = ma.fields.List(ma.fields.Nested(TargetItemSchema))


class CampaignInSchema(ma.Schema):
    gemeente = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[0-9]{5}$"))
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 120))
    neighbourhoods = ma.fields.List(
        ma.fields.Integer(strict=True, validate=ID),
        required=True,
        validate=ma.validate.Length(1, 200),
    )
    guide = ma.fields.List(
        ma.fields.Nested(QuestionSchema), load_default=list, validate=ma.validate.Length(max=30)
    )
    callers = EMAILS
    max_attempts = ma.fields.Integer(load_default=3, strict=True)
    min_gap_minutes = ma.fields.Integer(load_default=120, strict=True)
    hours_from = ma.fields.Time(load_default=None, metadata={"description": "default 10:00"})
    hours_until = ma.fields.Time(load_default=None, metadata={"description": "default 19:00"})
    consent_text = ma.fields.String(load_default=None, validate=ma.validate.Length(max=1000))


class CampaignSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    municipality = ma.fields.String()
    neighbourhoods = ma.fields.List(ma.fields.String())
    guide = ma.fields.List(ma.fields.Nested(QuestionSchema))
    callers = ma.fields.List(ma.fields.String())
    max_attempts = ma.fields.Integer()
    min_gap_minutes = ma.fields.Integer()
    hours_from = ma.fields.Time()
    hours_until = ma.fields.Time()
    consent_text = ma.fields.String()
    consent_text_version = ma.fields.Integer(allow_none=True)
    progress = ma.fields.Dict()


class SelectionInSchema(ma.Schema):
    """Who of the campaign's own list and the people already known goes on the call list:
    all filters together."""

    min_age = ma.fields.Integer(load_default=80, strict=True, validate=ma.validate.Range(0, 120))
    max_age = ma.fields.Integer(
        load_default=120,
        strict=True,
        validate=ma.validate.Range(0, 120),
        metadata={"description": "included; at least min_age"},
    )
    living_alone = ma.fields.String(
        load_default="any",
        validate=ma.validate.OneOf(LIVING_ALONE_CHOICES),
        metadata={
            "description": "yes: only whom the imported list says lives alone; no: the others "
            "(the unknown too, and the people already known); any: everyone"
        },
    )
    neighbourhoods = ma.fields.List(
        ma.fields.Integer(strict=True, validate=ID),
        load_default=list,
        validate=ma.validate.Length(max=200),
        metadata={"description": "ids among the campaign's neighbourhoods; none: all of them"},
    )

    @ma.validates_schema
    def ordered(self, data: dict[str, Any], **kwargs: object) -> None:
        if data.get("max_age") is not None and data.get("min_age", 0) > data["max_age"]:
            raise ma.ValidationError(
                "The highest age lies below the lowest age.", field_name="max_age"
            )


class SelectionSchema(ma.Schema):
    added = ma.fields.Integer()
    already_listed = ma.fields.Integer()
    without_phone = ma.fields.Integer()
    moved_or_deceased = ma.fields.Integer()


class ShareInSchema(ma.Schema):
    callers = ma.fields.List(ma.fields.Email(), required=True, validate=ma.validate.Length(1, 50))
    neighbourhood = ma.fields.Integer(load_default=None, strict=True, validate=ID)


class SharedOutSchema(ma.Schema):
    assigned = ma.fields.Integer(metadata={"description": "people given to a caller"})


class EscalationSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    phone = ma.fields.String(required=True, validate=ma.validate.Length(1, 40))
    relation = ma.fields.String(required=True, validate=ma.validate.OneOf(ESCALATION_RELATIONS))
    consent_given = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "the person to warn agreed to that role (not needed for the "
            "contact person)"
        },
    )


class ScheduleInSchema(ma.Schema):
    resident_id = ma.fields.Integer(required=True, strict=True, validate=ID)
    weekdays = ma.fields.List(
        ma.fields.Integer(strict=True, validate=ma.validate.Range(0, 6)),
        required=True,
        validate=ma.validate.Length(1, 7),
        metadata={"description": "0 = Monday … 6 = Sunday"},
    )
    window_from = ma.fields.Time(required=True)
    window_until = ma.fields.Time(required=True)
    callers = ma.fields.List(ma.fields.Email(), required=True, validate=ma.validate.Length(1, 10))
    handler = ma.fields.Email(
        required=True, metadata={"description": "the contact person who handles the alerts"}
    )
    escalation = ma.fields.Nested(EscalationSchema, required=True)
    resident_consent = ma.fields.Boolean(required=True)
    retry_minutes = ma.fields.Integer(load_default=15, strict=True)
    max_retries = ma.fields.Integer(load_default=2, strict=True)
    starts_on = ma.fields.Date(load_default=None)


class ScheduleSchema(ma.Schema):
    id = ma.fields.Integer()
    resident_id = ma.fields.Integer()
    weekdays = ma.fields.List(ma.fields.Integer())
    window_from = ma.fields.Time()
    window_until = ma.fields.Time()
    retry_minutes = ma.fields.Integer()
    max_retries = ma.fields.Integer()
    starts_on = ma.fields.Date()
    state = ma.fields.String()
    paused_from = ma.fields.Date(allow_none=True)
    paused_until = ma.fields.Date(allow_none=True)
    callers = ma.fields.List(ma.fields.String())
    handler = ma.fields.String(allow_none=True)
    escalation = ma.fields.Dict()


class PauseInSchema(ma.Schema):
    paused_from = ma.fields.Date(required=True)
    paused_until = ma.fields.Date(load_default=None)
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=120))


class AckInSchema(ma.Schema):
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))


class AlertSchema(ma.Schema):
    id = ma.fields.Integer()
    reason = ma.fields.String()
    day = ma.fields.Date()
    created_at = ma.fields.DateTime()
    attempts = ma.fields.Integer()
    reached_later = ma.fields.Boolean()
    resident = ma.fields.Dict()
    escalation = ma.fields.Dict()
    handler = ma.fields.String(allow_none=True)
    acknowledged_at = ma.fields.DateTime(allow_none=True)
    acknowledged_by = ma.fields.String(allow_none=True)
    note = ma.fields.String()


class AlertsSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AlertSchema))
