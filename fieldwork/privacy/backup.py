"""``flask backup PATH`` and ``flask restore PATH``: the database and the stored files in one
archive, and after a restore the erasure ledger replayed.

Why the ledger is read from outside the restored database: the backup was taken before the
erasures that followed it, so its own ledger table does not know them. Before restoring we
read the ledger of the database being replaced (it holds every erasure up to now) and the
ledger file (``ERASURE_LEDGER_PATH``, written by every erasure, so a restore onto a new
server whose database is lost still has it); after restoring, every resident in either is
erased again and the ledger table completed. Keep the ledger file on other storage than the
backups (see README).

The archive (tar.gz): ``manifest.json``; ``database.dump`` (``pg_dump --format=custom``) or
``database.sqlite`` (the SQLite file, copied through SQLite's backup API); ``storage/`` (the
files under STORAGE_DIR; with S3 storage the bucket is backed up by its own versioning).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from fieldwork.core.audit import record_audit
from fieldwork.db import utcnow
from fieldwork.extensions import db
from fieldwork.privacy.erasure import is_erased, pseudonymise_residents
from fieldwork.privacy.ledger import (
    ErasureEntry,
    LedgerLine,
    append_lines,
    file_lines,
    table_lines,
)
from fieldwork.signals.models import Resident


class BackupError(RuntimeError):
    pass


@dataclass(frozen=True)
class Restored:
    replayed: int  # residents erased again
    ledger_rows: int  # ledger rows the restored database lacked


def _database_url() -> str:
    return str(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _is_sqlite() -> bool:
    return _database_url().startswith("sqlite")


def _libpq_url() -> str:
    url = make_url(_database_url()).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _storage_dir() -> Path | None:
    if current_app.config.get("STORAGE_BACKEND", "local") != "local":
        return None
    configured = current_app.config.get("STORAGE_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "storage"


def _run(command: list[str]) -> None:
    # a fixed argv (pg_dump, pg_restore and our own paths), no shell
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def backup(target: Path) -> dict[str, object]:
    """Write the archive to ``target``; returns its manifest."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if _is_sqlite():
            database = work / "database.sqlite"
            db.session.remove()
            source = sqlite3.connect(str(make_url(_database_url()).database))
            copy = sqlite3.connect(str(database))
            with copy:
                source.backup(copy)
            source.close()
            copy.close()
        else:
            database = work / "database.dump"
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={database}", _libpq_url()])
        manifest: dict[str, object] = {
            "created_at": utcnow().isoformat(),
            "database": database.name,
            "storage": _storage_dir() is not None,
        }
        (work / "manifest.json").write_text(json.dumps(manifest))
        target.parent.mkdir(parents=True, exist_ok=True)
        with tarfile.open(target, "w:gz") as archive:
            archive.add(work / "manifest.json", "manifest.json")
            archive.add(database, database.name)
            storage = _storage_dir()
            if storage is not None and storage.exists():
                archive.add(storage, "storage")
    return manifest


def _current_ledger() -> list[LedgerLine]:
    """The ledger of the database about to be replaced (none when it has no tables yet)."""
    try:
        if not inspect(db.engine).has_table(ErasureEntry.__tablename__):
            return []
        return table_lines()
    finally:
        db.session.remove()


def restore(source: Path) -> Restored:
    """Replace the database and the stored files by the archive's, then replay the ledger."""
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    ledger = _current_ledger() + file_lines()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with tarfile.open(source, "r:gz") as archive:
            archive.extractall(work, filter="data")
        manifest = json.loads((work / "manifest.json").read_text())
        db.session.remove()
        db.engine.dispose()
        _restore_database(work / str(manifest["database"]))
        _restore_storage(work / "storage")
    _upgrade()
    restored = replay(ledger)
    _complete_file(ledger)
    return restored


def _complete_file(ledger: list[LedgerLine]) -> None:
    """The ledger file gets what only the replaced database knew: the next restore, maybe
    onto a new server, needs it."""
    in_file = {line.resident_id for line in file_lines()}
    append_lines(line for line in ledger if line.resident_id not in in_file)


def _upgrade() -> None:
    """A backup from an older release: its schema brought to this release's (the ledger
    table included) before the ledger is replayed into it."""
    from flask_migrate import upgrade

    upgrade()
    db.session.remove()


def _restore_database(dump: Path) -> None:
    if _is_sqlite():
        if dump.suffix != ".sqlite":
            raise BackupError("This backup is of a PostgreSQL database; DATABASE_URL is SQLite.")
        shutil.copyfile(dump, str(make_url(_database_url()).database))
        return
    if dump.suffix != ".dump":
        raise BackupError("This backup is of a SQLite database; DATABASE_URL is PostgreSQL.")
    _run(
        [
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq_url()}",
            str(dump),
        ]
    )


def _restore_storage(files: Path) -> None:
    storage = _storage_dir()
    if storage is None or not files.exists():
        return
    if storage.exists():
        shutil.rmtree(storage)
    shutil.copytree(files, storage)


def replay(ledger: list[LedgerLine]) -> Restored:
    """Erase again every resident the ledger names and complete the ledger table. Commits."""
    known = set(db.session.scalars(select(ErasureEntry.resident_id)))
    added = 0
    for line in {line.resident_id: line for line in ledger}.values():
        if line.resident_id not in known:
            db.session.add(
                ErasureEntry(
                    resident_id=line.resident_id,
                    erased_at=_parse(line.erased_at),
                    by_user_id=line.by_user_id,
                    reason=line.reason,
                )
            )
            added += 1
    ids = {line.resident_id for line in ledger} | known
    residents = [
        r
        for r in db.session.scalars(select(Resident).where(Resident.id.in_(sorted(ids))))
        if not is_erased(r)
    ]
    if residents:
        pseudonymise_residents(residents)
    record_audit("erasures_replayed", "privacy", None, residents=len(residents), added=added)
    db.session.commit()
    return Restored(replayed=len(residents), ledger_rows=added)


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment)
