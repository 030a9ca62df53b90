"""JSON in and out of /api/v1/buurtgezel."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from fieldwork.volunteers.matching import FOLLOW_UP_WEEKS, MAX_FOLLOW_UP_WEEKS, MAX_LANGUAGES
from fieldwork.volunteers.vocabulary import (
    FOLLOW_UP_RESULTS,
    HELP_KINDS,
    REQUEST_STATUSES,
    SLOTS,
)

ID = ma.validate.Range(1, 2**31 - 1)
WEEKS = ma.validate.Range(1, MAX_FOLLOW_UP_WEEKS)


class BuurtgezelRequestInSchema(ma.Schema):
    resident_id = ma.fields.Integer(
        load_default=None,
        strict=True,
        validate=ID,
        metadata={"description": "the resident (from a case); or give signal_id"},
    )
    signal_id = ma.fields.Integer(
        load_default=None,
        strict=True,
        validate=ID,
        metadata={"description": "a buurtgezel signal from a visit or call (with consent)"},
    )
    help_kinds = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(list(HELP_KINDS))),
        load_default=list,
        validate=ma.validate.Length(max=20),
    )
    availability = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(SLOTS)),
        load_default=list,
        validate=ma.validate.Length(max=21),
        metadata={"description": "slots like mon_morning"},
    )
    languages = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(1, 40)),
        load_default=list,
        validate=ma.validate.Length(max=MAX_LANGUAGES),
    )
    note = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=2000),
        metadata={"description": "default: the signal's note"},
    )

    @ma.validates_schema
    def one_of_them(self, data: dict[str, Any], **kwargs: object) -> None:
        if (data.get("resident_id") is None) == (data.get("signal_id") is None):
            raise ma.ValidationError(
                "Give either resident_id or signal_id.", field_name="resident_id"
            )


class RequestQuerySchema(ma.Schema):
    status = ma.fields.String(
        load_default="open", validate=ma.validate.OneOf(list(REQUEST_STATUSES))
    )


class BuurtgezelResidentSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    street = ma.fields.String(allow_none=True)
    house_number = ma.fields.String(allow_none=True)
    postcode = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    birth_year = ma.fields.Integer(allow_none=True)


class BuurtgezelNamedSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class BuurtgezelMatchSchema(ma.Schema):
    id = ma.fields.Integer()
    request_id = ma.fields.Integer()
    volunteer = ma.fields.Nested(BuurtgezelNamedSchema)
    matched_by = ma.fields.String(metadata={"description": "the contact person's e-mail"})
    matched_at = ma.fields.DateTime()
    resident_informed_at = ma.fields.DateTime(allow_none=True)
    volunteer_informed_at = ma.fields.DateTime(allow_none=True)
    volunteer_informed_by = ma.fields.String(
        metadata={"description": "app (an inbox message) or contact_person (tell them yourself)"}
    )
    follow_up_on = ma.fields.Date()
    follow_up_sent_at = ma.fields.DateTime(allow_none=True)
    followed_up_at = ma.fields.DateTime(allow_none=True)
    follow_up_result = ma.fields.String(allow_none=True)
    follow_up_note = ma.fields.String()
    ended_at = ma.fields.DateTime(allow_none=True)
    details = ma.fields.Dict(metadata={"description": "why the volunteer was suggested"})


class BuurtgezelRequestSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    source = ma.fields.String()
    resident = ma.fields.Nested(BuurtgezelResidentSchema)
    neighbourhood = ma.fields.Nested(BuurtgezelNamedSchema)
    help_kinds = ma.fields.List(ma.fields.String())
    availability = ma.fields.List(ma.fields.String())
    languages = ma.fields.List(ma.fields.String())
    note = ma.fields.String()
    signal_id = ma.fields.Integer(allow_none=True)
    case_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime()
    waiting_days = ma.fields.Integer(
        allow_none=True, metadata={"description": "days waiting for a match; null when not waiting"}
    )
    outcome_note = ma.fields.String()
    closed_at = ma.fields.DateTime(allow_none=True)
    match = ma.fields.Nested(
        BuurtgezelMatchSchema,
        allow_none=True,
        metadata={"description": "the current match, if any"},
    )


class BuurtgezelRequestsSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(BuurtgezelRequestSchema))


class SuggestionSchema(ma.Schema):
    volunteer = ma.fields.Nested(BuurtgezelNamedSchema)
    neighbourhood = ma.fields.String(allow_none=True)
    score = ma.fields.Integer()
    reasons = ma.fields.List(ma.fields.String())
    same_neighbourhood = ma.fields.Boolean()
    shared_help_kinds = ma.fields.List(ma.fields.String())
    shared_slots = ma.fields.List(ma.fields.String())
    shared_languages = ma.fields.List(ma.fields.String())
    active_matches = ma.fields.Integer()


class SuggestionsSchema(ma.Schema):
    request_id = ma.fields.Integer()
    items = ma.fields.List(ma.fields.Nested(SuggestionSchema))


class SuggestionQuerySchema(ma.Schema):
    limit = ma.fields.Integer(load_default=10, validate=ma.validate.Range(1, 50))


class BuurtgezelMatchInSchema(ma.Schema):
    request_id = ma.fields.Integer(required=True, strict=True, validate=ID)
    volunteer_id = ma.fields.Integer(required=True, strict=True, validate=ID)
    resident_informed = ma.fields.Boolean(
        load_default=False, metadata={"description": "the contact person already told the resident"}
    )
    follow_up_weeks = ma.fields.Integer(load_default=FOLLOW_UP_WEEKS, strict=True, validate=WEEKS)


class FollowUpInSchema(ma.Schema):
    result = ma.fields.String(required=True, validate=ma.validate.OneOf(list(FOLLOW_UP_RESULTS)))
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    follow_up_weeks = ma.fields.Integer(
        load_default=None,
        strict=True,
        validate=WEEKS,
        metadata={"description": "the next follow-up; default 4 (going well) or 1 (attention)"},
    )


class OtherSolutionInSchema(ma.Schema):
    note = ma.fields.String(
        required=True,
        validate=ma.validate.Length(1, 2000),
        metadata={"description": "which other solution was found"},
    )


class HelpedResidentSchema(ma.Schema):
    """What a buurtgezel needs to know of the resident: whom, where, how to call."""

    name = ma.fields.String()
    phone = ma.fields.String(allow_none=True)
    street = ma.fields.String(allow_none=True)
    house_number = ma.fields.String(allow_none=True)
    postcode = ma.fields.String(allow_none=True)


class ContactSchema(ma.Schema):
    name = ma.fields.String()
    email = ma.fields.String()


class MyMatchSchema(ma.Schema):
    id = ma.fields.Integer()
    resident = ma.fields.Nested(HelpedResidentSchema)
    help_kinds = ma.fields.List(ma.fields.String())
    availability = ma.fields.List(ma.fields.String())
    languages = ma.fields.List(ma.fields.String())
    matched_at = ma.fields.DateTime()
    contact_person = ma.fields.Nested(
        ContactSchema, metadata={"description": "who made the match and stays reachable"}
    )


class MyMatchesSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MyMatchSchema))
