"""Coordinator pages: routing rules (add, enable/disable, reorder, delete) and teams."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from fieldwork.areas.models import Neighbourhood
from fieldwork.auth.models import User
from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import roles_required
from fieldwork.extensions import db
from fieldwork.routing.admin import (
    RoutingConfigError,
    replace_rules,
    replace_teams,
    rules_as_dicts,
    teams_as_dicts,
)
from fieldwork.signals.vocabulary import DOMAINS, SOURCES, THEMES, URGENCIES

bp = Blueprint("routing", __name__, url_prefix="/routing")


def _save(
    change: str,
    rules: list[dict[str, Any]] | None = None,
    teams: list[dict[str, Any]] | None = None,
) -> bool:
    try:
        if teams is not None:
            replace_teams(teams)
        if rules is not None:
            replace_rules(rules)
    except RoutingConfigError as exc:
        db.session.rollback()
        for messages in exc.errors.values():
            for message in messages:
                flash(message, "error")
        return False
    record_audit("routing_changed", "routing_rules", None, change=change)
    db.session.commit()
    flash(_("Saved."), "success")
    return True


def _rule_from_form() -> dict[str, Any]:
    form = request.form
    conditions: dict[str, Any] = {
        "neighbourhoods": [
            int(v) for v in form.getlist("neighbourhoods") if v.isdecimal() and len(v) < 10
        ],
        "themes": [v for v in form.getlist("themes") if v in THEMES],
        "domains": [v for v in form.getlist("domains") if v in DOMAINS],
        "sources": [v for v in form.getlist("sources") if v in SOURCES],
    }
    if form.get("age_min") in ("65", "80"):
        conditions["age_min"] = int(form["age_min"])
    if form.get("urgency") in URGENCIES:
        conditions["urgency"] = form["urgency"]
    target = form.get("assign_to", "")
    kind, _sep, value = target.partition(":")
    days = form.get("first_contact_days", "5")
    return {
        "name": " ".join(form.get("name", "").split())[:120] or _("Rule"),
        "conditions": {k: v for k, v in conditions.items() if v},
        "assign_to": {"team": value} if kind == "team" else {"user": value},
        "first_contact_days": int(days) if days.isdecimal() and 1 <= int(days) <= 60 else 5,
        "enabled": True,
    }


@bp.route("/", methods=["GET", "POST"])
@roles_required("coordinator")
def index() -> str | Response:
    rules = rules_as_dicts()
    if request.method == "POST":
        action = request.form.get("action", "")
        index_ = request.form.get("index", -1, type=int)
        valid_index = 0 <= index_ < len(rules)
        if action == "add":
            _save("add", rules=[*rules, _rule_from_form()])
        elif action == "toggle" and valid_index:
            rules[index_]["enabled"] = not rules[index_]["enabled"]
            _save("toggle", rules=rules)
        elif action in ("up", "down") and valid_index:
            other = index_ - 1 if action == "up" else index_ + 1
            if 0 <= other < len(rules):
                rules[index_], rules[other] = rules[other], rules[index_]
                _save("reorder", rules=rules)
        elif action == "delete" and valid_index:
            del rules[index_]
            _save("delete", rules=rules)
        elif action == "team":
            members = request.form.getlist("members")
            name = " ".join(request.form.get("team_name", "").split())
            teams = [t for t in teams_as_dicts() if t["name"] != name]
            if name and members:
                _save(
                    "team",
                    teams=[*teams, {"name": name, "members": members, "strategy": "least_loaded"}],
                )
            else:
                flash(_("A team needs a name and at least one member."), "error")
        return redirect(url_for("routing.index"))
    staff = list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_(("contact_person", "coordinator")))
            .order_by(User.name)
        )
    )
    neighbourhoods = list(
        db.session.scalars(
            select(Neighbourhood)
            .where(Neighbourhood.is_unlocatable.is_(False))
            .order_by(Neighbourhood.name)
        )
    )
    names = {n.id: n.name for n in neighbourhoods}
    return render_template(
        "routing/index.html",
        rules=rules,
        teams=teams_as_dicts(),
        staff=staff,
        neighbourhoods=neighbourhoods,
        names=names,
        themes=THEMES,
        domains=DOMAINS,
        sources=SOURCES,
    )
