"""Caring neighbours: joining, signing in (link or code), pausing and ending, filing a signal
through the signals capture service, the status of what they filed, the coordinator's
overview, messages and trainings. Flush, never commit."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from fieldwork.areas.models import Municipality, Neighbourhood, Sector, Street, SubMunicipality
from fieldwork.areas.services import neighbourhoods_of
from fieldwork.areas.streets import street_key
from fieldwork.auth.models import User
from fieldwork.auth.services import normalise_email
from fieldwork.core.errors import ServiceError
from fieldwork.core.phones import PHONE_MESSAGE, PhoneError, normalise_phone
from fieldwork.db import NO_KEY_UPDATE, add_or_take_existing, utcnow
from fieldwork.extensions import db
from fieldwork.neighbours.models import (
    CaringNeighbour,
    NeighbourMessage,
    NeighbourSignal,
    NeighbourStreet,
    NeighbourTraining,
)
from fieldwork.neighbours.session import link_days
from fieldwork.neighbours.vocabulary import (
    CAN_DO,
    CONSENT_PURPOSE,
    DEFAULT_CONSENT_TEXT,
    NEIGHBOUR_STATUSES,
)
from fieldwork.notifications.services import forget_address, notify_address
from fieldwork.signals.filed import filer_step
from fieldwork.signals.hooks import case_view
from fieldwork.signals.identity import lock_identity
from fieldwork.signals.models import ConsentText, Signal
from fieldwork.signals.services import SignalError, create_signals, latest_consent_text
from fieldwork.signals.vocabulary import THEME_DOMAINS, THEMES
from fieldwork.volunteers.intake import EMAIL_RE, create_training
from fieldwork.volunteers.models import Training

SOURCE = "neighbour"  # Signal.source: the channel contact persons see
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read from paper
CODE_LENGTH = 8
MAX_STREETS = 20


class NeighbourError(ServiceError):
    """A refusal with a message for people (and the field it concerns)."""


# --- codes and links --------------------------------------------------------------------------


def normalise_code(typed: str) -> str:
    """'bUuR 2026' and 'BUUR-2026' are the same code: letters and digits, upper case."""
    return re.sub(r"[^0-9A-Z]", "", typed.upper())[:32]


def display_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if len(code) > 4 else code


def _code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def new_code(neighbour: CaringNeighbour, code: str | None = None) -> str:
    """A fresh sign-in code for the paper (shown once; only its hash is kept). The former
    code and every sign-in link and session stop working. ``code``: a chosen one (demo)."""
    while True:
        plain = normalise_code(code) if code else _random_code()
        taken = db.session.scalar(
            select(CaringNeighbour.id).where(CaringNeighbour.code_hash == _code_hash(plain))
        )
        if taken is None or taken == neighbour.id:
            break
        if code:
            raise NeighbourError(_("This code is already in use."), "code", 409)
    neighbour.code_hash = _code_hash(plain)
    neighbour.nonce = secrets.token_hex(16)
    db.session.flush()
    return display_code(plain)


def _random_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="caring-neighbour")


def sign_in_link(neighbour: CaringNeighbour) -> str:
    """A signed link (nobody can make one) tied to the neighbour's nonce, valid
    NEIGHBOUR_LINK_DAYS; the database holds no working link."""
    token = _serializer().dumps([neighbour.id, neighbour.nonce])
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    path = url_for("neighbours.sign_in_link", token=token)
    return f"{base.rstrip('/')}{path}" if base else path


def _may_sign_in(neighbour: CaringNeighbour) -> CaringNeighbour:
    if neighbour.status == "pending":
        raise NeighbourError(
            _(
                "The coordinator has not confirmed your registration as a caring neighbour "
                "yet. You will get your sign-in link by e-mail once they have."
            ),
            "status",
            403,
        )
    if neighbour.status == "paused":
        raise NeighbourError(
            _(
                "Your role as a caring neighbour is paused, so you cannot sign in or send "
                "signals now. Contact the coordinator of your municipality to take it up again."
            ),
            "status",
            403,
        )
    if neighbour.status != "active":
        raise NeighbourError(
            _(
                "Your role as a caring neighbour has ended, so this sign-in no longer works. "
                "Thank you for what you did for your street."
            ),
            "status",
            403,
        )
    return neighbour


def neighbour_for_token(token: str) -> CaringNeighbour:
    days = link_days()
    try:
        neighbour_id, nonce = _serializer().loads(token[:500], max_age=days * 86400)
    except SignatureExpired as exc:
        raise NeighbourError(
            _("This sign-in link has expired. Ask for a new one below."), "token", 410
        ) from exc
    except (BadSignature, ValueError, TypeError) as exc:
        raise NeighbourError(_("This sign-in link is not valid."), "token", 404) from exc
    neighbour = (
        db.session.get(CaringNeighbour, neighbour_id) if isinstance(neighbour_id, int) else None
    )
    if neighbour is None:
        raise NeighbourError(_("This sign-in link is not valid."), "token", 404)
    _may_sign_in(neighbour)
    if not secrets.compare_digest(neighbour.nonce, str(nonce)):
        raise NeighbourError(
            _("This sign-in link was replaced by a newer one. Use the newest link or your code."),
            "token",
            410,
        )
    return neighbour


def neighbour_for_code(typed: str) -> CaringNeighbour:
    code = normalise_code(typed)
    neighbour = (
        db.session.scalar(
            select(CaringNeighbour).where(CaringNeighbour.code_hash == _code_hash(code))
        )
        if len(code) >= 6
        else None
    )
    if neighbour is None:
        raise NeighbourError(
            _("This code is not known. Check the letters and digits on your paper."), "code", 422
        )
    return _may_sign_in(neighbour)


def current_neighbour(neighbour_id: int, nonce: str) -> CaringNeighbour:
    """The neighbour of a session: still active, and signed in with the current nonce."""
    neighbour = db.session.get(CaringNeighbour, neighbour_id)
    if neighbour is None:
        raise NeighbourError(_("Sign in again with your link or code."), "session", 401)
    _may_sign_in(neighbour)
    if not secrets.compare_digest(neighbour.nonce, nonce):
        raise NeighbourError(
            _("Your sign-in was replaced by a new code. Sign in again with the new code."),
            "session",
            401,
        )
    return neighbour


def signed_in(neighbour: CaringNeighbour) -> None:
    neighbour.last_sign_in_at = utcnow()


def email_sign_in_link(neighbour: CaringNeighbour, why: str = "link") -> bool:
    """The sign-in link by e-mail (through notifications, after commit); False without an
    e-mail address or for a neighbour who may not sign in."""
    if not neighbour.email or neighbour.status != "active":
        return False
    subject = _("Your sign-in link as a caring neighbour in %(m)s", m=neighbour.municipality.name)
    body = _(
        "Hello %(name)s,\n\nWith this link you sign in as a caring neighbour, without a "
        "password, to pass on a concern about someone in your street and to follow what "
        "happens with it:\n\n%(link)s\n\nThe link works for %(days)d days. Do not forward "
        "this e-mail.",
        name=neighbour.name,
        link=sign_in_link(neighbour),
        days=link_days(),
    )
    stamp = utcnow().strftime("%Y%m%d%H%M%S%f")
    notify_address(
        neighbour.email, "neighbour", f"neighbour:{neighbour.id}:{why}:{stamp}", subject, body
    )
    return True


def neighbour_by_email(
    email: str, any_status: bool = False, municipality_id: int | None = None
) -> CaringNeighbour | None:
    """The (active, or with ``any_status`` any) caring neighbour with this e-mail address,
    the newest (in ``municipality_id`` when given: one person may help in two)."""
    wanted = normalise_email(email)
    if not wanted:
        return None
    query = select(CaringNeighbour).where(CaringNeighbour.email == wanted)
    if municipality_id is not None:
        query = query.where(CaringNeighbour.municipality_id == municipality_id)
    if not any_status:
        query = query.where(CaringNeighbour.status == "active")
    return db.session.scalar(query.order_by(CaringNeighbour.id.desc()).limit(1))


# --- joining -----------------------------------------------------------------------------------


@dataclass
class Intake:
    """What a caring neighbour tells about themselves."""

    name: str
    email: str = ""
    phone: str = ""
    neighbourhood_id: int | None = None
    streets: list[str] = field(default_factory=list)
    can_do: list[str] = field(default_factory=list)
    can_do_note: str = ""
    data_consent: bool = False


def consent_text(municipality: Municipality) -> ConsentText:
    """The current wording a caring neighbour agrees to (the first version made from the
    default text); a changed wording would be a new version."""
    current = latest_consent_text(municipality.id, CONSENT_PURPOSE)
    if current is not None:
        return current
    first = ConsentText(
        municipality_id=municipality.id,
        purpose=CONSENT_PURPOSE,
        version=1,
        text=DEFAULT_CONSENT_TEXT,
    )
    # the first two joins of a municipality at the same moment both make version 1
    return add_or_take_existing(
        db.session,
        first,
        select(ConsentText).where(
            ConsentText.municipality_id == municipality.id,
            ConsentText.purpose == CONSENT_PURPOSE,
            ConsentText.version == 1,
        ),
    )


def split_streets(text: str) -> list[str]:
    """'Kerkstraat, Marktplaats; Beitemstraat' → three streets (as typed, tidied)."""
    parts = (" ".join(p.split()) for p in re.split(r"[,;\n]", text))
    return list(dict.fromkeys(p[:200] for p in parts if p))


def known_streets(municipality: Municipality) -> list[tuple[str, int]]:
    """The municipality's street table: (street, neighbourhood id), by name."""
    rows = db.session.execute(
        select(Street.street, Street.street_key, Sector.neighbourhood_id)
        .join(Sector, Street.sector_id == Sector.id)
        .join(SubMunicipality, Sector.sub_municipality_id == SubMunicipality.id)
        .where(SubMunicipality.municipality_id == municipality.id)
        .order_by(Street.street)
    ).all()
    seen: dict[str, tuple[str, int]] = {}
    for street, key, hood_id in rows:
        seen.setdefault(key, (street, hood_id))
    return sorted(seen.values())


def _checked(municipality: Municipality, about: Intake) -> Intake:
    """The intake tidied and checked, with its neighbourhood and its streets (the street
    table's names where it knows them); NeighbourError for the first problem."""
    name = " ".join(about.name.split())
    if not name:
        raise NeighbourError(_("Fill in your name."), "name")
    if len(name) > 200:
        raise NeighbourError(_("The name is too long."), "name")
    email = normalise_email(about.email)
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        raise NeighbourError(_("This is not an e-mail address."), "email")
    phone = ""
    if about.phone.strip():
        try:
            phone = normalise_phone(about.phone)
        except PhoneError as exc:
            raise NeighbourError(str(PHONE_MESSAGE), "phone") from exc
    if not (email or phone):
        raise NeighbourError(
            _("Leave an e-mail address or a phone number so that we can reach you."), "email"
        )
    unknown = [v for v in about.can_do if v not in CAN_DO]
    if unknown:
        raise NeighbourError(_("Unknown choice: %(value)s.", value=unknown[0][:40]), "can_do")
    if not about.streets:
        raise NeighbourError(_("Name at least one street you keep an eye on."), "streets")
    if len(about.streets) > MAX_STREETS:
        raise NeighbourError(_("At most %(n)d streets.", n=MAX_STREETS), "streets")
    if not about.data_consent:
        raise NeighbourError(_("We can only keep your details with your consent."), "data_consent")
    keys = [street_key(s) for s in about.streets]
    if not any(keys):  # "---, ...": nothing that names a street
        raise NeighbourError(_("Name at least one street you keep an eye on."), "streets")
    table = {street_key(s): (s, hood) for s, hood in known_streets(municipality)}
    streets = [table.get(key, (s, None))[0] for s, key in zip(about.streets, keys, strict=True)]
    hood_id = about.neighbourhood_id
    if hood_id is None:
        hood_id = next((table[k][1] for k in map(street_key, about.streets) if k in table), None)
    hood = db.session.get(Neighbourhood, hood_id) if hood_id is not None else None
    if hood is None or hood.municipality_id != municipality.id or hood.is_unlocatable:
        raise NeighbourError(_("Choose your neighbourhood."), "neighbourhood_id")
    return Intake(
        name=name,
        email=email,
        phone=phone,
        neighbourhood_id=hood.id,
        streets=streets,
        can_do=list(dict.fromkeys(about.can_do)),
        can_do_note=" ".join(about.can_do_note.split())[:1000],
        data_consent=True,
    )


def hold_email(municipality_id: int, email: str) -> None:
    """Until this transaction ends: the right to look up and add the caring neighbour with
    this address here. A second sign-up at the same moment (a second tab, a resend after a
    slow answer) waits, then finds the first and adds no second record."""
    lock_identity(municipality_id, "caring neighbour", normalise_email(email))


def join(
    municipality: Municipality, about: Intake, via: str, by: User | None = None
) -> CaringNeighbour:
    """A new caring neighbour, their consent stored with its wording: active at once when
    the coordinator adds them; from the public page waiting for the coordinator's
    confirmation (until then no link, no signal: nobody files about residents unseen)."""
    tidy = _checked(municipality, about)
    hold_email(municipality.id, tidy.email)
    if by is not None and neighbour_by_email(tidy.email, True, municipality.id) is not None:
        raise NeighbourError(
            _(
                "A caring neighbour with this e-mail address is in the list already: confirm "
                "or take up that one."
            ),
            "email",
        )
    neighbour = CaringNeighbour(
        municipality_id=municipality.id,
        neighbourhood_id=tidy.neighbourhood_id,
        name=tidy.name,
        email=tidy.email or None,
        phone=tidy.phone or None,
        can_do=tidy.can_do,
        can_do_note=tidy.can_do_note,
        status="active" if by is not None else "pending",
        joined_via=via,
        consent_text_id=consent_text(municipality).id,
        data_consent_at=utcnow(),
        nonce=secrets.token_hex(16),
        created_by_id=by.id if by else None,
    )
    keys = set()
    for street in tidy.streets:
        key = street_key(street)
        if key and key not in keys:
            keys.add(key)
            neighbour.streets.append(NeighbourStreet(street=street, street_key=key))
    db.session.add(neighbour)
    db.session.flush()
    return neighbour


def change_status(neighbour: CaringNeighbour, status: str) -> bool:
    """Pause, take up again or end a neighbour's role; False when nothing changed. Ending
    drops the code and changes the nonce: no link, code or session works afterwards."""
    if status not in NEIGHBOUR_STATUSES:
        raise NeighbourError(_("Unknown status."), "status")
    # two coordinators (or a double tap) at once: the second waits and sees the first's change
    db.session.refresh(neighbour, with_for_update=NO_KEY_UPDATE)
    if neighbour.status == status:
        return False
    if neighbour.status == "ended":
        raise NeighbourError(
            _("This role has ended; add the person again if they come back."), "status", 409
        )
    if status == "pending" or (neighbour.status == "pending" and status == "paused"):
        raise NeighbourError(_("Confirm this caring neighbour first."), "status", 409)
    confirmed = neighbour.status == "pending" and status == "active"
    neighbour.status = status
    neighbour.status_changed_at = utcnow()
    if status in ("paused", "ended"):
        # every link sent and every open session stops working (a lost phone too); a paused
        # neighbour taken up again gets a new link, the paper code stays until the end
        neighbour.nonce = secrets.token_hex(16)
    if status == "ended":
        neighbour.code_hash = None
        _forget_person(neighbour)
    db.session.flush()
    if confirmed:
        email_sign_in_link(neighbour, "confirmed")
    return True


def end_role(neighbour: CaringNeighbour) -> None:
    """End the role whatever it was (retention: a public joiner never confirmed)."""
    if neighbour.status != "ended":
        change_status(neighbour, "ended")


def _forget_person(neighbour: CaringNeighbour) -> None:
    """The consent held "zolang ik zorgzame buur ben": an ended role keeps no name, e-mail,
    phone or note. The streets, the neighbourhood and what they filed stay for the counts."""
    if neighbour.email:
        forget_address(
            neighbour.email,
            [f"neighbour:{neighbour.id}:%", f"neighbour-message:%:{neighbour.id}"],
        )
    neighbour.name = _("Former caring neighbour")
    neighbour.email = None
    neighbour.phone = None
    neighbour.can_do_note = ""


# --- filing and the status of what was filed -------------------------------------------------


def file_signal(neighbour: CaringNeighbour, payload: dict[str, Any]) -> list[Signal]:
    """A concern about a neighbour, through the capture service every tool uses (routed
    after commit, source "neighbour"). ``payload``: resident (name, street, house_number,
    phone, birth_year), themes, note, urgency, consent ("verbal" or "none")."""
    _may_sign_in(neighbour)
    themes = [t for t in payload.get("themes") or [] if t in THEMES]
    if not themes:
        raise NeighbourError(_("Choose at least one concern."), "themes")
    consent = payload.get("consent")
    if consent not in ("verbal", "none"):
        raise NeighbourError(
            _("Choose whether the resident agrees to be contacted, or choose no consent."),
            "consent",
        )
    resident = payload["resident"]
    if consent == "verbal" and not (resident.get("name") or "").strip():
        raise NeighbourError(_("Fill in the name: the contact person will call."), "name")
    street = " ".join((resident.get("street") or "").split())
    postcode = _postcode_of(neighbour.municipality, street)
    hood = neighbour.neighbourhood
    capture = {
        "resident": {
            "name": (resident.get("name") or "").strip(),
            "street": street,
            "house_number": resident.get("house_number") or None,
            "postcode": postcode,
            # a street the table does not know: the neighbour's own village places it
            "deelgemeente": (
                None
                if postcode or hood.origin_sub_municipality_id is None
                else _village_code(hood.origin_sub_municipality_id)
            ),
            "gemeente": neighbour.municipality.code,
            "birth_year": resident.get("birth_year"),
            "phone": resident.get("phone") or None,
            "lat": None,
            "lon": None,
            "statsec": None,
        },
        "themes": themes,
        "domains": {t: THEME_DOMAINS[t] for t in themes},
        "urgency": payload.get("urgency") or "normal",
        "note": payload.get("note") or "",
        "consent": {
            "given": consent == "verbal",
            "how": "verbal" if consent == "verbal" else None,
            # who heard the resident agree: the consent record names the neighbour
            "reference": f"zorgzame buur {neighbour.id}" if consent == "verbal" else None,
        },
    }
    try:
        # without the resident's consent only counted, urgent or not: a neighbour is not
        # staff, so no case is opened for someone who did not agree (as with referral cards)
        signals = create_signals(capture, None, SOURCE, urgent_opens_case=False)
    except SignalError as exc:
        raise NeighbourError(str(exc), "street") from exc
    for signal in signals:
        db.session.add(NeighbourSignal(signal_id=signal.id, neighbour_id=neighbour.id))
    db.session.flush()
    return signals


def _postcode_of(municipality: Municipality, street: str) -> str | None:
    """The postcode of a street of the municipality's street table (a neighbour types the
    street, not the postcode), None when the table does not know it."""
    if not street:
        return None
    return db.session.scalar(
        select(Street.postcode)
        .join(Sector, Street.sector_id == Sector.id)
        .join(SubMunicipality, Sector.sub_municipality_id == SubMunicipality.id)
        .where(
            SubMunicipality.municipality_id == municipality.id,
            Street.street_key == street_key(street),
        )
        .limit(1)
    )


def _village_code(sub_municipality_id: int) -> str | None:
    village = db.session.get(SubMunicipality, sub_municipality_id)
    return village.code if village is not None else None


def _outsider() -> User:
    """Whom cases answers about a neighbour's signal: someone who may not see the case (a
    caring neighbour has no staff account), so "contacted" never reveals an older case.
    Never added to the session."""
    return User(role="referrer", email="", name="")


@dataclass(frozen=True)
class Filed:
    """What a neighbour sees of a signal they filed: never the resident nor the case."""

    id: int
    created_at: Any
    theme: str
    step: str


def filed_by(neighbour: CaringNeighbour, limit: int = 100) -> list[Filed]:
    signals = db.session.scalars(
        select(Signal)
        .join(NeighbourSignal, NeighbourSignal.signal_id == Signal.id)
        .where(NeighbourSignal.neighbour_id == neighbour.id)
        .order_by(Signal.created_at.desc(), Signal.id.desc())
        .limit(limit)
    ).all()
    outsider = _outsider()
    return [
        Filed(s.id, s.created_at, s.theme, filer_step(s, case_view(s, outsider))) for s in signals
    ]


# --- the coordinator's overview --------------------------------------------------------------


@dataclass
class HoodOverview:
    neighbourhood: Neighbourhood
    neighbours: list[CaringNeighbour]
    streets: list[tuple[str, list[CaringNeighbour]]]  # the street table's, with who is there
    other_streets: list[tuple[str, list[CaringNeighbour]]]  # named, not in the street table
    filed: dict[int, int]  # signals filed, per neighbour of this neighbourhood

    @property
    def signals(self) -> int:
        return sum(self.filed.values())

    @property
    def active(self) -> int:
        return sum(1 for n in self.neighbours if n.status == "active")

    @property
    def uncovered(self) -> list[str]:
        return [
            street for street, who in self.streets if not any(n.status == "active" for n in who)
        ]

    @property
    def shade(self) -> int:
        """For the map: 0 (white) without an active neighbour, then 1 to 5 by the share of the
        street table's streets that have one, in fifths (5: 80 % or more) — "evenredig
        verspreid": darker is better spread."""
        if not self.active:
            return 0
        if not self.streets:
            return 1
        covered = len(self.streets) - len(self.uncovered)
        return min(5, 1 + covered * 5 // len(self.streets))


def overview(municipality: Municipality) -> list[HoodOverview]:
    """Per neighbourhood: its caring neighbours, each street of the street table with the
    active neighbours there (and the streets without: "evenredig verspreid"), and the
    signals filed by neighbours."""
    neighbours = db.session.scalars(
        select(CaringNeighbour)
        .where(CaringNeighbour.municipality_id == municipality.id)
        .options(selectinload(CaringNeighbour.streets))
        .order_by(CaringNeighbour.name, CaringNeighbour.id)
    ).all()
    by_hood: dict[int, list[CaringNeighbour]] = defaultdict(list)
    for neighbour in neighbours:
        by_hood[neighbour.neighbourhood_id].append(neighbour)
    table: dict[int, list[str]] = defaultdict(list)
    for name, hood_id in known_streets(municipality):
        table[hood_id].append(name)
    filed = signals_filed_counts([n.id for n in neighbours])
    result = []
    for hood in neighbourhoods_of(municipality):
        if hood.is_unlocatable:
            continue
        who = by_hood.get(hood.id, [])
        keyed: dict[str, list[CaringNeighbour]] = defaultdict(list)
        for neighbour in who:
            for named in neighbour.streets:
                keyed[named.street_key].append(neighbour)
        known = {street_key(s) for s in table.get(hood.id, [])}
        streets = [(s, keyed.get(street_key(s), [])) for s in table.get(hood.id, [])]
        other = sorted(
            {
                named.street: keyed[named.street_key]
                for neighbour in who
                for named in neighbour.streets
                if named.street_key not in known
            }.items()
        )
        result.append(
            HoodOverview(hood, who, streets, other, {n.id: filed.get(n.id, 0) for n in who})
        )
    return result


def first_municipality_code() -> str | None:
    return db.session.scalar(
        select(Municipality.code)
        .join(CaringNeighbour, CaringNeighbour.municipality_id == Municipality.id)
        .order_by(CaringNeighbour.id)
        .limit(1)
    )


def neighbours_list(
    municipality: Municipality | None = None,
    neighbourhood_id: int | None = None,
    status: str | None = None,
) -> list[CaringNeighbour]:
    query = (
        select(CaringNeighbour)
        .options(selectinload(CaringNeighbour.streets))
        .order_by(CaringNeighbour.id)
    )
    if municipality is not None:
        query = query.where(CaringNeighbour.municipality_id == municipality.id)
    if neighbourhood_id is not None:
        query = query.where(CaringNeighbour.neighbourhood_id == neighbourhood_id)
    if status:
        query = query.where(CaringNeighbour.status == status)
    return list(db.session.scalars(query))


def signals_filed_counts(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    return dict(
        db.session.execute(
            select(NeighbourSignal.neighbour_id, func.count())
            .where(NeighbourSignal.neighbour_id.in_(ids))
            .group_by(NeighbourSignal.neighbour_id)
        ).all()
    )


# --- coaching ---------------------------------------------------------------------------------


def send_message(
    neighbourhood: Neighbourhood, subject: str, body: str, by: User
) -> NeighbourMessage:
    """One e-mail (notifications, after commit) to each active neighbour of the
    neighbourhood who left an e-mail address."""
    subject = " ".join(subject.split())
    body = body.strip()
    if not subject:
        raise NeighbourError(_("Give the message a subject."), "subject")
    if len(subject) > 200:
        raise NeighbourError(_("The subject is too long."), "subject")
    if not body:
        raise NeighbourError(_("The message is empty."), "body")
    if len(body) > 5000:
        raise NeighbourError(_("The message is too long."), "body")
    message = NeighbourMessage(
        neighbourhood_id=neighbourhood.id, subject=subject, body=body, sent_by_id=by.id
    )
    db.session.add(message)
    db.session.flush()
    recipients = [
        n for n in neighbours_list(neighbourhood_id=neighbourhood.id, status="active") if n.email
    ]
    for neighbour in recipients:
        notify_address(
            neighbour.email or "",
            "neighbour_message",
            f"neighbour-message:{message.id}:{neighbour.id}",
            subject,
            body,
        )
    message.recipients = len(recipients)
    db.session.flush()
    return message


def add_training(
    municipality: Municipality, title: str, held_on: date, neighbour_ids: list[int], by: User
) -> Training:
    """A training or meeting for caring neighbours: volunteers' Training (the same list of
    trainings), with the neighbours who attended."""
    ids = set(neighbour_ids)
    found = set(
        db.session.scalars(
            select(CaringNeighbour.id).where(
                CaringNeighbour.id.in_(ids), CaringNeighbour.municipality_id == municipality.id
            )
        )
    )
    if found != ids:
        raise NeighbourError(_("Choose caring neighbours of this municipality."), "attendees")
    try:
        training = create_training(municipality, title, held_on, [], by)
    except ServiceError as exc:
        raise NeighbourError(str(exc), "title") from exc
    for neighbour_id in sorted(ids):
        db.session.add(NeighbourTraining(training_id=training.id, neighbour_id=neighbour_id))
    db.session.flush()
    return training


def trainings_of(neighbour: CaringNeighbour) -> list[Training]:
    return list(
        db.session.scalars(
            select(Training)
            .join(NeighbourTraining, NeighbourTraining.training_id == Training.id)
            .where(NeighbourTraining.neighbour_id == neighbour.id)
            .order_by(Training.held_on.desc())
        )
    )


def neighbour_trainings(municipality: Municipality) -> list[tuple[Training, int]]:
    """The trainings neighbours attended, newest first, with how many of them were there."""
    rows = db.session.execute(
        select(Training, func.count(NeighbourTraining.neighbour_id))
        .join(NeighbourTraining, NeighbourTraining.training_id == Training.id)
        .where(Training.municipality_id == municipality.id)
        .group_by(Training.id)
        .order_by(Training.held_on.desc())
    ).all()
    return [(t, int(n)) for t, n in rows]
