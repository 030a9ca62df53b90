"""marshmallow schemas of the public photo API."""

from __future__ import annotations

import marshmallow as ma

from fieldwork.photos.models import AGE_GROUPS, CONSENTS, SIDES


class PhotoFormSchema(ma.Schema):
    """The form fields around the photo (multipart/form-data)."""

    class Meta:
        unknown = ma.EXCLUDE

    consent = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(CONSENTS),
        metadata={
            "description": "analysis: only for the neighbourhood analysis; report: may appear in "
            "the neighbourhood report; public: may be shown publicly"
        },
    )
    side = ma.fields.String(load_default="main", validate=ma.validate.OneOf(SIDES))
    caption = ma.fields.String(load_default="", validate=ma.validate.Length(max=500))
    neighbourhood_id = ma.fields.Integer(
        load_default=None, allow_none=True, validate=ma.validate.Range(1, 2**31 - 1)
    )
    lat = ma.fields.Float(
        load_default=None, allow_none=True, validate=ma.validate.Range(-90, 90), allow_nan=False
    )
    lon = ma.fields.Float(
        load_default=None, allow_none=True, validate=ma.validate.Range(-180, 180), allow_nan=False
    )
    street = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    age_group = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.OneOf(AGE_GROUPS)
    )

    @ma.pre_load
    def blanks_are_missing(self, data: dict, **kwargs: object) -> dict:
        """An empty form field (a select left on '—') means not given."""
        return {key: value for key, value in data.items() if value not in ("", None)}


class PhotoFileSchema(ma.Schema):
    photo = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class PhotoReceivedSchema(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String(
        metadata={"description": "processing: the worker makes the thumbnail"}
    )
    duplicate = ma.fields.Boolean(
        metadata={"description": "this photo was already sent: stored once"}
    )


class AssignmentPublicSchema(ma.Schema):
    title = ma.fields.String()
    municipality = ma.fields.String()
    open = ma.fields.Boolean()
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    week = ma.fields.Integer()
    weeks = ma.fields.Integer()
    prompt = ma.fields.String()
    contrast = ma.fields.String(metadata={"description": "empty: no contrast this week"})
    neighbourhoods = ma.fields.List(ma.fields.Dict())
