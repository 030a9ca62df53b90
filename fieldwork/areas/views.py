"""Coordinator pages: neighbourhoods (list, rename, regroup, add, delete) and the fix-up list."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from fieldwork.areas.forms import FixupForm, NeighbourhoodNameForm, SectorsForm
from fieldwork.areas.models import AddressFixup, Neighbourhood, Sector
from fieldwork.areas.services import (
    AreaError,
    create_neighbourhood,
    delete_neighbourhood,
    get_municipality,
    list_municipalities,
    move_sectors,
    neighbourhoods_of,
    open_fixups,
    rename_neighbourhood,
    resolve_fixup,
    sector_counts,
)
from fieldwork.core.audit import record_audit
from fieldwork.core.forms import small_id
from fieldwork.core.permissions import roles_required
from fieldwork.core.roles import Role
from fieldwork.extensions import db

bp = Blueprint("areas", __name__, url_prefix="/areas")
COORDINATOR = Role.COORDINATOR.value


@bp.get("/")
@roles_required(COORDINATOR, Role.ANALYST.value)
def index() -> str:
    municipalities = list_municipalities()
    overview = [(m, neighbourhoods_of(m), sector_counts(m)) for m in municipalities]
    return render_template(
        "areas/index.html",
        overview=overview,
        can_edit=current_user.role == COORDINATOR,
        fixup_count=len(open_fixups()),
    )


def _neighbourhood_or_404(neighbourhood_id: int) -> Neighbourhood:
    neighbourhood = db.session.get(Neighbourhood, neighbourhood_id)
    if neighbourhood is None:
        abort(404)
    return neighbourhood


def _sector_choices(neighbourhood: Neighbourhood) -> list[Sector]:
    located = [
        s
        for n in neighbourhoods_of(neighbourhood.municipality)
        if not n.is_unlocatable
        for s in n.sectors
    ]
    return sorted(located, key=lambda s: s.code)


@bp.route("/neighbourhoods/<int:neighbourhood_id>", methods=["GET", "POST"])
@roles_required(COORDINATOR)
def edit(neighbourhood_id: int) -> str | tuple[str, int] | Response:
    neighbourhood = _neighbourhood_or_404(neighbourhood_id)
    name_form = NeighbourhoodNameForm(prefix="name", obj=neighbourhood)
    sectors_form = SectorsForm(prefix="sectors")
    choices = _sector_choices(neighbourhood)
    sectors_form.sectors.choices = [(s.code, s.code) for s in choices]
    status = 200
    if request.method == "POST":
        form = name_form if "name-name" in request.form else sectors_form
        if form.validate_on_submit():
            try:
                if form is name_form:
                    old = neighbourhood.name
                    rename_neighbourhood(neighbourhood, name_form.name.data or "")
                    record_audit(
                        "neighbourhood_renamed",
                        "neighbourhood",
                        neighbourhood.id,
                        old=old,
                        new=neighbourhood.name,
                    )
                    flash(
                        _("Neighbourhood renamed to %(name)s.", name=neighbourhood.name), "success"
                    )
                else:
                    moved = move_sectors(neighbourhood, sectors_form.sectors.data or [])
                    record_audit(
                        "sectors_moved",
                        "neighbourhood",
                        neighbourhood.id,
                        sectors=[s.code for s in moved],
                    )
                    flash(
                        ngettext(
                            "%(num)d sector now belongs to %(name)s.",
                            "%(num)d sectors now belong to %(name)s.",
                            len(moved),
                            name=neighbourhood.name,
                        ),
                        "success",
                    )
                db.session.commit()
                return redirect(url_for("areas.edit", neighbourhood_id=neighbourhood.id))
            except AreaError as exc:
                db.session.rollback()
                form_field = name_form.name if exc.field == "name" else sectors_form.sectors
                form_field.errors = [*form_field.errors, str(exc)]
        status = 400
    if request.method == "GET":
        sectors_form.sectors.data = [s.code for s in neighbourhood.sectors]
    return render_template(
        "areas/edit.html",
        neighbourhood=neighbourhood,
        name_form=name_form,
        sectors_form=sectors_form,
        choices=choices,
    ), status


@bp.route("/<code>/new", methods=["GET", "POST"])
@roles_required(COORDINATOR)
def new(code: str) -> str | tuple[str, int] | Response:
    municipality = get_municipality(code)
    if municipality is None:
        abort(404)
    form = NeighbourhoodNameForm(prefix="name")
    if form.validate_on_submit():
        try:
            neighbourhood = create_neighbourhood(municipality, form.name.data or "")
            record_audit(
                "neighbourhood_created", "neighbourhood", neighbourhood.id, name=neighbourhood.name
            )
            db.session.commit()
            flash(
                _(
                    "Neighbourhood %(name)s created. Now choose its sectors.",
                    name=neighbourhood.name,
                ),
                "success",
            )
            return redirect(url_for("areas.edit", neighbourhood_id=neighbourhood.id))
        except AreaError as exc:
            db.session.rollback()
            form.name.errors = [*form.name.errors, str(exc)]
    status = 400 if request.method == "POST" else 200
    return render_template("areas/new.html", municipality=municipality, form=form), status


@bp.post("/neighbourhoods/<int:neighbourhood_id>/delete")
@roles_required(COORDINATOR)
def delete(neighbourhood_id: int) -> Response:
    neighbourhood = _neighbourhood_or_404(neighbourhood_id)
    try:
        name = neighbourhood.name
        delete_neighbourhood(neighbourhood)
        record_audit("neighbourhood_deleted", "neighbourhood", neighbourhood_id, name=name)
        db.session.commit()
        flash(_("Neighbourhood %(name)s deleted.", name=name), "success")
        return redirect(url_for("areas.index"))
    except AreaError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("areas.edit", neighbourhood_id=neighbourhood_id))


@bp.route("/fixups", methods=["GET", "POST"])
@roles_required(COORDINATOR)
def fixups() -> str | tuple[str, int] | Response:
    form = FixupForm()
    status = 200
    if request.method == "POST":
        fixup = db.session.get(AddressFixup, small_id(request.form.get("fixup_id")) or 0)
        if fixup is None:
            abort(404)
        if form.validate_on_submit():
            try:
                resolve_fixup(fixup, form.sector.data or "", current_user.id)
                record_audit(
                    "address_fixed",
                    "address_fixup",
                    fixup.id,
                    sector=fixup.resolved_sector.code if fixup.resolved_sector else None,
                )
                db.session.commit()
                flash(_("Address placed in sector %(code)s.", code=form.sector.data), "success")
                return redirect(url_for("areas.fixups"))
            except AreaError as exc:
                db.session.rollback()
                form.sector.errors = [*form.sector.errors, str(exc)]
        status = 400
    items = open_fixups()
    # The list shows residents' addresses: personal data, so the read is audited.
    record_audit("fixups_viewed", "address_fixup", None, ids=[f.id for f in items])
    db.session.commit()
    return render_template("areas/fixups.html", fixups=items, form=form), status
