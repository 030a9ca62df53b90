"""Coordinator pages: the access request as a PDF or JSON download, and the register of
processing activities (page and PDF)."""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, render_template
from werkzeug.wrappers import Response

from fieldwork.core.audit import record_audit
from fieldwork.core.permissions import roles_required
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.privacy.export import resident_export
from fieldwork.privacy.export_pdf import render_export
from fieldwork.privacy.register import build_register, render_register

bp = Blueprint("privacy", __name__)


def _download(body: bytes, mimetype: str, name: str) -> Response:
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/bewoners/<int:resident_id>/inzage.pdf")
@roles_required("coordinator")
def export_pdf(resident_id: int) -> Response:
    data = resident_export(resident_id)
    if data is None:
        abort(404)
    record_audit("resident_exported", "resident", resident_id, format="pdf")
    db.session.commit()
    pdf = render_export(data, utcnow().date())
    return _download(pdf, "application/pdf", f"inzage-bewoner-{resident_id}.pdf")


@bp.get("/bewoners/<int:resident_id>/inzage.json")
@roles_required("coordinator")
def export_json(resident_id: int) -> Response:
    data = resident_export(resident_id)
    if data is None:
        abort(404)
    record_audit("resident_exported", "resident", resident_id, format="json")
    db.session.commit()
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return _download(body, "application/json", f"inzage-bewoner-{resident_id}.json")


@bp.get("/privacy/register")
@roles_required("coordinator")
def register_page() -> str:
    return render_template("privacy/register.html", register=build_register(current_app.config))


@bp.get("/privacy/register.pdf")
@roles_required("coordinator")
def register_pdf() -> Response:
    pdf = render_register(build_register(current_app.config), utcnow().date())
    return _download(pdf, "application/pdf", "register-verwerkingsactiviteiten.pdf")
