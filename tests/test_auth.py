"""Login, logout, rate limiting, cookies, CLI accounts and API tokens."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select

from fieldwork.auth.models import ApiToken, User
from fieldwork.core.models import AuditEvent
from fieldwork.db import utcnow
from fieldwork.extensions import db
from tests.conftest import PASSWORD, _make_app, api_token, bearer, csrf_from, login, make_user


def test_login_page_is_dutch_by_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'lang="nl"' in html
    assert "Aanmelden" in html
    assert "E-mailadres" in html


@pytest.mark.parametrize(
    "role", ["volunteer", "referrer", "contact_person", "coordinator", "analyst"]
)
def test_each_role_lands_on_its_own_home(app, client, role):
    make_user(app, role, name="Jo")
    response = login(client, f"{role}@example.be")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/home")
    home = client.get("/home").get_data(as_text=True)
    titles = {
        "volunteer": "Vandaag",
        "referrer": "Mijn doorverwijzingen",
        "contact_person": "Mijn wachtrij",
        "coordinator": "Buurten beheren",
        "analyst": "Cijfers per buurt",
    }
    assert titles[role] in home
    assert "Dag Jo" in home


def test_wrong_password_is_refused_with_a_message_and_audited(app, client):
    make_user(app, "volunteer")
    response = login(client, "volunteer@example.be", "wrong-password!")
    assert response.status_code == 400
    assert "E-mailadres of wachtwoord is niet juist." in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action)).all() == ["login_failed"]


def test_a_failed_login_is_audited_without_what_was_typed(app, client):
    """The account when the address is one; otherwise a digest that lines up repeated tries
    on one address — never the typed text (a stranger's address, a password in the wrong
    field)."""
    user_id = make_user(app, "volunteer")
    login(client, "Volunteer@example.be", "wrong-password!")
    for _ in range(2):
        login(client, "iemand.anders@example.be", "wrong-password!")
    login(client, "nog.iemand@example.be", "wrong-password!")
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [e.action for e in events] == ["login_failed"] * 4
        assert (events[0].subject_id, events[0].detail) == (str(user_id), {})
        digests = [e.detail["unknown_address"] for e in events[1:]]
        assert digests[0] == digests[1] != digests[2]
        assert all(e.subject_id is None for e in events[1:])
        stored = " ".join(f"{e.detail} {e.subject_id}" for e in events)
        assert "iemand" not in stored
        assert "example.be" not in stored


def test_inactive_user_cannot_log_in(app, client):
    make_user(app, "volunteer", active=False)
    assert login(client, "volunteer@example.be").status_code == 400
    assert client.get("/home").status_code == 302  # not logged in
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action)).all() == ["login_failed"]


def test_login_without_csrf_token_is_refused(app, client):
    make_user(app, "volunteer")
    response = client.post("/login", data={"email": "volunteer@example.be", "password": PASSWORD})
    assert response.status_code == 400
    assert "verlopen" in response.get_data(as_text=True)


def test_next_parameter_only_redirects_locally(app, client):
    make_user(app, "coordinator")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=https://evil.example/x",
        data={"csrf_token": token, "email": "coordinator@example.be", "password": PASSWORD},
    )
    assert response.headers["Location"].endswith("/home")


def test_logout_ends_the_session(app, client):
    make_user(app, "analyst")
    login(client, "analyst@example.be")
    token = csrf_from(client.get("/home").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/home").status_code == 302


def test_login_is_rate_limited(app, client):
    make_user(app, "volunteer")
    statuses = [
        login(client, "volunteer@example.be", "wrong-password!").status_code for _ in range(11)
    ]
    assert statuses[:10] == [400] * 10
    assert statuses[10] == 429
    assert "Te veel pogingen" in login(client, "volunteer@example.be").get_data(as_text=True)


def test_session_cookie_flags_by_default(sqlite_template, tmp_path):
    path = tmp_path / "cookies.db"
    shutil.copy(sqlite_template, path)
    from fieldwork import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "x", "TESTING": True}
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True  # the default, not a test override
    make_user(app, "volunteer")
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    cookie = login(client, "volunteer@example.be").headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie


def test_passwords_are_hashed(app):
    make_user(app, "volunteer")
    with app.app_context():
        stored = db.session.scalars(select(User.password_hash)).one()
    assert PASSWORD not in stored
    # the test configuration's cheap method; the default is scrypt (the test below)
    assert stored.startswith("pbkdf2:sha256:1$")


def test_the_default_password_hash_is_scrypt_and_old_hashes_still_log_in(sqlite_template, tmp_path):
    path = tmp_path / "hashes.db"
    shutil.copy(sqlite_template, path)
    from fieldwork import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "x", "TESTING": True}
    )
    assert app.config["PASSWORD_HASH_METHOD"] == "scrypt"
    make_user(app, "volunteer")
    make_user(_make_app(f"sqlite:///{path}"), "coordinator")  # a hash of another method
    with app.app_context():
        stored = dict(db.session.execute(select(User.role, User.password_hash)).all())
    assert stored["volunteer"].startswith("scrypt:")
    assert stored["coordinator"].startswith("pbkdf2:")
    for email in ("volunteer@example.be", "coordinator@example.be"):
        assert login(app.test_client(), email).status_code == 302
    assert login(app.test_client(), "volunteer@example.be", "wrong-password!").status_code == 400


def test_users_create_cli(app, runner):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "An@Gemeente.be",
            "--role",
            "contact_person",
            "--name",
            "An Peeters",
            "--password",
            "lang-genoeg-1",
        ]
    )
    assert result.exit_code == 0, result.output
    duplicate = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "an@gemeente.be",
            "--role",
            "analyst",
            "--password",
            "lang-genoeg-1",
        ]
    )
    assert duplicate.exit_code != 0
    assert "already exists" in duplicate.output
    short = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "b@gemeente.be",
            "--role",
            "analyst",
            "--password",
            "kort",
        ]
    )
    assert short.exit_code != 0
    assert "10 characters" in short.output
    bad_role = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "c@gemeente.be",
            "--role",
            "mayor",
            "--password",
            "lang-genoeg-1",
        ]
    )
    assert bad_role.exit_code != 0
    with app.app_context():
        user = db.session.scalars(select(User)).one()
    assert (user.email, user.role, user.name) == ("an@gemeente.be", "contact_person", "An Peeters")


def test_users_create_prompts_for_the_password(app, runner):
    result = runner.invoke(
        args=["users", "create", "--email", "p@gemeente.be", "--role", "referrer"],
        input="prompted-pass-1\nprompted-pass-1\n",
    )
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "p@gemeente.be", "prompted-pass-1").status_code == 302


# --- API tokens ---------------------------------------------------------------------------


def test_token_round_trip(app, client):
    make_user(app, "coordinator")
    token = api_token(client, "Coordinator@Example.be")
    me = client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.get_json()["role"] == "coordinator"
    with app.app_context():
        stored = db.session.scalars(select(ApiToken.token_hash)).one()
    assert token not in stored


def test_token_with_wrong_password_is_401_json(app, client):
    make_user(app, "volunteer")
    response = client.post(
        "/api/v1/auth/token", json={"email": "volunteer@example.be", "password": "nope"}
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    "payload", [{}, {"email": "not-an-email", "password": "x"}, {"email": "a@b.be"}]
)
def test_token_request_validation_is_422_with_fields(client, payload):
    response = client.post("/api/v1/auth/token", json=payload)
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]


def test_token_request_with_a_broken_body_is_a_4xx_not_a_500(client):
    response = client.post(
        "/api/v1/auth/token", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400  # malformed JSON: a bad request, not a validation error
    assert response.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer "},
    ],
)
def test_api_without_a_valid_token_is_401(client, headers):
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_api_wrong_role_is_403(app, client):
    make_user(app, "volunteer")
    token = api_token(client, "volunteer@example.be")
    response = client.get("/api/v1/users", headers=bearer(token))
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


def test_expired_revoked_and_deactivated_tokens_stop_working(app, client):
    user_id = make_user(app, "coordinator")
    tokens = [api_token(client, "coordinator@example.be") for _ in range(3)]
    with app.app_context():
        expired, revoked, _ = db.session.scalars(select(ApiToken).order_by(ApiToken.id)).all()
        expired.expires_at = utcnow() - timedelta(seconds=1)
        revoked.revoked_at = utcnow()
        db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(tokens[0])).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(tokens[1])).status_code == 401
    assert client.get("/api/v1/me", headers=bearer(tokens[2])).status_code == 200
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(tokens[2])).status_code == 401


def test_a_tokens_use_is_noted_at_most_every_five_minutes(app, client):
    make_user(app, "coordinator")
    token = api_token(client, "coordinator@example.be")

    def last_used() -> object:
        with app.app_context():
            return db.session.scalars(select(ApiToken.last_used_at)).one()

    assert last_used() is None
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    first = last_used()
    assert first is not None
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert last_used() == first  # a read a moment later writes nothing
    with app.app_context():
        db.session.scalars(select(ApiToken)).one().last_used_at = utcnow() - timedelta(minutes=6)
        db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert last_used() > first


def test_session_cookie_does_not_authenticate_the_api(app, client):
    make_user(app, "coordinator")
    login(client, "coordinator@example.be")
    assert client.get("/api/v1/users").status_code == 401


@pytest.mark.parametrize(("proxies", "expected_ip"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_audit_records_the_client_address_behind_a_trusted_proxy(
    sqlite_template, tmp_path, proxies, expected_ip
):
    path = tmp_path / "proxy.db"
    shutil.copy(sqlite_template, path)
    app = _make_app(f"sqlite:///{path}", TRUSTED_PROXIES=proxies)
    make_user(app, "volunteer")
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.7"
    login(client, "volunteer@example.be")
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).filter_by(action="login")).one()
    assert event.ip == expected_ip


def test_failed_token_requests_are_audited_and_limited_per_account(app, client):
    make_user(app, "volunteer")
    statuses = []
    for i in range(11):
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{i}"  # many addresses, one account
        statuses.append(
            client.post(
                "/api/v1/auth/token", json={"email": "volunteer@example.be", "password": "wrong"}
            ).status_code
        )
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).filter_by(action="token_failed")).first()


def test_revoke_and_deactivate_cli(app, client, runner):
    make_user(app, "coordinator")
    token = api_token(client, "coordinator@example.be")
    result = runner.invoke(args=["users", "revoke-tokens", "--email", "coordinator@example.be"])
    assert "Revoked 1 token(s)" in result.output
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert (
        runner.invoke(args=["users", "deactivate", "--email", "coordinator@example.be"]).exit_code
        == 0
    )
    assert login(client, "coordinator@example.be").status_code == 400
    assert runner.invoke(args=["users", "deactivate", "--email", "x@y.be"]).exit_code != 0
