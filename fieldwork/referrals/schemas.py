from __future__ import annotations

import marshmallow as ma

from fieldwork.core.pictures import SIGNATURE_PREFIX
from fieldwork.signals.schemas import ConsentInSchema, ResidentInSchema
from fieldwork.signals.vocabulary import THEMES, URGENCIES

MAX_SIGNATURE_CHARS = 400_000


class CardResidentSchema(ResidentInSchema):
    """As for a signal; the name may stay empty when the resident gives no consent."""

    name = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))


class CardConsentSchema(ConsentInSchema):
    how = ma.fields.String(
        load_default=None,
        validate=ma.validate.OneOf(
            ["signed_strip", "signature"], error="On a card: signed_strip or signature."
        ),
    )
    signature = ma.fields.String(
        load_default=None,
        metadata={
            "description": "With how=signature: the signature as a PNG data URL "
            f"({SIGNATURE_PREFIX}…)"
        },
        validate=ma.validate.Length(max=MAX_SIGNATURE_CHARS),
    )

    @ma.validates_schema
    def signature_is_png(self, data: dict, **kwargs: object) -> None:
        signature = data.get("signature")
        if signature and not signature.startswith(SIGNATURE_PREFIX):
            raise ma.ValidationError("A PNG data URL.", field_name="signature")


class CardSubmissionSchema(ma.Schema):
    resident = ma.fields.Nested(CardResidentSchema, required=True)
    themes = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(list(THEMES))),
        required=True,
        validate=ma.validate.Length(min=1, max=len(THEMES), error="Choose at least one theme."),
    )
    description = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    urgency = ma.fields.String(load_default="normal", validate=ma.validate.OneOf(list(URGENCIES)))
    best_time = ma.fields.String(load_default="", validate=ma.validate.Length(max=120))
    consent = ma.fields.Nested(CardConsentSchema, required=True)

    @ma.post_load
    def unique_themes(self, data: dict, **kwargs: object) -> dict:
        data["themes"] = list(dict.fromkeys(data["themes"]))
        return data


class SubmissionReceiptSchema(ma.Schema):
    code = ma.fields.String()
    status = ma.fields.String(metadata={"description": "received | contacted | closed"})
    consent_given = ma.fields.Boolean()
    status_url = ma.fields.String()


class ServiceSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80))
    phone = ma.fields.String(load_default="", validate=ma.validate.Length(max=40))


class CardSeriesInSchema(ma.Schema):
    gemeente = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^\d{5}$", error="A 5-digit NIS code, e.g. 36012."),
    )
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    service_offer = ma.fields.List(
        ma.fields.Nested(ServiceSchema), load_default=list, validate=ma.validate.Length(max=12)
    )
    consent_text = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=1500),
        metadata={
            "description": "Unchanged wording keeps the current version; omitted: the current one"
        },
    )
    count = ma.fields.Integer(required=True, validate=ma.validate.Range(1, 5000))


class CardSeriesSchema(ma.Schema):
    id = ma.fields.Integer()
    gemeente = ma.fields.String(attribute="municipality.code")
    name = ma.fields.String()
    count = ma.fields.Integer(attribute="card_count")
    consent_version = ma.fields.Integer(attribute="consent_text.version")
    service_offer = ma.fields.List(ma.fields.Nested(ServiceSchema))
    pdf_status = ma.fields.String(metadata={"description": "pending | running | done | failed"})
    pdf_done = ma.fields.Integer(metadata={"description": "cards rendered so far"})
    pdf_url = ma.fields.String()


class CardSchema(ma.Schema):
    code = ma.fields.String()
    display_code = ma.fields.String()
    state = ma.fields.String(metadata={"description": "printed | handed_out | used | voided"})
    gemeente = ma.fields.String()
    consent_text = ma.fields.String()
    consent_version = ma.fields.Integer()
    service_offer = ma.fields.List(ma.fields.Nested(ServiceSchema))
    status = ma.fields.String(
        metadata={"description": "For whoever filed it, and staff: received | contacted | closed"}
    )
