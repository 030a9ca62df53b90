"""signals' answers to the hooks of areas; connected once per process by ``init_app``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from fieldwork.areas.hooks import fixup_resolved, neighbourhood_in_use
from fieldwork.areas.models import AddressFixup, Neighbourhood, Sector
from fieldwork.extensions import db
from fieldwork.signals.models import Resident, Signal


def residents_or_signals_in(neighbourhood: Neighbourhood, **_: Any) -> bool:
    return any(
        db.session.scalar(
            select(func.count())
            .select_from(model)
            .where(model.neighbourhood_id == neighbourhood.id)
        )
        for model in (Resident, Signal)
    )


def place_resident(fixup: AddressFixup, sector: Sector, **_: Any) -> None:
    """A resident's address was placed: the resident and their signals in that neighbourhood
    move to the sector's neighbourhood."""
    if fixup.source_type != "resident" or not fixup.source_id:
        return
    resident = db.session.get(Resident, int(fixup.source_id))
    if resident is not None:
        old = resident.neighbourhood_id
        resident.sector_id, resident.neighbourhood_id = sector.id, sector.neighbourhood_id
        for signal in db.session.scalars(
            select(Signal).where(Signal.resident_id == resident.id, Signal.neighbourhood_id == old)
        ):
            signal.neighbourhood_id = sector.neighbourhood_id


neighbourhood_in_use.connect(residents_or_signals_in, weak=False)
fixup_resolved.connect(place_resident, weak=False)
