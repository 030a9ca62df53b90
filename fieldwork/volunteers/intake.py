"""The inclusive intake: a candidate (public form, staff, or a lead from a visit or call),
the conversation that starts from the person, the model-2 check, status changes and the
account for visitors and callers. Flush, never commit."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.auth.models import User
from fieldwork.auth.services import (
    AccountError,
    create_user,
    find_user_by_email,
    hash_token,
    set_password,
)
from fieldwork.core.dates import not_plausible_message, plausible
from fieldwork.core.phones import PHONE_MESSAGE, PhoneError, normalise_phone
from fieldwork.db import NO_KEY_UPDATE, utcnow
from fieldwork.extensions import db
from fieldwork.signals.identity import lock_identity, name_key
from fieldwork.signals.models import Signal
from fieldwork.volunteers.gate import VolunteerError
from fieldwork.volunteers.hooks import volunteer_stepped_back
from fieldwork.volunteers.models import Invitation, Training, TrainingAttendance, Volunteer
from fieldwork.volunteers.vocabulary import (
    MOBILITY,
    ROLES,
    ROLES_MEETING_RESIDENTS,
    ROLES_WITH_ACCOUNT,
    SLOTS,
    SOURCES,
    STATUS_MOVES,
    SUPPORT,
    VOLUNTEER_STATUSES,
)

INVITATION_DAYS = 14
MAX_WORDS = 30
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def words(text: str | list[str]) -> list[str]:
    """'Nederlands, Arabisch;frans' → ['nederlands', 'arabisch', 'frans'] (tags, languages)."""
    parts = text if isinstance(text, list) else re.split(r"[,;\n]", text)
    cleaned = [" ".join(p.split()).lower()[:40] for p in parts]
    return list(dict.fromkeys(p for p in cleaned if p))[:MAX_WORDS]


@dataclass
class About:
    """What the person tells about themselves: the whole intake, or the public form's part."""

    name: str
    email: str = ""
    phone: str = ""
    neighbourhood_id: int | None = None
    talents: str = ""
    tags: list[str] = field(default_factory=list)
    energy: str = ""
    motivation: str = ""
    experience: str = ""
    languages: list[str] = field(default_factory=list)
    availability: list[str] = field(default_factory=list)
    mobility: list[str] = field(default_factory=list)
    support: list[str] = field(default_factory=list)
    support_note: str = ""
    roles: list[str] = field(default_factory=list)
    other_role: str = ""
    help_kinds: list[str] = field(default_factory=list)
    data_consent: bool = False


def _phone(typed: str) -> str:
    """The stored form of the number (fieldwork.core.phones), or "" when none was given."""
    if not typed.strip():
        return ""
    try:
        return normalise_phone(typed)
    except PhoneError as exc:
        raise VolunteerError(str(PHONE_MESSAGE), "phone") from exc


def _checked(about: About, municipality: Municipality) -> About:
    from fieldwork.volunteers.vocabulary import HELP_KINDS

    name = " ".join(about.name.split())
    if not name:
        raise VolunteerError(_("Fill in a name."), "name")
    if len(name) > 200:
        raise VolunteerError(_("The name is too long."), "name")
    email = about.email.strip().lower()
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        raise VolunteerError(_("This is not an e-mail address."), "email")
    phone = _phone(about.phone)
    if not (email or phone):
        raise VolunteerError(
            _("Leave an e-mail address or a phone number so that we can reach you."), "phone"
        )
    if not about.data_consent:
        raise VolunteerError(_("We can only keep your details with your consent."), "data_consent")
    for values, known, field_name in (
        (about.availability, SLOTS, "availability"),
        (about.mobility, MOBILITY, "mobility"),
        (about.support, SUPPORT, "support"),
        (about.roles, ROLES, "roles"),
        (about.help_kinds, HELP_KINDS, "help_kinds"),
    ):
        unknown = [v for v in values if v not in known]
        if unknown:
            raise VolunteerError(_("Unknown choice: %(value)s.", value=unknown[0][:40]), field_name)
    if about.neighbourhood_id is not None:
        hood = db.session.get(Neighbourhood, about.neighbourhood_id)
        if hood is None or hood.municipality_id != municipality.id:
            raise VolunteerError(
                _("Choose a neighbourhood of this municipality."), "neighbourhood_id"
            )
    text = {
        key: getattr(about, key).strip()[:2000]
        for key in ("talents", "energy", "motivation", "experience", "support_note")
    }
    return About(
        name=name,
        email=email,
        phone=phone,
        neighbourhood_id=about.neighbourhood_id,
        tags=words(about.tags),
        languages=words(about.languages),
        availability=list(dict.fromkeys(about.availability)),
        mobility=list(dict.fromkeys(about.mobility)),
        support=list(dict.fromkeys(about.support)),
        roles=list(dict.fromkeys(about.roles)),
        other_role=about.other_role.strip()[:120],
        help_kinds=list(dict.fromkeys(about.help_kinds)),
        data_consent=True,
        **text,
    )


def _apply(volunteer: Volunteer, about: About) -> None:
    for key in (
        "name",
        "neighbourhood_id",
        "talents",
        "tags",
        "energy",
        "motivation",
        "experience",
        "languages",
        "availability",
        "mobility",
        "support",
        "support_note",
        "roles",
        "other_role",
        "help_kinds",
    ):
        setattr(volunteer, key, getattr(about, key))
    volunteer.email, volunteer.phone = about.email or None, about.phone or None
    if volunteer.data_consent_at is None:
        volunteer.data_consent_at = utcnow()


def _same_candidate(municipality: Municipality, about: About) -> Volunteer | None:
    """A double tap or a second try of the same person: the candidate they already are."""
    key = name_key(about.name)
    for candidate in db.session.scalars(
        select(Volunteer).where(
            Volunteer.municipality_id == municipality.id,
            Volunteer.status.in_(("candidate", "intake_done", "active", "paused")),
        )
    ):
        same_contact = (about.email and candidate.email == about.email) or (
            about.phone and candidate.phone == about.phone
        )
        if same_contact and name_key(candidate.name) == key:
            return candidate
    return None


def submit_candidate(
    municipality: Municipality, about: About, source: str = "public_form"
) -> tuple[Volunteer, bool]:
    """A new candidate for the coordinator to follow up. The same person again (same name
    and e-mail or phone) is not added twice: (their record, False)."""
    about = _checked(about, municipality)
    if source not in SOURCES:
        raise VolunteerError(_("Unknown source."), "source")
    # the same person sent at the same moment (a burst of taps): the second waits here and
    # then finds the first's record
    lock_identity(municipality.id, name_key(about.name), "volunteer candidate")
    existing = _same_candidate(municipality, about)
    if existing is not None:
        return existing, False
    volunteer = Volunteer(municipality_id=municipality.id, source=source, status="candidate")
    _apply(volunteer, about)
    db.session.add(volunteer)
    db.session.flush()
    return volunteer, True


def record_intake(volunteer: Volunteer, about: About, user: User) -> Volunteer:
    """The intake conversation: everything the person told. A candidate's intake is done."""
    about = _checked(about, volunteer.municipality)
    _apply(volunteer, about)
    volunteer.intake_by_id, volunteer.intake_at = user.id, utcnow()
    if volunteer.status == "candidate":
        _move(volunteer, "intake_done")
    db.session.flush()
    return volunteer


def record_model2(
    volunteer: Volunteer, checked_on: date, user: User, today: date | None = None
) -> None:
    """The coordinator saw the criminal-record extract (model 2) dated ``checked_on``."""
    today = today or utcnow().date()
    if checked_on > today:
        raise VolunteerError(
            _("The date of the check cannot be in the future."), "model2_checked_on"
        )
    if checked_on < today - timedelta(days=365 * 5):
        raise VolunteerError(
            _("This extract is more than five years old: ask for a new one."), "model2_checked_on"
        )
    volunteer.model2_checked_on, volunteer.model2_checked_by_id = checked_on, user.id
    db.session.flush()


def _move(volunteer: Volunteer, status: str) -> None:
    volunteer.status, volunteer.status_changed_at = status, utcnow()


def change_status(volunteer: Volunteer, status: str, user: User) -> str | None:
    """Move a volunteer on (candidate → intake done → active → paused → stopped). To become
    active: an intake, and for roles that meet residents the model-2 check; visitors and
    callers get an account. Returns the invitation token when one was made."""
    if status not in VOLUNTEER_STATUSES:
        raise VolunteerError(_("Unknown status."), "status")
    db.session.refresh(volunteer, with_for_update=True)  # two taps on "active": one account
    if status == volunteer.status:
        return None
    if status not in STATUS_MOVES[volunteer.status]:
        raise VolunteerError(
            _(
                "A volunteer cannot go from '%(old)s' to '%(new)s'.",
                old=VOLUNTEER_STATUSES[volunteer.status],
                new=VOLUNTEER_STATUSES[status],
            ),
            "status",
            409,
        )
    token = None
    if status == "active":
        if not volunteer.roles:
            raise VolunteerError(_("Record the roles this volunteer takes up first."), "roles")
        if set(volunteer.roles) & ROLES_MEETING_RESIDENTS and volunteer.model2_checked_on is None:
            raise VolunteerError(
                _(
                    "Visiting, calling or helping residents needs a checked "
                    "criminal-record extract (model 2) first."
                ),
                "model2_checked_on",
            )
        if set(volunteer.roles) & ROLES_WITH_ACCOUNT:
            token = _account_for(volunteer, user)
    else:
        _step_back(volunteer, status, user)
    _move(volunteer, status)
    db.session.flush()
    return token


def _step_back(volunteer: Volunteer, status: str, user: User) -> None:
    """Paused or stopped: their open visit addresses and people to call go back to the
    coordinator and unused invitation links stop; stopped also ends their buurtgezel
    matches (the request waits for someone else) and switches the account off."""
    from fieldwork.volunteers.matching import end_matches_of

    now = utcnow()
    for invitation in db.session.scalars(
        select(Invitation).where(
            Invitation.volunteer_id == volunteer.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        invitation.revoked_at = now
    account = volunteer.user
    if account is not None and status in ("paused", "stopped"):
        # visits: their open addresses; calls: the people on their call lists
        volunteer_stepped_back.send(volunteer, account=account)
    if status == "stopped":
        end_matches_of(volunteer, user)
        if account is not None:
            account.active = False


def _account_for(volunteer: Volunteer, user: User) -> str | None:
    """A volunteer account for a visitor or caller (they set their own password through an
    invitation link); an existing account is switched on again."""
    if volunteer.user is not None:
        volunteer.user.active = True
        return None if volunteer.user.last_login_at else create_invitation(volunteer, user)
    if not volunteer.email:
        raise VolunteerError(
            _("A visitor or caller gets an account: record an e-mail address first."), "email"
        )
    existing = find_user_by_email(volunteer.email)
    if existing is not None:
        linked = db.session.scalar(select(Volunteer.id).where(Volunteer.user_id == existing.id))
        if existing.role != "volunteer" or linked is not None:
            raise VolunteerError(
                _("Another account already uses this e-mail address."), "email", 409
            )
        volunteer.user = existing
        existing.active = True
        return None
    try:
        account = create_user(
            volunteer.email, "volunteer", secrets.token_urlsafe(24), name=volunteer.name[:120]
        )
    except AccountError as exc:
        raise VolunteerError(str(exc), "email") from exc
    volunteer.user = account
    db.session.flush()
    return create_invitation(volunteer, user)


def create_invitation(volunteer: Volunteer, user: User) -> str:
    """A new one-time link for the volunteer to set a password (earlier links stop)."""
    if volunteer.user is None:
        raise VolunteerError(_("This volunteer has no account."), "status", 409)
    now = utcnow()
    for earlier in db.session.scalars(
        select(Invitation).where(
            Invitation.volunteer_id == volunteer.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    ):
        earlier.revoked_at = now
    token = secrets.token_urlsafe(24)
    db.session.add(
        Invitation(
            volunteer_id=volunteer.id,
            user_id=volunteer.user.id,
            token_hash=hash_token(token),
            created_by_id=user.id,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
    )
    db.session.flush()
    return token


def open_invitation(token: str, lock: bool = False) -> Invitation | None:
    """The invitation behind a link, if it can still be used."""
    query = select(Invitation).where(Invitation.token_hash == hash_token(token[:200]))
    invitation = db.session.scalar(query.with_for_update() if lock else query)
    if invitation is None or invitation.used_at or invitation.revoked_at:
        return None
    if invitation.expires_at <= utcnow() or not invitation.user.active:
        return None
    return invitation


def accept_invitation(invitation: Invitation, password: str) -> User:
    try:
        set_password(invitation.user, password)
    except AccountError as exc:
        raise VolunteerError(str(exc), "password") from exc
    invitation.used_at = utcnow()
    db.session.flush()
    return invitation.user


def visit_and_call_leads(municipality: Municipality) -> list[Signal]:
    """Residents who said at the door or on the phone that they would like to volunteer,
    with consent to be contacted, and who are not in the pool yet."""
    from fieldwork.signals.models import Consent, Resident

    taken = select(Volunteer.lead_signal_id).where(Volunteer.lead_signal_id.is_not(None))
    return list(
        db.session.scalars(
            select(Signal)
            .join(Resident, Resident.id == Signal.resident_id)
            .join(Consent, Consent.id == Signal.consent_id)  # withdrawn: no longer a lead
            .where(
                Signal.theme == "vrijwilliger",
                Resident.municipality_id == municipality.id,
                Consent.withdrawn_at.is_(None),
                Signal.id.not_in(taken),
            )
            .order_by(Signal.created_at)
        )
    )


def candidate_from_lead(signal: Signal, user: User) -> Volunteer:
    """A candidate from a lead: the resident's name, phone and neighbourhood."""
    resident = signal.resident
    consent = signal.consent
    if (
        resident is None
        or signal.theme != "vrijwilliger"
        or consent is None
        or consent.withdrawn_at is not None
    ):
        raise VolunteerError(
            _("This signal is not a lead of someone who wants to help."), "signal_id", 404
        )
    # taken by two at once: the second's insert clashes on the unique lead and waits for it
    signal = db.session.get_one(Signal, signal.id, with_for_update=NO_KEY_UPDATE)
    if db.session.scalar(select(Volunteer.id).where(Volunteer.lead_signal_id == signal.id)):
        raise VolunteerError(_("This lead is already in the pool."), "signal_id", 409)
    source = signal.source if signal.source in ("visit", "call") else "staff"
    volunteer = Volunteer(
        municipality_id=resident.municipality_id,
        source=source,
        status="candidate",
        name=resident.name,
        phone=resident.phone,
        neighbourhood_id=resident.neighbourhood_id,
        lead_signal_id=signal.id,
        # they agreed to be contacted; the intake asks to keep the data
        data_consent_at=None,
    )
    db.session.add(volunteer)
    db.session.flush()
    return volunteer


def create_training(
    municipality: Municipality, title: str, held_on: date, volunteer_ids: list[int], user: User
) -> Training:
    title = " ".join(title.split())
    if not title:
        raise VolunteerError(_("Give the training a title."), "title")
    if not plausible(held_on):
        raise VolunteerError(not_plausible_message(), "held_on")
    training = Training(
        municipality_id=municipality.id, title=title[:160], held_on=held_on, created_by_id=user.id
    )
    db.session.add(training)
    db.session.flush()
    set_attendees(training, volunteer_ids)
    return training


def set_attendees(training: Training, volunteer_ids: list[int]) -> None:
    ids = set(volunteer_ids)
    found = set(
        db.session.scalars(
            select(Volunteer.id).where(
                Volunteer.id.in_(ids), Volunteer.municipality_id == training.municipality_id
            )
        )
    )
    if found != ids:
        raise VolunteerError(_("Choose attendees from this municipality's pool."), "attendees")
    present = set(
        db.session.scalars(
            select(TrainingAttendance.volunteer_id).where(
                TrainingAttendance.training_id == training.id
            )
        )
    )
    for volunteer_id in ids - present:
        db.session.add(TrainingAttendance(training_id=training.id, volunteer_id=volunteer_id))
    for attendance in db.session.scalars(
        select(TrainingAttendance).where(
            TrainingAttendance.training_id == training.id,
            TrainingAttendance.volunteer_id.in_(present - ids),
        )
    ):
        db.session.delete(attendance)
    db.session.flush()


def trainings_of(volunteer: Volunteer) -> list[Training]:
    return list(
        db.session.scalars(
            select(Training)
            .join(TrainingAttendance)
            .where(TrainingAttendance.volunteer_id == volunteer.id)
            .order_by(Training.held_on.desc())
        )
    )


def model2_age_days(volunteer: Volunteer, today: date | None = None) -> int | None:
    if volunteer.model2_checked_on is None:
        return None
    return ((today or utcnow().date()) - volunteer.model2_checked_on).days
