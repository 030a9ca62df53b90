"""The social map: a search for everyone with an account (on a phone), and the coordinator's
pages to keep it (organisations, their services, CSV import and export)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as BaseResponse

from fieldwork.areas.models import Municipality
from fieldwork.areas.services import chosen_municipality, list_municipalities, neighbourhoods_of
from fieldwork.core.audit import record_audit
from fieldwork.core.csvfiles import excel_csv
from fieldwork.core.forms import show_refusal, small_id
from fieldwork.core.permissions import roles_required
from fieldwork.core.roles import Role
from fieldwork.extensions import db
from fieldwork.partners.forms import (
    MenuCardForm,
    OrganisationForm,
    RegisterImportForm,
    SearchForm,
    ServiceForm,
)
from fieldwork.partners.menu_cards import start_menu_card
from fieldwork.partners.models import MenuCardJob, Organisation, PartnerService
from fieldwork.partners.services import (
    OrganisationData,
    PartnerError,
    ServiceData,
    export_rows,
    import_register,
    municipality_with_a_map,
    organisations_of,
    save_organisation,
    save_service,
    search_services,
)
from fieldwork.partners.vocabulary import KINDS, TARGET_GROUPS
from fieldwork.signals.vocabulary import THEMES

bp = Blueprint("partners", __name__, url_prefix="/sociale-kaart")
COORDINATOR = Role.COORDINATOR.value
MAX_UPLOAD = 2 * 1024 * 1024


def _municipality() -> Municipality:
    municipality = chosen_municipality(request.args.get("gemeente"))
    if municipality is None:
        abort(404)
    return municipality


def _int_or_none(text: str | None) -> int | None:
    return small_id(text)  # "²".isdigit() is True


@bp.get("/")
@roles_required()
def search() -> str:
    municipality = chosen_municipality(request.args.get("gemeente") or municipality_with_a_map())
    if municipality is None:  # a fresh installation: no areas imported yet
        return render_template("partners/empty.html")
    hoods = [n for n in neighbourhoods_of(municipality) if not n.is_unlocatable]
    form = SearchForm(request.args)
    form.theme.choices = [("", _("All themes")), *((k, str(v)) for k, v in THEMES.items())]
    form.neighbourhood.choices = [
        ("", _("All neighbourhoods")),
        *((str(n.id), n.name) for n in hoods),
    ]
    form.target_group.choices = [
        ("", _("Everyone")),
        *((k, str(v)) for k, v in TARGET_GROUPS.items() if k != "iedereen"),
    ]
    theme = form.theme.data if form.theme.data in THEMES else None
    target_group = form.target_group.data if form.target_group.data in TARGET_GROUPS else None
    hood_id = _int_or_none(form.neighbourhood.data)
    if hood_id is not None and all(n.id != hood_id for n in hoods):
        hood_id = None
    services = search_services(municipality, theme, hood_id, target_group)
    return render_template(
        "partners/search.html",
        form=form,
        municipality=municipality,
        municipalities=list_municipalities(),
        services=services,
        themes=THEMES,
        groups=TARGET_GROUPS,
        kinds=KINDS,
    )


@bp.get("/aanbod/<int:service_id>")
@roles_required()
def service(service_id: int) -> str:
    found = db.session.get(PartnerService, service_id)
    if found is None or not found.active:
        abort(404)
    return render_template(
        "partners/service.html", service=found, themes=THEMES, groups=TARGET_GROUPS, kinds=KINDS
    )


@bp.get("/beheer")
@roles_required(COORDINATOR)
def manage() -> str:
    municipality = _municipality()
    return render_template(
        "partners/manage.html",
        municipality=municipality,
        municipalities=list_municipalities(),
        organisations=organisations_of(municipality),
        import_form=RegisterImportForm(),
        kinds=KINDS,
    )


def _organisation_data(form: OrganisationForm) -> OrganisationData:
    return OrganisationData(
        name=form.name.data or "",
        kind=form.kind.data or "",
        street=form.street.data,
        house_number=form.house_number.data,
        postcode=form.postcode.data,
        phone=form.phone.data,
        email=form.email.data,
        website=form.website.data,
        opening_hours=form.opening_hours.data or "",
    )


Saved = TypeVar("Saved", Organisation, PartnerService)


def _saved(
    form: OrganisationForm | ServiceForm, save: Callable[[], Saved], kind: str
) -> Saved | None:
    """Save, audit, commit and say so; None (the reason next to its field) when refused.
    Two coordinators saving the same name at once: the unique key refuses the second."""
    try:
        saved = save()
        record_audit(f"{kind}_saved", kind, saved.id)
        db.session.commit()
    except PartnerError as exc:
        db.session.rollback()
        show_refusal(form, exc, form.name)
        return None
    except IntegrityError:
        db.session.rollback()
        taken = PartnerError(_("This name was saved a moment ago by someone else."), "name")
        show_refusal(form, taken, form.name)
        return None
    flash(_("%(name)s is saved.", name=saved.name), "success")
    return saved


@bp.route("/beheer/organisatie/nieuw", methods=["GET", "POST"])
@bp.route("/beheer/organisatie/<int:organisation_id>", methods=["GET", "POST"])
@roles_required(COORDINATOR)
def organisation(organisation_id: int | None = None) -> str | BaseResponse:
    existing = db.session.get(Organisation, organisation_id) if organisation_id else None
    if organisation_id and existing is None:
        abort(404)
    municipality = existing.municipality if existing else _municipality()
    form = OrganisationForm(obj=existing)
    if form.validate_on_submit():
        organisation = _saved(
            form,
            lambda: save_organisation(municipality, _organisation_data(form), existing),
            "partner_organisation",
        )
        if organisation is not None:
            return redirect(url_for("partners.organisation", organisation_id=organisation.id))
    return render_template(
        "partners/organisation.html",
        form=form,
        organisation=existing,
        municipality=municipality,
        themes=THEMES,
    )


def _service_form(organisation: Organisation, existing: PartnerService | None) -> ServiceForm:
    form = ServiceForm(obj=existing)
    form.neighbourhoods.choices = [
        (n.id, n.name) for n in neighbourhoods_of(organisation.municipality) if not n.is_unlocatable
    ]
    if existing is not None and request.method == "GET":
        form.neighbourhoods.data = [n.id for n in existing.neighbourhoods]
    return form


@bp.route("/beheer/organisatie/<int:organisation_id>/aanbod/nieuw", methods=["GET", "POST"])
@bp.route("/beheer/aanbod/<int:service_id>", methods=["GET", "POST"])
@roles_required(COORDINATOR)
def edit_service(
    organisation_id: int | None = None, service_id: int | None = None
) -> str | BaseResponse:
    existing = db.session.get(PartnerService, service_id) if service_id else None
    if existing is not None:
        owner: Organisation | None = existing.organisation
    else:
        owner = db.session.get(Organisation, organisation_id) if organisation_id else None
    if owner is None or (service_id and existing is None):
        abort(404)
    form = _service_form(owner, existing)
    if form.validate_on_submit():
        data = ServiceData(
            name=form.name.data or "",
            description=form.description.data or "",
            themes=list(form.themes.data or []),
            target_groups=list(form.target_groups.data or []),
            neighbourhood_ids=list(form.neighbourhoods.data or []),
            how_to_reach=form.how_to_reach.data or "",
            cost=form.cost.data or "",
            languages=form.languages.data or "",
        )
        if _saved(form, lambda: save_service(owner, data, existing), "partner_service"):
            return redirect(url_for("partners.organisation", organisation_id=owner.id))
    return render_template(
        "partners/edit_service.html", form=form, organisation=owner, service=existing
    )


@bp.post("/beheer/import")
@roles_required(COORDINATOR)
def import_csv() -> BaseResponse:
    municipality = _municipality()
    form = RegisterImportForm()
    upload = form.file.data if form.validate_on_submit() else None
    raw = upload.read(MAX_UPLOAD + 1) if upload else b""
    back = redirect(url_for("partners.manage", gemeente=municipality.code))
    if not raw or len(raw) > MAX_UPLOAD:
        flash(_("Choose a CSV file of at most 2 MB."), "error")
        return back
    try:
        report = import_register(municipality, raw)
    except PartnerError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return back
    record_audit("partner_register_imported", "municipality", municipality.id)
    db.session.commit()
    flash(
        ngettext("%(num)d service read", "%(num)d services read", report.services)
        + ", "
        + ngettext(
            "from %(num)d organisation.", "from %(num)d organisations.", report.organisations
        ),
        "success",
    )
    for line, reason in report.rejected[:20]:
        flash(_("Line %(line)d not read: %(reason)s", line=line, reason=reason), "error")
    return back


@bp.get("/beheer/export.csv")
@roles_required(COORDINATOR)
def export_csv() -> Response:
    municipality = _municipality()
    return Response(
        excel_csv(export_rows(municipality)).encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="sociale-kaart-{municipality.code}.csv"'
        },
    )


CARD_MAKERS = (COORDINATOR, Role.CONTACT_PERSON.value)


@bp.route("/menukaart", methods=["GET", "POST"])
@roles_required(*CARD_MAKERS)
def menu_card() -> str | BaseResponse:
    """An info card (menukaart) per target group and neighbourhood, made by the worker."""
    municipality = _municipality()
    form = MenuCardForm()
    form.target_group.choices = [
        ("", _("Everyone")),
        *((k, str(v)) for k, v in TARGET_GROUPS.items() if k != "iedereen"),
    ]
    form.neighbourhood.choices = [
        ("", _("The whole municipality")),
        *((str(n.id), n.name) for n in neighbourhoods_of(municipality) if not n.is_unlocatable),
    ]
    if form.validate_on_submit():
        try:
            job = start_menu_card(
                municipality,
                form.target_group.data or None,
                _int_or_none(form.neighbourhood.data),
                form.size.data or "A4",
                current_user,
            )
        except PartnerError as exc:
            db.session.rollback()
            show_refusal(form, exc, form.size)
        else:
            db.session.commit()
            return redirect(url_for("partners.menu_card_job", job_id=job.id))
    return render_template(
        "partners/menu_card.html",
        form=form,
        municipality=municipality,
        municipalities=list_municipalities(),
    )


@bp.get("/menukaart/<int:job_id>")
@roles_required(*CARD_MAKERS)
def menu_card_job(job_id: int) -> str:
    return render_template("partners/menu_card_job.html", job=db.get_or_404(MenuCardJob, job_id))


@bp.get("/menukaart/<int:job_id>.pdf")
@roles_required(*CARD_MAKERS)
def menu_card_pdf(job_id: int) -> Response:
    job = db.get_or_404(MenuCardJob, job_id)
    if job.status != "done" or job.data is None:
        abort(404)
    return Response(
        job.data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="menukaart-{job.id}.pdf"'},
    )
