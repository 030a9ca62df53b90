"""JSON in and out of the coordinator's photo-assignment API."""

from __future__ import annotations

import marshmallow as ma

from fieldwork.photos.models import PHOTO_STATUSES
from fieldwork.photos.moderation import PHOTO_POLARITIES, ROTATIONS
from fieldwork.signals.vocabulary import THEMES


class PhotoPromptSchema(ma.Schema):
    prompt = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=300))
    contrast = ma.fields.String(load_default="", validate=ma.validate.Length(max=300))


class PhotoAssignmentInSchema(ma.Schema):
    gemeente = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^\d{5}$", error="A 5-digit NIS code, e.g. 72037."),
    )
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    prompts = ma.fields.List(
        ma.fields.Nested(PhotoPromptSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=52),
        metadata={"description": "One per week; the last one repeats."},
    )
    neighbourhood_ids = ma.fields.List(
        ma.fields.Integer(strict=True, validate=ma.validate.Range(1, 2**31 - 1)),
        required=True,
        validate=ma.validate.Length(min=1, max=200),
    )
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)


class PhotoStatusCountsSchema(ma.Schema):
    processing = ma.fields.Integer()
    new = ma.fields.Integer()
    approved = ma.fields.Integer()
    hidden = ma.fields.Integer()
    failed = ma.fields.Integer()


class PhotoSideCountsSchema(ma.Schema):
    main = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    contrast = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class PhotoWeekSchema(ma.Schema):
    week = ma.fields.Integer()
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    prompt = ma.fields.String()
    contrast = ma.fields.String()
    counts = ma.fields.Nested(
        PhotoSideCountsSchema, metadata={"description": "Photos per side and status"}
    )


class PhotoNeighbourhoodSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class PhotoAssignmentSchema(ma.Schema):
    id = ma.fields.Integer()
    gemeente = ma.fields.String()
    title = ma.fields.String()
    prompts = ma.fields.List(ma.fields.Nested(PhotoPromptSchema))
    neighbourhoods = ma.fields.List(ma.fields.Nested(PhotoNeighbourhoodSchema))
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    open = ma.fields.Boolean()
    closed_at = ma.fields.DateTime(allow_none=True)
    link = ma.fields.String(metadata={"description": "The public link (the flyer's QR code)"})
    flyer_url = ma.fields.String()
    counts = ma.fields.Nested(PhotoStatusCountsSchema)
    weeks = ma.fields.List(ma.fields.Nested(PhotoWeekSchema))


class PhotoQuerySchema(ma.Schema):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(PHOTO_STATUSES))
    neighbourhood = ma.fields.Integer(load_default=None, validate=ma.validate.Range(1, 2**31 - 1))
    week = ma.fields.Integer(load_default=None, validate=ma.validate.Range(1, 60))


class PhotoSchema(ma.Schema):
    id = ma.fields.Integer()
    assignment_id = ma.fields.Integer()
    week = ma.fields.Integer()
    side = ma.fields.String(metadata={"description": "main | contrast"})
    prompt = ma.fields.String()
    neighbourhood_id = ma.fields.Integer(allow_none=True)
    caption = ma.fields.String()
    lat = ma.fields.Float(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
    street = ma.fields.String(allow_none=True)
    age_group = ma.fields.String(allow_none=True)
    consent = ma.fields.String(metadata={"description": "analysis | report | public"})
    status = ma.fields.String()
    failure = ma.fields.String()
    width = ma.fields.Integer(allow_none=True)
    height = ma.fields.Integer(allow_none=True)
    rotation = ma.fields.Integer()
    themes = ma.fields.List(ma.fields.String())
    polarity = ma.fields.String(allow_none=True)
    signal_id = ma.fields.Integer(allow_none=True)
    moderated_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime()
    thumb_url = ma.fields.String(allow_none=True)
    full_url = ma.fields.String(allow_none=True)


class PhotoListSchema(ma.Schema):
    photos = ma.fields.List(ma.fields.Nested(PhotoSchema))


class PhotoModerationInSchema(ma.Schema):
    action = ma.fields.String(
        required=True, validate=ma.validate.OneOf(["approve", "hide", "rotate"])
    )
    rotation = ma.fields.Integer(
        strict=True,
        validate=ma.validate.OneOf(ROTATIONS),
        metadata={
            "description": "With rotate: degrees clockwise from how the photo came in (0, 90, 180, "
            "270); the same value again changes nothing. Omitted: a quarter turn "
            "further."
        },
    )
    themes = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(list(THEMES))),
        validate=ma.validate.Length(max=len(THEMES)),
    )
    polarity = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(PHOTO_POLARITIES))


class PhotoSignalInSchema(ma.Schema):
    theme = ma.fields.String(required=True, validate=ma.validate.OneOf(list(THEMES)))


class PhotoSignalSchema(ma.Schema):
    signal_id = ma.fields.Integer()
    photo = ma.fields.Nested(PhotoSchema)
