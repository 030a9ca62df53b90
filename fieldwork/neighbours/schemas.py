from __future__ import annotations

import marshmallow as ma

from fieldwork.neighbours.vocabulary import CAN_DO, JOINED_VIA, NEIGHBOUR_STATUSES


class NeighbourQuerySchema(ma.Schema):
    gemeente = ma.fields.String(load_default=None, validate=ma.validate.Length(max=10))
    neighbourhood_id = ma.fields.Integer(
        load_default=None, validate=ma.validate.Range(1, 2**31 - 1)
    )
    status = ma.fields.String(
        load_default=None, validate=ma.validate.OneOf(list(NEIGHBOUR_STATUSES))
    )


class NeighbourSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    municipality = ma.fields.String(metadata={"description": "NIS code"})
    neighbourhood_id = ma.fields.Integer()
    neighbourhood = ma.fields.String()
    streets = ma.fields.List(ma.fields.String())
    can_do = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(list(CAN_DO))))
    can_do_note = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    status = ma.fields.String(validate=ma.validate.OneOf(list(NEIGHBOUR_STATUSES)))
    joined_via = ma.fields.String(validate=ma.validate.OneOf(list(JOINED_VIA)))
    joined_at = ma.fields.DateTime()
    data_consent_at = ma.fields.DateTime()
    consent_text_version = ma.fields.Integer()
    signals_filed = ma.fields.Integer()


class NeighbourListSchema(ma.Schema):
    neighbours = ma.fields.List(ma.fields.Nested(NeighbourSchema))
    total = ma.fields.Integer()


class NeighbourPatchSchema(ma.Schema):
    status = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(list(NEIGHBOUR_STATUSES)),
        metadata={"description": "active (take up again), paused or ended"},
    )
