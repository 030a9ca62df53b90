"""A date nobody means (year 1, year 9999) is refused with the field named, on every form
and API that plans something in time: stored, it broke what is computed from it later (a
photo assignment's weeks past 9999-12-31: its page and the API answered 500 after the
commit; a round ending in 9999 is never taken by retention)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from fieldwork.areas.models import Neighbourhood
from fieldwork.extensions import db
from fieldwork.photos.models import PhotoAssignment
from fieldwork.visits.models import VisitRound
from fieldwork.volunteers.models import Training
from tests.conftest import api_token, bearer, import_areas, make_user


@pytest.fixture
def coordinator(app):
    import_areas(app, "36012")
    make_user(app, "coordinator")
    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood.id).filter_by(name="Dadizele")).one()
    client = app.test_client()
    return client, bearer(api_token(client, "coordinator@example.be")), hood


def count(app, model) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize(
    ("first", "last"), [("0001-01-01", "2027-01-01"), ("9999-12-31", "9999-12-31")]
)
def test_an_unthinkable_period_is_refused_and_nothing_stored(app, coordinator, first, last):
    client, headers, hood = coordinator
    posts = [
        (
            "/api/v1/visit-rounds",
            {
                "gemeente": "36012",
                "name": "Ronde",
                "neighbourhoods": [hood],
                "starts_on": first,
                "ends_on": last,
            },
            VisitRound,
        ),
        (
            "/api/v1/photo-assignments",
            {
                "gemeente": "36012",
                "title": "Foto's",
                "prompts": [{"prompt": "Wat is mooi?"}],
                "neighbourhood_ids": [hood],
                "starts_on": first,
                "ends_on": last,
            },
            PhotoAssignment,
        ),
        (
            "/api/v1/trainings",
            {"gemeente": "36012", "title": "Vorming", "held_on": first},
            Training,
        ),
    ]
    for path, body, model in posts:
        answer = client.post(path, json=body, headers=headers)
        assert answer.status_code == 422, (path, answer.status_code)
        assert "2000" in answer.get_json()["error"]["message"], path
        assert count(app, model) == 0, path
    sane = {"starts_on": "2027-01-04", "ends_on": "2027-02-28"}
    for path, body, model in posts[:2]:
        assert client.post(path, json={**body, **sane}, headers=headers).status_code == 201, path
        assert count(app, model) == 1
