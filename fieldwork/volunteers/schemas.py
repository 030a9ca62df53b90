"""marshmallow schemas of the volunteer API: the intake in, the pool out."""

from __future__ import annotations

from collections.abc import Iterable

import marshmallow as ma

from fieldwork.volunteers.vocabulary import (
    HELP_KINDS,
    MOBILITY,
    ROLES,
    SLOTS,
    SUPPORT,
    VOLUNTEER_STATUSES,
)

ID = ma.validate.Range(1, 2**31 - 1)


def _codes(known: Iterable[str], most: int = 30) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(list(known))),
        load_default=list,
        validate=ma.validate.Length(max=most),
    )


def _words() -> ma.fields.List:
    return ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=40)),
        load_default=list,
        validate=ma.validate.Length(max=30),
    )


def _text(most: int = 2000) -> ma.fields.String:
    return ma.fields.String(load_default="", validate=ma.validate.Length(max=most))


class IntakeInSchema(ma.Schema):
    """The intake. Without a token (the public form) only the person's own words are kept,
    and `form_token` (from GET /volunteers/intake) and an empty `website` are required."""

    gemeente = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=10),
        metadata={"description": "NIS code; optional with one municipality"},
    )
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    email = ma.fields.String(load_default="", validate=ma.validate.Length(max=254))
    phone = ma.fields.String(load_default="", validate=ma.validate.Length(max=40))
    neighbourhood_id = ma.fields.Integer(
        load_default=None, allow_none=True, strict=True, validate=ID
    )
    talents = _text()
    tags = _words()
    energy = _text()
    motivation = _text()
    experience = _text()
    languages = _words()
    availability = _codes(SLOTS, len(SLOTS))
    mobility = _codes(MOBILITY)
    support = _codes(SUPPORT)
    support_note = _text()
    roles = _codes(ROLES)
    other_role = _text(120)
    help_kinds = _codes(HELP_KINDS)
    data_consent = ma.fields.Boolean(
        load_default=False, metadata={"description": "the person agrees that we keep these details"}
    )
    form_token = ma.fields.String(load_default=None, validate=ma.validate.Length(max=500))
    website = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=500),
        metadata={"description": "leave empty (a trap for bots)"},
    )


class IntakeFormSchema(ma.Schema):
    form_token = ma.fields.String()
    neighbourhoods = ma.fields.List(ma.fields.Dict())
    roles = ma.fields.Dict()
    availability = ma.fields.List(ma.fields.String())
    mobility = ma.fields.Dict()
    support = ma.fields.Dict()


class VolunteerSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    source = ma.fields.String()
    municipality = ma.fields.String()
    neighbourhood = ma.fields.String(allow_none=True)
    neighbourhood_id = ma.fields.Integer(allow_none=True)
    talents = ma.fields.String()
    tags = ma.fields.List(ma.fields.String())
    energy = ma.fields.String()
    motivation = ma.fields.String()
    experience = ma.fields.String()
    languages = ma.fields.List(ma.fields.String())
    availability = ma.fields.List(ma.fields.String())
    mobility = ma.fields.List(ma.fields.String())
    support = ma.fields.List(ma.fields.String())
    support_note = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())
    other_role = ma.fields.String()
    help_kinds = ma.fields.List(ma.fields.String())
    model2_checked_on = ma.fields.Date(allow_none=True)
    may_meet_residents = ma.fields.Boolean()
    has_account = ma.fields.Boolean()
    trainings = ma.fields.List(ma.fields.Dict())
    created_at = ma.fields.DateTime()


class IntakeCreatedSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"description": "staff intakes only"})
    status = ma.fields.String(metadata={"description": "the public form: received"})
    created = ma.fields.Boolean(
        metadata={"description": "false: this person was already known, nothing was added"}
    )


class PoolQuerySchema(ma.Schema):
    gemeente = ma.fields.String(load_default=None, validate=ma.validate.Length(max=10))
    talent = ma.fields.String(load_default="", validate=ma.validate.Length(max=80))
    role = ma.fields.String(load_default="", validate=ma.validate.OneOf(["", *ROLES]))
    neighbourhood = ma.fields.String(
        load_default="",
        validate=ma.validate.Length(max=120),
        metadata={"description": "a neighbourhood id or name"},
    )
    slot = ma.fields.String(load_default="", validate=ma.validate.OneOf(["", *SLOTS]))
    mobility = ma.fields.String(load_default="", validate=ma.validate.OneOf(["", *MOBILITY]))
    language = ma.fields.String(load_default="", validate=ma.validate.Length(max=40))
    status = ma.fields.String(
        load_default="", validate=ma.validate.OneOf(["", *VOLUNTEER_STATUSES])
    )
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(1, 10_000))


class PoolSchema(ma.Schema):
    total = ma.fields.Integer()
    page = ma.fields.Integer()
    volunteers = ma.fields.List(ma.fields.Nested(VolunteerSchema))


class Model2InSchema(ma.Schema):
    checked_on = ma.fields.Date(
        required=True,
        metadata={"description": "the date of the criminal-record extract (model 2) that was seen"},
    )


class StatusInSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(list(VOLUNTEER_STATUSES)))


class StatusSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    has_account = ma.fields.Boolean()
    invitation_url = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "a one-time link for the volunteer to set a password (shown once)"
        },
    )


class TrainingInSchema(ma.Schema):
    gemeente = ma.fields.String(load_default=None, validate=ma.validate.Length(max=10))
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=160))
    held_on = ma.fields.Date(required=True)
    attendees = ma.fields.List(
        ma.fields.Integer(strict=True, validate=ID),
        load_default=list,
        validate=ma.validate.Length(max=500),
    )


class TrainingSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    held_on = ma.fields.Date()
    attendees = ma.fields.List(ma.fields.Integer())
