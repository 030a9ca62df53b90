"""The API keeps its published contract: schemathesis reads /api/openapi.json from the app
itself and sends every operation generated requests (valid and invalid) as a coordinator on
the demo data. Every response must be a declared status with a declared content type whose
body matches its schema, 405s name the allowed methods, and nothing answers with a 500.

Bounded and reproducible: a fixed number of examples per operation, derandomized."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import bearer

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)


@schemathesis.check
def success_status_declared(ctx: Any, response: Any, case: Any) -> bool | None:
    """flask-smorest gives every operation a ``default`` (error) response, so the built-in
    status check accepts any code; a success must be declared as itself."""
    if 200 <= response.status_code < 300:
        declared = case.operation.definition.raw.get("responses", {})
        assert str(response.status_code) in declared, (
            f"{response.status_code} is not declared (only {sorted(declared)})"
        )
    return None


# Who asks, and how many examples per operation: the coordinator reaches nearly every
# operation; the others see their own lists (a contact person's queue, a volunteer's visits).
ROLES = (
    ("regisseur@demo.fieldwork.be", 15),
    ("aanspreekpersoon@demo.fieldwork.be", 4),
    ("vrijwilliger@demo.fieldwork.be", 4),
)
DEMO_IDS = (1, 2, 3)
# `--checks all`, less what cannot apply to a single generated request: use_after_free and
# ensure_resource_availability follow OpenAPI links (the document has none), and
# positive_data_acceptance would need every business rule (an e-mail that is an account, a
# round that is open, a referral code that exists) written as schema, which it cannot be:
# a schema-valid request for an unknown volunteer is rightly refused with a 422.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    allow_header_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    success_status_declared,
]


def _token(app: Flask, email: str) -> str:
    from fieldwork.demo.cli import DEMO_PASSWORD

    response = app.test_client().post(
        "/api/v1/auth/token", json={"email": email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 201, response.get_json()
    return str(response.get_json()["token"])


def _strategy(operation: Any) -> Any:
    names = [parameter.name for parameter in operation.path_parameters if parameter.name != "token"]
    # Generated ids almost never exist; the demo's first rows do, so most examples reach the
    # real code behind the 404.
    positive = [
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=dict.fromkeys(names, i))
        for i in (DEMO_IDS if names else (None,))
    ]
    strategy = st.one_of(*positive, operation.as_strategy(GenerationMode.NEGATIVE))
    if operation.path.startswith("/api/v1/photo-assignments/{token}"):
        # A token of digits only is the coordinator's /photo-assignments/<int:id>, another
        # operation with another answer; real tokens (token_urlsafe(12)) have letters.
        strategy = strategy.filter(lambda case: not str(case.path_parameters["token"]).isdigit())
    return strategy


def _exercise(
    app: Flask, operation: Any, headers: dict[str, str], failures: list[str], examples: int
) -> None:
    from fieldwork.extensions import db

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation))
    def exercise(case: Any) -> None:
        try:
            case.call_and_validate(headers=headers, checks=CHECKS)
        except FailureGroup as group:  # keep it, try the next example
            for failure in group.exceptions:
                failures.append(
                    f"{operation.method.upper()} {case.formatted_path}: {failure.title}: "
                    f"{str(failure)[:600]}"
                )
        finally:
            with app.app_context():
                db.session.remove()

    exercise()


def _run_operations(app: Flask, token: str, examples: int) -> list[str]:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40
    for operation in operations:
        if operation.path == "/api/v1/auth/token" and operation.method.upper() == "DELETE":
            continue  # it would revoke the token every later request needs
        _exercise(app, operation, bearer(token), failures, examples)
    return failures


def test_api_matches_its_openapi_document(app: Flask) -> None:
    """Both paths: PostgreSQL enforces foreign keys and value limits, SQLite does not (a
    dangling reference surfaces there as a missing row instead)."""
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    # every token first: the run of POST /auth/token itself uses up its rate limit
    tokens = [(_token(app, email), examples) for email, examples in ROLES]
    failures = []
    for token, examples in tokens:
        failures += _run_operations(app, token, examples)
    assert not failures, f"{len(failures)} contract failures:\n" + "\n".join(failures[:400])


def test_every_operation_declares_its_success(embedded_app: Flask) -> None:
    """Every operation names the 2xx it answers with and what that body looks like, not only
    flask-smorest's ``default`` error."""
    document = embedded_app.test_client().get("/api/openapi.json").get_json()
    undeclared = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
        and not any(code.startswith("2") for code in operation["responses"])
    ]
    assert undeclared == []
