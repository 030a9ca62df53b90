"""JSON in and out for /api/v1/plans."""

from __future__ import annotations

import marshmallow as ma

from fieldwork.plans.models import ACTION_STATUSES, PERIOD_KINDS
from fieldwork.plans.services import INDICATOR_LIMIT

ID = ma.validate.Range(1, 2**31 - 1)
Ids = ma.fields.List(ma.fields.Integer(validate=ID), validate=ma.validate.Length(max=50))


class PlanQuerySchema(ma.Schema):
    gemeente = ma.fields.String(load_default=None, validate=ma.validate.Regexp(r"^\d{5}$"))


class PlanInSchema(ma.Schema):
    gemeente = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^\d{5}$"))
    title = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    neighbourhoods = ma.fields.List(
        ma.fields.Integer(validate=ID), required=True, validate=ma.validate.Length(1, 50)
    )
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)


class PlanPatchSchema(ma.Schema):
    title = ma.fields.String(validate=ma.validate.Length(1, 200))
    neighbourhoods = ma.fields.List(
        ma.fields.Integer(validate=ID), validate=ma.validate.Length(1, 50)
    )
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()


class ObjectiveInSchema(ma.Schema):
    title = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    heard = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    neighbourhood = ma.fields.Integer(load_default=None, validate=ID)
    attention_point = ma.fields.Integer(load_default=None, validate=ID)


class MilestoneSchema(ma.Schema):
    on = ma.fields.Date(required=True)
    text = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))


class ActionInSchema(ma.Schema):
    description = ma.fields.String(required=True, validate=ma.validate.Length(1, 2000))
    partners = Ids
    partners_text = ma.fields.String(load_default="", validate=ma.validate.Length(max=300))
    owner = ma.fields.Integer(load_default=None, allow_none=True, validate=ID)
    expected_output = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(required=True)
    milestones = ma.fields.List(
        ma.fields.Nested(MilestoneSchema), load_default=list, validate=ma.validate.Length(max=20)
    )
    status = ma.fields.String(load_default="planned", validate=ma.validate.OneOf(ACTION_STATUSES))


class ActionPatchSchema(ma.Schema):
    description = ma.fields.String(validate=ma.validate.Length(1, 2000))
    partners = Ids
    partners_text = ma.fields.String(validate=ma.validate.Length(max=300))
    owner = ma.fields.Integer(allow_none=True, validate=ID)
    expected_output = ma.fields.String(validate=ma.validate.Length(max=2000))
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    milestones = ma.fields.List(
        ma.fields.Nested(MilestoneSchema), validate=ma.validate.Length(max=20)
    )
    status = ma.fields.String(validate=ma.validate.OneOf(ACTION_STATUSES))


class NoteInSchema(ma.Schema):
    text = ma.fields.String(required=True, validate=ma.validate.Length(1, 4000))
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(ACTION_STATUSES))


class IndicatorInSchema(ma.Schema):
    measure = ma.fields.String(required=True, validate=ma.validate.Length(1, 100))
    target = ma.fields.Float(
        required=True,
        allow_nan=False,
        validate=ma.validate.Range(-INDICATOR_LIMIT, INDICATOR_LIMIT),
    )
    neighbourhood = ma.fields.Integer(load_default=None, validate=ID)
    period_kind = ma.fields.String(load_default="quarter", validate=ma.validate.OneOf(PERIOD_KINDS))
    baseline_from = ma.fields.Date(load_default=None)
    baseline_until = ma.fields.Date(load_default=None)
    baseline = ma.fields.Float(
        load_default=None,
        allow_nan=False,
        validate=ma.validate.Range(-INDICATOR_LIMIT, INDICATOR_LIMIT),
    )


class ReactionInSchema(ma.Schema):
    met_on = ma.fields.Date(required=True)
    meeting = ma.fields.String(required=True, validate=ma.validate.Length(1, 200))
    text = ma.fields.String(required=True, validate=ma.validate.Length(1, 4000))
    people = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(0, 100000))


# --- out -------------------------------------------------------------------------------------

Value = ma.fields.Raw(
    allow_none=True,
    metadata={"description": "a number; '<5' or 'x' when suppressed; null when unknown"},
)


class NoteSchema(ma.Schema):
    id = ma.fields.Integer()
    author = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()
    text = ma.fields.String()


class ActionSchema(ma.Schema):
    id = ma.fields.Integer()
    objective_id = ma.fields.Integer()
    description = ma.fields.String()
    partners = ma.fields.List(ma.fields.Dict())
    partners_text = ma.fields.String()
    owner = ma.fields.Dict(allow_none=True)
    expected_output = ma.fields.String()
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()
    milestones = ma.fields.List(ma.fields.Dict())
    status = ma.fields.String()
    notes = ma.fields.List(
        ma.fields.Nested(NoteSchema), metadata={"description": "not for the analyst"}
    )


class PointSchema(ma.Schema):
    period = ma.fields.String()
    start = ma.fields.Date()
    end = ma.fields.Date()
    value = Value


class IndicatorSchema(ma.Schema):
    id = ma.fields.Integer()
    objective_id = ma.fields.Integer()
    neighbourhood_id = ma.fields.Integer()
    measure = ma.fields.String()
    label = ma.fields.String()
    period_kind = ma.fields.String()
    baseline_from = ma.fields.Date()
    baseline_until = ma.fields.Date()
    baseline = Value
    target = ma.fields.Float()
    suppressed = ma.fields.Boolean()
    series = ma.fields.List(ma.fields.Nested(PointSchema))


class ReactionSchema(ma.Schema):
    id = ma.fields.Integer()
    met_on = ma.fields.Date()
    meeting = ma.fields.String()
    text = ma.fields.String(metadata={"description": "not for the analyst"})
    people = ma.fields.Integer()


class ObjectiveSchema(ma.Schema):
    id = ma.fields.Integer()
    plan_id = ma.fields.Integer()
    title = ma.fields.String()
    heard = ma.fields.String()
    neighbourhood_id = ma.fields.Integer()
    attention_point = ma.fields.Dict(allow_none=True)
    actions = ma.fields.List(ma.fields.Nested(ActionSchema))
    indicators = ma.fields.List(ma.fields.Nested(IndicatorSchema))
    reactions = ma.fields.List(ma.fields.Nested(ReactionSchema))


class PlanListItemSchema(ma.Schema):
    id = ma.fields.Integer()
    gemeente = ma.fields.String()
    title = ma.fields.String()
    neighbourhoods = ma.fields.List(ma.fields.Dict())
    starts_on = ma.fields.Date()
    ends_on = ma.fields.Date()


class PlanSchema(PlanListItemSchema):
    objectives = ma.fields.List(ma.fields.Nested(ObjectiveSchema))
