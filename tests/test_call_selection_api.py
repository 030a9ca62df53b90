"""The call list's selection through the API (issue 19, item 11): an age band, living alone
(a column of the campaign's imported list) and neighbourhoods, all together, with bad input
answered as JSON field details — and a property: exactly the list rows matching every filter
go on the call list."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import delete, func, select

from fieldwork.calls.importer import run_call_import
from fieldwork.calls.models import CallCampaign, CallCandidate, CallTarget
from fieldwork.extensions import db
from tests.conftest import api_token, bearer, csrf_from, login, make_user
from tests.test_call_import import (
    DEMO_ROWS,
    HEADER,
    _campaign,
    _hood,
    _job,
    _matches,
    campaign_id,  # noqa: F401 (a fixture)
    criteria,
    rows,
    run,
)


def _post(app, campaign: int, body: dict, email: str = "coordinator@example.be"):
    tokens = app.extensions.setdefault("test_tokens", {})  # the token endpoint is rate limited
    if email not in tokens:
        tokens[email] = api_token(app.test_client(), email)
    return app.test_client().post(
        f"/api/v1/call-campaigns/{campaign}/selection", json=body, headers=bearer(tokens[email])
    )


def _listed(app, campaign: int) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(CallTarget.name).filter_by(campaign_id=campaign)))


def test_the_api_selects_by_age_band_living_alone_and_neighbourhood(app, campaign_id):  # noqa: F811
    assert run(app, campaign_id, DEMO_ROWS.encode()).accepted == 6
    moorslede = _hood(app, "Moorslede")
    body = {"min_age": 75, "max_age": 120, "living_alone": "yes", "neighbourhoods": [moorslede]}
    response = _post(app, campaign_id, body)
    assert response.status_code == 200
    assert response.get_json() == {
        "added": 1,
        "already_listed": 0,
        "without_phone": 0,
        "moved_or_deceased": 0,
    }
    assert _listed(app, campaign_id) == {"Godelieve Vanneste"}
    # 80 to 90, not living alone (or not known), both neighbourhoods
    response = _post(app, campaign_id, {"min_age": 80, "max_age": 90, "living_alone": "no"})
    assert response.get_json()["added"] == 1
    assert _listed(app, campaign_id) == {"Godelieve Vanneste", "Marcel Deprez"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"min_age": 90, "max_age": 75}, "max_age"),
        ({"min_age": -1}, "min_age"),
        ({"max_age": 121}, "max_age"),
        ({"min_age": "80"}, "min_age"),
        ({"living_alone": "maybe"}, "living_alone"),
        ({"neighbourhoods": ["Dadizele"]}, "neighbourhoods"),
        ({"neighbourhoods": [999999]}, "neighbourhoods"),
    ],
)
def test_bad_selections_are_422_with_the_field(app, campaign_id, body, field):  # noqa: F811
    response = _post(app, campaign_id, body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert field in error["fields"], error
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CallTarget)) == 0


def test_only_the_coordinator_selects(app, campaign_id):  # noqa: F811
    make_user(app, "volunteer")
    make_user(app, "analyst")
    for email in ("volunteer@example.be", "analyst@example.be"):
        assert _post(app, campaign_id, {}, email).status_code == 403
    anonymous = app.test_client().post(f"/api/v1/call-campaigns/{campaign_id}/selection", json={})
    assert anonymous.status_code == 401
    assert _post(app, 999999, {}).status_code == 404


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=rows, wanted=criteria)
def test_the_api_selects_exactly_the_list_rows_that_match(embedded_app, data, wanted):
    app = embedded_app
    with app.app_context():
        campaign = db.session.scalar(select(CallCampaign.id))
    if campaign is None:
        campaign = _campaign(app)
    with app.app_context():
        db.session.execute(delete(CallTarget))
        db.session.execute(delete(CallCandidate))
        db.session.commit()
    lines = [
        f"Bewoner {i};{street};{i};8890;{year or ''};051 77 30 {i:02d};{alone}"
        for i, (street, year, alone) in enumerate(data, start=1)
    ]
    job_id = _job(app, campaign, "\n".join([HEADER, *lines]).encode())
    with app.app_context():
        assert run_call_import(job_id).accepted == len(data)
    lowest, band, living_alone, hoods = wanted
    body = {
        "min_age": lowest,
        "max_age": min(lowest + band, 120),
        "living_alone": living_alone,
        "neighbourhoods": [_hood(app, name) for name in sorted(hoods)],
    }
    response = _post(app, campaign, body)
    assert response.status_code == 200
    expected = {f"Bewoner {i}" for i, row in enumerate(data, start=1) if _matches(row, wanted)}
    assert _listed(app, campaign) == expected
    assert response.get_json()["added"] == len(expected)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"min_age": "90", "max_age": "75"}, "Geef leeftijden van 0 tot 120, de laagste eerst."),
        ({"living_alone": "misschien"}, "Kies ja, nee of maakt niet uit voor alleenwonend."),
        ({"neighbourhoods": "999999"}, "Kies uit de buurten van de belactie."),
    ],
)
def test_the_campaign_page_names_what_is_wrong_with_the_selection(app, campaign_id, data, message):  # noqa: F811
    client = app.test_client()
    login(client, "coordinator@example.be")
    page = client.get(f"/call-campaigns/{campaign_id}").get_data(as_text=True)
    refused = client.post(
        f"/call-campaigns/{campaign_id}/selection",
        data={"csrf_token": csrf_from(page), **data},
        follow_redirects=True,
    )
    assert refused.status_code == 200
    assert message in refused.get_data(as_text=True)
    assert _listed(app, campaign_id) == set()
