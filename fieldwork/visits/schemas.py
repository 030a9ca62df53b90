from __future__ import annotations

import marshmallow as ma

from fieldwork.core.pictures import SIGNATURE_PREFIX
from fieldwork.signals.vocabulary import THEMES
from fieldwork.visits.models import INTERESTS, OUTCOMES, THEME_ANSWERS


class VisitConsentSchema(ma.Schema):
    """As for signals; at the door: a signature on screen or the signed paper form's number."""

    given = ma.fields.Boolean(required=True)
    how = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(
            ["signature", "signed_strip"], error="signature or signed_strip (the paper form)."
        ),
    )
    reference = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=120),
        metadata={"description": "number of the signed paper form"},
    )
    signature = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=400_000),
        metadata={"description": f"PNG data URL ({SIGNATURE_PREFIX}…)"},
    )

    @ma.validates_schema
    def proof(self, data: dict, **kwargs: object) -> None:
        if not data.get("given"):
            return
        if data.get("how") == "signature" and not data.get("signature"):
            raise ma.ValidationError("Send the signature.", field_name="signature")
        if data.get("how") == "signed_strip" and not data.get("reference"):
            raise ma.ValidationError("Give the number of the signed form.", field_name="reference")
        if not data.get("how"):
            raise ma.ValidationError("Say how consent was given.", field_name="how")


class VisitInSchema(ma.Schema):
    assignment_id = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(1, 2**31 - 1)
    )
    attempt = ma.fields.Integer(
        load_default=None,
        strict=True,
        metadata={
            "description": "the attempts the phone saw on its list; a sheet for an attempt "
            "already recorded is refused (409), so a resend never counts twice"
        },
    )
    outcome = ma.fields.String(required=True, validate=ma.validate.OneOf(OUTCOMES))
    card_left = ma.fields.Boolean(load_default=False)
    themes = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.OneOf(list(THEMES))),
        values=ma.fields.String(validate=ma.validate.OneOf(THEME_ANSWERS)),
        load_default=dict,
    )
    info_given = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=80)),
        load_default=list,
        validate=ma.validate.Length(max=20),
    )
    interests = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(INTERESTS)), load_default=list
    )
    wants_buurtgezel = ma.fields.Boolean(load_default=False)
    wants_to_volunteer = ma.fields.Boolean(load_default=False)
    wants_contact = ma.fields.Boolean(load_default=False)
    consent = ma.fields.Nested(
        VisitConsentSchema,
        load_default=lambda: {"given": False},
        metadata={
            "description": "left out: no consent (the visit only counts, no note is kept); "
            "wants_contact without given consent is refused (422, field consent)"
        },
    )
    urgent = ma.fields.Boolean(load_default=False)
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))


class VisitCreatedSchema(ma.Schema):
    id = ma.fields.Integer()
    assignment_id = ma.fields.Integer()
    address_status = ma.fields.String()
    attempts = ma.fields.Integer()


class AssignmentSchema(ma.Schema):
    assignment_id = ma.fields.Integer(attribute="id")
    name = ma.fields.String()
    street = ma.fields.String()
    house_number = ma.fields.String()
    postcode = ma.fields.String()
    birth_year = ma.fields.Integer(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    status = ma.fields.String()
    attempts = ma.fields.Integer()
    max_attempts = ma.fields.Integer(attribute="round.max_attempts")
    round = ma.fields.String(attribute="round.name")
    neighbourhood = ma.fields.String(attribute="neighbourhood.name")
    info_material = ma.fields.List(ma.fields.String(), attribute="round.info_material")


class MyVisitsSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AssignmentSchema))


class RoundInSchema(ma.Schema):
    gemeente = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^\d{5}$"))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    neighbourhoods = ma.fields.List(
        ma.fields.Integer(strict=True, validate=ma.validate.Range(1, 2**31 - 1)),
        required=True,
        validate=ma.validate.Length(min=1, max=50),
    )
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    max_attempts = ma.fields.Integer(load_default=3, validate=ma.validate.Range(1, 10))
    info_material = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(max=80)),
        load_default=list,
        validate=ma.validate.Length(max=20),
    )


class RoundSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    gemeente = ma.fields.String(attribute="municipality.code")
    neighbourhoods = ma.fields.List(ma.fields.String())
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    max_attempts = ma.fields.Integer()
    info_material = ma.fields.List(ma.fields.String())
    progress = ma.fields.Dict()


class ImportSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "pending | running | done | failed"})
    total = ma.fields.Integer()
    processed = ma.fields.Integer()
    accepted = ma.fields.Integer()
    report = ma.fields.Dict()


class AssignInSchema(ma.Schema):
    volunteer = ma.fields.Email(
        load_default=None,
        metadata={
            "description": "the volunteer's e-mail; null takes the addresses back (unassign)"
        },
    )
    partner = ma.fields.Email(load_default=None)
    street = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200))
    address_ids = ma.fields.List(
        ma.fields.Integer(strict=True, validate=ma.validate.Range(1, 2**31 - 1)),
        load_default=None,
        validate=ma.validate.Length(max=5000),
    )

    @ma.validates_schema
    def what(self, data: dict, **kwargs: object) -> None:
        if not data.get("street") and not data.get("address_ids"):
            raise ma.ValidationError("Give a street or address_ids.", field_name="street")


class AssignedOutSchema(ma.Schema):
    """One of the two: how many addresses were assigned, or (volunteer null) unassigned."""

    assigned = ma.fields.Integer()
    unassigned = ma.fields.Integer()


class RoundAddressSchema(AssignmentSchema):
    volunteer = ma.fields.String(attribute="volunteer.email", allow_none=True)
    partner = ma.fields.String(attribute="partner.email", allow_none=True)
    flagged = ma.fields.Boolean()
    line_no = ma.fields.Integer(allow_none=True)


class RoundAddressesSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RoundAddressSchema))
    page = ma.fields.Integer()
    more = ma.fields.Boolean()


class PageQuerySchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(1, 10_000))
    street = ma.fields.String(load_default=None, validate=ma.validate.Length(max=200))
