"""Coordinator operations on neighbourhoods. Flush, never commit."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from fieldwork.areas.hooks import fixup_resolved, neighbourhood_in_use
from fieldwork.areas.models import AddressFixup, Municipality, Neighbourhood, Sector
from fieldwork.db import savepoint, utcnow
from fieldwork.extensions import db


class AreaError(ValueError):
    """A user-facing reason an area change was refused, and the field it is about."""

    def __init__(self, message: str, field: str = "_schema") -> None:
        super().__init__(message)
        self.field = field


def list_municipalities() -> list[Municipality]:
    return list(db.session.scalars(select(Municipality).order_by(Municipality.name)))


def chosen_municipality(code: str | None) -> Municipality | None:
    """For a page with a municipality switch: the one with this code, else the first by
    name; None when none was imported."""
    municipalities = list_municipalities()
    wanted = (code or "")[:10]
    return next(
        (m for m in municipalities if m.code == wanted),
        municipalities[0] if municipalities else None,
    )


def get_municipality(code: str) -> Municipality | None:
    return db.session.scalar(select(Municipality).where(Municipality.code == code.strip()))


def neighbourhoods_of(municipality: Municipality) -> list[Neighbourhood]:
    """Located neighbourhoods by name, the unlocatable bucket last."""
    return list(
        db.session.scalars(
            select(Neighbourhood)
            .where(Neighbourhood.municipality_id == municipality.id)
            .order_by(Neighbourhood.is_unlocatable, Neighbourhood.name)
        )
    )


def neighbourhood_choices(
    municipality: Municipality, empty: str | None = None
) -> list[tuple[str, str]]:
    """A form's choice of the municipality's located neighbourhoods (id as text, name),
    after an empty choice labelled ``empty`` when given."""
    located = [(str(n.id), n.name) for n in neighbourhoods_of(municipality) if not n.is_unlocatable]
    return located if empty is None else [("", empty), *located]


def sector_counts(municipality: Municipality) -> dict[int, int]:
    rows = db.session.execute(
        select(Sector.neighbourhood_id, func.count())
        .join(Neighbourhood)
        .where(Neighbourhood.municipality_id == municipality.id)
        .group_by(Sector.neighbourhood_id)
    ).all()
    return {nid: count for nid, count in rows}


def _check_name(municipality: Municipality, name: str, exclude_id: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise AreaError(_("A neighbourhood needs a name."), "name")
    if len(name) > 120:
        raise AreaError(_("A neighbourhood name has at most 120 characters."), "name")
    clash = db.session.scalar(
        select(Neighbourhood).where(
            Neighbourhood.municipality_id == municipality.id,
            func.lower(Neighbourhood.name) == name.lower(),
        )
    )
    if clash is not None and clash.id != exclude_id:
        raise AreaError(_name_taken(municipality, clash.name), "name")
    return name


def _name_taken(municipality: Municipality, name: str) -> str:
    return _(
        "%(municipality)s already has a neighbourhood called '%(name)s'.",
        municipality=municipality.name,
        name=name,
    )


def rename_neighbourhood(neighbourhood: Neighbourhood, name: str) -> Neighbourhood:
    neighbourhood.name = _check_name(neighbourhood.municipality, name, exclude_id=neighbourhood.id)
    _flush_name(neighbourhood.municipality, neighbourhood)
    return neighbourhood


def _flush_name(municipality: Municipality, neighbourhood: Neighbourhood) -> None:
    """Two coordinators giving the same name at the same moment: the second's write clashes
    with the unique name and is refused like a name checked before."""
    try:
        with savepoint(db.session):
            db.session.add(neighbourhood)
            db.session.flush()
    except IntegrityError as exc:
        raise AreaError(_name_taken(municipality, neighbourhood.name), "name") from exc


def _sectors_for(municipality: Municipality, codes: Iterable[str]) -> list[Sector]:
    codes = sorted({c.strip().upper() for c in codes})
    sectors = list(db.session.scalars(select(Sector).where(Sector.code.in_(codes))))
    found = {s.code for s in sectors}
    if missing := [c for c in codes if c not in found]:
        raise AreaError(
            ngettext(
                "Unknown sector: %(codes)s",
                "Unknown sectors: %(codes)s",
                len(missing),
                codes=", ".join(missing),
            ),
            "sectors",
        )
    for sector in sectors:
        if sector.sub_municipality.municipality_id != municipality.id:
            raise AreaError(
                _(
                    "Sector %(code)s is not in %(municipality)s.",
                    code=sector.code,
                    municipality=municipality.name,
                ),
                "sectors",
            )
        if sector.sub_municipality.is_unlocatable:
            message = _(
                "Sector %(code)s is the 'niet te lokaliseren' bucket and stays there.",
                code=sector.code,
            )
            raise AreaError(message, "sectors")
    return sectors


def move_sectors(neighbourhood: Neighbourhood, codes: Iterable[str]) -> list[Sector]:
    """Regroup: the given sectors now belong to ``neighbourhood``."""
    if neighbourhood.is_unlocatable:
        raise AreaError(
            _("Located sectors cannot be moved into the 'niet te lokaliseren' bucket."), "sectors"
        )
    sectors = _sectors_for(neighbourhood.municipality, codes)
    for sector in sectors:
        sector.neighbourhood = neighbourhood
    db.session.flush()
    return sectors


def create_neighbourhood(
    municipality: Municipality, name: str, sector_codes: Iterable[str] = ()
) -> Neighbourhood:
    # by id: assigning the relationship would put it in the collection before the savepoint
    neighbourhood = Neighbourhood(
        municipality_id=municipality.id, name=_check_name(municipality, name)
    )
    _flush_name(municipality, neighbourhood)
    codes = list(sector_codes)
    if codes:
        move_sectors(neighbourhood, codes)
    return neighbourhood


def delete_neighbourhood(neighbourhood: Neighbourhood) -> None:
    if neighbourhood.is_unlocatable:
        raise AreaError(_("The 'niet te lokaliseren' bucket cannot be deleted."))
    if neighbourhood.sectors:
        raise AreaError(_("Move this neighbourhood's sectors elsewhere before deleting it."))
    if any(in_use for _receiver, in_use in neighbourhood_in_use.send(neighbourhood)):
        raise AreaError(
            _(
                "Residents, signals or routing rules still refer to this "
                "neighbourhood; it cannot be deleted."
            )
        )
    db.session.delete(neighbourhood)
    db.session.flush()


def open_fixups(municipality: Municipality | None = None) -> list[AddressFixup]:
    query = select(AddressFixup).where(AddressFixup.resolved_at.is_(None))
    if municipality is not None:
        query = query.where(AddressFixup.municipality_id == municipality.id)
    return list(db.session.scalars(query.order_by(AddressFixup.created_at)))


def resolve_fixup(fixup: AddressFixup, sector_code: str, user_id: int | None) -> AddressFixup:
    if fixup.resolved_at is not None:
        raise AreaError(_("This address was already placed."))
    sector = db.session.scalar(select(Sector).where(Sector.code == sector_code.strip().upper()))
    if sector is None or sector.sub_municipality.municipality_id != fixup.municipality_id:
        raise AreaError(
            _("Choose a sector of %(municipality)s.", municipality=fixup.municipality.name),
            "sector",
        )
    fixup.resolved_sector, fixup.resolved_at, fixup.resolved_by_id = sector, utcnow(), user_id
    if fixup.source_id:
        fixup_resolved.send(fixup, sector=sector)  # the resident or visit address moves
    db.session.flush()
    return fixup
