from __future__ import annotations

import marshmallow as ma

from fieldwork.signals.vocabulary import DOMAINS, SOURCES, THEMES, URGENCIES


class ConditionsSchema(ma.Schema):
    neighbourhoods = ma.fields.List(ma.fields.Integer())
    themes = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(list(THEMES))))
    domains = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(list(DOMAINS))))
    sources = ma.fields.List(ma.fields.String(validate=ma.validate.OneOf(list(SOURCES))))
    age_min = ma.fields.Integer(allow_none=True, validate=ma.validate.Range(0, 120))
    urgency = ma.fields.String(allow_none=True, validate=ma.validate.OneOf(list(URGENCIES)))


class AssignToSchema(ma.Schema):
    user = ma.fields.Email()
    team = ma.fields.String()

    @ma.validates_schema
    def exactly_one(self, data: dict, **kwargs: object) -> None:
        if ("user" in data) == ("team" in data):
            raise ma.ValidationError("Give either a user or a team.", field_name="_schema")


class RuleSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    conditions = ma.fields.Nested(ConditionsSchema, load_default=dict)
    assign_to = ma.fields.Nested(AssignToSchema, required=True)
    first_contact_days = ma.fields.Integer(load_default=5, validate=ma.validate.Range(1, 60))
    enabled = ma.fields.Boolean(load_default=True)


class RulesSchema(ma.Schema):
    rules = ma.fields.List(ma.fields.Nested(RuleSchema), required=True)


class TeamSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    members = ma.fields.List(ma.fields.Email(), required=True, validate=ma.validate.Length(min=1))
    strategy = ma.fields.String(
        load_default="least_loaded", validate=ma.validate.OneOf(["least_loaded"])
    )


class TeamsSchema(ma.Schema):
    teams = ma.fields.List(ma.fields.Nested(TeamSchema), required=True)


class DryRunSchema(RulesSchema):
    last = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 1000))


class DryRunItemSchema(ma.Schema):
    signal_id = ma.fields.Integer()
    current = ma.fields.String(allow_none=True)
    proposed = ma.fields.String()
    changed = ma.fields.Boolean()


class DryRunResultSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DryRunItemSchema))
    changed = ma.fields.Integer()


class AbsenceSchema(ma.Schema):
    user = ma.fields.Email(required=True)
    starts_on = ma.fields.Date(required=True, data_key="from")
    ends_on = ma.fields.Date(required=True, data_key="to")
    deputy = ma.fields.Email(load_default=None, allow_none=True)

    @ma.validates_schema
    def ordered(self, data: dict, **kwargs: object) -> None:
        if data["ends_on"] < data["starts_on"]:
            raise ma.ValidationError("'to' is before 'from'.", field_name="to")


class AbsencesSchema(ma.Schema):
    absences = ma.fields.List(ma.fields.Nested(AbsenceSchema), required=True)
