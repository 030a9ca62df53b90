"""Pages of caring neighbours: the public join page, signing in with a link or a code, the
neighbour's own page and signal form (light session, see ``session``); and the coordinator's
pages (overview per neighbourhood and street, add, pause or end, messages, trainings)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from fieldwork.areas.mapsvg import map_of
from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.areas.services import (
    chosen_municipality,
    get_municipality,
    list_municipalities,
    neighbourhood_choices,
)
from fieldwork.core.audit import record_audit
from fieldwork.core.drafts import all_drafts_cleared, draft_saved
from fieldwork.core.forms import show_refusal, small_id
from fieldwork.core.permissions import public, roles_required
from fieldwork.core.receipts import (
    claim_capture_key,
    claim_once,
    from_phone_queue,
    sent_before,
)
from fieldwork.extensions import db, limiter
from fieldwork.neighbours import services
from fieldwork.neighbours.forms import (
    CodeForm,
    JoinForm,
    LinkRequestForm,
    MessageForm,
    NeighbourSignalForm,
    StatusForm,
    TrainingForm,
)
from fieldwork.neighbours.models import CaringNeighbour
from fieldwork.neighbours.services import NeighbourError
from fieldwork.neighbours.session import forget, remember, remembered
from fieldwork.neighbours.vocabulary import CAN_DO, JOINED_VIA, NEIGHBOUR_STATUSES
from fieldwork.signals.vocabulary import FILER_STATUSES, THEMES
from fieldwork.volunteers.spam import (
    accepted,
    form_token,
    help_form_limit,
    spam_refusal,
    token_again,
)

bp = Blueprint("neighbours", __name__)
P = ParamSpec("P")
R = TypeVar("R")
COORDINATOR = "coordinator"


def _labels() -> dict[str, Any]:
    return {
        "can_do_labels": CAN_DO,
        "status_labels": NEIGHBOUR_STATUSES,
        "joined_labels": JOINED_VIA,
        "theme_labels": THEMES,
        "step_labels": FILER_STATUSES,
    }


def problem(message: str, status: int) -> tuple[str, int]:
    return render_template("neighbours/problem.html", message=message), status


# --- joining (public) ------------------------------------------------------------------------


@bp.get("/zorgzame-buur")
@public
def start() -> str | Response:
    """Join, or sign in; several municipalities: choose yours first."""
    return render_template("neighbours/start.html", municipalities=list_municipalities())


def _join_form(municipality: Municipality, empty: str) -> JoinForm:
    form = JoinForm()
    form.neighbourhood_id.choices = neighbourhood_choices(municipality, empty)
    return form


def _intake(form: JoinForm) -> services.Intake:
    return services.Intake(
        name=form.name.data or "",
        email=form.email.data or "",
        phone=form.phone.data or "",
        neighbourhood_id=small_id(form.neighbourhood_id.data),
        streets=services.split_streets(form.streets.data or ""),
        can_do=list(form.can_do.data or []),
        can_do_note=form.can_do_note.data or "",
        data_consent=bool(form.data_consent.data),
    )


def _join_page(
    form: JoinForm, municipality: Municipality, problem_text: str | None = None, *, staff: bool
) -> str:
    return render_template(
        "neighbours/join.html",
        form=form,
        municipality=municipality,
        consent=services.consent_text(municipality),
        streets=services.known_streets(municipality),
        problem=problem_text,
        staff=staff,
    )


@bp.route("/zorgzame-buur/word/<code>", methods=["GET", "POST"])
@public
@limiter.limit(help_form_limit, methods=["POST"], deduct_when=accepted)
def join(code: str) -> str | tuple[str, int]:
    """The public join page, spam-protected like "Ik wil helpen": a refused submission
    (a field to fix, the spam check) never counts against the limit."""
    municipality = get_municipality(code[:10])
    if municipality is None:
        abort(404)
    form = _join_form(municipality, _("Pick it from my streets"))
    if not form.is_submitted():
        form.form_token.data = form_token()
        return _join_page(form, municipality, staff=False)

    def refused(text: str | None = None, *, seen: bool = True) -> tuple[str, int]:
        form.form_token.data = token_again(form.form_token.data, seen=seen)
        return _join_page(form, municipality, text, staff=False), 422

    if not form.validate():
        return refused()
    refusal = spam_refusal(form.form_token.data, form.website.data)
    if refusal in ("trap", "expired"):
        return refused(
            _("The form had expired. Check your answers and press Send again."), seen=False
        )
    if refusal is None and not claim_once(form.once.data, None):
        draft_saved()  # sent twice: the first was kept
        return render_template("neighbours/joined.html", municipality=municipality)
    services.hold_email(municipality.id, form.email.data or "")
    known = services.neighbour_by_email(form.email.data or "", True, municipality.id)
    if known is not None and refusal is None:
        # already known here: the same thanks (the page never tells whether an address is
        # known) and no second record; only an active neighbour gets a fresh sign-in link —
        # joining again never lifts a pause, an end or the wait for the coordinator
        services.email_sign_in_link(known, "joined-again")
        db.session.commit()
        draft_saved()
        return render_template("neighbours/joined.html", municipality=municipality)
    try:
        services.join(municipality, _intake(form), "public_form")
    except NeighbourError as exc:
        db.session.rollback()
        show_refusal(form, exc, form.name)
        return refused()
    if refusal == "too_fast":
        db.session.rollback()
        return refused(
            _(
                "You sent the form very quickly after opening it. Wait a few seconds and "
                "press Send again: your answers are kept."
            ),
            seen=False,
        )
    db.session.commit()
    draft_saved()
    return render_template("neighbours/joined.html", municipality=municipality)


# --- signing in (public) ---------------------------------------------------------------------


def _sign_in(neighbour: CaringNeighbour) -> Response:
    services.signed_in(neighbour)
    db.session.commit()
    remember(neighbour.id, neighbour.nonce)
    return redirect(url_for("neighbours.mine"))


@bp.get("/zorgzame-buur/aanmelden/<token>")
@public
def sign_in_link(token: str) -> Response | tuple[str, int]:
    try:
        neighbour = services.neighbour_for_token(token)
    except NeighbourError as exc:
        forget()
        return problem(str(exc), exc.status)
    return _sign_in(neighbour)


def _failed(response: Response) -> bool:
    """The code page counts wrong codes only (guessing is what the limit stops)."""
    return response.status_code >= 400


@bp.route("/zorgzame-buur/aanmelden", methods=["GET", "POST"])
@public
@limiter.limit("20 per hour", methods=["POST"], deduct_when=_failed)
def sign_in_code() -> str | Response | tuple[str, int]:
    """Sign in with the code the coordinator handed over on paper."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            return _sign_in(services.neighbour_for_code(form.code.data or ""))
        except NeighbourError as exc:
            if exc.status == 403:  # paused or ended: the clear message, nothing else
                forget()
                return problem(str(exc), 403)
            form.code.errors = [str(exc)]
    status = 422 if request.method == "POST" else 200
    return render_template("neighbours/sign_in.html", form=form), status


@bp.route("/zorgzame-buur/link", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"])
def request_link() -> str | tuple[str, int]:
    """A new sign-in link by e-mail; the answer is the same whether the address is known."""
    form = LinkRequestForm()
    if form.validate_on_submit():
        neighbour = services.neighbour_by_email(form.email.data or "")
        if neighbour is not None:
            services.email_sign_in_link(neighbour, "asked")
            db.session.commit()
        return render_template("neighbours/link_sent.html")
    status = 422 if request.method == "POST" else 200
    return render_template("neighbours/request_link.html", form=form), status


@bp.post("/zorgzame-buur/afmelden")
@public
def sign_out() -> Response:
    """Signed out: the drafts and the pages kept on the phone go too (as at a logout)."""
    forget()
    all_drafts_cleared()
    return redirect(url_for("neighbours.start"))


# --- the neighbour's own pages (light session) -----------------------------------------------


def neighbour_required(view: Callable[..., R]) -> Callable[..., R | Response | tuple[str, int]]:
    """The signed-in caring neighbour, checked again on every request (passed as the first
    argument). None signed in: the sign-in page (a 401 to the phone's queue, which keeps the
    record). Paused or ended: the clear message, 403, and nothing is done."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> R | Response | tuple[str, int]:
        found = remembered()
        if found is None:
            if from_phone_queue():
                abort(401)
            return redirect(url_for("neighbours.sign_in_code"))
        try:
            neighbour = services.current_neighbour(*found)
        except NeighbourError as exc:
            db.session.rollback()
            forget()
            all_drafts_cleared()  # paused, ended or replaced: nothing of theirs stays here
            if exc.status == 401:
                if from_phone_queue():
                    abort(401)
                flash(str(exc), "info")
                return redirect(url_for("neighbours.sign_in_code"))
            return problem(str(exc), exc.status)
        return view(neighbour, *args, **kwargs)

    return wrapped


@bp.get("/zorgzame-buur/mijn")
@public
@neighbour_required
def mine(neighbour: CaringNeighbour) -> str:
    """Their own intake and the status of what they filed: never a resident nor a case."""
    return render_template(
        "neighbours/mine.html",
        neighbour=neighbour,
        filed=services.filed_by(neighbour),
        trainings=services.trainings_of(neighbour),
        **_labels(),
    )


@bp.route("/zorgzame-buur/signaal", methods=["GET", "POST"])
@public
@neighbour_required
def file_signal(neighbour: CaringNeighbour) -> str | Response | tuple[str, int]:
    form = NeighbourSignalForm()
    if form.validate_on_submit():
        if not from_phone_queue() and not claim_once(form.once.data, None):
            flash(_("This was received already."), "info")
            return redirect(url_for("neighbours.mine"))
        payload = {
            "resident": {
                "name": form.name.data or "",
                "street": (form.street.data or "").strip(),
                "house_number": (form.house_number.data or "").strip() or None,
                "phone": form.phone.data or None,
                "birth_year": form.birth_year.data,
            },
            "themes": list(dict.fromkeys(form.themes.data or [])),
            "note": form.note.data or "",
            "urgency": form.urgency.data,
            "consent": form.consent.data,
        }
        try:
            signals = services.file_signal(neighbour, payload)
        except NeighbourError as exc:
            db.session.rollback()
            if exc.status == 403:
                return problem(str(exc), 403)
            show_refusal(form, exc, form.street)
        else:
            record_audit(
                "neighbour_signal_filed",
                "caring_neighbour",
                neighbour.id,
                signals=[s.id for s in signals],
            )
            claim_capture_key(None, url_for("neighbours.mine"))
            db.session.commit()
            draft_saved()
            flash(_("Thank you. Your signal was received."), "success")
            return redirect(url_for("neighbours.mine"))
    status = 400 if request.method == "POST" else 200
    return render_template("neighbours/signal_form.html", form=form, neighbour=neighbour), status


# --- the coordinator's pages -----------------------------------------------------------------


def _municipality() -> Municipality:
    """The municipality asked for; without one, the first that has caring neighbours."""
    code = request.args.get("gemeente") or services.first_municipality_code()
    municipality = chosen_municipality(code)
    if municipality is None:
        abort(404)
    return municipality


@bp.get("/zorgzame-buren")
@roles_required(COORDINATOR)
def overview() -> str:
    """Neighbours per neighbourhood and street, the streets without one, the figures."""
    municipality = _municipality()
    hoods = services.overview(municipality)
    ids = [n.id for hood in hoods for n in hood.neighbours]
    record_audit("caring_neighbours_viewed", "municipality", municipality.code, count=len(ids))
    db.session.commit()
    return render_template(
        "neighbours/overview.html",
        municipality=municipality,
        municipalities=list_municipalities(),
        hoods=hoods,
        frame=map_of([hood.neighbourhood for hood in hoods]),
        trainings=services.neighbour_trainings(municipality),
        **_labels(),
    )


@bp.route("/zorgzame-buren/nieuw", methods=["GET", "POST"])
@roles_required(COORDINATOR)
def add() -> str | Response | tuple[str, int]:
    """The coordinator adds a neighbour (an invitation): a code to hand over on paper."""
    municipality = _municipality()
    form = _join_form(municipality, _("Pick it from the streets"))
    if form.validate_on_submit():
        if again := sent_before(
            form.once.data, url_for("neighbours.overview", gemeente=municipality.code)
        ):
            return again
        try:
            neighbour = services.join(municipality, _intake(form), "coordinator", current_user)
            code = services.new_code(neighbour)
            services.email_sign_in_link(neighbour, "invited")
        except NeighbourError as exc:
            db.session.rollback()
            show_refusal(form, exc, form.name)
        else:
            record_audit("caring_neighbour_added", "caring_neighbour", neighbour.id)
            db.session.commit()
            return render_template("neighbours/code.html", neighbour=neighbour, code=code)
    status = 422 if request.method == "POST" else 200
    form.data_consent.label.text = _("The neighbour agreed to this text (on paper)")
    return _join_page(form, municipality, staff=True), status


@bp.post("/zorgzame-buren/<int:caring_id>/status")
@roles_required(COORDINATOR)
def change_status(caring_id: int) -> Response | tuple[str, int]:
    neighbour = db.get_or_404(CaringNeighbour, caring_id)
    form = StatusForm()
    if not form.validate_on_submit():
        return problem(_("Choose pause, take up again or end."), 422)
    try:
        changed = services.change_status(neighbour, form.status.data or "")
    except NeighbourError as exc:
        db.session.rollback()
        return problem(str(exc), exc.status)
    if changed:
        record_audit(
            "caring_neighbour_status", "caring_neighbour", neighbour.id, status=neighbour.status
        )
        flash(
            _(
                "%(name)s: %(status)s.",
                name=neighbour.name,
                status=NEIGHBOUR_STATUSES[neighbour.status],
            ),
            "success",
        )
    db.session.commit()
    return redirect(url_for("neighbours.overview", gemeente=neighbour.municipality.code))


@bp.post("/zorgzame-buren/<int:caring_id>/code")
@roles_required(COORDINATOR)
def new_code(caring_id: int) -> str | tuple[str, int]:
    """A new code on paper; the former code, links and sessions stop working."""
    neighbour = db.get_or_404(CaringNeighbour, caring_id)
    if neighbour.status == "ended":
        return problem(_("This role has ended; add the person again if they come back."), 409)
    code = services.new_code(neighbour)
    record_audit("caring_neighbour_code", "caring_neighbour", neighbour.id)
    db.session.commit()
    return render_template("neighbours/code.html", neighbour=neighbour, code=code)


@bp.post("/zorgzame-buren/<int:caring_id>/link")
@roles_required(COORDINATOR)
def send_link(caring_id: int) -> Response:
    neighbour = db.get_or_404(CaringNeighbour, caring_id)
    if services.email_sign_in_link(neighbour, "sent"):
        record_audit("caring_neighbour_link_sent", "caring_neighbour", neighbour.id)
        flash(_("A sign-in link was e-mailed to %(name)s.", name=neighbour.name), "success")
    else:
        flash(_("No link sent: no e-mail address, or the role is not active."), "error")
    db.session.commit()
    return redirect(url_for("neighbours.overview", gemeente=neighbour.municipality.code))


def _hood_choices(form: MessageForm, municipality: Municipality) -> None:
    form.neighbourhood_id.choices = neighbourhood_choices(municipality)


@bp.route("/zorgzame-buren/bericht", methods=["GET", "POST"])
@roles_required(COORDINATOR)
def message() -> str | Response | tuple[str, int]:
    """A simple message to all active neighbours of a neighbourhood (by e-mail)."""
    municipality = _municipality()
    form = MessageForm()
    _hood_choices(form, municipality)
    if form.validate_on_submit():
        hood = db.session.get(Neighbourhood, small_id(form.neighbourhood_id.data))
        if hood is None:
            abort(404)
        if not claim_once(form.once.data, current_user.id):
            flash(_("This was sent already."), "info")
            return redirect(url_for("neighbours.overview", gemeente=municipality.code))
        try:
            sent = services.send_message(
                hood, form.subject.data or "", form.body.data or "", current_user
            )
        except NeighbourError as exc:
            db.session.rollback()
            show_refusal(form, exc, form.body)
        else:
            record_audit("caring_neighbours_messaged", "neighbourhood", hood.id, to=sent.recipients)
            db.session.commit()
            flash(_("Message sent to %(n)d caring neighbours.", n=sent.recipients), "success")
            return redirect(url_for("neighbours.overview", gemeente=municipality.code))
    status = 422 if request.method == "POST" else 200
    return render_template("neighbours/message.html", form=form, municipality=municipality), status


@bp.route("/zorgzame-buren/vorming", methods=["GET", "POST"])
@roles_required(COORDINATOR)
def training() -> str | Response | tuple[str, int]:
    """A training or meeting (volunteers' trainings) with the neighbours who attended."""
    municipality = _municipality()
    form = TrainingForm()
    neighbours = services.neighbours_list(municipality, status="active")
    form.attendees.choices = [(str(n.id), f"{n.name} ({n.neighbourhood.name})") for n in neighbours]
    if form.validate_on_submit():
        ids = [i for i in (small_id(v) for v in form.attendees.data or []) if i is not None]
        if not claim_once(form.once.data, current_user.id):
            flash(_("This was saved already."), "info")
            return redirect(url_for("neighbours.overview", gemeente=municipality.code))
        try:
            held = services.add_training(
                municipality,
                form.title.data or "",
                form.held_on.data,  # type: ignore[arg-type]  # validated: DataRequired
                ids,
                current_user,
            )
        except NeighbourError as exc:
            db.session.rollback()
            show_refusal(form, exc, form.title)
        else:
            record_audit("caring_neighbours_training", "training", held.id, attendees=len(ids))
            db.session.commit()
            flash(_("Training saved."), "success")
            return redirect(url_for("neighbours.overview", gemeente=municipality.code))
    status = 422 if request.method == "POST" else 200
    return render_template("neighbours/training.html", form=form, municipality=municipality), status
