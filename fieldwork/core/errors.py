"""One error format: JSON ``{"error": {"code", "message", "fields"}}`` under /api, pages
elsewhere. Bad input is a 4xx with a clear message, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NoReturn
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import (
    BadRequest,
    Conflict,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
)


class ServiceError(ValueError):
    """A service refused: a message for people, the field it concerns, and the HTTP status an
    API answers with. Capabilities subclass it (ReferralError, VisitError, …)."""

    def __init__(self, message: str, field: str = "_schema", status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def refuse(exc: ServiceError) -> NoReturn:
    """In an API view: roll back and answer the refusal as a JSON error with its field."""
    from flask_smorest import abort

    from fieldwork.extensions import db

    db.session.rollback()
    abort(exc.status, message=str(exc), errors={exc.field: [str(exc)]})


ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def json_error(
    status: int, message: str, fields: dict[str, Any] | None = None, code: str | None = None
) -> Response:
    response = jsonify(
        {
            "error": {
                "code": code or ERROR_CODES.get(status, "error"),
                "message": message,
                "fields": fields or {},
            }
        }
    )
    response.status_code = status
    return response


def _flatten_webargs_messages(messages: dict[str, Any]) -> dict[str, Any]:
    """webargs groups messages by location ({"query": {"lat": [...]}}); clients want fields."""
    fields: dict[str, Any] = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            fields.update(location_messages)
    return fields


def _allow(error: HTTPException, response: Response) -> Response:
    """A 405 names the methods the URL does take (RFC 9110 requires ``Allow``)."""
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return response


def handle_http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    if wants_json():
        fields = data.get("errors") or _flatten_webargs_messages(data.get("messages", {}))
        message = data.get("message") or error.description or error.name
        if status == 422 and not data.get("message"):
            message = _("The request has invalid fields.")
        if status == 413 and not data.get("message"):  # beyond MAX_CONTENT_LENGTH
            message = _(
                "The request is too large: at most %(mb)d MB.",
                mb=int(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // 2**20,
            )
        response = json_error(status, message, fields)
        for header, value in (data.get("headers") or {}).items():
            response.headers[header] = value
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="fieldwork"'
        return _allow(error, response)
    titles = {
        400: _("The request could not be understood."),
        403: _("You do not have access to this page."),
        404: _("This page does not exist."),
        405: _("This action is not possible here."),
        413: _("The file is too large."),
        429: _("Too many attempts. Wait a minute and try again."),
    }
    message = titles.get(status, _("Something went wrong on our side. Please try again later."))
    page = make_response(
        render_template(
            "errors/error.html", status=status, message=message, back=back_to_public_page(status)
        )
    )
    page.status_code = status
    return _allow(error, page)


def handle_csrf_error(error: CSRFError) -> Response | tuple[str, int]:
    if wants_json():
        return json_error(400, error.description, code="csrf_failed")
    message = _("This form has expired. Go back, reload the page and try again.")
    page = render_template(
        "errors/error.html", status=400, message=message, back=back_to_public_page(400)
    )
    return page, 400


def back_to_public_page(status: int) -> str | None:
    """Where "Back" on an error page leads for someone who came through a public link (a
    one-time link, a public form, a photo page), who has no start page of their own: the
    public page whose form they sent, else the public page they came from. Only a path of
    this site, never the Referer's host."""
    sent_from_a_form = request.method == "POST" and status not in (404, 410)
    if sent_from_a_form and _is_public_page(request.path):
        return request.script_root + request.path
    referer = urlsplit(request.referrer or "")
    if referer.scheme not in ("http", "https") or referer.netloc != request.host:
        return None
    root = request.script_root
    if not referer.path.startswith(root + "/"):
        return None
    path = referer.path[len(root) :]
    if path == request.path or not _is_public_page(path):
        return None
    return root + path


def _is_public_page(path: str) -> bool:
    """A page (not the API) whose view is marked ``public`` (fieldwork.core.permissions marks
    views with the roles that may open them, None for anyone)."""
    if path.startswith(("//", "/api/")) or "\\" in path:
        return False
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        endpoint, _args = adapter.match(path, method="GET")
    except HTTPException:  # not found, not a page to GET, or a redirect to another form
        return False
    view = current_app.view_functions.get(endpoint)
    return view is not None and getattr(view, "_fieldwork_roles", ()) is None


def _rollback() -> None:
    from fieldwork.extensions import db

    db.session.rollback()


def handle_data_error(error: DataError) -> Response:
    """A value the database cannot store (too long, out of range): bad input, not a crash."""
    _rollback()
    return handle_http_exception(BadRequest("A value is too long or out of range."))


def handle_stale_data(error: StaleDataError) -> Response:
    """What this request saves was deleted (or changed) by another request meanwhile: two
    people at once, not a crash."""
    _rollback()
    return handle_http_exception(
        Conflict("This was changed or deleted meanwhile. Reload the page and try again.")
    )


def handle_unexpected(error: Exception) -> Response:
    from flask import current_app

    _rollback()  # the error page itself must not trip over a failed transaction
    current_app.logger.exception("unhandled error", exc_info=error)
    return handle_http_exception(InternalServerError())


def reject_unstorable_text() -> None:
    """Text no database can store, refused up front with a 400 instead of failing at the
    flush: a NUL (PostgreSQL refuses it) or half an emoji (a lone surrogate, as JavaScript's
    ``slice`` leaves when it cuts one; neither driver can encode it)."""
    values = [request.path, *_all_values(request.args), *_all_values(request.form)]
    if request.is_json:
        values.append(request.get_data(as_text=True))
        values.extend(_strings(request.get_json(silent=True)))
    if any(_unstorable(value) for value in values):
        raise BadRequest(_("The request contains a character that cannot be stored."))


def _all_values(multi: Any) -> list[str]:
    return [value for _key, values in multi.lists() for value in values]


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


def _unstorable(value: str) -> bool:
    if "\x00" in value or "\\u0000" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DataError, handle_data_error)
    app.register_error_handler(StaleDataError, handle_stale_data)
    app.before_request(reject_unstorable_text)
    if not app.config.get("TESTING"):
        app.register_error_handler(Exception, handle_unexpected)
