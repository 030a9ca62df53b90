"""flask --app fieldwork demo load — idempotent; the passwords are in the README."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import AppGroup

from fieldwork.areas.importer import import_municipalities
from fieldwork.areas.models import Municipality
from fieldwork.areas.resolve import resolve_address
from fieldwork.areas.services import open_fixups
from fieldwork.areas.streets import load_streets
from fieldwork.auth.models import User
from fieldwork.auth.services import create_user, find_user_by_email
from fieldwork.config import ROOT
from fieldwork.demo.audit import demo_audit_trail
from fieldwork.demo.neighbours import load_demo_neighbours
from fieldwork.demo.plans import load_demo_plans
from fieldwork.extensions import db

if TYPE_CHECKING:
    from fieldwork.visits.models import VisitRound

demo_cli = AppGroup("demo", help="Demo data.")

DEMO_MUNICIPALITIES = ["36012", "72037"]  # Moorslede, Hamont-Achel
DEMO_PASSWORD = "zorgzaam-2026"  # noqa: S105 - printed in the README, demo only
DEMO_USERS = [
    ("vrijwilliger@demo.fieldwork.be", "volunteer", "Maria Vandenberghe"),
    ("jef@demo.fieldwork.be", "volunteer", "Jef Vermeersch"),
    ("huisarts@demo.fieldwork.be", "referrer", "Dr. Pieter Declercq"),
    ("aanspreekpersoon@demo.fieldwork.be", "contact_person", "An Peeters"),
    ("jan@demo.fieldwork.be", "contact_person", "Jan Vermeulen"),
    ("regisseur@demo.fieldwork.be", "coordinator", "Sofie Lambrecht"),
    ("analist@demo.fieldwork.be", "analyst", "Koen Maes"),
]
DEMO_ORGANISATIONS = {"huisarts@demo.fieldwork.be": "Huisartsenpraktijk De Linde, Dadizele"}
DEMO_STREETS = ROOT / "data" / "demo" / "streets_moorslede_hamont-achel.csv"
DEMO_VISIT_LIST = ROOT / "data" / "demo" / "bezoeklijst_dadizele.csv"
DEMO_HAMONT_LIST = ROOT / "data" / "demo" / "bezoeklijst_hamont.csv"
DEMO_CALL_LIST = ROOT / "data" / "demo" / "bellijst_moorslede.csv"
DEMO_SOCIAL_MAP = ROOT / "data" / "demo" / "sociale_kaart_moorslede.csv"


def _demo_user(email: str) -> User:
    """One of DEMO_USERS, which ``demo load`` creates before anything that needs them."""
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"demo account {email} is missing")
    return user


@demo_cli.command("load")
@click.option("--force", is_flag=True, help="Load even into a configured DATABASE_URL.")
def load_command(force: bool) -> None:
    """Import Moorslede and Hamont-Achel, their street table and one account per role."""
    if current_app.config.get("DATABASE_URL") and not force:
        raise click.ClickException(
            "DATABASE_URL is set: the demo creates accounts whose password is public. "
            "Use --force only on a test server."
        )
    for report in import_municipalities(DEMO_MUNICIPALITIES, current_app.config["STATBEL_DIR"]):
        click.echo(report.lines()[0])
    streets = load_streets(DEMO_STREETS.read_bytes())
    click.echo(f"streets: {streets.created} new, {streets.unchanged} unchanged")
    for email, role, name in DEMO_USERS:
        if find_user_by_email(email) is None:
            create_user(
                email=email,
                role=role,
                password=DEMO_PASSWORD,
                name=name,
                organisation=DEMO_ORGANISATIONS.get(email, ""),
            )
            click.echo(f"user {email} ({role})")
    _demo_routing_and_signals()
    _demo_referral_cards()
    _demo_volunteers()
    _demo_visit_round()
    _demo_answers()
    _demo_calls()
    _demo_call_list()
    _demo_buurtgezellen()
    _demo_photos()
    _demo_analysis()
    _demo_social_map()
    _demo_onward()
    load_demo_neighbours()
    load_demo_plans()
    _demo_erasure()
    if not open_fixups():
        # One address nobody could place, so the coordinator's fix-up list has an example.
        moorslede = db.session.query(Municipality).filter_by(code="36012").one()
        resolve_address(
            moorslede,
            street="Onbekende Dreef",
            house_number="3",
            postcode="8890",
            source_type="demo",
        )
    db.session.commit()
    _demo_withdrawal()
    demo_audit_trail()  # after the commit: the cases are routed by then (in-process)
    db.session.commit()
    click.echo(f"demo ready: log in with any demo e-mail and password {DEMO_PASSWORD}")


WITHDRAWN_RESIDENT = "Albert Verhaeghe"


def _demo_withdrawal() -> None:
    """A resident who withdrew consent: the contact person sees the placeholder, the
    coordinator the data and the access-request buttons (README "Privacy")."""
    from sqlalchemy import select

    from fieldwork.cases.models import Case
    from fieldwork.cases.services import withdraw_consent
    from fieldwork.routing.services import route_signal_once
    from fieldwork.signals.models import Resident
    from fieldwork.signals.services import create_signal

    if db.session.scalar(select(Resident.id).where(Resident.name == WITHDRAWN_RESIDENT)):
        return
    coordinator = _demo_user("regisseur@demo.fieldwork.be")
    signal = create_signal(
        {
            "resident": {
                "name": WITHDRAWN_RESIDENT,
                "street": "Kerkstraat",
                "house_number": "18",
                "postcode": "8890",
                "gemeente": "36012",
                "birth_year": 1944,
                "phone": "056 50 11 22",
                "lat": None,
                "lon": None,
                "statsec": None,
            },
            "theme": "zorgnood",
            "domain": "zorg",
            "urgency": "normal",
            "polarity": "need",
            "note": "Heeft hulp nodig bij het aankleden; dochter woont ver weg.",
            "consent": {"given": True, "how": "verbal", "reference": None},
        },
        coordinator,
    )
    db.session.commit()
    route_signal_once(signal.id)
    case = db.session.scalar(select(Case).where(Case.resident_id == signal.resident_id))
    if case is not None and case.closed_at is None:
        withdraw_consent(case, coordinator, "Wil geen contact meer (telefonisch gemeld)")
        db.session.commit()
        click.echo(f"privacy: {WITHDRAWN_RESIDENT} withdrew consent (data hidden)")


DEMO_SIGNALS = [
    # (name, street, number, birth year, theme, domain, urgency, consent, note)
    (
        "Maria Claes",
        "Dadizeleplaats",
        "12",
        1941,
        "eenzaamheid",
        "welzijn",
        "normal",
        True,
        "Sinds haar man overleed komt ze weinig buiten; wil graag een babbel.",
    ),
    (
        "Jozef Vandenbussche",
        "Kerkstraat",
        "4",
        1938,
        "mobiliteit",
        "wonen",
        "normal",
        True,
        "Rijdt geen auto meer, raakt moeilijk bij de dokter.",
    ),
    (
        "Rita Desmet",
        "Iepersestraat",
        "27",
        1955,
        "financien_rechten",
        "welzijn",
        "normal",
        True,
        "Weet niet of ze recht heeft op een verhoogde tegemoetkoming.",
    ),
    (
        "Georges Lambrecht",
        "Oliekotstraat",
        "9",
        1936,
        "veiligheid",
        "zorg",
        "urgent",
        True,
        "Viel twee keer deze maand; woont alleen.",
    ),
    (
        "",
        "Passendaalsestraat",
        "",
        None,
        "vrije_tijd",
        "welzijn",
        "normal",
        False,
        "Buurtbewoner mist een ontmoetingsplek in de buurt.",
    ),
]


def _demo_routing_and_signals() -> None:
    from sqlalchemy import func, select

    from fieldwork.areas.models import Neighbourhood
    from fieldwork.routing.admin import replace_rules, replace_teams
    from fieldwork.routing.models import RoutingRule
    from fieldwork.signals.models import Signal
    from fieldwork.signals.services import create_signal

    if not db.session.scalar(select(func.count()).select_from(RoutingRule)):
        ids = {n.name: n.id for n in db.session.scalars(select(Neighbourhood))}
        replace_teams(
            [
                {
                    "name": "Moorslede 65+",
                    "strategy": "least_loaded",
                    "members": ["aanspreekpersoon@demo.fieldwork.be", "jan@demo.fieldwork.be"],
                }
            ]
        )
        replace_rules(
            [
                {
                    "name": "Eenzaamheid Dadizele",
                    "enabled": True,
                    "first_contact_days": 5,
                    "conditions": {"neighbourhoods": [ids["Dadizele"]], "themes": ["eenzaamheid"]},
                    "assign_to": {"user": "aanspreekpersoon@demo.fieldwork.be"},
                },
                {
                    "name": "Dringend",
                    "enabled": True,
                    "first_contact_days": 1,
                    "conditions": {"urgency": "urgent"},
                    "assign_to": {"user": "aanspreekpersoon@demo.fieldwork.be"},
                },
                {
                    "name": "65-plussers Moorslede en Dadizele",
                    "enabled": True,
                    "first_contact_days": 5,
                    "conditions": {
                        "neighbourhoods": [ids["Moorslede"], ids["Dadizele"]],
                        "age_min": 65,
                    },
                    "assign_to": {"team": "Moorslede 65+"},
                },
            ]
        )
        click.echo("routing: 1 team, 3 rules")
    if db.session.scalar(select(func.count()).select_from(Signal)):
        return
    coordinator = find_user_by_email("regisseur@demo.fieldwork.be")
    for name, street, number, year, theme, domain, urgency, consent, note in DEMO_SIGNALS:
        create_signal(
            {
                "resident": {
                    "name": name or "onbekend",
                    "street": street,
                    "house_number": number,
                    "postcode": "8890",
                    "gemeente": "36012",
                    "birth_year": year,
                    "phone": "056 50 00 00" if consent else None,
                    "lat": None,
                    "lon": None,
                    "statsec": None,
                },
                "theme": theme,
                "domain": domain,
                "urgency": urgency,
                "polarity": "need",
                "note": note,
                "consent": {
                    "given": consent,
                    "how": "verbal" if consent else None,
                    "reference": None,
                },
            },
            coordinator,
        )
    click.echo(f"signals: {len(DEMO_SIGNALS)} (routed after commit)")


DEMO_SERVICES = [
    {"name": "Sociaal Huis Moorslede", "phone": "051 78 91 00"},
    {"name": "Lokaal dienstencentrum", "phone": "051 78 91 20"},
    {"name": "Thuiszorg en poetshulp", "phone": "051 78 91 30"},
    {"name": "Mantelzorgpunt", "phone": "051 78 91 40"},
    {"name": "Minder Mobielen Centrale", "phone": "051 78 91 50"},
    {"name": "Aanspreekpersoon 65-plussers", "phone": "051 78 91 60"},
]
DEMO_CARDS = [
    # (name, street, number, birth year, themes, consent, description, best time)
    (
        "Albert Verstraete",
        "Moorseelsestraat",
        "31",
        1939,
        ["eenzaamheid", "mobiliteit"],
        True,
        "Weduwnaar sinds vorig jaar, komt de deur niet meer uit; kinderen wonen ver.",
        "voormiddag, na 10 u",
    ),
    (
        "",
        "Beitemstraat",
        "",
        None,
        ["financien_rechten"],
        False,
        "Twijfelt of ze recht heeft op een verhoogde tegemoetkoming; wil niet gebeld worden.",
        "",
    ),
]


def _demo_referral_cards() -> None:
    """A printed series, cards handed out to the GP, two filed cards and a one-time link."""
    from sqlalchemy import func, select

    from fieldwork.referrals.models import CardSeries, ReferralCard
    from fieldwork.referrals.services import (
        DEFAULT_CONSENT_TEXT,
        Filer,
        create_link,
        create_series,
        hand_out,
        submit_card,
    )

    if db.session.scalar(select(func.count()).select_from(CardSeries)):
        return
    moorslede = db.session.query(Municipality).filter_by(code="36012").one()
    coordinator = find_user_by_email("regisseur@demo.fieldwork.be")
    gp = find_user_by_email("huisarts@demo.fieldwork.be")
    series = create_series(
        moorslede,
        "Huisartsen en thuisverpleging 2026",
        DEMO_SERVICES,
        DEFAULT_CONSENT_TEXT,
        24,
        coordinator,
    )
    cards = list(
        db.session.scalars(
            select(ReferralCard)
            .where(ReferralCard.series_id == series.id)
            .order_by(ReferralCard.id)
        )
    )
    for card in cards[:8]:
        hand_out(card, "", gp)
    for card, (name, street, number, year, themes, consent, text, best) in zip(
        cards, DEMO_CARDS, strict=False
    ):
        submit_card(
            card,
            {
                "resident": {
                    "name": name,
                    "street": street,
                    "house_number": number or None,
                    "postcode": "8890",
                    "gemeente": "36012",
                    "birth_year": year,
                    "phone": "051 77 88 99" if consent else None,
                    "lat": None,
                    "lon": None,
                    "statsec": None,
                },
                "themes": themes,
                "urgency": "normal",
                "description": text,
                "best_time": best,
                "consent": {
                    "given": consent,
                    "how": "signed_strip" if consent else None,
                    "reference": None,
                },
            },
            Filer(gp),
        )
    _link, token = create_link(
        moorslede, "Bakkerij Vandamme", "bakker, Marktplaats", None, 30, coordinator
    )
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    click.echo(
        f"referral cards: 1 series of 24 (PDF after commit), 2 filed; one-time link "
        f"for the baker: {base}/r/{token}"
    )


def _demo_visit_round() -> None:
    """A visit round for Dadizele: the target list imported (one address the street table
    does not know), streets shared by two volunteers, two findings sheets."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from fieldwork.areas.models import Neighbourhood
    from fieldwork.visits.importer import run_import, start_import
    from fieldwork.visits.models import VisitAddress, VisitRound
    from fieldwork.visits.services import (
        Findings,
        addresses_in_street,
        assign,
        create_round,
        record_visit,
        today,
    )

    if db.session.scalar(select(func.count()).select_from(VisitRound)):
        return
    moorslede = db.session.query(Municipality).filter_by(code="36012").one()
    dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).one()
    coordinator = find_user_by_email("regisseur@demo.fieldwork.be")
    visit_round = create_round(
        moorslede,
        "Bezoekronde 80+ Dadizele",
        [dadizele.id],
        today() - timedelta(days=30),
        today() + timedelta(days=60),
        ["Seniorengids Moorslede", "Folder dienstencentrum", "Kalender dorpsrestaurant"],
        3,
        coordinator,
    )
    job = start_import(
        visit_round, DEMO_VISIT_LIST.name, DEMO_VISIT_LIST.read_bytes(), coordinator, enqueue=False
    )
    db.session.commit()
    run_import(job.id)  # twelve rows: read now, so that the streets can be assigned
    maria = _demo_user("vrijwilliger@demo.fieldwork.be")
    jef = _demo_user("jef@demo.fieldwork.be")
    for street, volunteer in (
        ("Dadizeleplaats", maria),
        ("Moorseelsestraat", maria),
        ("Klephoekstraat", jef),
        ("Bakkershoekstraat", jef),
    ):
        assign(addresses_in_street(visit_round, street), volunteer)
    first = db.session.scalars(
        select(VisitAddress).where(
            VisitAddress.round_id == visit_round.id, VisitAddress.name == "Marcella Vandamme"
        )
    )
    for address in first:
        record_visit(
            address,
            maria,
            Findings(
                outcome="spoken",
                themes={"eenzaamheid": "concern", "mobiliteit": "concern", "woning": "ok"},
                info_given=["Seniorengids Moorslede"],
                interests=["dorpsrestaurant"],
                wants_buurtgezel=True,
                wants_contact=True,
                consent={"given": True, "how": "signed_strip", "reference": "papieren formulier 1"},
                note="Woont alleen sinds de zomer; zou graag eens mee naar het dorpsrestaurant.",
            ),
        )
    for address in db.session.scalars(
        select(VisitAddress).where(
            VisitAddress.round_id == visit_round.id, VisitAddress.name == "Gerard Desmet"
        )
    ):
        record_visit(address, maria, Findings(outcome="not_home", card_left=True))
    for address in db.session.scalars(
        select(VisitAddress).where(
            VisitAddress.round_id == visit_round.id, VisitAddress.name == "Paula Hoornaert"
        )
    ):
        record_visit(
            address,
            jef,
            Findings(
                outcome="spoken",
                themes={"eenzaamheid": "ok", "mobiliteit": "ok"},
                interests=["dienstencentrum"],
                wants_to_volunteer=True,
                wants_contact=True,
                consent={"given": True, "how": "signed_strip", "reference": "papieren formulier 2"},
                note="Was naaister; wil graag helpen in het repaircafé van het dienstencentrum.",
            ),
        )
    _demo_late_visit(visit_round, jef, maria)
    click.echo("visit round: Dadizele, 12 addresses imported, 4 streets assigned, 4 visits")


def _demo_answers() -> None:
    from fieldwork.demo.answers import demo_answers

    recorded = demo_answers(_demo_user("jef@demo.fieldwork.be"))
    if recorded:
        click.echo(f"answers: last season's round, {recorded} spoken visits")


def _demo_late_visit(visit_round: VisitRound, jef: User, maria: User) -> None:
    """A sheet recorded offline that arrived late: Jef opened Marcel Dewaele's sheet
    yesterday afternoon and rang at the edge of the village without signal; meanwhile the
    coordinator gave the address to Maria. It arrives this morning: applied, and flagged
    for the coordinator ("Na te kijken" on the round's page)."""
    from datetime import timedelta

    from sqlalchemy import select

    from fieldwork.core.audit import record_audit
    from fieldwork.db import utcnow
    from fieldwork.visits.models import VisitAddress
    from fieldwork.visits.services import Findings, assign, late_visit_target, record_visit

    address = db.session.scalars(
        select(VisitAddress).where(
            VisitAddress.round_id == visit_round.id, VisitAddress.name == "Marcel Dewaele"
        )
    ).one()
    observed = utcnow() - timedelta(hours=18)
    seen = record_audit("visit_address_viewed", "visit_address", address.id, user_id=jef.id)
    seen.at = observed - timedelta(minutes=10)
    assign([address], maria)  # the coordinator, meanwhile
    target = late_visit_target(jef, address.id, observed)
    if target is None:  # the round's dates do not cover yesterday: nothing to show
        return
    record_visit(
        target[0],
        jef,
        Findings(
            outcome="spoken",
            themes={"veiligheid": "concern", "vrije_tijd": "ok"},
            interests=["activiteiten"],
            info_given=["Kalender dorpsrestaurant"],
        ),
        observed_at=observed,
        flag=target[1],
    )


# (name, neighbourhood, e-mail, phone, status, roles, tags, talents, experience, languages,
#  availability, mobility, support, help kinds, model 2 checked days ago or None, source)
DEMO_VOLUNTEERS = [
    (
        "Maria Vandenberghe",
        "Dadizele",
        "vrijwilliger@demo.fieldwork.be",
        "0476 10 20 30",
        "active",
        ["visitor", "caller", "buurtgezel"],
        ["luisteren", "koken"],
        "Luistert graag; kookt voor het dorpsrestaurant.",
        "Dertig jaar thuisverpleegkundige.",
        ["nederlands", "frans"],
        ["mon_morning", "tue_morning", "thu_afternoon"],
        ["car"],
        [],
        ["companionship", "chat"],
        200,
        "staff",
    ),
    (
        "Jef Vermeersch",
        "Moorslede",
        "jef@demo.fieldwork.be",
        "0477 20 30 40",
        "active",
        ["visitor", "caller"],
        ["tuinieren"],
        "Kent iedereen in de parochie.",
        "Gepensioneerd postbode.",
        ["nederlands"],
        ["wed_morning", "fri_morning"],
        ["bike", "on_foot"],
        [],
        [],
        120,
        "staff",
    ),
    (
        "Linda Desmet",
        "Dadizele",
        "linda@demo.fieldwork.be",
        "0478 30 40 50",
        "active",
        ["buurtgezel", "driver"],
        ["boodschappen", "babbelen"],
        "Doet graag boodschappen samen, rijdt mensen naar de dokter.",
        "Winkelbediende.",
        ["nederlands", "engels"],
        ["tue_morning", "thu_morning", "sat_morning"],
        ["car"],
        [],
        ["shopping", "lift", "chat", "companionship"],
        90,
        "staff",
    ),
    (
        "Omar Benali",
        "Moorslede",
        "omar@demo.fieldwork.be",
        "0479 40 50 60",
        "active",
        ["buurtgezel", "event_helper"],
        ["herstellen", "elektriciteit"],
        "Herstelt alles wat stroom heeft.",
        "Elektricien in zijn thuisland, Marokko.",
        ["arabisch", "frans", "nederlands"],
        ["sat_morning", "sat_afternoon", "wed_evening"],
        ["bike"],
        ["language_help"],
        ["small_jobs", "chat"],
        60,
        "public_form",
    ),
    (
        "Paul Vercruysse",
        "Dadizele",
        None,
        "051 77 55 66",
        "paused",
        ["buurtgezel"],
        ["wandelen"],
        "Wandelt elke dag.",
        "Leraar geschiedenis.",
        ["nederlands"],
        ["mon_afternoon", "wed_afternoon"],
        ["on_foot"],
        [],
        ["walk", "companionship"],
        400,
        "staff",
    ),
    (
        "Rita Claeys",
        "Moorslede",
        "rita@demo.fieldwork.be",
        "051 77 88 99",
        "intake_done",
        ["visitor"],
        ["muziek"],
        "Speelt piano; mensen samenbrengen.",
        "Net met pensioen na 40 jaar in de bank.",
        ["nederlands"],
        ["tue_afternoon", "thu_afternoon"],
        ["car"],
        ["buddy"],
        [],
        None,
        "staff",
    ),
    (
        "Karim Haddad",
        "Moorslede",
        "karim@example.be",
        "0470 12 34 56",
        "candidate",
        ["event_helper", "other"],
        [],
        "Ik herstel graag fietsen.",
        "",
        ["arabisch", "frans"],
        ["sat_morning"],
        [],
        [],
        [],
        None,
        "public_form",
    ),
]


def _demo_volunteers() -> None:
    """The volunteer pool of Moorslede: Maria and Jef (visitors and callers, model 2
    checked), two active buurtgezellen, one paused, one intake waiting for the model-2
    check, one candidate from the 'Ik wil helpen' form; and a training."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from fieldwork.areas.models import Neighbourhood
    from fieldwork.db import utcnow
    from fieldwork.volunteers.intake import create_training
    from fieldwork.volunteers.models import Volunteer

    if db.session.scalar(select(func.count()).select_from(Volunteer)):
        return
    moorslede = db.session.query(Municipality).filter_by(code="36012").one()
    hoods = {
        n.name: n.id
        for n in db.session.scalars(
            select(Neighbourhood).where(Neighbourhood.municipality_id == moorslede.id)
        )
    }
    coordinator = find_user_by_email("regisseur@demo.fieldwork.be")
    today = utcnow().date()
    made = {}
    for (
        name,
        hood,
        email,
        phone,
        status,
        roles,
        tags,
        talents,
        experience,
        languages,
        slots,
        mobility,
        support,
        help_kinds,
        checked,
        source,
    ) in DEMO_VOLUNTEERS:
        account = find_user_by_email(email) if email else None
        volunteer = Volunteer(
            municipality_id=moorslede.id,
            neighbourhood_id=hoods[hood],
            name=name,
            email=email,
            phone=phone,
            status=status,
            source=source,
            roles=roles,
            tags=tags,
            talents=talents,
            experience=experience,
            languages=languages,
            availability=slots,
            mobility=mobility,
            support=support,
            help_kinds=help_kinds,
            model2_checked_on=today - timedelta(days=checked) if checked else None,
            model2_checked_by_id=coordinator.id if checked and coordinator else None,
            user_id=account.id if account else None,
            data_consent_at=utcnow() - timedelta(days=checked or 3),
            intake_by_id=coordinator.id if coordinator and status != "candidate" else None,
            intake_at=utcnow() - timedelta(days=checked or 3) if status != "candidate" else None,
        )
        db.session.add(volunteer)
        made[name] = volunteer
    db.session.flush()
    if coordinator is not None:
        create_training(
            moorslede,
            "Signalen herkennen aan de deur",
            today - timedelta(days=45),
            [made[n].id for n in ("Maria Vandenberghe", "Jef Vermeersch", "Linda Desmet")],
            coordinator,
        )
        create_training(
            moorslede,
            "Buurtgezel: een goede start",
            today - timedelta(days=20),
            [made[n].id for n in ("Linda Desmet", "Omar Benali")],
            coordinator,
        )
    click.echo(f"volunteers: {len(made)} in the pool of Moorslede, 2 trainings")


def _demo_buurtgezellen() -> None:
    """Buurtgezellen: Marcella Vandamme asked for one during her doorstep visit (her wish
    waits on the contact person's page, to be matched — Linda fits best); Maria Claes was
    matched with Maria (the volunteer) three weeks ago, the follow-up is due next week."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from fieldwork.db import utcnow
    from fieldwork.signals.models import Resident
    from fieldwork.volunteers.gate import volunteer_of
    from fieldwork.volunteers.matching import make_match, request_for_resident
    from fieldwork.volunteers.models import BuurtgezelRequest

    if db.session.scalar(select(func.count()).select_from(BuurtgezelRequest)):
        return
    an = find_user_by_email("aanspreekpersoon@demo.fieldwork.be")
    maria = find_user_by_email("vrijwilliger@demo.fieldwork.be")
    claes = db.session.scalars(select(Resident).filter_by(name="Maria Claes")).first()
    buddy = volunteer_of(maria) if maria else None
    if an is None or claes is None or buddy is None:
        return
    request = request_for_resident(
        claes,
        an,
        ["companionship", "chat"],
        ["mon_morning", "tue_morning"],
        ["nederlands"],
        "Graag een vaste babbel in de week.",
    )
    match = make_match(request, buddy, an, resident_informed=True, follow_up_weeks=4)
    three_weeks = timedelta(weeks=3)
    request.created_at -= three_weeks + timedelta(days=2)
    match.matched_at -= three_weeks
    match.follow_up_on -= three_weeks
    match.volunteer_informed_at = utcnow() - three_weeks
    click.echo("buurtgezellen: Marcella Vandamme waits for a match; Maria Claes matched")


def _demo_calls() -> None:
    """A call campaign for the 80+ of Hamont (from the population-register list of the
    coming visit round), shared by two callers with three calls made; two good-morning calls,
    one of which was not answered yesterday (an open alert for An)."""
    from datetime import time, timedelta

    from sqlalchemy import func, select

    from fieldwork.areas.models import Neighbourhood
    from fieldwork.calls import goodmorning
    from fieldwork.calls.campaigns import (
        Conversation,
        Criteria,
        create_campaign,
        parse_guide,
        record_attempt,
        select_targets,
        share_out,
    )
    from fieldwork.calls.models import CallCampaign, CallTarget, GoodMorningCall
    from fieldwork.calls.rules import at_local, local
    from fieldwork.db import utcnow
    from fieldwork.signals.models import Resident
    from fieldwork.visits.importer import run_import, start_import
    from fieldwork.visits.services import create_round, today

    if db.session.scalar(select(func.count()).select_from(CallCampaign)):
        return
    hamont_achel = db.session.query(Municipality).filter_by(code="72037").one()
    hamont = db.session.scalars(
        select(Neighbourhood).filter_by(name="Hamont", municipality_id=hamont_achel.id)
    ).one()
    coordinator = find_user_by_email("regisseur@demo.fieldwork.be")
    maria = find_user_by_email("vrijwilliger@demo.fieldwork.be")
    jef = find_user_by_email("jef@demo.fieldwork.be")
    an = find_user_by_email("aanspreekpersoon@demo.fieldwork.be")
    if not (coordinator and maria and jef and an):
        raise click.ClickException("the demo accounts are missing")
    visit_round = create_round(
        hamont_achel,
        "Bezoekronde 80+ Hamont",
        [hamont.id],
        today() + timedelta(days=30),
        today() + timedelta(days=90),
        ["Seniorengids Hamont-Achel"],
        3,
        coordinator,
    )
    job = start_import(
        visit_round,
        DEMO_HAMONT_LIST.name,
        DEMO_HAMONT_LIST.read_bytes(),
        coordinator,
        enqueue=False,
    )
    db.session.commit()
    run_import(job.id)
    campaign = create_campaign(
        hamont_achel,
        "Belactie 80+ Hamont",
        [hamont.id],
        parse_guide(
            "Hoe gaat het met u de laatste tijd?\n"
            "Ziet u geregeld familie, vrienden of buren? | vaak; soms; zelden; nooit\n"
            "Kan u nog zelf boodschappen doen? | ja; met hulp; nee\n"
            "Is er iets waarmee we u kunnen helpen?"
        ),
        [maria.id, jef.id],
        3,
        120,
        time(10),
        time(19),
        None,
        coordinator,
    )
    selection = select_targets(campaign, Criteria(min_age=80), local(utcnow()).year)
    share_out(campaign, [maria.id, jef.id])
    targets = {
        t.name: t
        for t in db.session.scalars(select(CallTarget).where(CallTarget.campaign_id == campaign.id))
    }
    earlier = utcnow() - timedelta(hours=3)
    if "Rosa Wouters" in targets and targets["Rosa Wouters"].caller_id:
        record_attempt(
            targets["Rosa Wouters"],
            maria,
            Conversation(
                outcome="reached",
                answers={
                    "q1": "Het gaat, maar de dagen zijn lang.",
                    "q2": "zelden",
                    "q3": "met hulp",
                },
                themes={"eenzaamheid": "concern", "mobiliteit": "concern", "woning": "ok"},
                wants_regular_calls=True,
                wants_contact=True,
                consent_given=True,
                note="Zou graag naar het dienstencentrum gaan maar heeft geen vervoer.",
            ),
            earlier,
        )
    if "Jan Bex" in targets and targets["Jan Bex"].caller_id:
        record_attempt(
            targets["Jan Bex"],
            targets["Jan Bex"].caller or jef,
            Conversation(outcome="no_answer"),
            earlier,
        )
    if "Anna Peeters" in targets and targets["Anna Peeters"].caller_id:
        record_attempt(
            targets["Anna Peeters"],
            targets["Anna Peeters"].caller or jef,
            Conversation(outcome="call_back_at", call_back_at=utcnow() + timedelta(days=1)),
            earlier,
        )
    # Maria Claes is called around now (so that Maria's list shows the call), every day;
    # Jozef Vandenbussche at nine, and yesterday he did not answer: an alert for An.
    hour = local(utcnow()).hour
    windows = {
        "Maria Claes": (time(hour), time(min(hour + 2, 23), 59 if hour >= 22 else 0)),
        "Jozef Vandenbussche": (time(9), time(10)),
    }
    schedules = {}
    for name, neighbour, relation, phone in (
        ("Maria Claes", "Godelieve Verhaeghe", "neighbour", "051 77 20 14"),
        ("Jozef Vandenbussche", "Els Vandenbussche", "family", "0478 11 22 33"),
    ):
        resident = db.session.scalars(select(Resident).filter_by(name=name)).first()
        if resident is not None:
            schedules[name] = goodmorning.create_schedule(
                resident,
                list(range(7)),
                *windows[name],
                [maria.id],
                goodmorning.Escalation(neighbour, phone, relation, True),
                an,
                coordinator,
                True,
                starts_on=today(),
            )
    made = 0
    jozef = schedules.get("Jozef Vandenbussche")
    if jozef is not None:
        yesterday = today() - timedelta(days=1)
        jozef.starts_on = yesterday
        morning = at_local(yesterday, time(9, 5))
        made += goodmorning.make_calls(morning)
        call = db.session.scalars(
            select(GoodMorningCall).filter_by(schedule_id=jozef.id, day=yesterday)
        ).one()
        for minutes in (0, 15, 30):
            goodmorning.record_call(
                call, maria, "no_answer", now=morning + timedelta(minutes=minutes)
            )
    counts = goodmorning.tick()
    counts["calls_made"] += made
    click.echo(
        f"call campaign: Hamont, {selection.added} people on the list, "
        f"3 calls; good-morning calls: {counts['calls_made']} made, "
        f"{counts['alerts'] + 1} alert(s)"
    )


def _demo_call_list() -> None:
    """The seed's first target group: a campaign of Moorslede with its own call list
    (imported, one row without a phone rejected), the people living alone aged 75+ selected."""
    from datetime import time

    from sqlalchemy import select

    from fieldwork.areas.models import Neighbourhood
    from fieldwork.calls.campaigns import Criteria, create_campaign, parse_guide, select_targets
    from fieldwork.calls.importer import run_call_import, start_call_import
    from fieldwork.calls.models import CallCampaign
    from fieldwork.calls.rules import local
    from fieldwork.db import utcnow

    name = "Belactie alleenwonende 75-plussers Moorslede"
    if db.session.scalar(select(CallCampaign.id).filter_by(name=name)):
        return
    moorslede = db.session.query(Municipality).filter_by(code="36012").one()
    hoods = db.session.scalars(
        select(Neighbourhood.id).where(
            Neighbourhood.municipality_id == moorslede.id,
            Neighbourhood.name.in_(["Moorslede", "Dadizele"]),
        )
    ).all()
    coordinator = _demo_user("regisseur@demo.fieldwork.be")
    campaign = create_campaign(
        moorslede,
        name,
        list(hoods),
        parse_guide("Hoe gaat het met u?\nIs er iets waarmee we u kunnen helpen?"),
        [_demo_user("vrijwilliger@demo.fieldwork.be").id],
        3,
        120,
        time(10),
        time(18),
        None,
        coordinator,
    )
    job = start_call_import(
        campaign, DEMO_CALL_LIST.name, DEMO_CALL_LIST.read_bytes(), coordinator, enqueue=False
    )
    db.session.commit()
    job = run_call_import(job.id) or job
    selection = select_targets(
        campaign, Criteria(min_age=75, living_alone="yes"), local(utcnow()).year
    )
    db.session.commit()
    click.echo(
        f"call list: Moorslede, {job.accepted} imported, "
        f"{selection.added} living alone and 75+ on the call list"
    )


# (week, side, caption, consent, age group, pinned, themes, polarity, moderation)
DEMO_PHOTOS = [
    (
        1,
        "main",
        "Het bankje onder de linde aan de kerk: daar zit altijd iemand.",
        "public",
        "65plus",
        True,
        ["vrije_tijd"],
        "strength",
        "approve",
    ),
    (
        1,
        "contrast",
        "Het pleintje achter de sporthal: donker en vol zwerfvuil.",
        "report",
        "adult",
        True,
        ["veiligheid"],
        "concern",
        "signal",
    ),
    (
        1,
        "main",
        "De speeltuin, hier ontmoeten de mama's elkaar.",
        "public",
        "adult",
        True,
        ["vrije_tijd"],
        "strength",
        "approve",
    ),
    (
        2,
        "main",
        "Oversteken aan de school gaat goed sinds het zebrapad er ligt.",
        "analysis",
        "child",
        False,
        ["mobiliteit"],
        "strength",
        "approve",
    ),
    (2, "main", "Mijn buurvrouw aan haar voordeur.", "public", None, False, [], None, "hide"),
    (
        2,
        "main",
        "Aan de Kerkstraat rijden ze veel te snel.",
        "report",
        "65plus",
        True,
        ["mobiliteit", "veiligheid"],
        "concern",
        None,
    ),
]


def _demo_picture(seed: int, week: int) -> bytes:
    """A small made-up photo (sky, ground, a bench or a tree) so the gallery has pictures."""
    import io
    import random

    from PIL import Image, ImageDraw

    rng = random.Random(seed)  # noqa: S311 - made-up demo pictures, nothing secret
    image = Image.new("RGB", (1200, 900), (135 + rng.randint(0, 60), 180, 225))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 560, 1200, 900), fill=(90 + rng.randint(0, 40), 150, 80))
    x = rng.randint(150, 800)
    if week == 1:
        draw.rectangle((x, 520, x + 260, 560), fill=(120, 80, 40))
        draw.rectangle((x + 20, 560, x + 40, 640), fill=(80, 50, 30))
        draw.rectangle((x + 220, 560, x + 240, 640), fill=(80, 50, 30))
    else:
        draw.rectangle((0, 640, 1200, 760), fill=(70, 70, 75))
        for stripe in range(6):
            draw.rectangle((x + stripe * 50, 650, x + stripe * 50 + 28, 750), fill=(240,) * 3)
    sun = rng.randint(0, 1000)
    draw.ellipse((sun, 60, sun + 160, 220), fill=(250, 235, 150))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _demo_photos() -> None:
    """A four-week photo assignment for Achel, in its second week: six photos sent in, five
    moderated (one hidden: a recognisable person), one a signal for the neighbourhood, pins
    on the map."""
    import json
    from datetime import timedelta

    from shapely.geometry import Point, shape
    from sqlalchemy import func, select

    from fieldwork.areas.models import Neighbourhood, Sector, SubMunicipality
    from fieldwork.photos import moderation
    from fieldwork.photos.models import PhotoAssignment
    from fieldwork.photos.services import (
        Submission,
        create_assignment,
        local_today,
        process_photo,
        receive_photo,
    )

    if db.session.scalar(select(func.count()).select_from(PhotoAssignment)):
        return
    hamont_achel = db.session.query(Municipality).filter_by(code="72037").one()
    achel = db.session.scalars(
        select(Neighbourhood).filter_by(name="Achel", municipality_id=hamont_achel.id)
    ).one()
    coordinator = find_user_by_email("regisseur@demo.fieldwork.be")
    start = local_today() - timedelta(days=7)
    assignment = create_assignment(
        hamont_achel,
        "Foto-opdracht Achel",
        [
            {
                "prompt": "Wat is het gezelligste plekje in je buurt?",
                "contrast": "Wat is het minst gezellige plekje?",
            },
            {"prompt": "Waar kan je veilig oversteken?", "contrast": ""},
            {"prompt": "Naar welke winkel ga je het liefst?", "contrast": ""},
            {
                "prompt": "Waar kom je graag buren tegen?",
                "contrast": "Waar voel je je niet op je gemak?",
            },
        ],
        [achel.id],
        start,
        start + timedelta(days=27),
        coordinator,
    )
    geometry = db.session.scalars(
        select(SubMunicipality.geometry)
        .join(Sector, Sector.sub_municipality_id == SubMunicipality.id)
        .where(Sector.neighbourhood_id == achel.id)
    ).first()
    area = shape(json.loads(geometry)) if geometry else None
    centre = area.representative_point() if area is not None else None
    for number, (week, side, caption, consent, age, pinned, themes, polarity, action) in enumerate(
        DEMO_PHOTOS
    ):
        lat = lon = None
        if pinned and centre is not None:
            spot = Point(centre.x + 0.012 * ((number % 3) - 1), centre.y + 0.009 * (number % 2))
            if area is not None and area.contains(spot):
                lat, lon = spot.y, spot.x
        photo, _new = receive_photo(
            assignment,
            Submission(
                raw=_demo_picture(number, week),
                side=side,
                caption=caption,
                consent=consent,
                age_group=age,
                lat=lat,
                lon=lon,
            ),
            day=start + timedelta(days=7 * (week - 1) + 2),
        )
        db.session.flush()
        process_photo(photo.id)
        if themes or polarity:
            moderation.tag(photo, themes, polarity, coordinator)
        if action == "approve":
            moderation.approve(photo, coordinator)
        elif action == "hide":
            moderation.hide(photo, coordinator)
        elif action == "signal":
            moderation.approve(photo, coordinator)
            moderation.make_signal(photo, "veiligheid", coordinator)
    click.echo(
        f"photo assignment: Achel, week 2 of 4, {len(DEMO_PHOTOS)} photos; "
        f"link /f/{assignment.token}"
    )


def _demo_social_map() -> None:
    """Moorslede's social map from a CSV as a municipality keeps it (Excel, semicolons);
    loading it again updates, never doubles."""
    from fieldwork.partners.services import import_register

    moorslede = db.session.query(Municipality).filter_by(code="36012").one()
    report = import_register(moorslede, DEMO_SOCIAL_MAP.read_bytes())
    click.echo(f"social map: {report.services} services of {report.organisations} organisations")


def _demo_onward() -> None:
    """Two referrals onward from Moorslede's open cases: one the partner accepted, one still
    waiting for its answer."""
    from sqlalchemy import select

    from fieldwork.cases.models import Case
    from fieldwork.onward.models import OnwardReferral
    from fieldwork.onward.services import OnwardRequest, accept, refer_onward
    from fieldwork.partners.models import PartnerService
    from fieldwork.signals.models import Resident

    if db.session.scalar(select(OnwardReferral.id).limit(1)):
        return
    moorslede = db.session.query(Municipality).filter_by(code="36012").one()
    cases = db.session.scalars(
        select(Case)
        .join(Resident, Resident.id == Case.resident_id)
        .where(
            Resident.municipality_id == moorslede.id,
            Case.closed_at.is_(None),
            Case.owner_id.is_not(None),
        )
        .order_by(Case.id)
        .limit(2)
    ).all()
    wanted = ["Ontmoeting en activiteiten", "Vervoer met vrijwillige chauffeurs"]
    services = {
        s.name: s
        for s in db.session.scalars(select(PartnerService).where(PartnerService.name.in_(wanted)))
    }
    plans = [
        (
            wanted[0],
            "Wekelijkse ontmoeting",
            "Woont alleen sinds de zomer, wil graag onder de mensen komen; "
            "belt liefst 's voormiddags.",
        ),
        (
            wanted[1],
            "Vervoer naar de dokter",
            "Kan niet meer zelf rijden; afspraken bij de huisarts in Dadizele om de twee weken.",
        ),
    ]
    for case, (service_name, purpose, summary) in zip(cases, plans, strict=False):
        if service_name not in services or case.owner is None:
            continue
        referral = refer_onward(
            case,
            case.owner,
            OnwardRequest(
                service_id=services[service_name].id,
                purpose=purpose,
                summary=summary,
                consent_given=True,
                consent_method="verbal",
                email="" if services[service_name].organisation.email else "mmc@moorslede.be",
            ),
        )
        if service_name == wanted[0]:
            accept(referral)
    click.echo("referrals onward: one accepted, one waiting")


def _demo_analysis() -> None:
    """Illustrative indicators for Moorslede's sectors (2023, 2024), and for Dadizele a
    quote and an attention point from the visit round."""
    from sqlalchemy import func, select

    from fieldwork.areas.models import Neighbourhood
    from fieldwork.reports.analysis import add_attention_point, add_quote
    from fieldwork.reports.indicators import load_demo_indicators
    from fieldwork.reports.models import AttentionPoint, IndicatorValue

    if not db.session.scalar(select(func.count()).select_from(IndicatorValue)):
        report = load_demo_indicators()
        click.echo(f"indicators: {report.added} illustrative figures for Moorslede")
    coordinator = find_user_by_email("regisseur@demo.fieldwork.be")
    dadizele = db.session.scalars(select(Neighbourhood).filter_by(name="Dadizele")).first()
    if (
        coordinator is None
        or dadizele is None
        or db.session.scalar(select(func.count()).select_from(AttentionPoint))
    ):
        return
    add_quote(
        dadizele,
        "Sinds mijn man er niet meer is, komen de dagen lang. Naar het "
        "dorpsrestaurant zou ik wel willen, maar ik raak er niet.",
        "eenzaamheid",
        "visit",
        coordinator,
    )
    add_attention_point(
        dadizele,
        "Vervoer naar het dorpsrestaurant en het dienstencentrum",
        "Bewoners die alleen wonen willen wel komen, maar raken er niet: een "
        "vervoersdienst met vrijwillige chauffeurs.",
        ["eenzaamheid", "mobiliteit"],
        [],
        ["living_alone_75plus", "share_80plus"],
        coordinator,
    )
    click.echo("analysis: a quote and an attention point for Dadizele")
    from fieldwork.reports.rollups import rebuild

    rebuild()  # the demo's captures dated back in time land in their own months
    click.echo("rollups: counted per neighbourhood and month")


def _demo_erasure() -> None:
    """A resident who asked to be forgotten: the case and its counts stay, the person is gone
    (the coordinator sees "Gewiste bewoner" in the queue and the ledger has one row)."""
    from sqlalchemy import func, select

    from fieldwork.privacy.erasure import erase_resident
    from fieldwork.privacy.ledger import ErasureEntry
    from fieldwork.signals.services import create_signal

    if db.session.scalar(select(func.count()).select_from(ErasureEntry)):
        return
    coordinator = find_user_by_email("regisseur@demo.fieldwork.be")
    signal = create_signal(
        {
            "resident": {
                "name": "Paul Verhaeghe",
                "street": "Kerkstraat",
                "house_number": "18",
                "postcode": "8890",
                "gemeente": "36012",
                "birth_year": 1944,
                "phone": "056 50 11 22",
                "lat": None,
                "lon": None,
                "statsec": None,
            },
            "theme": "informatie",
            "domain": "welzijn",
            "urgency": "normal",
            "polarity": "need",
            "note": "Wil weten welke hulp er is; vroeg later om zijn gegevens te wissen.",
            "consent": {"given": True, "how": "verbal", "reference": None},
        },
        coordinator,
    )
    db.session.flush()
    if signal.resident_id is not None:
        erase_resident(signal.resident_id, coordinator.id if coordinator else None, "request")
        click.echo("privacy: 1 resident erased on request (see the erasure ledger)")
