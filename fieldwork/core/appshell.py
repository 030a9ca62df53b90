"""The installable app shell: the web manifest, the favicon and the service worker.

The worker (``/sw.js``, served from the root so its scope is the whole site) precaches the
shell's static files under a cache name versioned by their content, answers ``/static/``
requests cache-first and deletes older caches when it activates. It never caches an HTML page
or an API answer: those carry residents' data (and ``Cache-Control: no-store``), so
navigations and API requests always go to the network, as if there were no worker."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    render_template,
    send_from_directory,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf

from fieldwork.core.drafts import KEEP_HEADER, kept_copy, phone_owner
from fieldwork.core.permissions import public

bp = Blueprint("appshell", __name__)

THEME_COLOUR = "#0b5394"  # --accent in static/css/app.css
BACKGROUND_COLOUR = "#ffffff"  # --bg
# the shell's static files, precached when the worker installs (paths under static/)
SHELL_FILES = (
    "css/app.css",
    "css/photos.css",
    "js/sw_register.js",
    "js/signature.js",
    "js/drafts.js",
    "js/outbox_store.js",
    "js/outbox.js",
    "js/photo_upload.js",
    "js/note_kept.js",
    "js/analysis_map.js",
    "js/form_errors.js",
    "js/show_if.js",
    "icons/icon-192.png",
    "icons/icon-512.png",
    "icons/maskable-512.png",
    "icons/apple-touch-icon.png",
    "favicon.ico",
)
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/maskable-512.png", "512x512", "maskable"),
)


class KeptPageSessions(SecureCookieSessionInterface):
    """A page the service worker fetches to keep on the phone never sets the session cookie.
    It runs beside what the person does: its answer, arriving after a login or a logout,
    would otherwise put the session of before back (logged out again, or logged in again)."""

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if kept_copy():
            return False
        return super().should_set_cookie(app, session)


def outbox_text() -> dict[str, str]:
    """The words outbox.js shows, in the page's language."""
    return {
        "waiting": _("%(n)d not sent yet"),
        "received": _("%(n)d sent and received"),
        "state_queued": _("Waiting for a connection"),
        "state_sending": _("Sending…"),
        "state_login": _("Log in again to send this"),
        "state_invalid": _("Not accepted: open it to correct it"),
        "state_refused": _(
            "Not accepted by the server. Save the queue as a file and give it to your coordinator."
        ),
        "open_to_fix": _("Open to correct"),
        "delete": _("Delete"),
        "delete_confirm": _("Delete this record from your phone? It has not been received."),
        "queued_note": _(
            "No connection: saved on your phone. It will be sent as soon as there is a connection."
        ),
        "problem_note": _("Saved on your phone, but not accepted yet: see below."),
        "imported": _("The file is read into the queue."),
        "import_failed": _("This is not a file of a fieldwork queue."),
    }


def shell_version(static_folder: Path) -> str:
    """A digest of the shell's files: any change gives a new worker and a new cache."""
    digest = hashlib.sha256()
    for name in SHELL_FILES:
        digest.update(name.encode())
        digest.update((static_folder / name).read_bytes())
    return digest.hexdigest()[:12]


@bp.get("/manifest.webmanifest")
@public
def manifest() -> Response:
    body = {
        "name": "fieldwork – zorgzame buurt",
        "short_name": "fieldwork",
        "description": "Signalen, huisbezoeken en belrondes voor een zorgzame buurt.",
        "lang": "nl",
        "id": url_for("home.root"),
        "start_url": url_for("home.root"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {
                "src": url_for("static", filename=src),
                "sizes": sizes,
                "type": "image/png",
                "purpose": purpose,
            }
            for src, sizes, purpose in ICONS
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/favicon.ico")
@public
def favicon() -> Response:
    static_folder = current_app.static_folder
    assert static_folder is not None  # Flask's default: fieldwork/static
    return send_from_directory(static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon")


@bp.get("/sw.js")
@public
def service_worker() -> Response:
    static_folder = current_app.static_folder
    assert static_folder is not None
    version = current_app.extensions.get("appshell_version")
    if version is None or current_app.debug:
        version = shell_version(Path(static_folder))
        current_app.extensions["appshell_version"] = version
    body = render_template(
        "appshell/sw.js",
        version=version,
        shell=[url_for("static", filename=name) for name in SHELL_FILES],
        static_prefix=url_for("static", filename=""),
        store_script=url_for("static", filename="js/outbox_store.js"),
        always_kept=[url_for("appshell.queue"), url_for("appshell.offline")],
        keep_header=KEEP_HEADER,
        offline_page=url_for("appshell.offline"),
    )
    response = Response(body, mimetype="text/javascript")
    # the browser checks for a new worker on every load; never an old one from a cache
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/wachtrij")
@public
def queue() -> str:
    """What waits on this phone to be sent: drawn by outbox.js from the phone's own store; the
    server knows nothing of it until it arrives."""
    return render_template("appshell/queue.html")


@bp.get("/wachtrij/sleutel")
@public
def queue_token() -> Response:
    """A fresh CSRF token for the queue to send with (a form kept on the phone for hours may
    carry one of a session that has since ended), and who is logged in: the queue only sends
    a person's records in their own session."""
    response = jsonify({"csrf_token": generate_csrf(), "user": phone_owner()})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/offline")
@public
def offline() -> str:
    """Shown by the service worker for a page that is not kept on the phone."""
    return render_template("appshell/offline.html")
