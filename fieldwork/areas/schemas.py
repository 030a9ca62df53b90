from __future__ import annotations

import marshmallow as ma


class ResolveQuerySchema(ma.Schema):
    lat = ma.fields.Float(validate=ma.validate.Range(-90, 90))
    lon = ma.fields.Float(validate=ma.validate.Range(-180, 180))
    statsec = ma.fields.String(validate=ma.validate.Length(min=1, max=12))
    street = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    postcode = ma.fields.String(
        validate=ma.validate.Regexp(r"^[1-9]\d{3}$", error="Not a Belgian postcode.")
    )

    @ma.validates_schema
    def one_method(self, data: dict, **kwargs: object) -> None:
        if ("lat" in data) != ("lon" in data):
            missing = "lon" if "lat" in data else "lat"
            raise ma.ValidationError("Give lat and lon together.", field_name=missing)
        if "street" in data and "postcode" not in data:
            raise ma.ValidationError("Give the postcode with the street.", field_name="postcode")
        if not ({"lat", "statsec", "street", "postcode"} & set(data)):
            raise ma.ValidationError(
                "Give lat & lon, statsec, or street & postcode.", field_name="_schema"
            )


class NeighbourhoodRefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class ResolutionSchema(ma.Schema):
    gemeente = ma.fields.String()
    deelgemeente = ma.fields.String()
    statsec = ma.fields.String(allow_none=True)
    neighbourhood = ma.fields.Nested(NeighbourhoodRefSchema)
    resolved_by = ma.fields.String(
        metadata={"description": "statsec | point | street | unlocatable"}
    )
    flagged = ma.fields.Boolean(
        metadata={"description": "true when the address landed in the 'niet te lokaliseren' bucket"}
    )


class NeighbourhoodQuerySchema(ma.Schema):
    gemeente = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(
            r"^\d{5}$", error="A municipality is a 5-digit NIS code, e.g. 36012."
        ),
    )


class NeighbourhoodSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    gemeente = ma.fields.Function(lambda n: n.municipality.code)
    unlocatable = ma.fields.Boolean(attribute="is_unlocatable")
    sectors = ma.fields.Function(lambda n: [s.code for s in n.sectors])
    deelgemeenten = ma.fields.Function(
        lambda n: sorted({s.sub_municipality.code for s in n.sectors})
    )


class NeighbourhoodUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=ma.validate.Length(min=1, max=120))
    add_sectors = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=9, max=9)),
        metadata={"description": "Sector codes to move into it"},
    )
