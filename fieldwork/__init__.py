"""fieldwork: field-data collection and case tracking for caring neighbourhoods."""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, has_request_context, request, session
from werkzeug.routing import IntegerConverter

from fieldwork.config import (
    DEFAULTS,
    ROOT,
    database_uri,
    ensure_secret_key,
    load_environment,
)

log = logging.getLogger("fieldwork")


class DatabaseIntConverter(IntegerConverter):
    """``<int:id>`` that never exceeds a database integer: /cases/99999999999 is a 404."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True, template_folder=str(ROOT / "templates"))
    app.url_map.converters["int"] = DatabaseIntConverter
    configure(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_packages(app)
    register_template_helpers(app)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to wrap the WSGI app; mypy sees assigning to a method.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies
        )
    return app


def configure(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    load_environment(app.config, os.environ)
    app.config.from_prefixed_env("FIELDWORK")
    if test_config:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.setdefault(
        "SQLALCHEMY_DATABASE_URI", database_uri(app.config.get("DATABASE_URL"), app.instance_path)
    )
    redis_url = app.config.get("REDIS_URL")
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    warning = ensure_secret_key(app.config, app.instance_path)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log.setLevel(logging.INFO)
    if warning:
        log.info(warning)
    database = app.config["SQLALCHEMY_DATABASE_URI"].split("://", 1)[0]
    tasks = (
        "Celery broker at REDIS_URL (run a worker: see README)"
        if redis_url
        else "Celery tasks run eagerly in-process (no REDIS_URL)"
    )
    log.info("database %s, %s", database, tasks)


def register_extensions(app: Flask) -> None:
    from fieldwork.auth.models import User
    from fieldwork.extensions import (
        api,
        babel,
        celery_init_app,
        csrf,
        db,
        limiter,
        login_manager,
        migrate,
    )

    import_models()
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
        return user if user is not None and user.active else None

    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "POST /api/v1/auth/token for a token"},
    )
    celery_init_app(app)
    import fieldwork.audittrail.tasks
    import fieldwork.calls.tasks
    import fieldwork.cases.tasks
    import fieldwork.core.outbox
    import fieldwork.core.tasks
    import fieldwork.notifications.tasks
    import fieldwork.onward.tasks
    import fieldwork.partners.tasks
    import fieldwork.photos.tasks
    import fieldwork.plans.tasks
    import fieldwork.privacy.retention
    import fieldwork.referrals.tasks
    import fieldwork.reports.tasks
    import fieldwork.routing.tasks
    import fieldwork.visits.tasks
    import fieldwork.volunteers.tasks  # noqa: F401


def select_locale() -> str:
    languages = ["nl", "en"]
    chosen = session.get("lang") if has_request_context() else None
    return chosen if chosen in languages else "nl"


def import_models() -> None:
    """Every model module, so that relationships and migrations see all tables."""
    import fieldwork.areas.models
    import fieldwork.auth.models
    import fieldwork.calls.models
    import fieldwork.cases.models
    import fieldwork.core.idempotency
    import fieldwork.core.models
    import fieldwork.core.outbox
    import fieldwork.core.receipts
    import fieldwork.neighbours.models
    import fieldwork.notifications.models
    import fieldwork.onward.models
    import fieldwork.partners.models
    import fieldwork.photos.models
    import fieldwork.plans.models
    import fieldwork.privacy.ledger
    import fieldwork.referrals.models
    import fieldwork.reports.models
    import fieldwork.routing.models
    import fieldwork.signals.models
    import fieldwork.visits.models
    import fieldwork.volunteers.models  # noqa: F401


def register_blueprints(app: Flask) -> None:
    from fieldwork.areas.api import bp as areas_api
    from fieldwork.areas.views import bp as areas_pages
    from fieldwork.audittrail.api import bp as audit_api
    from fieldwork.audittrail.views import bp as audit_pages
    from fieldwork.auth.admin_views import bp as users_pages
    from fieldwork.auth.api import bp as auth_api
    from fieldwork.auth.views import bp as auth_pages
    from fieldwork.calls.admin import bp as campaigns_pages
    from fieldwork.calls.api import bp as calls_api
    from fieldwork.calls.views import bp as calls_pages
    from fieldwork.cases.api import bp as cases_api
    from fieldwork.cases.views import bp as cases_pages
    from fieldwork.core.appshell import bp as appshell
    from fieldwork.core.failures import bp as failures_pages
    from fieldwork.core.health import bp as health
    from fieldwork.extensions import api, csrf
    from fieldwork.home.views import bp as home
    from fieldwork.neighbours.api import bp as neighbours_api
    from fieldwork.neighbours.views import bp as neighbours_pages
    from fieldwork.notifications.views import bp as notifications_pages
    from fieldwork.onward.views import bp as onward_pages
    from fieldwork.partners.views import bp as partner_pages
    from fieldwork.photos.admin import bp as photo_pages
    from fieldwork.photos.api import bp as photos_api
    from fieldwork.photos.moderation_api import bp as photo_moderation_api
    from fieldwork.photos.views import bp as photo_public_pages
    from fieldwork.plans.api import bp as plans_api
    from fieldwork.plans.views import bp as plan_pages
    from fieldwork.privacy.access_api import bp as privacy_api
    from fieldwork.privacy.access_views import bp as privacy_pages
    from fieldwork.privacy.erasure_api import bp as erasure_api
    from fieldwork.privacy.erasure_views import bp as erasure_pages
    from fieldwork.referrals.admin import bp as cards_pages
    from fieldwork.referrals.api import bp as referrals_api
    from fieldwork.referrals.views import bp as referrals_pages
    from fieldwork.reports.api import bp as reports_api
    from fieldwork.reports.indicator_views import bp as indicator_pages
    from fieldwork.reports.views import bp as analysis_pages
    from fieldwork.routing.api import bp as routing_api
    from fieldwork.routing.views import bp as routing_pages
    from fieldwork.signals.api import bp as signals_api
    from fieldwork.signals.views import bp as signals_pages
    from fieldwork.visits.admin import bp as rounds_pages
    from fieldwork.visits.api import bp as visits_api
    from fieldwork.visits.views import bp as visits_pages
    from fieldwork.volunteers.admin import bp as pool_pages
    from fieldwork.volunteers.api import bp as volunteers_api
    from fieldwork.volunteers.matching_api import bp as buurtgezel_api
    from fieldwork.volunteers.matching_views import bp as buurtgezel_pages
    from fieldwork.volunteers.queue_import import bp as queue_import_pages
    from fieldwork.volunteers.views import bp as volunteers_pages

    for blueprint in (
        home,
        auth_pages,
        areas_pages,
        cases_pages,
        signals_pages,
        notifications_pages,
        routing_pages,
        users_pages,
        referrals_pages,
        cards_pages,
        visits_pages,
        rounds_pages,
        calls_pages,
        campaigns_pages,
        volunteers_pages,
        pool_pages,
        buurtgezel_pages,
        photo_public_pages,
        photo_pages,
        indicator_pages,
        analysis_pages,
        failures_pages,
        erasure_pages,
        queue_import_pages,
        partner_pages,
        onward_pages,
        neighbours_pages,
        plan_pages,
        privacy_pages,
        audit_pages,
        health,
        appshell,
    ):
        app.register_blueprint(blueprint)
    for blueprint in (
        auth_api,
        areas_api,
        signals_api,
        cases_api,
        routing_api,
        referrals_api,
        visits_api,
        calls_api,
        volunteers_api,
        buurtgezel_api,
        neighbours_api,
        photos_api,
        photo_moderation_api,
        reports_api,
        plans_api,
        erasure_api,
        privacy_api,
        audit_api,
    ):
        csrf.exempt(blueprint)  # bearer tokens, no cookies: CSRF does not apply
        api.register_blueprint(blueprint)


def register_errorhandlers(app: Flask) -> None:
    from fieldwork.core.errors import register_error_handlers

    register_error_handlers(app)


def register_packages(app: Flask) -> None:
    """Each package's ``init_app``, lowest layer first: its CLI commands, its answers to the
    hooks of the packages below it (connected once per process), and its step of
    ``flask tasks tick`` (the steps run in the order below)."""
    from fieldwork import (
        areas,
        audittrail,
        auth,
        calls,
        cases,
        core,
        demo,
        neighbours,
        notifications,
        onward,
        partners,
        photos,
        plans,
        referrals,
        reports,
        routing,
        signals,
        visits,
        volunteers,
    )

    for package in (
        core,
        areas,
        auth,
        signals,
        partners,
        notifications,
        routing,
        cases,
        calls,
        visits,
        referrals,
        photos,
        onward,
        neighbours,
        volunteers,
        reports,
        plans,
        audittrail,
        demo,
    ):
        package.init_app(app)
    from fieldwork.privacy.cli import backup_command, privacy_cli, restore_command

    app.cli.add_command(privacy_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


def register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from fieldwork.core.appshell import outbox_text
    from fieldwork.core.drafts import drafts_to_clear, kept_copy, phone_owner
    from fieldwork.core.roles import ROLE_LABELS, Role
    from fieldwork.signals.vocabulary import WEEKDAYS, label

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "role_label": lambda role: ROLE_LABELS.get(Role(role), role),
            "label": label,
            "current_locale": str(get_locale()),
        }

    app.jinja_env.globals["drafts_to_clear"] = drafts_to_clear
    app.jinja_env.globals["kept_copy"] = kept_copy
    app.jinja_env.globals["phone_owner"] = phone_owner
    app.jinja_env.globals["outbox_text"] = outbox_text

    @app.template_filter("weekday")
    def weekday(number: int) -> str:
        return str(WEEKDAYS.get(number, number))

    from fieldwork.core.formatting import decimal, number

    app.add_template_filter(decimal, "decimal")
    app.add_template_filter(number, "number")

    from urllib.parse import urlsplit

    tiles = urlsplit(app.config.get("MAP_TILES_URL") or "")
    # the tile server may serve images: its host ({s}.tile.example.org: *.tile.example.org)
    host = ".".join("*" if "{" in label else label for label in tiles.netloc.split("."))
    tile_origin = f" {tiles.scheme + '://' if tiles.scheme else ''}{host}" if host else ""

    @app.after_request
    def security_headers(response: Any) -> Any:
        # Nearly every page and API answer may show a resident's data, so none may be kept
        # by a browser or a proxy: no-store unless the view chose its own (static files, a
        # moderated street photo). Opting out is explicit; forgetting cannot leak.
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; img-src 'self' data:{tile_origin}; style-src 'self'; "
            "script-src 'self'",
        )
        return response
