"""marshmallow schemas of the findings API: query filters and the summary."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

GEMEENTE = ma.validate.Regexp(r"^\d{5}$", error="A municipality is a 5-digit NIS code, e.g. 36012.")


FIRST_YEAR_AFTER = 2100  # periods outside 2000-2100 are typing errors, not analysis


class PeriodQuerySchema(ma.Schema):
    """``from`` and ``until`` are local days, both included; either may be left out.
    Suppressed figures (the analyst's, or with ``suppress``) come per completed calendar
    quarter only: one for a summary or the GeoJSON (the last one by default), whole ones for
    the exports (rows per quarter)."""

    start = ma.fields.Date(
        data_key="from",
        load_default=None,
        metadata={"description": "First day (YYYY-MM-DD), included"},
    )
    end = ma.fields.Date(
        data_key="until",
        load_default=None,
        metadata={"description": "Last day (YYYY-MM-DD), included"},
    )
    suppress = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "Small-cell suppression (always on for the analyst role); use it "
            "for anything that leaves the municipality"
        },
    )

    @ma.validates_schema
    def ordered(self, data: dict[str, Any], **kwargs: object) -> None:
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            raise ma.ValidationError("'until' lies before 'from'.", field_name="until")
        for key, name in (("start", "from"), ("end", "until")):
            day = data.get(key)
            if day is not None and not 2000 <= day.year <= FIRST_YEAR_AFTER:
                raise ma.ValidationError(f"A day from 2000 to {FIRST_YEAR_AFTER}.", field_name=name)


class ExportQuerySchema(PeriodQuerySchema):
    gemeente = ma.fields.String(
        load_default=None,
        validate=GEMEENTE,
        metadata={
            "description": "Municipality (NIS code); all imported municipalities when left out"
        },
    )


class GeoJSONQuerySchema(PeriodQuerySchema):
    gemeente = ma.fields.String(
        required=True, validate=GEMEENTE, metadata={"description": "Municipality (NIS code)"}
    )


class SummarySchema(ma.Schema):
    """Counts only. Suppressed cells are ``"<5"`` (1-4) or ``"x"`` (hidden to protect
    another cell)."""

    neighbourhood_id = ma.fields.Integer()
    name = ma.fields.String()
    gemeente = ma.fields.String()
    period = ma.fields.Dict()
    suppressed = ma.fields.Boolean()
    visits = ma.fields.Dict()
    calls = ma.fields.Dict()
    referrals = ma.fields.Dict()
    signals = ma.fields.Dict()
    cases = ma.fields.Dict()
    volunteers = ma.fields.Dict()
    photos = ma.fields.Dict()
    rates = ma.fields.Dict(
        metadata={
            "description": "Signals, needs and opened cases per 100 residents 65+ and 80+, with "
            "the residents counted (imported indicators, latest year); null where "
            "the population is unknown or the count is suppressed"
        }
    )
