"""Coordinator pages: import indicator values and see them per neighbourhood."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.wrappers import Response
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from fieldwork.areas.models import Neighbourhood
from fieldwork.areas.services import list_municipalities
from fieldwork.core.permissions import roles_required
from fieldwork.extensions import db
from fieldwork.reports.indicators import (
    SMALL_POPULATION,
    IndicatorImportError,
    compare,
    indicator_label,
    indicator_unit,
    indicators_for,
    report_from_json,
    start_indicator_import,
)
from fieldwork.reports.models import IndicatorImport

bp = Blueprint("indicators", __name__)


class IndicatorImportForm(FlaskForm):
    file = FileField(_l("Indicator file (CSV)"))
    source = StringField(
        _l("Source"), validators=[Length(max=200)], default="Provincies in Cijfers"
    )
    all_or_nothing = BooleanField(_l("Import nothing when a line is rejected"))


def _index(
    form: IndicatorImportForm, job: IndicatorImport | None = None, status: int = 200
) -> tuple[str, int]:
    overview = [(m, indicators_for(m)) for m in list_municipalities()]
    report = report_from_json(job.report) if job is not None and job.status == "done" else None
    return render_template(
        "indicators/index.html",
        form=form,
        job=job,
        report=report,
        overview=overview,
        label=indicator_label,
    ), status


@bp.get("/indicatoren")
@roles_required("coordinator", "analyst")
def index() -> tuple[str, int]:
    return _index(IndicatorImportForm())


@bp.post("/indicatoren")
@roles_required("coordinator")
def upload() -> tuple[str, int] | Response:
    form = IndicatorImportForm()
    upload_file = form.file.data if form.validate_on_submit() else None
    if upload_file is None or not getattr(upload_file, "filename", ""):
        flash(_("Choose the CSV file first."), "error")
        return _index(form, status=422)
    try:
        job = start_indicator_import(
            upload_file.filename,
            upload_file.read(),
            form.source.data or upload_file.filename,
            bool(form.all_or_nothing.data),
            current_user,
        )
    except IndicatorImportError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return _index(form, status=422)
    db.session.commit()
    return redirect(url_for(".import_page", job_id=job.id), 303)


@bp.get("/indicatoren/import/<int:job_id>")
@roles_required("coordinator")
def import_page(job_id: int) -> tuple[str, int]:
    """The upload's progress while the worker reads it, then its report."""
    job = db.session.get(IndicatorImport, job_id)
    if job is None:
        abort(404)
    form = IndicatorImportForm(formdata=None, source=job.source)
    if job.status == "done":
        if job.all_or_nothing and job.report.get("rejected_count"):
            flash(_("Nothing was imported: fix the rejected lines first."), "error")
        else:
            flash(_("Indicators imported."), "success")
    elif job.status == "failed":
        flash(job.error or _("The file could not be read."), "error")
    return _index(form, job)


@bp.get("/indicatoren/<int:neighbourhood_id>")
@roles_required("coordinator", "analyst")
def neighbourhood(neighbourhood_id: int) -> str:
    item = db.session.get(Neighbourhood, neighbourhood_id)
    if item is None:
        abort(404)
    wanted = request.args.get("jaar", type=int)
    rows = []
    all_years: set[int] = set()
    for indicator, years in indicators_for(item.municipality):
        all_years.update(years)
        eligible = [y for y in years if wanted is None or y <= wanted]
        if not eligible:
            continue
        rows.append((compare(item, indicator, eligible[-1]), indicator_unit(indicator)))
    return render_template(
        "indicators/neighbourhood.html",
        neighbourhood=item,
        rows=rows,
        years=sorted(all_years),
        year=wanted,
        small_population=SMALL_POPULATION,
    )
