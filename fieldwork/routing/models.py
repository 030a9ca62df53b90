from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldwork.auth.models import User
from fieldwork.db import Base


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    strategy: Mapped[str] = mapped_column(String(20), default="least_loaded")
    # Round-robin pointer for ties: the member position that was assigned last.
    last_assigned_position: Mapped[int] = mapped_column(Integer, default=-1)

    members: Mapped[list[TeamMember]] = relationship(
        order_by="TeamMember.position", cascade="all, delete-orphan"
    )


class TeamMember(Base):
    __tablename__ = "team_members"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    user: Mapped[User] = relationship()


class RoutingRule(Base):
    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, index=True)
    name: Mapped[str] = mapped_column(String(120))
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    assign_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assign_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    first_contact_days: Mapped[int] = mapped_column(Integer, default=5)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)

    assign_user: Mapped[User | None] = relationship()
    assign_team: Mapped[Team | None] = relationship()


class Absence(Base):
    """An owner away from ``starts_on`` to ``ends_on`` (inclusive); routing skips to the
    deputy, or to the coordinator when there is none."""

    __tablename__ = "absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    deputy: Mapped[User | None] = relationship(foreign_keys=[deputy_id])
