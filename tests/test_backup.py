"""Backups (issue 20): ``flask backup`` writes the database and the stored files into one
archive, ``flask restore`` puts them back and replays the erasure ledger, so a resident erased
after the backup stays erased — from the ledger of the replaced database, or from the ledger
file when that database is gone. Both paths (SQLite file copy, pg_dump/pg_restore)."""

from __future__ import annotations

import tarfile

import pytest
from sqlalchemy import delete, select, text

from fieldwork.areas.models import Neighbourhood
from fieldwork.core.storage import storage
from fieldwork.extensions import db
from fieldwork.privacy.ledger import ErasureEntry, ledger_path
from fieldwork.signals.identity import address_key, name_key
from fieldwork.signals.models import Resident, Signal
from tests.conftest import api_token, bearer, import_areas, make_user
from tests.test_privacy_erasure import NAME, ledger_file, scan_database  # noqa: F401 - fixture


@pytest.fixture
def stored(app):
    """A resident with a signal, and a file in storage; (resident id, storage key)."""
    import_areas(app, "36012")
    make_user(app, "coordinator")
    with app.app_context():
        hood = db.session.scalars(select(Neighbourhood)).first()
        resident = Resident(
            municipality_id=hood.municipality_id,
            name=NAME,
            name_key=name_key(NAME),
            street="Kerkstraat",
            house_number="5",
            postcode="8890",
            address_key=address_key("Kerkstraat", "5", "8890"),
            neighbourhood_id=hood.id,
        )
        db.session.add(resident)
        db.session.flush()
        db.session.add(
            Signal(
                resident_id=resident.id,
                neighbourhood_id=hood.id,
                theme="eenzaamheid",
                domain="welzijn",
                source="manual",
                note=f"{NAME} belt niemand meer.",
            )
        )
        db.session.commit()
        key = f"backup-test/{resident.id}.txt"
        storage().put(key, b"a stored file", "text/plain")
        return resident.id, key


def erase(app, resident_id: int) -> None:
    client = app.test_client()
    token = api_token(client, "coordinator@example.be")
    response = client.post(
        f"/api/v1/residents/{resident_id}/erasure",
        json={"reason": "request"},
        headers=bearer(token),
    )
    assert response.status_code == 201, response.get_json()


def name_of(app, resident_id: int) -> str:
    with app.app_context():
        db.session.remove()
        return db.session.get(Resident, resident_id).name


def test_a_restore_of_a_backup_taken_before_an_erasure_keeps_the_resident_gone(
    app, stored, tmp_path
):
    resident_id, key = stored
    archive = tmp_path / "fieldwork-backup.tar.gz"
    runner = app.test_cli_runner()
    made = runner.invoke(args=["backup", str(archive)])
    assert made.exit_code == 0, made.output
    with tarfile.open(archive) as backup:
        names = backup.getnames()
    assert "manifest.json" in names
    assert {"database.sqlite", "database.dump"} & set(names)
    assert any(name.endswith(key) for name in names)  # the stored files are in it
    erase(app, resident_id)
    assert name_of(app, resident_id) != NAME
    with app.app_context():
        ledger_path().unlink()  # only the database being replaced knows the erasure

    restored = runner.invoke(args=["restore", str(archive), "--yes"])

    assert restored.exit_code == 0, restored.output
    assert "1 erased resident(s) erased again" in restored.output
    assert name_of(app, resident_id) != NAME
    found = scan_database(app)
    found.pop("audit_events", None)
    assert found == {}
    with app.app_context():
        assert db.session.scalar(select(ErasureEntry.resident_id)) == resident_id
        assert storage().get(key) == b"a stored file"
        # the file learnt it from the replaced database, for the next restore
        assert f'"resident_id": {resident_id}' in ledger_path().read_text()


def test_the_ledger_file_replays_when_the_database_lost_its_ledger(app, stored, tmp_path):
    resident_id, _key = stored
    archive = tmp_path / "backup.tar.gz"
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", str(archive)]).exit_code == 0
    erase(app, resident_id)
    with app.app_context():  # a new server: the database knows nothing of the erasure
        db.session.execute(delete(ErasureEntry))
        db.session.commit()
    restored = runner.invoke(args=["restore", str(archive), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert name_of(app, resident_id) != NAME
    with app.app_context():
        reasons = db.session.execute(text("SELECT reason FROM erasure_ledger")).scalars().all()
        assert reasons == ["request"]


def test_restore_refuses_what_is_not_a_backup(app, tmp_path):
    runner = app.test_cli_runner()
    missing = runner.invoke(args=["restore", str(tmp_path / "nope.tar.gz"), "--yes"])
    assert missing.exit_code != 0
