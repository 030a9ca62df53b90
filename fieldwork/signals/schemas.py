from __future__ import annotations

import marshmallow as ma

from fieldwork.signals.vocabulary import CONSENT_METHODS, DOMAINS, POLARITIES, THEMES, URGENCIES

CURRENT_YEAR_BOUND = 2100


class ResidentInSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    street = ma.fields.String(validate=ma.validate.Length(max=200), load_default=None)
    house_number = ma.fields.String(validate=ma.validate.Length(max=20), load_default=None)
    postcode = ma.fields.String(
        load_default=None,
        validate=ma.validate.Regexp(r"^[1-9]\d{3}$", error="Not a Belgian postcode."),
    )
    lat = ma.fields.Float(validate=ma.validate.Range(-90, 90), load_default=None)
    lon = ma.fields.Float(validate=ma.validate.Range(-180, 180), load_default=None)
    statsec = ma.fields.String(validate=ma.validate.Length(max=12), load_default=None)
    gemeente = ma.fields.String(
        load_default=None,
        validate=ma.validate.Regexp(r"^\d{5}$", error="A 5-digit NIS code, e.g. 36012."),
        metadata={
            "description": "Municipality, needed only when the address itself cannot be placed"
        },
    )
    deelgemeente = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=20),
        metadata={
            "description": "Village (sub-municipality code, "
            "e.g. 36012B) when the exact address is unknown"
        },
    )
    birth_year = ma.fields.Integer(
        validate=ma.validate.Range(1900, CURRENT_YEAR_BOUND), load_default=None
    )
    phone = ma.fields.String(validate=ma.validate.Length(max=40), load_default=None)

    @ma.validates_schema
    def some_address(self, data: dict, **kwargs: object) -> None:
        if (data.get("lat") is None) != (data.get("lon") is None):
            raise ma.ValidationError("Give lat and lon together.", field_name="lon")
        if not (data.get("street") or data.get("statsec") or data.get("lat") is not None):
            raise ma.ValidationError(
                "Give a street, a sector code or lat/lon.", field_name="street"
            )


class ConsentInSchema(ma.Schema):
    given = ma.fields.Boolean(required=True)
    how = ma.fields.String(validate=ma.validate.OneOf(list(CONSENT_METHODS)), load_default=None)
    reference = ma.fields.String(validate=ma.validate.Length(max=120), load_default=None)

    @ma.validates_schema
    def how_when_given(self, data: dict, **kwargs: object) -> None:
        if data.get("given") and not data.get("how"):
            raise ma.ValidationError("Say how consent was given.", field_name="how")


class SignalInSchema(ma.Schema):
    resident = ma.fields.Nested(ResidentInSchema, required=True)
    theme = ma.fields.String(required=True, validate=ma.validate.OneOf(list(THEMES)))
    domain = ma.fields.String(required=True, validate=ma.validate.OneOf(list(DOMAINS)))
    urgency = ma.fields.String(load_default="normal", validate=ma.validate.OneOf(list(URGENCIES)))
    polarity = ma.fields.String(load_default="need", validate=ma.validate.OneOf(list(POLARITIES)))
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=4000))
    consent = ma.fields.Nested(ConsentInSchema, required=True)


class SignalCreatedSchema(ma.Schema):
    id = ma.fields.Integer()
    status_url = ma.fields.String()


class SignalStatusSchema(ma.Schema):
    status = ma.fields.String(metadata={"description": "received | routed | contacted | closed"})
    case_id = ma.fields.Integer(metadata={"description": "staff only"})
    routing_reason = ma.fields.String(metadata={"description": "staff only"})
