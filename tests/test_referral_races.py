"""Two phones filing the same card at the same moment, on PostgreSQL: the card row lock and
the unique submission decide. A third party holds the card's row lock while both requests
start, so both are certainly in flight together."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from sqlalchemy import func, select

from fieldwork.extensions import db
from fieldwork.referrals.models import ReferralSubmission
from tests.conftest import api_token, bearer, import_areas, make_user
from tests.test_referrals import card, codes_of, new_series, wait_for_pdfs

pytestmark = pytest.mark.integration


@pytest.fixture
def racing(pg_app, pg_url, celery_worker):
    import_areas(pg_app, "36012")
    make_user(pg_app, "coordinator")
    make_user(pg_app, "referrer")
    client = pg_app.test_client()
    coordinator = api_token(client, "coordinator@example.be")
    referrer = api_token(client, "referrer@example.be")
    code = codes_of(pg_app, new_series(client, coordinator, count=1)["id"])[0]
    yield pg_app, pg_url, referrer, code
    wait_for_pdfs(pg_app)


def _race(app, pg_url, code, headers_a, headers_b):
    results = {}

    def post(name, headers):
        response = app.test_client().post(
            f"/api/v1/referral-cards/{code}/submission", json=card(), headers=headers
        )
        results[name] = (response.status_code, response.get_json())

    with psycopg.connect(pg_url) as blocker:
        blocker.execute("SELECT id FROM referral_cards WHERE code = %s FOR UPDATE", (code,))
        threads = [
            threading.Thread(target=post, args=("a", headers_a)),
            threading.Thread(target=post, args=("b", headers_b)),
        ]
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # both requests now wait for the card's row lock
        blocker.rollback()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_phones_filing_one_card_store_it_once(racing):
    app, pg_url, referrer, code = racing
    results = _race(app, pg_url, code, bearer(referrer), bearer(referrer))
    assert sorted(status for status, _ in results.values()) == [201, 409]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReferralSubmission)) == 1


def test_a_retry_in_flight_with_the_same_key_gets_the_first_answer(racing):
    app, pg_url, referrer, code = racing
    headers = {**bearer(referrer), "Idempotency-Key": "flaky-phone-1"}
    results = _race(app, pg_url, code, headers, headers)
    assert [status for status, _ in results.values()] == [201, 201]
    assert results["a"][1] == results["b"][1]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReferralSubmission)) == 1
