"""The erasure ledger: which resident was erased, when, by whom and why — ids and codes only.

It is replayed after every restore (fieldwork.privacy.backup) so that a backup taken before an
erasure cannot bring the resident back. Besides the table, each row is appended to a file
(``ERASURE_LEDGER_PATH``, default ``instance/erasure-ledger.jsonl``): a restore onto a fresh
server, whose database is the backup itself, still knows every later erasure."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from fieldwork.db import Base, UTCDateTime, utcnow
from fieldwork.extensions import db

# why a resident was erased: a code, never words someone typed (they could name the person)
REASONS = ("request", "consent_withdrawn", "deceased", "unlawful", "retention", "other")


class ErasureEntry(Base):
    __tablename__ = "erasure_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    # no foreign keys: the ledger must read the same in a database restored from any backup
    resident_id: Mapped[int] = mapped_column(Integer, index=True)
    erased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(30))


@dataclass(frozen=True)
class LedgerLine:
    resident_id: int
    erased_at: str
    by_user_id: int | None
    reason: str


def ledger_path() -> Path:
    configured = current_app.config.get("ERASURE_LEDGER_PATH")
    return (
        Path(configured) if configured else Path(current_app.instance_path) / "erasure-ledger.jsonl"
    )


def add_entry(resident_id: int, by_user_id: int | None, reason: str) -> ErasureEntry:
    """A ledger row in the session and a line in the ledger file. The line is written before
    the commit: should the commit fail, the next restore erases the resident anyway, which
    is what was asked."""
    entry = ErasureEntry(
        resident_id=resident_id, by_user_id=by_user_id, reason=reason, erased_at=utcnow()
    )
    db.session.add(entry)
    append_lines([_line(entry)])
    return entry


def _line(entry: ErasureEntry) -> LedgerLine:
    return LedgerLine(
        entry.resident_id, entry.erased_at.isoformat(), entry.by_user_id, entry.reason
    )


def append_lines(lines: Iterable[LedgerLine]) -> None:
    path = ledger_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as ledger:
        for line in lines:
            ledger.write(json.dumps(line.__dict__) + "\n")


def file_lines() -> list[LedgerLine]:
    path = ledger_path()
    if not path.exists():
        return []
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.strip():
            lines.append(LedgerLine(**json.loads(raw)))
    return lines


def table_lines() -> list[LedgerLine]:
    return [_line(entry) for entry in db.session.scalars(select(ErasureEntry))]


def erased_resident_ids() -> set[int]:
    return set(db.session.scalars(select(ErasureEntry.resident_id)))
