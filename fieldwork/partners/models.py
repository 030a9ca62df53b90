"""Partner organisations and their services. Nothing here is about a resident: the social
map is public information about an organisation's offer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.db import Base, utcnow
from fieldwork.signals.vocabulary import THEME_DOMAINS

service_neighbourhoods = Table(
    "partner_service_neighbourhoods",
    Base.metadata,
    Column(
        "service_id",
        ForeignKey("partner_services.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("neighbourhood_id", ForeignKey("neighbourhoods.id"), primary_key=True, index=True),
)


class Organisation(Base):
    __tablename__ = "partner_organisations"
    __table_args__ = (UniqueConstraint("municipality_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))  # the same organisation on re-import
    kind: Mapped[str] = mapped_column(String(30))
    street: Mapped[str | None] = mapped_column(String(200))
    house_number: Mapped[str | None] = mapped_column(String(20))
    postcode: Mapped[str | None] = mapped_column(String(10))
    # where the address lies (area resolution); None when it could not be placed
    neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhoods.id"))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(300))
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    municipality: Mapped[Municipality] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
    services: Mapped[list[PartnerService]] = relationship(
        back_populates="organisation",
        order_by="PartnerService.name",
        cascade="all, delete-orphan",
    )


class PartnerService(Base):
    """One offer of an organisation: what, for which themes and target groups, where."""

    __tablename__ = "partner_services"
    __table_args__ = (UniqueConstraint("organisation_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("partner_organisations.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)  # signals.vocabulary.THEMES
    target_groups: Mapped[list[str]] = mapped_column(JSON, default=list)
    how_to_reach: Mapped[str] = mapped_column(Text, default="")
    cost: Mapped[str] = mapped_column(String(200), default="")
    languages: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organisation: Mapped[Organisation] = relationship(back_populates="services")
    # none: the whole municipality of the organisation
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=service_neighbourhoods, order_by="Neighbourhood.name"
    )

    @property
    def domains(self) -> list[str]:
        return sorted({THEME_DOMAINS[t] for t in self.themes if t in THEME_DOMAINS})


class MenuCardJob(Base):
    """An info card to print: made by the worker (batch queue), kept until downloaded."""

    __tablename__ = "partner_menu_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"))
    target_group: Mapped[str | None] = mapped_column(String(30))
    neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhoods.id"))
    size: Mapped[str] = mapped_column(String(2), default="A4")
    status: Mapped[str] = mapped_column(String(10), default="pending")  # running | done | failed
    error: Mapped[str | None] = mapped_column(Text)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    municipality: Mapped[Municipality] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
