"""When two signals are about the same resident: normalised name and address; and the lock
that makes two simultaneous captures about the same person agree on it."""

from __future__ import annotations

import hashlib
import re

from sqlalchemy import text

from fieldwork.areas.streets import KEY_LENGTH, folded_words, street_key
from fieldwork.extensions import db

ADDRESS_KEY_LENGTH = 240  # the address_key columns


def name_key(name: str) -> str:
    # folding can lengthen a name ("ß" → "ss"): the key fits its columns
    return " ".join(folded_words(name))[:KEY_LENGTH]


def address_key(street: str | None, house_number: str | None, postcode: str | None) -> str:
    number = re.sub(r"\s+", "", (house_number or "").casefold())
    return f"{street_key(street or '')}|{number}|{(postcode or '').strip()}"[:ADDRESS_KEY_LENGTH]


def identity_lock_id(municipality_id: int, key_name: str, key_address: str) -> int:
    """A signed 64-bit number for (municipality, name key, address key): the advisory lock's
    key. Two different identities sharing a number only wait for each other, briefly."""
    digest = hashlib.blake2b(
        f"resident|{municipality_id}|{key_name}|{key_address}".encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_identity(municipality_id: int, key_name: str, key_address: str) -> None:
    """Hold, until this transaction ends, the right to look up and create the resident with
    this identity, so that a concurrent capture about the same person waits and then finds
    the resident this one made (find_or_create_resident selects, then inserts).

    Why a lock and not a unique index on the identity: the match is not an equality of
    columns. A missing birth year matches any birth year, and a known one must match; so
    "Maria Claes, Dadizeleplaats 12, 1941" and "Maria Claes, Dadizeleplaats 12, 1956" are
    two people, while either is the same person as the one captured without a birth year.
    No unique key expresses that, and existing databases may already hold duplicate rows
    (waiting for a merge) that a unique index would refuse to build on. The lock covers the
    (municipality, name, address) part only, the whole of what the lookup selects by, and
    leaves the birth-year rule to the lookup, now serialised.

    PostgreSQL: a transaction-scoped advisory lock (``pg_advisory_xact_lock``), released at
    commit or rollback; the second transaction's SELECT, a new statement under READ
    COMMITTED, then sees the first one's resident. SQLite writes one transaction at a time
    but pysqlite starts the transaction only at the first write, so two requests could
    both select before either inserts: a write that changes nothing takes the database's
    write lock first (a second writer waits for the first to commit, up to the busy timeout).
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"),
            {"key": identity_lock_id(municipality_id, key_name, key_address)},
        )
    elif dialect == "sqlite":
        db.session.execute(text("UPDATE residents SET id = id WHERE 0 = 1"))
