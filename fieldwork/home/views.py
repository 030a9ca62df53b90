from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from fieldwork.areas.services import list_municipalities, open_fixups
from fieldwork.auth.services import count_users_by_role
from fieldwork.core.outbox import count_dead
from fieldwork.core.permissions import public, roles_required
from fieldwork.home.my_signals import filer_steps
from fieldwork.signals.filed import FILER_STEPS, filed_signals_page

bp = Blueprint("home", __name__)


@bp.get("/")
@public
def root() -> Response:
    return redirect(url_for("home.index" if current_user.is_authenticated else "auth.login"))


@bp.get("/home")
@roles_required()
def index() -> str:
    context: dict[str, object] = {}
    if current_user.role in ("coordinator", "analyst"):
        context["municipalities"] = list_municipalities()
    if current_user.role in ("contact_person", "coordinator"):
        from fieldwork.cases.services import queue_counts

        context["open_count"], context["overdue_count"] = queue_counts(current_user)
    if current_user.role in ("contact_person", "coordinator"):
        from fieldwork.calls.goodmorning import open_alerts

        context["open_alerts"] = len(open_alerts(current_user))
        from fieldwork.volunteers.pool import count_candidates

        context["candidate_count"] = count_candidates()
    if current_user.role == "volunteer":
        from fieldwork.calls.goodmorning import count_my_calls
        from fieldwork.visits.services import count_open_addresses

        context["visit_count"] = count_open_addresses(current_user)
        context["call_count"] = count_my_calls(current_user)
        from fieldwork.volunteers.matching import my_matches

        context["buurtgezel_count"] = len(my_matches(current_user))
    if current_user.role == "referrer":
        from fieldwork.referrals.services import referral_statuses, submissions_of

        submissions = submissions_of(current_user)
        statuses = referral_statuses(submissions)
        context["referrals"] = [(s, statuses[s.id]) for s in submissions]
    if current_user.role == "coordinator":
        context["fixup_count"] = len(open_fixups())
        context["users_by_role"] = count_users_by_role()
        context["dead_letters"] = count_dead()
    return render_template(f"home/{current_user.role}.html", **context)


@bp.get("/mijn-signalen")
@roles_required()
def my_signals() -> str:
    """The signals this user filed and how far each got: the status only, no resident or
    case content, so it is no read of personal data (nothing audited)."""
    page = request.args.get("page", 1, type=int)
    if not 0 < page < 2**31:
        page = 1
    filed = filed_signals_page(current_user, page)
    return render_template(
        "home/my_signals.html",
        filed=filed,
        steps=filer_steps(filed.signals, current_user),
        step_names=FILER_STEPS,
    )
