"""The neighbourhood analysis on screen: the municipality's dashboard (a map of the
neighbourhoods coloured by a measure, a table, signals by theme and over time) and a
neighbourhood's page (figures, indicators, what was heard, photos, attention points, the
printable report). Coordinators see the counts; analysts the same with small cells
suppressed and nothing personal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from fieldwork.areas.mapsvg import MapFrame, map_of
from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.areas.services import chosen_municipality, get_municipality, list_municipalities
from fieldwork.core.audit import record_audit
from fieldwork.core.formatting import decimal, number
from fieldwork.core.forms import CheckboxesField
from fieldwork.core.permissions import roles_required
from fieldwork.core.receipts import new_once_key, sent_before
from fieldwork.core.storage import StorageError, storage
from fieldwork.db import local_today
from fieldwork.extensions import db
from fieldwork.reports import analysis, periods
from fieldwork.reports.hooks import neighbourhood_sections
from fieldwork.reports.models import AttentionPoint, NeighbourhoodReport, Quote
from fieldwork.reports.rates import AGE_GROUP_OF, AGE_INDICATORS, Residents, rates
from fieldwork.reports.suppression import suppress_figures
from fieldwork.reports.theme_table import municipality_table, share_signals, suppressed_figures
from fieldwork.signals.models import Signal
from fieldwork.signals.vocabulary import SOURCES, THEMES

bp = Blueprint("analysis", __name__)
VIEWERS = ("coordinator", "analyst")
MEASURES = {
    "signals": _l("Signals"),
    "concerns": _l("Signals: needs"),
    "visits": _l("Visits done"),
    "cases": _l("Cases opened"),
    "volunteers": _l("Active volunteers"),
    "photos": _l("Approved photos"),
    "services": _l("Services on the social map"),
}
SHADES = 5
MAP_TOLERANCE = 0.00005  # degrees, a few metres: the polygons stay light for the page


class PointForm(FlaskForm):
    once = HiddenField(default=new_once_key)  # sent twice (a double tap): added once
    title = StringField(_l("Attention point"), validators=[DataRequired(), Length(max=200)])
    text = TextAreaField(_l("Explanation"), validators=[Length(max=4000)])
    themes = CheckboxesField(_l("Based on the findings about"), choices=list(THEMES.items()))
    indicators = CheckboxesField(_l("and on the indicators"), choices=[])
    photos = CheckboxesField(_l("and on the photos"), choices=[])

    def offer(self, neighbourhood: Neighbourhood) -> list[Any]:
        """The indicators and photos of this neighbourhood to choose from; the photos."""
        indicators, photos = analysis.linkable_findings(neighbourhood)
        self.indicators.choices = indicators
        self.photos.choices = [(str(p.id), p.caption or p.prompt) for p in photos]
        return photos


class QuoteForm(FlaskForm):
    once = HiddenField(default=new_once_key)  # sent twice (a double tap): added once
    text = TextAreaField(
        _l("What was heard (anonymised: no names, no addresses)"),
        validators=[DataRequired(), Length(max=600)],
    )
    theme = SelectField(_l("Theme"), choices=[("", "—"), *THEMES.items()])
    source = SelectField(_l("Heard during"), choices=[("manual", _l("Other")), *SOURCES.items()])


class EmptyForm(FlaskForm):
    pass


def _measure(figures: dict[str, Any], measure: str) -> Any:
    if measure == "concerns":  # not in suppressed figures (see reports.theme_table)
        return figures["signals"].get("by_polarity", {}).get("need")
    return {
        "signals": figures["signals"]["total"],
        "visits": figures["visits"]["done"],
        "cases": figures["cases"]["opened"],
        "volunteers": figures["volunteers"]["active"],
        "photos": figures["photos"]["approved"],
    }[measure]


def _shade(value: Any, top: float) -> int:
    """0 (none or suppressed) to SHADES: a grey scale, readable without colour."""
    if not isinstance(value, int | float) or value <= 0 or top <= 0:
        return 0
    return max(1, min(SHADES, round(value / top * SHADES)))


def _bars(counts: dict[str, Any]) -> list[tuple[str, Any, float]]:
    shown = [(key, value) for key, value in counts.items() if value]
    top = max([v for _k, v in shown if isinstance(v, int)] or [1])
    return [
        (key, value, (value / top * 100) if isinstance(value, int) else 0)
        for key, value in sorted(shown, key=lambda kv: -(kv[1] if isinstance(kv[1], int) else 0))
    ]


def _most_recently_active_municipality() -> str | None:
    """The code of the municipality of the latest signal: the dashboard opens on the one
    where the work is, not on the first by name (a newest-first walk of the primary key)."""
    return db.session.scalar(
        select(Municipality.code)
        .join(Neighbourhood, Neighbourhood.municipality_id == Municipality.id)
        .join(Signal, Signal.neighbourhood_id == Neighbourhood.id)
        .order_by(Signal.id.desc())
        .limit(1)
    )


@bp.get("/buurtanalyse/")
@roles_required(*VIEWERS)
def dashboard() -> str:
    from fieldwork.reports.answer_table import compared_answers, heard_in
    from fieldwork.reports.figures import municipality_figures
    from fieldwork.reports.rollups import monthly
    from fieldwork.reports.social_map import facilities, referral_figures

    municipality = chosen_municipality(
        request.args.get("gemeente") or _most_recently_active_municipality()
    )
    if municipality is None:
        abort(404)
    municipalities = list_municipalities()
    hoods = [
        n
        for n in db.session.scalars(
            select(Neighbourhood)
            .where(Neighbourhood.municipality_id == municipality.id)
            .order_by(Neighbourhood.is_unlocatable, Neighbourhood.name, Neighbourhood.id)
        )
    ]
    period = _period(municipality)
    raw = municipality_figures(municipality.id, period.start, period.end, **period.scope)
    analyst = current_user.role == "analyst"
    themes: dict[str, Any] = {}
    if analyst:  # the neighbourhood x theme table every suppressed output shares
        table = municipality_table(municipality.id, period.start, period.end)
        figures = {nid: share_signals(suppress_figures(f), table, nid) for nid, f in raw.items()}
        themes = dict(table.column_totals)
    else:
        figures = raw
        for f in raw.values():
            for theme, count in f["signals"]["by_theme"].items():
                themes[theme] = themes.get(theme, 0) + count
    indicators, residents = _indicator_columns(municipality, hoods)
    offered = {k: v for k, v in MEASURES.items() if not (analyst and k == "concerns")}
    measures = {
        **offered,
        **{
            f"indicator:{name}": f"{label} ({year})"
            for name, (label, year, _v, _m) in indicators.items()
        },
    }
    measure = request.args.get("measure", "signals")
    if measure not in measures:
        measure = "signals"
    places = {f.neighbourhood.id: f for f in facilities(municipality)}
    if measure.startswith("indicator:"):
        values = dict(indicators[measure.split(":", 1)[1]][2])
    elif measure == "services":  # public information: the same for every viewer
        values = {nid: len(places[nid].services) if nid in places else None for nid in figures}
    else:
        values = {nid: _measure(f, measure) for nid, f in figures.items()}
    top = max([v for v in values.values() if isinstance(v, int | float)] or [0])
    drawn = [n for n in hoods if not n.is_unlocatable]
    frame = map_of(drawn)
    today = local_today()
    first = (today - timedelta(days=330)).replace(day=1)
    per_month = monthly([n.id for n in hoods], "signals_polarity", first, today)
    months = []
    while first <= today and not analyst:  # months and neighbourhoods would add up: the
        months.append((first, per_month.get(first, 0)))  # analyst's table has the totals
        first = (first + timedelta(days=32)).replace(day=1)
    month_top = max([m for _f, m in months if isinstance(m, int)] or [1])
    answers = compared_answers(
        heard_in([n.id for n in hoods], period.start, period.end, **period.scope)
    )
    record_audit("analysis_dashboard_viewed", "municipality", municipality.id)
    db.session.commit()
    return render_template(
        "reports/dashboard.html",
        answers=answers,
        municipality=municipality,
        municipalities=municipalities,
        period=period,
        periods=periods.choices(municipality, suppressed=analyst),
        hoods=hoods,
        figures=figures,
        values=values,
        measure=measure,
        measures=measures,
        indicators=indicators,
        rates={nid: rates(f, residents[nid]) for nid, f in figures.items()},
        frame=frame,
        shade={nid: _shade(v, top) for nid, v in values.items()},
        map_data=_map_data(frame, drawn, values, top, period) if frame else None,
        tiles=current_app.config.get("MAP_TILES_URL") or "",
        tiles_attribution=current_app.config.get("MAP_TILES_ATTRIBUTION") or "",
        themes=_bars(themes),
        months=months,
        month_top=month_top or 1,
        facilities=list(places.values()),
        onward=referral_figures(municipality, period.start, period.end, suppress=analyst),
    )


@bp.get("/buurtanalyse/doorverwijzingen.csv")
@roles_required(*VIEWERS)
def referrals_export() -> Response:
    """The referrals onward per partner, neighbourhood and theme as a CSV, always suppressed
    (an export leaves the case work)."""
    from fieldwork.core.csvfiles import excel_csv
    from fieldwork.reports.social_map import referral_figures, referral_rows

    municipality = chosen_municipality(
        request.args.get("gemeente") or _most_recently_active_municipality()
    )
    if municipality is None:
        abort(404)
    period = _period(municipality)
    figures = referral_figures(municipality, period.start, period.end, suppress=True)
    record_audit("report_exported", "municipality", municipality.id, export="referrals.csv")
    db.session.commit()
    name = f"doorverwijzingen-{municipality.code}.csv"
    return Response(
        excel_csv(referral_rows(figures)).encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/buurtanalyse/antwoorden.csv")
@roles_required(*VIEWERS)
def answers_export() -> Response:
    """The dashboard's answers per neighbourhood, as a CSV (suppressed, like on the page);
    without ``gemeente`` the municipality the dashboard opens on."""
    from fieldwork.reports.exports import answers_csv, hoods_of

    code = request.args.get("gemeente")
    municipality = (
        get_municipality(code)
        if code
        else chosen_municipality(_most_recently_active_municipality())
    )
    if municipality is None:
        abort(404)
    period = _period(municipality)
    text = "".join(
        answers_csv(hoods_of(municipality), period.start, period.end, scope=period.scope)
    )
    record_audit("report_exported", "municipality", municipality.id, export="answers.csv")
    db.session.commit()
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="antwoorden-{municipality.code}.csv"'
        },
    )


def _map_data(
    frame: MapFrame,
    hoods: list[Neighbourhood],
    values: dict[int, Any],
    top: float,
    period: periods.Period,
) -> dict[str, Any]:
    """The neighbourhoods as GeoJSON for the zoomable map (the page's SVG map is drawn from
    the same polygons and stays for printing and for a browser without JavaScript)."""
    from fieldwork.reports.exports import geojson_geometry

    features = []
    for hood in hoods:
        shape = frame.shapes.get(hood.id)
        if shape is None:
            continue
        value = values.get(hood.id)
        features.append(
            {
                "type": "Feature",
                "geometry": geojson_geometry(shape.simplify(MAP_TOLERANCE, preserve_topology=True)),
                "properties": {
                    "name": hood.name,
                    "shade": _shade(value, top),
                    "value": "–"
                    if value is None
                    else decimal(value)
                    if isinstance(value, float)
                    else str(number(value)),
                    "url": url_for(
                        ".neighbourhood_page", neighbourhood_id=hood.id, periode=period.code or None
                    ),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _indicator_columns(
    municipality: Municipality, hoods: list[Neighbourhood]
) -> tuple[dict[str, tuple[str, int, dict[int, float | None], float | None]], dict[int, Residents]]:
    """Each imported indicator at its latest year: label, year, the value per neighbourhood
    and the municipality's; and the residents 65+ and 80+ per neighbourhood (the numerators
    of those shares), read in the same pass."""
    from fieldwork.reports.indicators import (
        indicator_label,
        indicators_for,
        municipality_indicator,
        neighbourhood_indicator,
    )

    columns = {}
    residents: dict[int, Residents] = {hood.id: dict.fromkeys(AGE_INDICATORS) for hood in hoods}
    for name, years in indicators_for(municipality):
        if not years:
            continue
        year = years[-1]
        per_hood = {}
        for hood in hoods:
            figure = neighbourhood_indicator(hood, name, year)
            per_hood[hood.id] = figure.value if figure is not None else None
            if name in AGE_GROUP_OF:
                residents[hood.id][AGE_GROUP_OF[name]] = (
                    figure.numerator if figure is not None else None
                )
        whole = municipality_indicator(municipality, name, year)
        columns[name] = (
            str(indicator_label(name)),
            year,
            per_hood,
            whole.value if whole is not None else None,
        )
    return columns, residents


def _period(municipality: Municipality) -> periods.Period:
    """The ``?periode=`` asked for; a code that names no period shows everything, and says
    so. The analyst's figures are suppressed: a completed quarter, the last one unless
    another is asked for (see :mod:`fieldwork.reports.periods` for why)."""
    code = request.args.get("periode")
    period = periods.parse(code, municipality)
    if current_user.role == "analyst":
        if period is not None and periods.is_completed_quarter(period):
            return period
        if code:
            flash(
                _("Figures for analysts are given per completed quarter; the last one is shown."),
                "error",
            )
        return periods.last_completed_quarter()
    if period is None:
        flash(_("There is no such period; everything so far is shown."), "error")
        return periods.everything()
    return period


def _neighbourhood_or_404(neighbourhood_id: int) -> Neighbourhood:
    neighbourhood = db.session.get(Neighbourhood, neighbourhood_id)
    if neighbourhood is None:
        abort(404)
    return neighbourhood


def _page(
    neighbourhood: Neighbourhood,
    point_form: PointForm | None = None,
    quote_form: QuoteForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    from fieldwork.photos.moderation import photos_for
    from fieldwork.reports.figures import neighbourhood_figures
    from fieldwork.reports.hood_answers import neighbourhood_answers
    from fieldwork.reports.indicators import latest_comparisons
    from fieldwork.reports.rollups import quarterly
    from fieldwork.reports.social_map import facilities_by_hood

    period = _period(neighbourhood.municipality)
    figures = neighbourhood_figures(neighbourhood.id, period.start, period.end, **period.scope)
    if current_user.role == "analyst":
        figures = suppressed_figures(
            {neighbourhood.id: figures}, neighbourhood.municipality_id, period.start, period.end
        )[neighbourhood.id]
    comparisons = latest_comparisons(neighbourhood)
    coordinator = current_user.role == "coordinator"
    photos = photos_for("report", neighbourhood_id=neighbourhood.id) if coordinator else []
    point_form = point_form or PointForm()
    linkable = point_form.offer(neighbourhood) if coordinator else []
    by_id = {photo.id: photo for photo in linkable}
    points = analysis.attention_points(neighbourhood.id)
    # quarters would add up against the period's totals: the analyst sees only the latter
    quarters = quarterly(neighbourhood.id, local_today()) if coordinator else []
    record_audit("analysis_neighbourhood_viewed", "neighbourhood", neighbourhood.id)
    db.session.commit()
    return render_template(
        "reports/neighbourhood.html",
        neighbourhood=neighbourhood,
        figures=figures,
        period=period,
        periods=periods.choices(neighbourhood.municipality, suppressed=not coordinator),
        quarters=quarters,
        themes=_bars(figures["signals"]["by_theme"]),
        answers=neighbourhood_answers(neighbourhood.id, period.start, period.end, **period.scope),
        comparisons=comparisons,
        quotes=analysis.quotes(neighbourhood.id),
        points=points,
        photos=photos,
        point_photos=by_id,
        findings={point.id: analysis.described_findings(point, by_id) for point in points},
        report=analysis.latest_report(neighbourhood.id),
        point_form=point_form,
        quote_form=quote_form or QuoteForm(),
        empty_form=EmptyForm(),
        coordinator=coordinator,
        facility=facilities_by_hood({neighbourhood.municipality_id}).get(neighbourhood.id),
        sections=neighbourhood_sections(neighbourhood, coordinator),
    ), status


@bp.get("/buurtanalyse/<int:neighbourhood_id>")
@roles_required(*VIEWERS)
def neighbourhood_page(neighbourhood_id: int) -> Any:
    return _page(_neighbourhood_or_404(neighbourhood_id))


@bp.post("/buurtanalyse/<int:neighbourhood_id>/aandachtspunten")
@roles_required("coordinator")
def add_point(neighbourhood_id: int) -> Any:
    form = PointForm()
    form.offer(_neighbourhood_or_404(neighbourhood_id))
    done = _("The attention point is added.")
    return _add(
        neighbourhood_id,
        form,
        "point_form",
        form.title,
        done,
        lambda hood: analysis.add_attention_point(
            hood,
            form.title.data or "",
            form.text.data or "",
            form.themes.data or [],
            [int(p) for p in form.photos.data or []],
            form.indicators.data or [],
            current_user,
        ),
    )


@bp.post("/buurtanalyse/<int:neighbourhood_id>/citaten")
@roles_required("coordinator")
def add_quote(neighbourhood_id: int) -> Any:
    form = QuoteForm()
    return _add(
        neighbourhood_id,
        form,
        "quote_form",
        form.text,
        _("The quote is added."),
        lambda hood: analysis.add_quote(
            hood,
            form.text.data or "",
            form.theme.data or None,
            form.source.data or "manual",
            current_user,
        ),
    )


def _add(
    neighbourhood_id: int, form: FlaskForm, form_name: str, error_field: Any, done: str, save: Any
) -> Any:
    """Validate, save through the service, commit and go back to the page; a refusal shows
    the page again with the form as typed and the message at ``error_field``."""
    neighbourhood = _neighbourhood_or_404(neighbourhood_id)
    if form.validate_on_submit():
        here = url_for(".neighbourhood_page", neighbourhood_id=neighbourhood.id)
        if again := sent_before(form.once.data, here):
            return again
        try:
            save(neighbourhood)
        except analysis.AnalysisError as exc:
            db.session.rollback()
            error_field.errors = [str(exc)]
        else:
            db.session.commit()
            flash(done, "success")
            return redirect(url_for(".neighbourhood_page", neighbourhood_id=neighbourhood.id))
    return _page(neighbourhood, status=422, **{form_name: form})


@bp.post("/buurtanalyse/<int:neighbourhood_id>/weg/<kind>/<int:item_id>")
@roles_required("coordinator")
def remove(neighbourhood_id: int, kind: str, item_id: int) -> WerkzeugResponse:
    item: AttentionPoint | Quote | None = None
    if kind == "aandachtspunt":
        item = db.session.get(AttentionPoint, item_id)
    elif kind == "citaat":
        item = db.session.get(Quote, item_id)
    if (
        item is None
        or item.neighbourhood_id != neighbourhood_id
        or not EmptyForm().validate_on_submit()
    ):
        abort(404)
    db.session.delete(item)
    db.session.commit()
    return redirect(url_for(".neighbourhood_page", neighbourhood_id=neighbourhood_id))


@bp.post("/buurtanalyse/<int:neighbourhood_id>/rapport")
@roles_required("coordinator")
def make_report(neighbourhood_id: int) -> WerkzeugResponse:
    neighbourhood = _neighbourhood_or_404(neighbourhood_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if analysis.request_report(neighbourhood, current_user) is None:
        flash(_("A report is being made already; it appears here in a moment."), "info")
    else:
        flash(_("The report is being made; it appears here in a moment."), "success")
    db.session.commit()
    return redirect(url_for(".neighbourhood_page", neighbourhood_id=neighbourhood.id))


@bp.get("/buurtanalyse/rapport/<int:report_id>.pdf")
@roles_required("coordinator")  # the report holds everything so far, not a fixed quarter
def report_pdf(report_id: int) -> Response:
    report = db.session.get(NeighbourhoodReport, report_id)
    if report is None or report.status != "done" or not report.storage_key:
        abort(404)
    try:
        pdf = storage().get(report.storage_key)
    except StorageError:
        abort(404)
    record_audit("analysis_report_downloaded", "neighbourhood_report", report.id)
    db.session.commit()
    name = f"buurtanalyse-{report.neighbourhood.name}.pdf".replace(" ", "-")
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
