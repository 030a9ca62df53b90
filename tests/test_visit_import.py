"""The target-list import, the cases tests/test_visit_importer.py leaves open: a header after
blank lines, odd line breaks and digits, the fix-up pointing at the stored address, a worker
cut off half-way (the task delivered again) and an unexpected error."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from fieldwork.areas.services import open_fixups
from fieldwork.extensions import db
from fieldwork.visits import importer
from fieldwork.visits.importer import run_import, start_import
from fieldwork.visits.models import VisitAddress, VisitImport, VisitRound
from fieldwork.visits.tasks import import_targets
from tests.test_visit_importer import _round

HEADER = "naam;straat;huisnummer;postcode;geboortejaar"


@pytest.fixture
def round_id(app) -> int:
    return _round(app)


@pytest.fixture
def worker(app, request) -> None:
    """start_import hands the file to the real worker on the production path."""
    if app.config.get("REDIS_URL"):
        request.getfixturevalue("celery_worker")


def _through_worker(app, round_id: int, raw: bytes) -> VisitImport:
    with app.app_context():
        job = start_import(db.session.get(VisitRound, round_id), "lijst.csv", raw, None)
        db.session.commit()
        job_id = job.id
    deadline = time.monotonic() + 60
    while True:
        with app.app_context():
            job = db.session.get(VisitImport, job_id)
            if job.status in ("done", "failed"):
                db.session.expunge(job)
                return job
        assert time.monotonic() < deadline, "the import did not finish within 60 s"
        time.sleep(0.2)


def _job(app, round_id: int, raw: bytes) -> int:
    """An import the worker has not seen (no outbox message: these tests run it here)."""
    with app.app_context():
        job = VisitImport(round_id=round_id, filename="lijst.csv", data=raw, report={})
        db.session.add(job)
        db.session.commit()
        return job.id


def test_header_after_blank_lines_and_odd_line_breaks(app, round_id, worker):
    raw = (
        "\r\n;;;;\r\n" + HEADER + "\r\n"
        "Gérard\u2028Vandenbroucke;Dadizeleplaats;3;8890;1939\r"  # U+2028: a space; CR: a break
        "Renée D'Hondt;Moorseelsestraat;11;8890;1935\x0c\r\n"  # form feed: not a line break
        "Jan Pee\x00ters;Moorseelsestraat;13;8890;\r\n"  # NUL: dropped
        "Zulma Vink;Moorseelsestraat;15;\uff18\uff18\uff19\uff10;1940\r\n"
        "Elza Dewulf;Moorseelsestraat;17;8890;\u00b2\u00b2\r\n"
    ).encode("utf-8")
    job = _through_worker(app, round_id, raw)
    assert job.status == "done", job.report
    assert (job.total, job.accepted) == (5, 3)
    assert job.report["rejected"] == [
        {"line": 7, "reason": "postcode '\uff18\uff18\uff19\uff10' is geen Belgische postcode"},
        {"line": 8, "reason": "geboortejaar '\u00b2\u00b2' klopt niet"},
    ]
    with app.app_context():
        stored = db.session.execute(select(VisitAddress.name, VisitAddress.line_no)).all()
        assert dict(stored) == {"Gérard Vandenbroucke": 4, "Renée D'Hondt": 5, "Jan Peeters": 6}


def test_an_unplaced_address_is_on_the_fixup_list_pointing_at_it(app, round_id, worker):
    raw = f"{HEADER}\nSimonne Bossuyt;Kasteelhoekstraat;12;8890;1945\n".encode()
    job = _through_worker(app, round_id, raw)
    assert job.report["unresolved"] == [{"line": 2, "address": "Kasteelhoekstraat 12, 8890"}]
    assert job.report["counts"] == {"rejected": 0, "duplicates": 0, "unresolved": 1}
    with app.app_context():
        address = db.session.scalars(select(VisitAddress)).one()
        assert address.flagged
        assert address.neighbourhood.is_unlocatable
        (fixup,) = open_fixups(address.round.municipality)
        assert (fixup.street, fixup.house_number, fixup.postcode) == (
            "Kasteelhoekstraat",
            "12",
            "8890",
        )
        assert (fixup.source_type, fixup.source_id) == ("visit_address", str(address.id))


class WorkerLost(BaseException):
    """What the worker sees when it is stopped: not an error the import may catch."""


def _stop_at(monkeypatch, line: int, error: BaseException) -> None:
    parse = importer.parse_visit_row

    def failing(at: int, *args):
        if at == line:
            raise error
        return parse(at, *args)

    monkeypatch.setattr(importer, "parse_visit_row", failing)


ROWS = [
    f"Bewoner {i};{'Kasteelhoekstraat' if i == 3 else 'Dadizeleplaats'};{i};8890;1940"
    for i in range(1, 26)
]
LIST = "\n".join([HEADER, *ROWS]).encode()


def test_a_cut_off_import_delivered_again_counts_its_own_rows_once(app, round_id, monkeypatch):
    job_id = _job(app, round_id, LIST)
    _stop_at(monkeypatch, 18, WorkerLost())
    with app.app_context(), pytest.raises(WorkerLost):
        run_import(job_id, progress_every=10)
    with app.app_context():
        db.session.rollback()  # what the dying worker's connection does
        job = db.session.get(VisitImport, job_id)
        assert (job.status, job.processed, job.accepted) == ("running", 10, 10)
        assert job.data is not None
    monkeypatch.undo()
    with app.app_context():
        job = run_import(job_id, progress_every=10)
        assert job is not None
        assert (job.status, job.total, job.processed, job.accepted) == ("done", 25, 25, 25)
        assert (job.report["duplicates"], job.report["rejected"]) == ([], [])
        assert job.report["unresolved"] == [{"line": 4, "address": "Kasteelhoekstraat 3, 8890"}]
        assert db.session.scalar(select(func.count()).select_from(VisitAddress)) == 25
        assert len(open_fixups()) == 1
        # delivered a third time: done is left alone
        assert run_import(job_id).accepted == 25
        assert db.session.scalar(select(func.count()).select_from(VisitAddress)) == 25


def test_an_unexpected_error_fails_the_import_with_a_message(app, round_id, monkeypatch):
    job_id = _job(app, round_id, LIST)
    _stop_at(monkeypatch, 18, RuntimeError("database went away"))
    with app.app_context():
        job = run_import(job_id, progress_every=10)
        assert job is not None
        assert (job.status, job.accepted, job.data) == ("failed", 10, None)
        assert job.finished_at is not None
        assert job.report["error"].startswith("Het inlezen liep onverwacht fout. 10 adressen")
        assert db.session.scalar(select(func.count()).select_from(VisitAddress)) == 10
    monkeypatch.undo()
    again = _job(app, round_id, LIST)  # the coordinator uploads it again: the rest comes in
    with app.app_context():
        job = run_import(again)
        assert job is not None
        assert (job.status, job.accepted, job.report["counts"]["duplicates"]) == ("done", 15, 10)
        assert db.session.scalar(select(func.count()).select_from(VisitAddress)) == 25


def test_the_task_returns_how_many_were_accepted(embedded_app):
    round_id = _round(embedded_app)
    job_id = _job(embedded_app, round_id, LIST)
    with embedded_app.app_context():
        assert import_targets(job_id) == 25
        assert import_targets(job_id) == 25  # safe to run twice
        assert import_targets(10_000) == 0  # no such import
