"""The area hierarchy: municipality → sub-municipality → sector, and neighbourhoods
(a coordinator-chosen set of sectors)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldwork.db import Base, UTCDateTime, utcnow


class Municipality(Base):
    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(5), unique=True)  # NIS5, e.g. 36012
    name: Mapped[str] = mapped_column(String(120))
    province_code: Mapped[str | None] = mapped_column(String(5))

    sub_municipalities: Mapped[list[SubMunicipality]] = relationship(
        back_populates="municipality", order_by="SubMunicipality.code"
    )
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        back_populates="municipality", order_by="Neighbourhood.name"
    )


class SubMunicipality(Base):
    """A deelgemeente (36012B Dadizele) or the municipality's 'niet te lokaliseren' bucket."""

    __tablename__ = "sub_municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)  # up to 15 in the CSV
    name: Mapped[str] = mapped_column(String(120))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    is_unlocatable: Mapped[bool] = mapped_column(Boolean, default=False)
    # GeoJSON geometry (WGS84) as text: portable across SQLite and PostgreSQL without PostGIS.
    geometry: Mapped[str | None] = mapped_column(Text)
    polygon_code: Mapped[str | None] = mapped_column(String(20))  # code in the GeoJSON file

    municipality: Mapped[Municipality] = relationship(back_populates="sub_municipalities")
    sectors: Mapped[list[Sector]] = relationship(
        back_populates="sub_municipality", order_by="Sector.code"
    )


class Neighbourhood(Base):
    """A buurt. Exactly one per municipality is the unlocatable bucket."""

    __tablename__ = "neighbourhoods"
    __table_args__ = (UniqueConstraint("municipality_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    is_unlocatable: Mapped[bool] = mapped_column(Boolean, default=False)
    # The sub-municipality it was created from on import; re-imports never create it again.
    origin_sub_municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("sub_municipalities.id"), unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    municipality: Mapped[Municipality] = relationship(back_populates="neighbourhoods")
    sectors: Mapped[list[Sector]] = relationship(
        back_populates="neighbourhood", order_by="Sector.code"
    )


class Sector(Base):
    """A statistical sector (NIS9, 36012B001)."""

    __tablename__ = "sectors"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    sub_municipality_id: Mapped[int] = mapped_column(
        ForeignKey("sub_municipalities.id"), index=True
    )
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"), index=True)

    sub_municipality: Mapped[SubMunicipality] = relationship(back_populates="sectors")
    neighbourhood: Mapped[Neighbourhood] = relationship(back_populates="sectors")


class Street(Base):
    """The municipality's street table: street + postcode → sector."""

    __tablename__ = "streets"
    __table_args__ = (UniqueConstraint("street_key", "postcode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    street: Mapped[str] = mapped_column(String(200))
    street_key: Mapped[str] = mapped_column(String(200), index=True)
    postcode: Mapped[str] = mapped_column(String(4))
    sector_id: Mapped[int] = mapped_column(ForeignKey("sectors.id"), index=True)

    sector: Mapped[Sector] = relationship()


class AddressFixup(Base):
    """An address that could not be resolved: parked in the unlocatable bucket and listed
    for the coordinator to fix — never dropped, never guessed silently."""

    __tablename__ = "address_fixups"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(4))
    statsec: Mapped[str | None] = mapped_column(String(20))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(String(200))
    source_type: Mapped[str | None] = mapped_column(String(64))
    source_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_sector_id: Mapped[int | None] = mapped_column(ForeignKey("sectors.id"))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    municipality: Mapped[Municipality] = relationship()
    resolved_sector: Mapped[Sector | None] = relationship()
