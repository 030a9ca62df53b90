"""The neighbourhood plan (issue 22, first half): the done-when walk through HTTP, role checks
on every page and endpoint, bad input, indicators equal to the dashboard's figures, the PDFs
and the public residents' summary without personal data."""

from __future__ import annotations

import contextlib
import io
import re
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import func, select

from tests.conftest import api_token, bearer, csrf_from, import_areas, login, make_user, post_form

SECRET_NAME = "Zebedeus Quackelbeen"


def pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())  # table cells wrap their lines


def _ids(app: Flask) -> dict[str, Any]:
    from fieldwork.areas.models import Neighbourhood
    from fieldwork.extensions import db
    from fieldwork.partners.models import Organisation
    from fieldwork.reports.models import AttentionPoint

    with app.app_context():
        dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        point = db.session.scalars(
            select(AttentionPoint).where(AttentionPoint.title.like("Vervoer%"))
        ).one()
        partner = db.session.scalars(
            select(Organisation).filter_by(name="Minder Mobielen Centrale Moorslede")
        ).one()
        return {"hood": dadizele.id, "point": point.id, "partner": partner.id}


def _seed_personal_data(app: Flask, hood_id: int) -> None:
    """A resident with a unique name in Dadizele, and that name in a quote of the analysis."""
    from fieldwork.areas.models import Neighbourhood
    from fieldwork.extensions import db
    from fieldwork.reports.models import Quote
    from fieldwork.signals.identity import address_key, name_key
    from fieldwork.signals.models import Resident

    with app.app_context():
        hood = db.session.get(Neighbourhood, hood_id)
        db.session.add(
            Resident(
                municipality_id=hood.municipality_id,
                name=SECRET_NAME,
                name_key=name_key(SECRET_NAME),
                street="Dadizeleplaats",
                house_number="9",
                postcode="8890",
                address_key=address_key("Dadizeleplaats", "9", "8890"),
                neighbourhood_id=hood.id,
            )
        )
        db.session.add(Quote(neighbourhood_id=hood.id, text=f"{SECRET_NAME} zei: ik raak er niet"))
        db.session.commit()


@pytest.fixture
def demo(embedded_app: Flask) -> Flask:
    result = embedded_app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    return embedded_app


def test_done_when_a_coordinator_turns_the_transport_point_into_a_printed_plan(demo):
    """The issue's done-when, through HTTP: objective from Dadizele's attention point on
    transport, two actions (one with a partner of the social map), an indicator with a
    baseline and a target, the plan printed, the residents' summary printed and published."""
    app = demo
    ids = _ids(app)
    _seed_personal_data(app, ids["hood"])
    client = app.test_client()
    login(client, "regisseur@demo.fieldwork.be", "zorgzaam-2026")

    response = post_form(
        client,
        "/buurtplannen/nieuw?gemeente=36012",
        {
            "title": "Plan Dadizele",
            "neighbourhoods": [ids["hood"]],
            "starts_on": "2026-01-01",
            "ends_on": "2027-06-30",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    plan_url = response.headers["Location"]
    plan_id = int(plan_url.rstrip("/").rsplit("/", 1)[1])

    response = post_form(
        client,
        f"/buurtplannen/{plan_id}/doelstellingen/nieuw",
        {
            "attention_point": str(ids["point"]),
            "neighbourhood": str(ids["hood"]),
            "title": "",
            "heard": "Bewoners die alleen wonen raken niet naar het dorpsrestaurant.",
        },
    )
    assert response.status_code == 302
    page = client.get(plan_url).get_data(as_text=True)
    assert "Vervoer naar het dorpsrestaurant en het dienstencentrum" in page  # the point's title
    assert "Eenzaamheid" in page
    assert "Mobiliteit" in page
    assert "Cijfers:" in page  # the imported figures behind the point, with their values
    assert "Sinds mijn man er niet meer is" in page  # what was heard on its themes
    objective_id = int(re.search(r'id="doel-(\d+)"', page)[1])

    for data in (
        {
            "description": "Vrijwillige chauffeurs rijden naar het dorpsrestaurant",
            "partners": [ids["partner"]],
            "owner": "",
            "expected_output": "Twee ritten per week",
            "starts_on": "2026-02-01",
            "ends_on": "2026-12-31",
            "milestones": "01/03/2026 eerste rit",
            "status": "running",
        },
        {
            "description": "Een folder bij elk huisbezoek",
            "partners_text": "Dienstencentrum Dadizele",
            "owner": "",
            "starts_on": "2026-02-01",
            "ends_on": "2026-06-30",
            "status": "planned",
        },
    ):
        response = post_form(
            client, f"/buurtplannen/doelstellingen/{objective_id}/acties/nieuw", data
        )
        assert response.status_code == 302, response.get_data(as_text=True)

    response = post_form(
        client,
        f"/buurtplannen/doelstellingen/{objective_id}/indicatoren/nieuw",
        {
            "measure": "visits_reach_rate",
            "neighbourhood": str(ids["hood"]),
            "period_kind": "quarter",
            "baseline": "40",
            "target": "80",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)

    page = client.get(plan_url).get_data(as_text=True)
    assert "Minder Mobielen Centrale Moorslede" in page
    assert "Een folder bij elk huisbezoek" in page
    assert "01/03/2026 eerste rit" in page  # the milestone
    assert "<svg" in page
    assert 'data-line="target"' in page
    assert 'data-line="baseline"' in page

    # print the plan: the worker (in-process here) makes the PDF
    token = csrf_from(page)
    response = client.post(f"/buurtplannen/{plan_id}/pdf", data={"csrf_token": token})
    assert response.status_code == 302
    document = client.get(response.headers["Location"]).get_data(as_text=True)
    pdf_url = re.search(r'href="(/buurtplannen/documenten/\d+\.pdf)"', document)[1]
    pdf = client.get(pdf_url)
    assert pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "Plan Dadizele" in text
    assert "Minder Mobielen Centrale Moorslede" in text
    assert "Een folder bij elk huisbezoek" in text

    # the residents' summary: printed and published, without personal data
    summary_url = f"/buurtplannen/{plan_id}/bewoners/{ids['hood']}"
    response = post_form(client, summary_url, {}, f"{summary_url}/pdf")
    document = client.get(response.headers["Location"]).get_data(as_text=True)
    pdf_url = re.search(r'href="(/buurtplannen/documenten/\d+\.pdf)"', document)[1]
    summary_pdf = pdf_text(client.get(pdf_url).data)
    assert "Dadizele" in summary_pdf
    assert "Een folder bij elk huisbezoek" in summary_pdf
    assert response.status_code == 302
    response = post_form(client, summary_url, {"publish": "1"})
    assert response.status_code == 302
    page = client.get(summary_url).get_data(as_text=True)
    public_url = re.search(r'href="(http://[^"]+/buurtplan/[^"]+)"', page)[1]
    path = public_url.split("localhost", 1)[-1]

    anonymous = app.test_client()
    public = anonymous.get(path)
    assert public.status_code == 200
    html = public.get_data(as_text=True)
    assert "Wat we hoorden" in html or "What we heard" in html
    assert "Vrijwillige chauffeurs rijden naar het dorpsrestaurant" in html
    for text in (html, summary_pdf):
        assert SECRET_NAME not in text  # the seeded resident (also in a quote) stays out
        assert "Sofie Lambrecht" not in text  # owners only by organisation or role

    # unpublishing closes the link
    post_form(client, summary_url, {"publish": "0"})
    assert anonymous.get(path).status_code == 404


def test_the_demo_plan_is_there_with_a_published_summary(demo):
    from fieldwork.extensions import db
    from fieldwork.plans.models import Plan, ResidentSummary

    with demo.app_context():
        plan = db.session.scalars(select(Plan)).one()
        plan_id = plan.id
        objective = plan.objectives[0]
        assert objective.attention_point.title.startswith("Vervoer")
        assert len(objective.actions) == 2
        assert any(a.partners for a in objective.actions)
        indicator = objective.indicators[0]
        assert indicator.target == 80.0
        token = db.session.scalars(select(ResidentSummary.token)).one()
    public = demo.test_client().get(f"/buurtplan/{token}")
    assert public.status_code == 200
    assert "Graag ook een rit op zaterdag" not in public.get_data(as_text=True)  # reaction text
    client = demo.test_client()
    login(client, "aanspreekpersoon@demo.fieldwork.be", "zorgzaam-2026")
    mine = client.get("/buurtplannen/mijn-acties").get_data(as_text=True)
    assert "Vrijwillige chauffeurs" in mine
    coordinator = demo.test_client()
    login(coordinator, "regisseur@demo.fieldwork.be", "zorgzaam-2026")
    hood = _ids(demo)["hood"]
    listed = coordinator.get("/buurtplannen/").get_data(as_text=True)
    assert "Buurtplan Dadizele" in listed  # Moorslede's, not Hamont-Achel's list
    analysis = coordinator.get(f"/buurtanalyse/{hood}").get_data(as_text=True)
    assert f'href="/buurtplannen/{plan_id}"' in analysis  # the neighbourhood page links to it


@pytest.mark.parametrize(
    "heard",
    [
        f"Mevrouw {SECRET_NAME.upper()} raakt niet naar de markt.",
        # surname first, as in a register
        f"{' '.join(reversed(SECRET_NAME.split()))}, 84, raakt niet naar de markt.",
    ],
)
def test_publishing_refuses_a_summary_that_names_a_resident(demo, heard):
    app = demo
    ids = _ids(app)
    _seed_personal_data(app, ids["hood"])
    from fieldwork.extensions import db
    from fieldwork.plans.models import Plan

    with app.app_context():
        plan = db.session.scalars(select(Plan)).one()
        plan.objectives[0].heard = heard
        plan_id = plan.id
        db.session.commit()
    client = app.test_client()
    login(client, "regisseur@demo.fieldwork.be", "zorgzaam-2026")
    url = f"/buurtplannen/{plan_id}/bewoners/{ids['hood']}"
    post_form(client, url, {"publish": "0"})
    response = post_form(client, url, {"publish": "1"})
    assert response.status_code == 422
    assert SECRET_NAME in response.get_data(as_text=True)


# --- roles, bad input and the API ------------------------------------------------------------


@pytest.fixture
def setup(app: Flask) -> dict[str, Any]:
    """Moorslede, one account per role, a partner, an attention point with one objective, one
    action owned by the contact person and one indicator."""
    from fieldwork.areas.models import Neighbourhood
    from fieldwork.auth.models import User
    from fieldwork.extensions import db
    from fieldwork.partners.models import Organisation
    from fieldwork.plans.services import (
        ActionData,
        IndicatorData,
        ObjectiveData,
        PlanData,
        add_indicator,
        save_action,
        save_objective,
        save_plan,
    )
    from fieldwork.reports.analysis import add_attention_point

    import_areas(app, "36012")
    users = {
        role: make_user(app, role, email=f"{role}@example.be")
        for role in ("volunteer", "referrer", "contact_person", "coordinator", "analyst")
    }
    make_user(app, "contact_person", email="other@example.be")
    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
        coordinator = db.session.get(User, users["coordinator"])
        partner = Organisation(
            municipality_id=hood.municipality_id, name="MMC", name_key="mmc", kind="vzw"
        )
        db.session.add(partner)
        point = add_attention_point(hood, "Vervoer", "", ["mobiliteit"], [], [], coordinator)
        plan = save_plan(
            hood.municipality,
            PlanData("Plan", [hood.id], date(2026, 1, 1), date(2026, 12, 31)),
            coordinator,
            None,
        )
        objective = save_objective(plan, ObjectiveData("", "", None, point.id), None)
        action = save_action(
            objective,
            ActionData(
                "Ritten", date(2026, 1, 1), date(2026, 6, 30), owner_id=users["contact_person"]
            ),
            None,
        )
        indicator = add_indicator(objective, IndicatorData("signals_per_100_65plus", 2.0))
        db.session.commit()
        return {
            "users": users,
            "hood": hood.id,
            "plan": plan.id,
            "objective": objective.id,
            "action": action.id,
            "indicator": indicator.id,
            "partner": partner.id,
        }


PAGES = {
    "/buurtplannen/": {"coordinator", "analyst"},
    "/buurtplannen/nieuw": {"coordinator"},
    "/buurtplannen/{plan}": {"coordinator", "analyst"},
    "/buurtplannen/{plan}/bewerken": {"coordinator"},
    "/buurtplannen/{plan}/doelstellingen/nieuw": {"coordinator"},
    "/buurtplannen/doelstellingen/{objective}/bewerken": {"coordinator"},
    "/buurtplannen/doelstellingen/{objective}/acties/nieuw": {"coordinator"},
    "/buurtplannen/acties/{action}/bewerken": {"coordinator"},
    "/buurtplannen/acties/{action}": {"coordinator", "contact_person"},
    "/buurtplannen/mijn-acties": {"coordinator", "contact_person", "referrer"},
    "/buurtplannen/doelstellingen/{objective}/indicatoren/nieuw": {"coordinator"},
    "/buurtplannen/doelstellingen/{objective}/reacties": {"coordinator"},
    "/buurtplannen/{plan}/bewoners/{hood}": {"coordinator"},
    "/buurtplannen/doelstellingen/{objective}/verwijderen": {"coordinator"},
    "/buurtplannen/acties/{action}/verwijderen": {"coordinator"},
    "/buurtplannen/indicatoren/{indicator}/verwijderen": {"coordinator"},
}


def test_every_page_checks_the_role(app, setup):
    for role in ("volunteer", "referrer", "contact_person", "coordinator", "analyst"):
        client = app.test_client()
        login(client, f"{role}@example.be")
        for template, allowed in PAGES.items():
            url = template.format(**setup)
            status = client.get(url).status_code
            if role in allowed:
                assert status == 200, (role, url, status)
            else:
                assert status in (403, 404), (role, url, status)
    anonymous = app.test_client()
    assert anonymous.get(PAGES and f"/buurtplannen/{setup['plan']}").status_code == 302
    # another contact person does not see an action they do not own
    other = app.test_client()
    login(other, "other@example.be")
    assert other.get(f"/buurtplannen/acties/{setup['action']}").status_code == 404


def test_the_owner_adds_a_progress_note_and_sees_it_under_my_actions(app, setup):
    client = app.test_client()
    login(client, "contact_person@example.be")
    url = f"/buurtplannen/acties/{setup['action']}"
    response = post_form(client, url, {"text": "Drie chauffeurs gevonden", "status": "running"})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Drie chauffeurs gevonden" in page
    assert "Contact Person" in page
    assert "Ritten" in client.get("/buurtplannen/mijn-acties").get_data(as_text=True)


def test_bad_input_gets_clear_messages_never_a_500(app, setup):
    client = app.test_client()
    login(client, "coordinator@example.be")
    response = post_form(
        client,
        "/buurtplannen/nieuw?gemeente=36012",
        {
            "title": "X",
            "neighbourhoods": [setup["hood"]],
            "starts_on": "2026-05-01",
            "ends_on": "2026-01-01",
        },
    )
    assert response.status_code == 422
    assert "De einddatum ligt voor de begindatum." in response.get_data(as_text=True)
    url = f"/buurtplannen/doelstellingen/{setup['objective']}/acties/nieuw"
    response = post_form(
        client,
        url,
        {
            "description": "X",
            "partners": [999999],
            "owner": "",
            "starts_on": "2026-01-01",
            "ends_on": "2026-02-01",
            "status": "planned",
        },
    )
    assert response.status_code == 422
    assert "Onbekende partner" in response.get_data(as_text=True)
    response = post_form(
        client,
        f"/buurtplannen/doelstellingen/{setup['objective']}/indicatoren/nieuw",
        {
            "measure": "cases_opened",
            "neighbourhood": str(setup["hood"]),
            "period_kind": "quarter",
            "target": "",
        },
    )
    assert response.status_code == 422
    assert "Geef een doel" in response.get_data(as_text=True)


def test_the_api_checks_roles_and_explains_bad_input(app, setup):
    client = app.test_client()
    tokens = {
        role: api_token(client, f"{role}@example.be")
        for role in ("volunteer", "contact_person", "coordinator", "analyst")
    }
    plan = setup["plan"]
    assert client.get("/api/v1/plans").status_code == 401
    assert client.get("/api/v1/plans", headers=bearer(tokens["volunteer"])).status_code == 403
    assert client.get("/api/v1/plans", headers=bearer(tokens["contact_person"])).status_code == 403
    listed = client.get("/api/v1/plans", headers=bearer(tokens["analyst"]))
    assert [p["id"] for p in listed.get_json()] == [plan]
    analyst_view = client.get(f"/api/v1/plans/{plan}", headers=bearer(tokens["analyst"]))
    assert analyst_view.status_code == 200
    assert analyst_view.get_json()["objectives"][0]["indicators"][0]["suppressed"] is True
    body = {
        "gemeente": "36012",
        "title": "T",
        "neighbourhoods": [setup["hood"]],
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
    }
    assert (
        client.post("/api/v1/plans", json=body, headers=bearer(tokens["analyst"])).status_code
        == 403
    )
    created = client.post("/api/v1/plans", json=body, headers=bearer(tokens["coordinator"]))
    assert created.status_code == 201
    new_id = created.get_json()["id"]

    bad = client.patch(
        f"/api/v1/plans/{new_id}",
        json={"ends_on": "2025-01-01"},
        headers=bearer(tokens["coordinator"]),
    )
    assert bad.status_code == 422
    assert "ends_on" in bad.get_json()["error"]["fields"]

    objective = client.post(
        f"/api/v1/plans/{new_id}/objectives",
        json={"title": "Doel", "neighbourhood": setup["hood"]},
        headers=bearer(tokens["coordinator"]),
    )
    assert objective.status_code == 201
    oid = objective.get_json()["id"]
    unknown = client.post(
        f"/api/v1/objectives/{oid}/actions",
        json={
            "description": "X",
            "partners": [999999],
            "starts_on": "2026-01-01",
            "ends_on": "2026-02-01",
        },
        headers=bearer(tokens["coordinator"]),
    )
    assert unknown.status_code == 422
    assert "partners" in unknown.get_json()["error"]["fields"]
    no_target = client.post(
        f"/api/v1/objectives/{oid}/indicators",
        json={"measure": "cases_opened"},
        headers=bearer(tokens["coordinator"]),
    )
    assert no_target.status_code == 422
    assert "target" in no_target.get_json()["error"]["fields"]
    action = client.post(
        f"/api/v1/objectives/{oid}/actions",
        json={
            "description": "Y",
            "partners": [setup["partner"]],
            "starts_on": "2026-01-01",
            "ends_on": "2026-02-01",
            "owner": setup["users"]["contact_person"],
        },
        headers=bearer(tokens["coordinator"]),
    )
    assert action.status_code == 201
    aid = action.get_json()["id"]
    note = client.post(
        f"/api/v1/actions/{aid}/notes",
        json={"text": "Gestart"},
        headers=bearer(tokens["contact_person"]),
    )
    assert note.status_code == 201
    mine = client.get("/api/v1/my-actions", headers=bearer(tokens["contact_person"]))
    assert {a["id"] for a in mine.get_json()} == {setup["action"], aid}
    patched = client.patch(
        f"/api/v1/actions/{aid}", json={"status": "done"}, headers=bearer(tokens["coordinator"])
    )
    assert patched.get_json()["status"] == "done"


def _signal(app: Flask, hood_id: int, theme: str, days_ago: int) -> None:
    from fieldwork.db import utcnow
    from fieldwork.extensions import db
    from fieldwork.signals.models import Resident, Signal

    with app.app_context():
        resident = db.session.scalars(
            select(Resident).where(Resident.neighbourhood_id == hood_id)
        ).first()
        if resident is None:
            from fieldwork.areas.models import Neighbourhood

            hood = db.session.get(Neighbourhood, hood_id)
            resident = Resident(
                municipality_id=hood.municipality_id,
                name="R",
                name_key="r",
                address_key="",
                neighbourhood_id=hood_id,
            )
            db.session.add(resident)
            db.session.flush()
        db.session.add(
            Signal(
                resident_id=resident.id,
                neighbourhood_id=hood_id,
                theme=theme,
                domain="welzijn",
                source="manual",
                created_at=utcnow() - timedelta(days=days_ago),
            )
        )
        db.session.commit()


def test_a_resend_to_the_plan_api_with_its_key_adds_nothing(app, setup):
    """A planning tool resends after a lost answer, with the same Idempotency-Key: the first
    answer again and nothing added twice; the same key for another body is refused."""
    from fieldwork.extensions import db
    from fieldwork.plans.models import Action, ActionNote, Objective, Plan, PlanIndicator, Reaction

    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    objective = setup["objective"]
    posts = {
        "/api/v1/plans": {
            "gemeente": "36012",
            "title": "Tweede plan",
            "neighbourhoods": [setup["hood"]],
            "starts_on": "2027-01-01",
            "ends_on": "2027-12-31",
        },
        f"/api/v1/plans/{setup['plan']}/objectives": {
            "title": "Doel",
            "neighbourhood": setup["hood"],
        },
        f"/api/v1/objectives/{objective}/actions": {
            "description": "Folder",
            "starts_on": "2026-02-01",
            "ends_on": "2026-03-01",
        },
        f"/api/v1/actions/{setup['action']}/notes": {"text": "Eerste rit gereden."},
        f"/api/v1/objectives/{objective}/indicators": {
            "measure": "cases_opened",
            "target": 10,
        },
        f"/api/v1/objectives/{objective}/reactions": {
            "met_on": "2026-03-01",
            "meeting": "Buurtcafé",
            "text": "Goed idee.",
            "people": 12,
        },
    }

    def counts() -> list[int]:
        with app.app_context():
            return [
                len(db.session.scalars(select(model)).all())
                for model in (Plan, Objective, Action, ActionNote, PlanIndicator, Reaction)
            ]

    for number, (path, body) in enumerate(posts.items()):
        headers = {**bearer(token), "Idempotency-Key": f"plan-key-{number}"}
        first = client.post(path, json=body, headers=headers)
        assert first.status_code == 201, (path, first.get_json())
        before = counts()
        again = client.post(path, json=body, headers=headers)
        assert again.status_code == 201, path
        assert again.get_json() == first.get_json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert counts() == before, path
        changed = next(key for key in ("title", "text", "description", "target") if key in body)
        value = 11 if changed == "target" else "anders"
        other = client.post(path, json={**body, changed: value}, headers=headers)
        assert other.status_code == 422, path
        assert "Idempotency-Key" in other.get_json()["error"]["fields"], path
    half = client.post(
        f"/api/v1/objectives/{objective}/reactions",
        json={**posts[f"/api/v1/objectives/{objective}/reactions"], "people": 1.5},
        headers=bearer(token),
    )
    assert half.status_code == 422
    assert "people" in half.get_json()["error"]["fields"]


def test_the_plan_indicator_equals_the_summary_api(app, setup):
    """The plan's value for a period is the summary API's figure for the same period."""
    from fieldwork.db import local_today
    from fieldwork.extensions import db
    from fieldwork.reports.indicators import load_demo_indicators

    with app.app_context():
        load_demo_indicators()  # residents 65+ for the rates
        db.session.commit()
    for days in (1, 2, 3, 40, 100):
        _signal(app, setup["hood"], "eenzaamheid", days)
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    created = client.post(
        f"/api/v1/objectives/{setup['objective']}/indicators",
        json={
            "measure": "loneliness_per_100_65plus",
            "target": 1.0,
            "period_kind": "month",
            "baseline_from": (local_today() - timedelta(days=200)).isoformat(),
            "baseline_until": (local_today() - timedelta(days=120)).isoformat(),
        },
        headers=bearer(token),
    ).get_json()
    series = created["series"]
    assert series
    compared = 0
    for point in series:
        summary = client.get(
            f"/api/v1/neighbourhoods/{setup['hood']}/summary?from={point['start']}&until={point['end']}",
            headers=bearer(token),
        ).get_json()
        residents = summary["rates"]["residents_65plus"]
        assert residents
        expected = round(summary["signals"]["by_theme"]["eenzaamheid"] / residents * 100, 2)
        assert point["value"] == expected, point
        compared += expected > 0
    assert compared >= 2
    total = client.get(
        f"/api/v1/plan-indicators/{setup['indicator']}", headers=bearer(token)
    ).get_json()
    last = total["series"][-1]
    summary = client.get(
        f"/api/v1/neighbourhoods/{setup['hood']}/summary?from={last['start']}&until={last['end']}",
        headers=bearer(token),
    ).get_json()
    assert last["value"] == summary["rates"]["signals_per_100_65plus"]


def _wait_for_document(app: Flask, document_id: int) -> str:
    import time

    from fieldwork.extensions import db
    from fieldwork.plans.models import PlanDocument

    deadline = time.monotonic() + 60
    while True:
        with app.app_context():
            status = db.session.get_one(PlanDocument, document_id).status
        if status in ("done", "failed") or time.monotonic() > deadline:
            return status
        time.sleep(0.3)


def test_the_worker_prints_the_plan_on_the_batch_queue(app, setup, request):
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    client = app.test_client()
    login(client, "coordinator@example.be")
    page = client.get(f"/buurtplannen/{setup['plan']}").get_data(as_text=True)
    made = client.post(f"/buurtplannen/{setup['plan']}/pdf", data={"csrf_token": csrf_from(page)})
    assert made.status_code == 302
    document_id = int(made.headers["Location"].rsplit("/", 1)[1])
    assert _wait_for_document(app, document_id) == "done"
    pdf = client.get(f"/buurtplannen/documenten/{document_id}.pdf")
    text = pdf_text(pdf.data)
    assert "Ritten" in text
    assert "Signalen per 100 inwoners 65+" in text
    analyst = app.test_client()
    login(analyst, "analyst@example.be")
    assert analyst.get(f"/buurtplannen/documenten/{document_id}.pdf").status_code == 403


def test_the_analyst_sees_suppressed_indicators_and_no_notes_and_reads_are_audited(app, setup):
    from fieldwork.core.models import AuditEvent
    from fieldwork.extensions import db
    from fieldwork.reports.indicators import load_demo_indicators

    with app.app_context():
        load_demo_indicators()
        db.session.commit()
    for days in (100, 101, 102):  # three signals in the last completed quarter or before
        _signal(app, setup["hood"], "eenzaamheid", days)
    owner = app.test_client()
    login(owner, "contact_person@example.be")
    post_form(owner, f"/buurtplannen/acties/{setup['action']}", {"text": "Geheime notitie"})
    client = app.test_client()
    token = api_token(client, "analyst@example.be")
    body = client.get(f"/api/v1/plans/{setup['plan']}", headers=bearer(token)).get_json()
    indicator = body["objectives"][0]["indicators"][0]
    assert indicator["suppressed"] is True
    assert indicator["period_kind"] == "quarter"
    # a count under five gives no rate (the rate would give the count away); the
    # coordinator sees the rate of the same quarter
    hidden = [p["period"] for p in indicator["series"] if p["value"] is None]
    assert hidden
    coordinator = api_token(client, "coordinator@example.be")
    full = client.get(
        f"/api/v1/plan-indicators/{setup['indicator']}", headers=bearer(coordinator)
    ).get_json()
    values = {p["period"]: p["value"] for p in full["series"]}
    assert all(values[period] > 0 for period in hidden)
    assert body["objectives"][0]["actions"][0]["notes"] == []
    analyst = app.test_client()
    login(analyst, "analyst@example.be")
    page = analyst.get(f"/buurtplannen/{setup['plan']}").get_data(as_text=True)
    assert "Geheime notitie" not in page
    assert "Kleine aantallen (minder dan 5)" in page
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"plan_viewed", "plan_action_note_added", "plan_action_viewed"} <= actions


def test_a_target_that_is_not_a_number_is_refused(app, setup):
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    url = f"/api/v1/objectives/{setup['objective']}/indicators"
    for target in ("NaN", "abc", None):
        response = client.post(
            url, json={"measure": "cases_opened", "target": target}, headers=bearer(token)
        )
        assert response.status_code == 422, target
    unknown = client.post(
        url, json={"measure": "no_such_measure", "target": 3}, headers=bearer(token)
    )
    assert unknown.status_code == 422
    assert "measure" in unknown.get_json()["error"]["fields"]


def test_a_published_summary_cannot_be_made_to_name_a_resident(demo):
    app = demo
    ids = _ids(app)
    _seed_personal_data(app, ids["hood"])
    from fieldwork.extensions import db
    from fieldwork.plans.models import Objective, Plan

    with app.app_context():
        objective_id = db.session.scalars(select(Plan)).one().objectives[0].id
    client = app.test_client()
    token = api_token(client, "regisseur@demo.fieldwork.be", "zorgzaam-2026")
    response = client.post(
        f"/api/v1/objectives/{objective_id}/actions",
        json={
            "description": f"Een rit voor {SECRET_NAME}",
            "starts_on": "2027-01-01",
            "ends_on": "2027-02-01",
        },
        headers=bearer(token),
    )
    assert response.status_code == 422
    assert SECRET_NAME in response.get_json()["error"]["message"]
    with app.app_context():
        assert len(db.session.get(Objective, objective_id).actions) == 2  # nothing was added


def test_an_imported_indicator_is_followed_per_year(app, setup):
    from fieldwork.areas.models import Neighbourhood
    from fieldwork.extensions import db
    from fieldwork.reports.indicators import load_demo_indicators, neighbourhood_indicator

    with app.app_context():
        load_demo_indicators()
        db.session.commit()
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    created = client.post(
        f"/api/v1/objectives/{setup['objective']}/indicators",
        json={"measure": "imported:share_80plus", "target": 10},
        headers=bearer(token),
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    with app.app_context():
        hood = db.session.get(Neighbourhood, setup["hood"])
        expected = {
            str(year): round(neighbourhood_indicator(hood, "share_80plus", year).value, 2)
            for year in (2023, 2024)
        }
    # since the baseline (its window is 2025; the latest figure before it is 2024's)
    assert {p["period"]: p["value"] for p in body["series"]} == {"2024": expected["2024"]}
    assert body["baseline"] == expected["2024"]  # the latest year before the plan starts
    page = app.test_client()
    login(page, "coordinator@example.be")
    html = page.get(f"/buurtplannen/{setup['plan']}").get_data(as_text=True)
    assert html.count("<svg") == 2


def test_dates_far_outside_a_plan_are_refused_not_a_500(app, setup):
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    body = {
        "gemeente": "36012",
        "title": "T",
        "neighbourhoods": [setup["hood"]],
        "starts_on": "0001-01-01",
        "ends_on": "9999-12-31",
    }
    response = client.post("/api/v1/plans", json=body, headers=bearer(token))
    assert response.status_code == 422
    assert "starts_on" in response.get_json()["error"]["fields"]
    reaction = client.post(
        f"/api/v1/objectives/{setup['objective']}/reactions",
        json={"met_on": "9999-01-01", "meeting": "M", "text": "T", "people": 3},
        headers=bearer(token),
    )
    assert reaction.status_code == 422
    indicator = client.post(
        f"/api/v1/objectives/{setup['objective']}/indicators",
        json={"measure": "cases_opened", "target": 1, "baseline_from": "0001-01-01"},
        headers=bearer(token),
    )
    assert indicator.status_code == 422
    assert "baseline_from" in indicator.get_json()["error"]["fields"]


def test_a_small_baseline_is_hidden_from_the_analyst_and_in_the_printed_plan(app, setup):
    """Three signals in the baseline year: the coordinator sees the rate they give; the
    analyst and the council's printed plan do not (the rate would give the count away)."""
    from fieldwork.extensions import db
    from fieldwork.plans.documents import plan_for_print
    from fieldwork.plans.models import Plan
    from fieldwork.reports.indicators import load_demo_indicators

    with app.app_context():
        load_demo_indicators()
        db.session.commit()
    for days in (400, 420, 440):  # in 2025, the year before the plan: its baseline window
        _signal(app, setup["hood"], "eenzaamheid", days)
    client = app.test_client()
    coordinator = api_token(client, "coordinator@example.be")
    made = client.post(
        f"/api/v1/objectives/{setup['objective']}/indicators",
        json={"measure": "signals_per_100_65plus", "target": 1.0},
        headers=bearer(coordinator),
    )
    assert made.status_code == 201, made.get_json()
    indicator_id = made.get_json()["id"]
    url = f"/api/v1/plan-indicators/{indicator_id}"
    baseline = client.get(url, headers=bearer(coordinator)).get_json()["baseline"]
    assert isinstance(baseline, float)
    assert baseline > 0
    analyst = api_token(client, "analyst@example.be")
    hidden = client.get(url, headers=bearer(analyst)).get_json()
    assert hidden["suppressed"] is True
    assert not isinstance(hidden["baseline"], float)
    with app.app_context(), app.test_request_context():
        printed = plan_for_print(db.session.get_one(Plan, setup["plan"]))
    lines = [i for o in printed.objectives for i in o.indicators]
    assert lines
    assert {line.baseline for line in lines} <= {"–", "<5", "x"}  # never the small rate


def test_a_summary_that_names_a_resident_is_not_printed_and_a_plan_not_renamed(demo):
    app = demo
    ids = _ids(app)
    _seed_personal_data(app, ids["hood"])
    from fieldwork.extensions import db
    from fieldwork.plans.models import Plan, PlanDocument

    with app.app_context():
        plan = db.session.scalars(select(Plan)).one()
        plan.objectives[0].heard = f"Mevrouw {SECRET_NAME} raakt niet naar de markt."
        plan_id = plan.id
        documents = db.session.scalar(select(func.count()).select_from(PlanDocument))
        db.session.commit()
    client = app.test_client()
    login(client, "regisseur@demo.fieldwork.be", "zorgzaam-2026")
    printed = post_form(client, f"/buurtplannen/{plan_id}/bewoners/{ids['hood']}/pdf", {})
    assert printed.status_code == 302
    assert SECRET_NAME in client.get(printed.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(PlanDocument)) == documents
        db.session.get_one(Plan, plan_id).objectives[0].heard = "Vervoer is moeilijk."
        db.session.commit()
    token = api_token(client, "regisseur@demo.fieldwork.be", "zorgzaam-2026")
    renamed = client.patch(
        f"/api/v1/plans/{plan_id}",
        json={"title": f"Plan voor {SECRET_NAME}"},
        headers=bearer(token),
    )
    assert renamed.status_code == 422
    with app.app_context():
        assert SECRET_NAME not in db.session.get_one(Plan, plan_id).title


def test_a_printed_plan_whose_message_is_lost_or_worker_killed_is_made_again(
    app, setup, monkeypatch, request
):
    """Lost by the broker: "pending" for ever without the sweep; cut off while "running" (the
    worker killed): left alone while it may still be at work, then made again, once."""
    from fieldwork.extensions import db
    from fieldwork.plans.models import PlanDocument
    from tests.test_reconcile import lose, tick

    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")
    client = app.test_client()
    login(client, "coordinator@example.be")
    ids = []
    with monkeypatch.context() as broker:
        lose(app, broker, "plans.render_document")
        for _ in range(2):
            page = client.get(f"/buurtplannen/{setup['plan']}").get_data(as_text=True)
            made = client.post(
                f"/buurtplannen/{setup['plan']}/pdf", data={"csrf_token": csrf_from(page)}
            )
            ids.append(int(made.headers["Location"].rsplit("/", 1)[1]))
    lost, killed = ids
    with app.app_context():
        db.session.get_one(PlanDocument, killed).status = "running"
        db.session.commit()
    app.config["RECONCILE_AFTER_SECONDS"] = 0
    app.config["RECONCILE_RUNNING_AFTER_SECONDS"] = 3600
    assert "reconcile: 1 re-enqueued (plans 1)" in tick(app)
    assert _wait_for_document(app, lost) == "done"
    app.config["RECONCILE_RUNNING_AFTER_SECONDS"] = 0
    assert "reconcile: 1 re-enqueued (plans 1)" in tick(app)
    assert _wait_for_document(app, killed) == "done"
    assert client.get(f"/buurtplannen/documenten/{killed}.pdf").data.startswith(b"%PDF")
    assert "reconcile: 0 re-enqueued" in tick(app)


def _plan_page_statements(app: Flask, client: Any, plan_id: int) -> int:
    from sqlalchemy import event

    from fieldwork.extensions import db

    seen: list[str] = []
    with app.app_context():
        engine = db.engine

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/buurtplannen/{plan_id}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_more_indicators_of_one_neighbourhood_reuse_its_figures_per_period(app, setup):
    """Each period's figures are counted once per page, however many indicators follow them:
    the page's statements grow with the periods, not with indicators times periods."""
    from fieldwork.extensions import db
    from fieldwork.plans.models import Objective
    from fieldwork.plans.services import IndicatorData, add_indicator

    client = app.test_client()
    login(client, "coordinator@example.be")
    client.get(f"/buurtplannen/{setup['plan']}")  # warm: the first request compiles and caches
    one = _plan_page_statements(app, client, setup["plan"])
    with app.app_context():
        objective = db.session.get(Objective, setup["objective"])
        for measure in ("loneliness_per_100_65plus", "mobility_per_100_65plus", "cases_opened"):
            add_indicator(objective, IndicatorData(measure, 2.0))
        db.session.commit()
    four = _plan_page_statements(app, client, setup["plan"])
    assert four - one <= 3 * 2, (one, four)


def _audited(app: Flask, action: str) -> list[dict[str, Any]]:
    from fieldwork.core.models import AuditEvent
    from fieldwork.extensions import db

    with app.app_context():
        return [
            {"subject_id": e.subject_id, **(e.detail or {})}
            for e in db.session.scalars(select(AuditEvent).filter_by(action=action))
        ]


def test_the_coordinator_deletes_a_mistaken_action_then_the_objective_after_being_asked(app, setup):
    from fieldwork.extensions import db
    from fieldwork.plans.models import Action, ActionNote, Objective, PlanIndicator

    owner = app.test_client()
    login(owner, "contact_person@example.be")
    noted = post_form(owner, f"/buurtplannen/acties/{setup['action']}", {"text": "Gestart"})
    assert noted.status_code == 302
    client = app.test_client()
    login(client, "coordinator@example.be")
    url = f"/buurtplannen/acties/{setup['action']}/verwijderen"
    asked = client.get(url).get_data(as_text=True)
    assert "Deze actie verwijderen?" in asked
    assert "1 voortgangsnotitie" in asked  # what goes with it, before anything is deleted
    with app.app_context():
        assert db.session.get(Action, setup["action"]) is not None
    done = post_form(client, url, {})
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/buurtplannen/{setup['plan']}")
    with app.app_context():
        assert db.session.get(Action, setup["action"]) is None
        assert db.session.scalar(select(func.count()).select_from(ActionNote)) == 0
        assert db.session.get(Objective, setup["objective"]) is not None
    assert _audited(app, "plan_action_deleted") == [
        {"subject_id": str(setup["action"]), "plan_id": setup["plan"]}
    ]
    assert "Ritten" not in client.get(f"/buurtplannen/{setup['plan']}").get_data(as_text=True)
    assert client.get(url).status_code == 404  # gone: asking again finds nothing

    url = f"/buurtplannen/doelstellingen/{setup['objective']}/verwijderen"
    assert "1 indicator" in client.get(url).get_data(as_text=True)
    assert post_form(client, url, {}).status_code == 302
    with app.app_context():
        assert db.session.get(Objective, setup["objective"]) is None
        assert db.session.get(PlanIndicator, setup["indicator"]) is None
    assert len(_audited(app, "plan_objective_deleted")) == 1


def test_a_delete_without_the_form_token_deletes_nothing(app, setup):
    from fieldwork.extensions import db
    from fieldwork.plans.models import PlanIndicator

    client = app.test_client()
    login(client, "coordinator@example.be")
    url = f"/buurtplannen/indicatoren/{setup['indicator']}/verwijderen"
    assert client.post(url, data={}).status_code in (200, 400)
    with app.app_context():
        assert db.session.get(PlanIndicator, setup["indicator"]) is not None
    assert client.get("/buurtplannen/onbekend/1/verwijderen").status_code == 404


def test_the_api_deletes_plan_parts_for_the_coordinator_only(app, setup):
    from fieldwork.extensions import db
    from fieldwork.plans.models import Action, Objective, PlanIndicator

    client = app.test_client()
    tokens = {
        role: api_token(client, f"{role}@example.be")
        for role in ("contact_person", "coordinator", "analyst")
    }
    indicator = f"/api/v1/plan-indicators/{setup['indicator']}"
    action = f"/api/v1/actions/{setup['action']}"
    objective = f"/api/v1/objectives/{setup['objective']}"
    assert client.delete(indicator).status_code == 401
    for role in ("contact_person", "analyst"):
        for url in (indicator, action, objective):
            assert client.delete(url, headers=bearer(tokens[role])).status_code == 403
    coordinator = bearer(tokens["coordinator"])
    assert client.delete(indicator, headers=coordinator).status_code == 204
    assert client.delete(indicator, headers=coordinator).status_code == 404
    assert client.delete(action, headers=coordinator).status_code == 204
    assert client.delete(objective, headers=coordinator).status_code == 204
    with app.app_context():
        assert db.session.get(PlanIndicator, setup["indicator"]) is None
        assert db.session.get(Action, setup["action"]) is None
        assert db.session.get(Objective, setup["objective"]) is None
    plan = client.get(f"/api/v1/plans/{setup['plan']}", headers=coordinator).get_json()
    assert plan["objectives"] == []
    assert [e["subject_id"] for e in _audited(app, "plan_indicator_deleted")] == [
        str(setup["indicator"])
    ]


def test_an_id_that_is_not_plain_digits_is_ignored_not_a_500(app, setup):
    client = app.test_client()
    login(client, "coordinator@example.be")
    assert client.get("/buurtplannen/nieuw?buurt=²").status_code == 200
    assert client.get("/buurtplannen/nieuw?buurt=99999999999999999999").status_code == 200


def test_two_coordinators_deleting_the_same_part_at_once_delete_and_audit_it_once(app, setup):
    """The second delete waits for the first and then finds nothing: a 404, not a second
    "deleted" in the audit trail."""
    from fieldwork.extensions import db
    from fieldwork.plans.models import Objective
    from fieldwork.plans.services import delete_part
    from tests.conftest import while_uncommitted

    client = app.test_client()
    coordinator = bearer(api_token(client, "coordinator@example.be"))
    answers = while_uncommitted(
        app,
        lambda: delete_part(db.session.get_one(Objective, setup["objective"])),
        lambda: (
            client.delete(
                f"/api/v1/objectives/{setup['objective']}", headers=coordinator
            ).status_code
        ),
    )
    assert answers == [404]
    assert len(_audited(app, "plan_objective_deleted")) == 1


def test_a_note_cannot_bring_back_a_dropped_action_that_names_a_resident(demo):
    """A dropped action is not in the residents' summary, so its text was not checked; a
    progress note that takes it up again would publish it."""
    app = demo
    ids = _ids(app)
    _seed_personal_data(app, ids["hood"])
    from fieldwork.extensions import db
    from fieldwork.plans.models import Action, Plan, ResidentSummary

    with app.app_context():
        plan = db.session.scalars(select(Plan)).one()
        plan_id, objective_id = plan.id, plan.objectives[0].id
    client = app.test_client()
    token = bearer(api_token(client, "regisseur@demo.fieldwork.be", "zorgzaam-2026"))
    dropped = client.post(
        f"/api/v1/objectives/{objective_id}/actions",
        json={
            "description": f"Een rit voor {SECRET_NAME}",
            "starts_on": "2027-01-01",
            "ends_on": "2027-02-01",
            "status": "dropped",
        },
        headers=token,
    )
    assert dropped.status_code == 201, dropped.get_json()
    action_id = dropped.get_json()["id"]
    web = app.test_client()
    login(web, "regisseur@demo.fieldwork.be", "zorgzaam-2026")
    summary_url = f"/buurtplannen/{plan_id}/bewoners/{ids['hood']}"
    post_form(web, summary_url, {"publish": "0"})
    assert post_form(web, summary_url, {"publish": "1"}).status_code == 302

    note = client.post(
        f"/api/v1/actions/{action_id}/notes",
        json={"text": "Toch gestart.", "status": "running"},
        headers=token,
    )
    assert note.status_code == 422
    assert SECRET_NAME in note.get_json()["error"]["message"]
    page = post_form(
        web, f"/buurtplannen/acties/{action_id}", {"text": "Toch gestart.", "status": "running"}
    )
    assert page.status_code == 422
    with app.app_context():
        assert db.session.get(Action, action_id).status == "dropped"
        summary = db.session.scalars(
            select(ResidentSummary).filter_by(plan_id=plan_id, neighbourhood_id=ids["hood"])
        ).one()
        public = app.test_client().get(f"/buurtplan/{summary.token}")
    assert public.status_code == 200
    assert SECRET_NAME not in public.get_data(as_text=True)
    # a note that leaves the status as it is stays possible
    fine = client.post(
        f"/api/v1/actions/{action_id}/notes", json={"text": "Niet meer nodig."}, headers=token
    )
    assert fine.status_code == 201


def test_a_target_too_large_to_mean_anything_is_refused_and_the_plan_page_stays_up(app, setup):
    client = app.test_client()
    login(client, "coordinator@example.be")
    url = f"/buurtplannen/doelstellingen/{setup['objective']}/indicatoren/nieuw"
    for field, value in (("target", "1e30"), ("baseline", "-2e9")):
        answers = {
            "measure": "cases_opened",
            "neighbourhood": str(setup["hood"]),
            "period_kind": "quarter",
            "target": "5",
            field: value,
        }
        response = post_form(client, url, answers)
        assert response.status_code == 422, (field, response.status_code)
        assert "1.000.000.000" in response.get_data(as_text=True) or "1,000,000,000" in (
            response.get_data(as_text=True)
        )
    assert client.get(f"/buurtplannen/{setup['plan']}").status_code == 200


def test_a_neighbourhood_id_that_fits_no_column_is_refused_on_the_form(app, setup):
    client = app.test_client()
    login(client, "coordinator@example.be")
    answers = {
        "title": "X",
        "neighbourhoods": ["99999999999999999999"],
        "starts_on": "2026-01-01",
        "ends_on": "2026-02-01",
    }
    assert post_form(client, "/buurtplannen/nieuw?gemeente=36012", answers).status_code == 422
    edit = f"/buurtplannen/{setup['plan']}/bewerken"
    assert post_form(client, edit, answers).status_code == 422


def test_a_form_sent_twice_adds_once(app, setup):
    """A double tap, or a resend after a slow answer, on each page that adds something."""
    from fieldwork.extensions import db
    from fieldwork.plans.models import Action, ActionNote, Objective, Plan, PlanIndicator, Reaction

    client = app.test_client()
    login(client, "coordinator@example.be")

    def twice(url: str, answers: dict[str, Any]) -> list[int]:
        page = client.get(url).get_data(as_text=True)
        once = re.search(r'name="once"[^>]*value="([^"]+)"', page)
        assert once, url
        sent = {"csrf_token": csrf_from(page), "once": once.group(1), **answers}
        return [client.post(url, data=sent).status_code for _ in range(2)]

    plan, objective, hood = setup["plan"], setup["objective"], str(setup["hood"])
    sent = {
        Plan: twice(
            "/buurtplannen/nieuw?gemeente=36012",
            {
                "title": "Tweemaal",
                "neighbourhoods": [hood],
                "starts_on": "2026-01-01",
                "ends_on": "2026-12-31",
            },
        ),
        Objective: twice(
            f"/buurtplannen/{plan}/doelstellingen/nieuw",
            {"attention_point": "", "neighbourhood": hood, "title": "Tweemaal", "heard": ""},
        ),
        Action: twice(
            f"/buurtplannen/doelstellingen/{objective}/acties/nieuw",
            {
                "description": "Tweemaal",
                "owner": "",
                "starts_on": "2026-01-01",
                "ends_on": "2026-02-01",
                "status": "planned",
            },
        ),
        ActionNote: twice(f"/buurtplannen/acties/{setup['action']}", {"text": "Tweemaal"}),
        Reaction: twice(
            f"/buurtplannen/doelstellingen/{objective}/reacties",
            {"met_on": "2026-03-01", "meeting": "Buurtcafé", "text": "Tweemaal", "people": "4"},
        ),
        PlanIndicator: twice(
            f"/buurtplannen/doelstellingen/{objective}/indicatoren/nieuw",
            {
                "measure": "cases_opened",
                "neighbourhood": hood,
                "period_kind": "quarter",
                "target": "3",
            },
        ),
    }
    assert sent == {model: [302, 302] for model in sent}
    with app.app_context():
        counted = {
            Plan: db.session.scalar(select(func.count()).where(Plan.title == "Tweemaal")),
            Objective: db.session.scalar(select(func.count()).where(Objective.title == "Tweemaal")),
            Action: db.session.scalar(select(func.count()).where(Action.description == "Tweemaal")),
            ActionNote: db.session.scalar(
                select(func.count()).where(ActionNote.text == "Tweemaal")
            ),
            Reaction: db.session.scalar(select(func.count()).where(Reaction.text == "Tweemaal")),
            PlanIndicator: db.session.scalar(
                select(func.count()).where(
                    PlanIndicator.objective_id == objective,
                    PlanIndicator.measure == "cases_opened",
                )
            ),
        }
    assert counted == {model: 1 for model in counted}


def test_the_residents_summary_opened_twice_at_once_answers_both(app, setup, monkeypatch):
    """Its first use makes it: two first uses at the same moment (a double click, two tabs)
    both get the page."""
    import secrets as real_secrets
    import threading
    from types import SimpleNamespace

    import fieldwork.plans.services as services

    both_inside = threading.Barrier(2, timeout=5)

    def token_when_both_are_inside(size: int) -> str:
        with contextlib.suppress(threading.BrokenBarrierError):
            both_inside.wait()
        return real_secrets.token_urlsafe(size)

    monkeypatch.setattr(
        services, "secrets", SimpleNamespace(token_urlsafe=token_when_both_are_inside)
    )
    first, second = app.test_client(), app.test_client()
    login(first, "coordinator@example.be")
    login(second, "coordinator@example.be")
    url = f"/buurtplannen/{setup['plan']}/bewoners/{setup['hood']}"
    answers: list[int] = []
    threads = [
        threading.Thread(target=lambda c=client: answers.append(c.get(url).status_code))
        for client in (first, second)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == [200, 200]


@pytest.mark.parametrize("change", ["edit", "note"])
def test_changing_an_action_that_another_request_deletes_meanwhile_is_a_conflict(
    app, setup, monkeypatch, change
):
    import threading

    import fieldwork.plans.api as api
    from fieldwork.extensions import db
    from fieldwork.plans.models import ActionNote

    service = "save_action" if change == "edit" else "add_note"
    loaded, deleted = threading.Event(), threading.Event()
    real = getattr(api, service)

    def after_the_delete(*args: Any, **kwargs: Any) -> Any:
        loaded.set()
        deleted.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(api, service, after_the_delete)
    token = bearer(api_token(app.test_client(), "coordinator@example.be"))
    url = f"/api/v1/actions/{setup['action']}"
    answers: dict[str, Any] = {}

    def change_it() -> None:
        if change == "edit":
            answers["change"] = app.test_client().patch(url, json={"status": "done"}, headers=token)
        else:
            answers["change"] = app.test_client().post(
                f"{url}/notes", json={"text": "Gedaan."}, headers=token
            )

    changing = threading.Thread(target=change_it)
    changing.start()
    assert loaded.wait(10)
    assert app.test_client().delete(url, headers=token).status_code == 204
    deleted.set()
    changing.join(timeout=30)
    assert answers["change"].status_code == 409
    assert "meanwhile" in answers["change"].get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActionNote)) == 0
