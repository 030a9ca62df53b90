"""The coordinator's visit-round pages: create, import the target list, assign, progress."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from fieldwork.areas.models import Neighbourhood
from fieldwork.areas.services import get_municipality, list_municipalities
from fieldwork.auth.models import User
from fieldwork.core.audit import record_audit
from fieldwork.core.forms import required
from fieldwork.core.permissions import roles_required
from fieldwork.extensions import db
from fieldwork.partners.services import offer_lines
from fieldwork.visits.answers import answers_csv, csv_download, round_answers
from fieldwork.visits.forms import (
    OUTCOME_CHOICES,
    AssignForm,
    HandAssignForm,
    ImportForm,
    RoundForm,
)
from fieldwork.visits.models import VisitAddress, VisitImport, VisitRound
from fieldwork.visits.services import (
    VisitError,
    addresses_in_street,
    assign,
    count_flagged,
    create_round,
    flagged_visit,
    flagged_visits,
    mark_reviewed,
    round_progress,
    streets_of,
    unassign,
)

bp = Blueprint("rounds", __name__, url_prefix="/visit-rounds")
ADDRESS_PAGE = 500
# why a visit recorded offline waits for the coordinator ("Na te kijken"), in words
FLAG_REASONS = {
    "reassigned": _l(
        "The address had been given to someone else meanwhile. The visit counts as an attempt."
    ),
    "closed": _l(
        "The address was no longer open (attempts used up, round over or already done). "
        "Stored, not counted as an attempt."
    ),
    "duplicate": _l(
        "Another volunteer's visit to this address had already arrived. Stored, not counted "
        "as an attempt."
    ),
}


@bp.get("/")
@roles_required("coordinator")
def index() -> str:
    rounds = db.session.scalars(select(VisitRound).order_by(VisitRound.id.desc())).all()
    return render_template(
        "visits/rounds.html", rounds=rounds, flagged=count_flagged([r.id for r in rounds])
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required("coordinator")
def new() -> str | Response | tuple[str, int]:
    form = RoundForm()
    municipalities = list_municipalities()
    form.gemeente.choices = [(m.code, m.name) for m in municipalities]
    form.neighbourhoods.choices = [
        (n.id, f"{n.name} ({n.municipality.name})")
        for n in db.session.scalars(
            select(Neighbourhood)
            .where(Neighbourhood.is_unlocatable.is_(False))
            .order_by(Neighbourhood.name)
        )
    ]
    if request.method == "GET" and municipalities:
        chosen = get_municipality(request.args.get("gemeente", "")) or municipalities[0]
        form.gemeente.data = chosen.code
        # what volunteers can hand out: the social map's offer, to keep or strike
        form.info_material.data = "\n".join(offer_lines(chosen, phones=False))
    if form.validate_on_submit():
        municipality = get_municipality(form.gemeente.data or "")
        try:
            if municipality is None:
                raise VisitError(_("Choose a municipality."), "gemeente")
            visit_round = create_round(
                municipality,
                form.name.data or "",
                list(form.neighbourhoods.data or []),
                required(form.starts_on.data),
                required(form.ends_on.data),
                (form.info_material.data or "").splitlines(),
                form.max_attempts.data or 3,
                current_user,
            )
            record_audit("visit_round_created", "visit_round", visit_round.id)
            db.session.commit()
            return redirect(url_for("rounds.show", round_id=visit_round.id))
        except VisitError as exc:
            db.session.rollback()
            field = getattr(form, exc.field, form.name)
            field.errors = [*field.errors, str(exc)]
    status = 400 if request.method == "POST" else 200
    return render_template("visits/new_round.html", form=form), status


def _round_or_404(round_id: int) -> VisitRound:
    visit_round = db.session.get(VisitRound, round_id)
    if visit_round is None:
        abort(404)
    return visit_round


def _assign_form(visit_round: VisitRound, by_street: bool = True) -> HandAssignForm:
    form = AssignForm() if by_street else HandAssignForm()
    if isinstance(form, AssignForm):
        form.street.choices = [
            (s["key"], f"{s['street']} ({s['open']}/{s['count']})") for s in streets_of(visit_round)
        ]
    volunteers = [
        (str(u.id), u.display_name)
        for u in db.session.scalars(
            select(User).where(User.role == "volunteer", User.active.is_(True)).order_by(User.name)
        )
    ]
    form.volunteer.choices = volunteers if by_street else [("", _("— take back —")), *volunteers]
    form.partner.choices = [("", "—"), *volunteers]
    return form


@bp.get("/<int:round_id>")
@roles_required("coordinator")
def show(round_id: int) -> str:
    visit_round = _round_or_404(round_id)
    imports = db.session.scalars(
        select(VisitImport).where(VisitImport.round_id == round_id).order_by(VisitImport.id.desc())
    ).all()
    running = any(job.status in ("pending", "running") for job in imports)
    flagged = flagged_visits(visit_round)
    if flagged:  # residents' names and addresses: the read is audited
        record_audit("flagged_visits_viewed", "visit_round", round_id, ids=[v.id for v in flagged])
        db.session.commit()
    return render_template(
        "visits/round.html",
        round=visit_round,
        imports=imports,
        running=running,
        flagged=flagged,
        flag_reasons=FLAG_REASONS,
        outcomes=dict(OUTCOME_CHOICES),
        progress=round_progress(visit_round),
        answers=round_answers(visit_round),
        streets=streets_of(visit_round),
        import_form=ImportForm(),
        assign_form=_assign_form(visit_round),
    )


@bp.get("/<int:round_id>/answers.csv")
@roles_required("coordinator")
def answers_export(round_id: int) -> Response:
    visit_round = _round_or_404(round_id)
    return csv_download(answers_csv(round_answers(visit_round)), f"antwoorden-ronde-{round_id}.csv")


@bp.post("/<int:round_id>/import")
@roles_required("coordinator")
def upload(round_id: int) -> Response:
    from fieldwork.visits.importer import VisitImportError, start_import

    visit_round = _round_or_404(round_id)
    form = ImportForm()
    upload_file = form.file.data if form.validate_on_submit() else None
    if upload_file is None or not getattr(upload_file, "filename", ""):
        flash(_("Choose the CSV file first."), "error")
        return redirect(url_for("rounds.show", round_id=round_id))
    try:
        job = start_import(visit_round, upload_file.filename, upload_file.read(), current_user)
        record_audit("visit_import_started", "visit_round", round_id, import_id=job.id)
        db.session.commit()
        flash(_("The list is being imported."), "success")
    except VisitImportError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("rounds.show", round_id=round_id))


def _assign_and_report(
    round_id: int, addresses: list[VisitAddress], volunteer_id: str, partner_id: str, back: str
) -> Response:
    """Give the addresses to the volunteer (or pair), audit, commit, and say how many."""
    volunteer = db.session.get(User, int(volunteer_id)) if volunteer_id else None
    partner = db.session.get(User, int(partner_id)) if partner_id else None
    try:
        if volunteer is None:  # "—": take them back
            count = unassign(addresses)
            message = ngettext(
                "%(num)d address taken back.", "%(num)d addresses taken back.", count
            )
        else:
            count = assign(addresses, volunteer, partner)
            message = ngettext("%(num)d address assigned.", "%(num)d addresses assigned.", count)
        record_audit(
            "visit_addresses_assigned",
            "visit_round",
            round_id,
            to_user=volunteer.id if volunteer else None,
            count=count,
        )
        db.session.commit()
        flash(message, "success")
    except VisitError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(back)


@bp.post("/<int:round_id>/assign")
@roles_required("coordinator")
def assign_street(round_id: int) -> Response:
    visit_round = _round_or_404(round_id)
    form = _assign_form(visit_round)
    back = url_for("rounds.show", round_id=round_id)
    if not form.validate_on_submit():
        flash(_("Choose a street and a volunteer."), "error")
        return redirect(back)
    return _assign_and_report(
        round_id,
        addresses_in_street(visit_round, form.street.data or ""),
        form.volunteer.data or "",
        form.partner.data or "",
        back,
    )


@bp.post("/<int:round_id>/assign-addresses")
@roles_required("coordinator")
def assign_by_hand(round_id: int) -> Response:
    """Chosen addresses to a volunteer (or a pair): by hand, or to reassign."""
    visit_round = _round_or_404(round_id)
    form = _assign_form(visit_round, by_street=False)
    ids = [
        int(value)
        for value in request.form.getlist("address_ids")
        if re.fullmatch(r"[0-9]{1,9}", value)
    ]
    chosen = list(
        db.session.scalars(
            select(VisitAddress).where(
                VisitAddress.round_id == round_id, VisitAddress.id.in_(ids[:5000])
            )
        )
    )
    back = url_for("rounds.addresses", round_id=round_id)
    if not form.validate_on_submit() or not chosen:
        flash(_("Tick one or more addresses and choose a volunteer."), "error")
        return redirect(back)
    return _assign_and_report(
        round_id, chosen, form.volunteer.data or "", form.partner.data or "", back
    )


@bp.get("/<int:round_id>/addresses")
@roles_required("coordinator")
def addresses(round_id: int) -> str:
    visit_round = _round_or_404(round_id)
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 10_000)
    rows = db.session.scalars(
        select(VisitAddress)
        .where(VisitAddress.round_id == round_id)
        .order_by(VisitAddress.street_key, VisitAddress.house_number, VisitAddress.id)
        .offset((page - 1) * ADDRESS_PAGE)
        .limit(ADDRESS_PAGE + 1)
    ).all()
    record_audit("visit_addresses_viewed", "visit_round", round_id, count=len(rows))
    db.session.commit()
    return render_template(
        "visits/addresses.html",
        round=visit_round,
        rows=rows[:ADDRESS_PAGE],
        page=page,
        more=len(rows) > ADDRESS_PAGE,
        assign_form=_assign_form(visit_round, by_street=False),
    )


@bp.post("/<int:round_id>/visits/<int:visit_id>/reviewed")
@roles_required("coordinator")
def reviewed(round_id: int, visit_id: int) -> Response:
    """A late visit looked at: it leaves the round's "Na te kijken" list."""
    visit_round = _round_or_404(round_id)
    visit = flagged_visit(visit_round, visit_id, lock=True)
    if visit is None:
        abort(404)
    if mark_reviewed(visit, current_user):
        record_audit("visit_flag_reviewed", "visit", visit.id, flag=visit.flag)
        flash(_("Marked as reviewed."), "success")
    else:
        flash(_("Someone already reviewed this visit."), "success")
    db.session.commit()
    return redirect(url_for("rounds.show", round_id=round_id))
