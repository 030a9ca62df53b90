"""/api/v1: a neighbourhood's summary and the exports (CSV, XLSX, GeoJSON).

Counts only. The analyst always gets them suppressed; the coordinator gets the true counts
unless ``?suppress=1`` — which anything leaving the municipality should use."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from flask import Response, current_app, g
from flask_smorest import Blueprint, abort

from fieldwork.areas.models import Neighbourhood
from fieldwork.areas.services import get_municipality
from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import api_roles
from fieldwork.core.roles import Role
from fieldwork.extensions import db
from fieldwork.reports.exports import (
    Hood,
    answers_csv,
    hoods_of,
    neighbourhoods_geojson,
    signals_csv,
    signals_xlsx,
)
from fieldwork.reports.periods import WindowError, suppressed_window
from fieldwork.reports.rates import residents_by_age
from fieldwork.reports.schemas import (
    ExportQuerySchema,
    GeoJSONQuerySchema,
    PeriodQuerySchema,
    SummarySchema,
)
from fieldwork.reports.theme_table import summary_figures

bp = Blueprint("api_reports", __name__, url_prefix="/api/v1", description="Findings")
BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]
READERS = (Role.COORDINATOR, Role.ANALYST)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
T = TypeVar("T")


def streamed(make: Callable[[], Iterator[T]]) -> Iterator[T]:
    """The export's chunks, each made in a short app context of its own (a fresh session)
    and handed out after it closed: no context stays pushed between chunks, so a response
    closed late or never read cannot pop someone else's context."""
    # current_app is typed as the Flask app; it is a LocalProxy, and this is the app behind it.
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def generate() -> Iterator[T]:
        inner: Iterator[T] | None = None
        while True:
            with app.app_context():
                if inner is None:
                    inner = make()
                try:
                    chunk = next(inner)
                except StopIteration:
                    return
            yield chunk

    return generate()


def suppression(args: dict[str, Any], totals: bool) -> bool:
    """Whether the figures go out suppressed (always for the analyst; on request for what
    leaves the municipality). Suppressed figures come per completed quarter (see
    :mod:`fieldwork.reports.periods`): the window asked for, or the default one, goes into
    ``args``; another is a 422."""
    if g.api_user.role != Role.ANALYST and not args.get("suppress"):
        return False
    try:
        args["start"], args["end"] = suppressed_window(args.get("start"), args.get("end"), totals)
    except WindowError as exc:
        abort(422, message=str(exc), errors={exc.field: [str(exc)]})
    return True


def export_hoods(code: str | None) -> list[Hood]:
    if code is None:
        return hoods_of(None)
    municipality = get_municipality(code)
    if municipality is None:
        abort(
            422,
            message=f"Municipality {code} has not been imported.",
            errors={"gemeente": [f"Municipality {code} has not been imported."]},
        )
    return hoods_of(municipality)


def _filename(stem: str, args: dict[str, Any]) -> str:
    parts = [stem, args.get("gemeente") or "alle"]
    parts += [d.isoformat() for d in (args.get("start"), args.get("end")) if d]
    return "-".join(parts)


def _audit(export: str, args: dict[str, Any], suppressed: bool) -> None:
    record_audit(
        "report_exported",
        "export",
        None,
        user_id=g.api_user.id,
        export=export,
        gemeente=args.get("gemeente"),
        suppressed=suppressed,
    )
    db.session.commit()


@bp.get("/neighbourhoods/<int:neighbourhood_id>/summary")
@api_roles(*READERS)
@bp.arguments(PeriodQuerySchema, location="query")
@bp.response(200, SummarySchema)
@bp.doc(security=BEARER)
def get_summary(args: dict[str, Any], neighbourhood_id: int) -> dict[str, Any]:
    """The figures of one neighbourhood in a period (counts only; suppressed for analysts)."""
    neighbourhood = db.session.get(Neighbourhood, neighbourhood_id)
    if neighbourhood is None:
        abort(404, message="No such neighbourhood.")
    suppress = suppression(args, totals=True)  # first: it narrows the period to whole quarters
    figures = summary_figures(
        neighbourhood,
        args["start"],
        args["end"],
        suppress,
        residents_by_age([neighbourhood_id])[neighbourhood_id],
    )
    return {**figures, "name": neighbourhood.name, "gemeente": neighbourhood.municipality.code}


def _export(
    args: dict[str, Any],
    name: str,
    stem: str,
    mimetype: str,
    write: Callable[[list[Hood], Any, Any, bool], Iterator[Any]],
    totals: bool,
) -> Response:
    """An export of the municipality asked for (all when none), suppressed when it must
    be, audited, and streamed as an attachment."""
    hoods = export_hoods(args["gemeente"])
    suppress = suppression(args, totals)
    _audit(name, args, suppress)
    body = streamed(lambda: write(hoods, args["start"], args["end"], suppress))
    extension = name.rsplit(".", 1)[1]
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(stem, args)}.{extension}"'
        },
    )


@bp.get("/exports/signals.csv")
@api_roles(*READERS)
@bp.arguments(ExportQuerySchema, location="query")
@bp.response(200, content_type="text/csv")
@bp.doc(security=BEARER)
def export_signals_csv(args: dict[str, Any]) -> Response:
    """Signals per neighbourhood x theme x month — per quarter when suppressed — with rates
    (semicolons, UTF-8 with BOM), streamed."""
    return _export(args, "signals.csv", "signalen", "text/csv", signals_csv, totals=False)


@bp.get("/exports/signals.xlsx")
@api_roles(*READERS)
@bp.arguments(ExportQuerySchema, location="query")
@bp.response(200, content_type=XLSX)
@bp.doc(security=BEARER)
def export_signals_xlsx(args: dict[str, Any]) -> Response:
    """The same rows as the CSV, as an Excel workbook, streamed."""
    return _export(args, "signals.xlsx", "signalen", XLSX, signals_xlsx, totals=False)


@bp.get("/exports/neighbourhoods.geojson")
@api_roles(*READERS)
@bp.arguments(GeoJSONQuerySchema, location="query")
@bp.response(200, content_type="application/geo+json")
@bp.doc(security=BEARER)
def export_neighbourhoods_geojson(args: dict[str, Any]) -> Response:
    """The neighbourhood polygons with their measures as properties (RFC 7946)."""
    return _export(
        args,
        "neighbourhoods.geojson",
        "buurten",
        "application/geo+json",
        neighbourhoods_geojson,
        totals=True,
    )


@bp.get("/exports/answers.csv")
@api_roles(*READERS)
@bp.arguments(ExportQuerySchema, location="query")
@bp.response(200, content_type="text/csv")
@bp.doc(security=BEARER)
def export_answers_csv(args: dict[str, Any]) -> Response:
    """Every answer counted per neighbourhood and per municipality: respondents, ok / zorg /
    niet besproken per theme, interests, information handed out and each campaign's guide
    answers (semicolons, UTF-8 with BOM). Always suppressed; for the analyst per completed
    quarter."""
    return _export(args, "answers.csv", "antwoorden", "text/csv", answers_csv, totals=True)
