"""A neighbourhood plan: objectives (from attention points), actions, progress notes, outcome
indicators, residents' reactions, the published residents' summaries and the printable PDFs."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.auth.models import User
from fieldwork.db import Base, UTCDateTime, utcnow
from fieldwork.partners.models import Organisation
from fieldwork.reports.models import AttentionPoint

ACTION_STATUSES = ("planned", "running", "done", "dropped")
PERIOD_KINDS = ("month", "quarter")

plan_neighbourhoods = Table(
    "plan_neighbourhoods",
    Base.metadata,
    Column("plan_id", ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True),
    Column("neighbourhood_id", ForeignKey("neighbourhoods.id"), primary_key=True, index=True),
)

action_partners = Table(
    "plan_action_partners",
    Base.metadata,
    Column("action_id", ForeignKey("plan_actions.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("partner_organisations.id"), primary_key=True, index=True),
)


class Plan(Base):
    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    municipality: Mapped[Municipality] = relationship()
    neighbourhoods: Mapped[list[Neighbourhood]] = relationship(
        secondary=plan_neighbourhoods, order_by="Neighbourhood.name"
    )
    objectives: Mapped[list[Objective]] = relationship(
        back_populates="plan",
        order_by="Objective.position, Objective.id",
        cascade="all, delete-orphan",
    )


class Objective(Base):
    """An objective of the plan, formulated from an attention point of the analysis."""

    __tablename__ = "plan_objectives"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"))
    attention_point_id: Mapped[int | None] = mapped_column(
        ForeignKey("attention_points.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(200))
    # in plain language, for the residents' summary ("what we heard")
    heard: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="objectives")
    neighbourhood: Mapped[Neighbourhood] = relationship()
    attention_point: Mapped[AttentionPoint | None] = relationship()
    actions: Mapped[list[Action]] = relationship(
        back_populates="objective", order_by="Action.id", cascade="all, delete-orphan"
    )
    indicators: Mapped[list[PlanIndicator]] = relationship(
        back_populates="objective", order_by="PlanIndicator.id", cascade="all, delete-orphan"
    )
    reactions: Mapped[list[Reaction]] = relationship(
        back_populates="objective",
        order_by="Reaction.met_on, Reaction.id",
        cascade="all, delete-orphan",
    )


class Action(Base):
    __tablename__ = "plan_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("plan_objectives.id", ondelete="CASCADE"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    partners_text: Mapped[str] = mapped_column(String(300), default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    expected_output: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # [{"on": "2026-03-01", "text": "first ride"}]
    milestones: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="planned")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    objective: Mapped[Objective] = relationship(back_populates="actions")
    owner: Mapped[User | None] = relationship()
    partners: Mapped[list[Organisation]] = relationship(
        secondary=action_partners, order_by="Organisation.name"
    )
    notes: Mapped[list[ActionNote]] = relationship(
        back_populates="action", order_by="ActionNote.id", cascade="all, delete-orphan"
    )


class ActionNote(Base):
    """A progress note on an action: who, when, what."""

    __tablename__ = "plan_action_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("plan_actions.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    action: Mapped[Action] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()


class PlanIndicator(Base):
    """An outcome indicator of an objective: a field figure (``measure``, see
    :mod:`fieldwork.plans.indicators`) or an imported one (``imported:<name>``) in one
    neighbourhood, with its baseline (over the baseline window) and its target."""

    __tablename__ = "plan_indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("plan_objectives.id", ondelete="CASCADE"), index=True
    )
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"))
    measure: Mapped[str] = mapped_column(String(100))
    period_kind: Mapped[str] = mapped_column(String(10), default="quarter")
    baseline_from: Mapped[date] = mapped_column(Date)
    baseline_until: Mapped[date] = mapped_column(Date)
    baseline: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    objective: Mapped[Objective] = relationship(back_populates="indicators")
    neighbourhood: Mapped[Neighbourhood] = relationship()


class Reaction(Base):
    """What residents said at a meeting about an objective, recorded by the coordinator."""

    __tablename__ = "plan_reactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    objective_id: Mapped[int] = mapped_column(
        ForeignKey("plan_objectives.id", ondelete="CASCADE"), index=True
    )
    met_on: Mapped[date] = mapped_column(Date)
    meeting: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    people: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    objective: Mapped[Objective] = relationship(back_populates="reactions")


class ResidentSummary(Base):
    """The residents' summary of a plan for one neighbourhood; public at /buurtplan/<token>
    while published."""

    __tablename__ = "plan_summaries"
    __table_args__ = (UniqueConstraint("plan_id", "neighbourhood_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    neighbourhood_id: Mapped[int] = mapped_column(ForeignKey("neighbourhoods.id"))
    token: Mapped[str] = mapped_column(String(64), unique=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    plan: Mapped[Plan] = relationship()
    neighbourhood: Mapped[Neighbourhood] = relationship()


class PlanDocument(Base):
    """A printable PDF (the whole plan, or one neighbourhood's residents' summary): made by
    the worker (batch queue), kept until downloaded."""

    __tablename__ = "plan_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="plan")  # plan | summary
    neighbourhood_id: Mapped[int | None] = mapped_column(ForeignKey("neighbourhoods.id"))
    status: Mapped[str] = mapped_column(String(10), default="pending")  # running, done, failed
    error: Mapped[str | None] = mapped_column(Text)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    plan: Mapped[Plan] = relationship()
    neighbourhood: Mapped[Neighbourhood | None] = relationship()
