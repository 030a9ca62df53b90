"""visits' answers to the hooks of areas and volunteers; connected once per process by
``init_app``."""

from __future__ import annotations

from typing import Any

from fieldwork.areas.hooks import fixup_resolved
from fieldwork.areas.models import AddressFixup, Sector
from fieldwork.auth.models import User
from fieldwork.extensions import db
from fieldwork.visits.models import VisitAddress
from fieldwork.visits.services import my_open_addresses, unassign
from fieldwork.volunteers.hooks import volunteer_stepped_back


def place_visit_address(fixup: AddressFixup, sector: Sector, **_: Any) -> None:
    if fixup.source_type != "visit_address" or not fixup.source_id:
        return
    address = db.session.get(VisitAddress, int(fixup.source_id))
    if address is not None:
        address.sector_id, address.neighbourhood_id = sector.id, sector.neighbourhood_id
        address.flagged = False


def release_addresses(_volunteer: object, account: User, **_: Any) -> None:
    """The visitor's open addresses: the pair's other half keeps them, else back to the
    coordinator."""
    for address in my_open_addresses(account):
        if address.partner_id == account.id:
            address.partner_id = None
        elif address.partner_id is not None:
            address.volunteer_id, address.partner_id = address.partner_id, None
        else:
            unassign([address])


fixup_resolved.connect(place_visit_address, weak=False)
volunteer_stepped_back.connect(release_addresses, weak=False)
