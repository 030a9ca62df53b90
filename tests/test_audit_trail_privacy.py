"""The audit log cannot be edited, so it must hold nothing an erasure would have to remove:
a unique name, phone and note written through signal capture, a case read and update and a
doorstep visit appear nowhere in audit_events (ids and field names only)."""

from __future__ import annotations

import uuid

from sqlalchemy import String, cast, or_, select

from fieldwork.core.models import AuditEvent
from fieldwork.extensions import db
from fieldwork.signals.identity import address_key, name_key
from fieldwork.visits.models import VisitAddress
from tests.conftest import bearer, login
from tests.test_signals import intake, wait_for_status
from tests.test_visits import my_list, sheet, visit_round  # noqa: F401 - fixture


def _marker() -> str:
    return "Zq" + uuid.uuid4().hex[:10]


def _audit_rows_holding(app, *needles: str) -> list[tuple]:
    columns = [cast(c, String) for c in AuditEvent.__table__.columns]
    with app.app_context():
        matches = [c.contains(n) for c in columns for n in needles]
        return [tuple(r) for r in db.session.execute(select(*columns).where(or_(*matches)))]


def test_no_personal_text_reaches_the_audit_log(app, visit_round):  # noqa: F811
    client, tokens, round_id, _maria = visit_round
    name, note, phone = f"Mevrouw {_marker()}", f"Notitie {_marker()}", "0470 98 76 54"
    # signal capture, routed to An (65+ in Dadizele)
    payload = intake(name=name, number="77", resident={"phone": phone, "birth_year": 1939})
    payload["note"] = note
    filed = client.post("/api/v1/signals", json=payload, headers=bearer(tokens["coordinator"]))
    assert filed.status_code == 201, filed.get_json()
    case_id = wait_for_status(client, tokens["coordinator"], filed.get_json()["id"])["case_id"]
    # a case read and update, on the API and the page
    an = bearer(tokens["an"])
    assert client.get(f"/api/v1/cases/{case_id}", headers=an).status_code == 200
    event = client.post(
        f"/api/v1/cases/{case_id}/events", json={"type": "note", "note": note}, headers=an
    )
    assert event.status_code == 201, event.get_json()
    page = app.test_client()
    login(page, "an@example.be")
    assert name in page.get(f"/cases/{case_id}").get_data(as_text=True)
    coordinator = {**bearer(tokens["coordinator"]), "X-Access-Reason": "Vervanging An"}
    assert client.get(f"/api/v1/cases/{case_id}", headers=coordinator).status_code == 200
    # a doorstep visit: first not at home (its undo state is kept), then spoken with a note
    visited = f"Meneer {_marker()}"
    with app.app_context():
        template = db.session.scalars(
            select(VisitAddress).filter_by(street="Dadizeleplaats").limit(1)
        ).one()
        db.session.add(
            VisitAddress(
                round_id=round_id,
                name=visited,
                name_key=name_key(visited),
                street="Dadizeleplaats",
                street_key=template.street_key,
                house_number="99",
                postcode="8890",
                address_key=address_key("Dadizeleplaats", "99", "8890"),
                birth_year=1937,
                sector_id=template.sector_id,
                neighbourhood_id=template.neighbourhood_id,
            )
        )
        db.session.commit()
    client.post(
        f"/api/v1/visit-rounds/{round_id}/assignments",
        json={"volunteer": "maria@example.be", "street": "dadizeleplaats"},
        headers=bearer(tokens["coordinator"]),
    )
    mine = next(i for i in my_list(client, tokens["maria"]) if i["name"] == visited)
    maria = bearer(tokens["maria"])
    not_home = client.post(
        "/api/v1/visits", json=sheet(mine["assignment_id"], "not_home"), headers=maria
    )
    assert not_home.status_code == 201, not_home.get_json()
    spoken = client.post(
        "/api/v1/visits",
        json=sheet(
            mine["assignment_id"],
            themes={"eenzaamheid": "concern"},
            wants_contact=True,
            consent={"given": True, "how": "signed_strip", "reference": "F-18"},
            note=note,
        ),
        headers=maria,
    )
    assert spoken.status_code == 201, spoken.get_json()
    with app.app_context():
        recorded = db.session.scalars(select(AuditEvent).filter_by(action="visit_recorded")).all()
        assert recorded
        assert all(set(e.detail) <= {"outcome", "visit_id", "before"} for e in recorded)
    # the audit trail read back, as the coordinator, and its CSV
    assert client.get("/api/v1/audit", headers=bearer(tokens["coordinator"])).status_code == 200
    markers = [text.split()[-1] for text in (name, visited, note)]
    # nor the volunteer's e-mail address (the assignment names her by id)
    needles = (*markers, phone, "0470987654", "Dadizeleplaats", "maria@example.be")
    assert _audit_rows_holding(app, *needles) == []
