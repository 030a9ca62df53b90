"""The register of processing activities (GDPR art. 30), made from the running
configuration: retention periods, roles, where files and e-mail go, session and token
lifetimes. Changing a setting changes the register; nobody keeps a second copy by hand.

The register is a document for the municipality's data protection officer, in Dutch like
the other printed documents."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

# The retention settings (fieldwork.config, from the environment) and their documented
# defaults, read with .get so the register works before or without them being set.
CLOSED_CASES_KEY = "RETENTION_CLOSED_CASE_MONTHS"
TARGET_LISTS_KEY = "RETENTION_TARGET_LIST_MONTHS"
CANDIDATES_KEY = "RETENTION_CANDIDATE_MONTHS"
CLOSED_CASES_DEFAULT = 24
TARGET_LISTS_DEFAULT = 6
CANDIDATES_DEFAULT = 6


@dataclass(frozen=True)
class Activity:
    name: str
    purpose: str
    legal_basis: str
    data: tuple[str, ...]
    people: tuple[str, ...]
    recipients: tuple[str, ...]
    retention: str


@dataclass(frozen=True)
class Register:
    controller: str
    activities: tuple[Activity, ...]
    security: tuple[str, ...]
    processors: tuple[str, ...]


def months(config: Mapping[str, Any], key: str, default: int) -> int:
    """A retention period in months; a value that is not a positive whole number counts as
    the default (the register never prints nonsense)."""
    try:
        value = int(config.get(key, default))
    except (TypeError, ValueError, OverflowError):
        return default
    return value if value > 0 else default


def _in_months(count: int) -> str:
    return "1 maand" if count == 1 else f"{count} maanden"


def _activities(config: Mapping[str, Any]) -> tuple[Activity, ...]:
    cases = _in_months(months(config, CLOSED_CASES_KEY, CLOSED_CASES_DEFAULT))
    lists = _in_months(months(config, TARGET_LISTS_KEY, TARGET_LISTS_DEFAULT))
    candidates = _in_months(months(config, CANDIDATES_KEY, CANDIDATES_DEFAULT))
    case_retention = (
        f"{cases} na het sluiten van het dossier; daarna verwijderd of gepseudonimiseerd, "
        "de tellingen blijven. Na intrekking van de toestemming enkel nog zichtbaar voor "
        "de buurtzorgregisseur tot die termijn verstreken is."
    )
    list_retention = f"{lists} na het einde van de bezoekronde of belactie."
    resident = "bewoners van de buurt"
    staff = ("aanspreekpersonen (eigen dossiers en team)", "buurtzorgregisseur")
    return (
        Activity(
            "Signalen en dossiers",
            "Bewoners met een zorg- of welzijnsvraag contacteren en verder helpen "
            "(zorgzame buurt, vroegdetectie).",
            "Toestemming van de bewoner (art. 6.1.a en 9.2.a AVG); dringende situaties: "
            "taak van algemeen belang (art. 6.1.e).",
            (
                "naam, adres, geboortejaar, telefoon",
                "levensdomeinen en thema's (kan gezondheid betreffen)",
                "vrije notities en tijdlijn van het dossier",
                "toestemming met tekst, handtekening of stroknummer",
            ),
            (resident, "doorverwijzers", "medewerkers"),
            (*staff, "doorverwijzer: enkel de status van de eigen doorverwijzing"),
            case_retention,
        ),
        Activity(
            "Huisbezoeken (bezoekersteam)",
            "Oudere bewoners bezoeken en noden en sterktes detecteren.",
            "Taak van algemeen belang (art. 6.1.e); doorgeven enkel met toestemming.",
            (
                "doellijst uit het bevolkingsregister: naam, adres, geboortejaar, telefoon",
                "bevindingenfiche, handtekening",
            ),
            (resident + " uit de doelgroep", "vrijwillige bezoekers"),
            ("vrijwilligers: enkel hun eigen open bezoeken", *staff),
            list_retention,
        ),
        Activity(
            "Belacties en goeiemorgen-telefoon",
            "Bewoners opbellen, noden bevragen, dagelijks contact met wie dat wenst.",
            "Taak van algemeen belang (art. 6.1.e); goeiemorgen-telefoon: toestemming.",
            (
                "naam, adres, geboortejaar, telefoon",
                "antwoorden op de gespreksleidraad",
                "contactpersoon voor escalatie (naam, telefoon, relatie)",
            ),
            (resident + " uit de doelgroep", "contactpersonen van bewoners", "bellers"),
            ("bellers: enkel hun eigen open lijst", *staff),
            list_retention,
        ),
        Activity(
            "Doorverwijskaarten",
            "Professionals en buren verwijzen een bewoner door naar de aanspreekpersoon.",
            "Toestemming van de bewoner (afscheurstrook).",
            (
                "naam, adres, telefoon, geboortejaar van de bewoner",
                "naam en organisatie van de doorverwijzer",
                "foto of handtekening van de strook",
            ),
            (resident, "doorverwijzers"),
            staff,
            case_retention,
        ),
        Activity(
            "Doorverwijzing naar partners (sociale kaart)",
            "Een bewoner doorverwijzen naar een dienst van een partnerorganisatie.",
            "Toestemming van de bewoner voor die partner en dat doel.",
            ("korte samenvatting, naam en contactgegevens van de bewoner",),
            (resident,),
            ("de gekozen partnerorganisatie (enkel de samenvatting)", *staff),
            case_retention,
        ),
        Activity(
            "Vrijwilligers en buurtgezellen",
            "Vrijwilligers inzetten vanuit hun talenten en bewoners koppelen aan een buurtgezel.",
            "Toestemming van de vrijwilliger en de bewoner.",
            (
                "naam, contactgegevens, talenten, beschikbaarheid, talen",
                "datum controle uittreksel strafregister (model 2)",
            ),
            ("vrijwilligers", resident),
            ("buurtzorgregisseur", "aanspreekpersonen", "de gekoppelde vrijwilliger"),
            "Zolang de vrijwilliger actief is; een koppeling volgt de termijn van het dossier.",
        ),
        Activity(
            "Zorgzame buren",
            "Buren die een oogje in het zeil houden: zorgen over een buur doorgeven, coaching.",
            "Toestemming van de zorgzame buur (eigen gegevens); signalen zoals elke registratie.",
            (
                "naam, telefoon, e-mail, straten en wat de buur kan doen",
                "de toestemmingstekst met datum",
                "welke signalen de buur doorgaf (enkel de stand, nooit het dossier)",
            ),
            ("zorgzame buren", resident),
            ("buurtzorgregisseur", "aanspreekpersonen: enkel het kanaal van een signaal"),
            "Zolang de buur actief is: bij het stopzetten gaan naam, telefoon, e-mail en notitie "
            f"weg; nooit bevestigd door de regisseur: na {candidates}. De signalen volgen de "
            "termijn van het dossier.",
        ),
        Activity(
            "Foto-opdrachten",
            "Beelden van de buurt verzamelen voor de buurtanalyse.",
            "Toestemming bij het insturen (analyse, rapport of publicatie).",
            ("foto zonder EXIF, onderschrift, gekozen locatie, leeftijdsgroep",),
            (resident,),
            ("buurtzorgregisseur", "publiek: enkel wat voor publicatie werd vrijgegeven"),
            "Tot de toestemming wordt ingetrokken of de buurtanalyse is afgerond.",
        ),
        Activity(
            "Buurtanalyse",
            "Tellingen per buurt voor beleid en buurtplan.",
            "Taak van algemeen belang (art. 6.1.e).",
            ("enkel tellingen; cellen kleiner dan 5 onderdrukt",),
            ("geen herkenbare personen",),
            ("analisten", "gemeenteraad en partners"),
            "Onbeperkt (geen persoonsgegevens).",
        ),
    )


def _security(config: Mapping[str, Any]) -> tuple[str, ...]:
    hours = int(config.get("PERMANENT_SESSION_LIFETIME", 8 * 3600)) // 3600
    cookie = "enkel via HTTPS" if config.get("SESSION_COOKIE_SECURE", True) else "ook via HTTP"
    storage = (
        "S3-opslag (bucket)" if config.get("STORAGE_BACKEND") == "s3" else "lokale bestandsopslag"
    )
    return (
        "Rollen: elke pagina en elk API-eindpunt controleert de rol van de gebruiker.",
        "Elke raadpleging van persoonsgegevens door medewerkers wordt gelogd (auditlog).",
        f"Sessie verloopt na {hours} uur; sessiecookie {cookie}, HttpOnly.",
        f"API-tokens verlopen na {config.get('API_TOKEN_DAYS', 30)} dagen.",
        f"Wachtwoorden gehasht ({config.get('PASSWORD_HASH_METHOD', 'scrypt')}); "
        "aanmeldpogingen beperkt.",
        "Foto's zonder EXIF-gegevens opgeslagen in " + storage + ".",
        "Geheimen enkel uit de omgeving, nooit in de code.",
        "Na intrekking van toestemming worden naam, adres, telefoon en notities afgeschermd.",
    )


def _processors(config: Mapping[str, Any]) -> tuple[str, ...]:
    processors = ["hosting van de toepassing en de databank (PostgreSQL)"]
    if config.get("MAIL_SERVER"):
        processors.append(f"e-mailserver {config['MAIL_SERVER']} (meldingen aan medewerkers)")
    if config.get("STORAGE_BACKEND") == "s3":
        processors.append("S3-opslag " + str(config.get("S3_ENDPOINT_URL") or "(standaard)"))
    return tuple(processors)


def build_register(config: Mapping[str, Any]) -> Register:
    return Register(
        controller="Het lokaal bestuur (gemeente), vertegenwoordigd door het college.",
        activities=_activities(config),
        security=_security(config),
        processors=_processors(config),
    )


_STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=_STYLES["BodyText"], fontSize=9, leading=12)
H1 = ParagraphStyle("h1", parent=_STYLES["Heading1"], fontSize=18, leading=24)
H2 = ParagraphStyle("h2", parent=_STYLES["Heading2"], fontSize=13, keepWithNext=1)
GRID = TableStyle(
    [("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]
)
ROWS = (
    ("Doel", "purpose"),
    ("Rechtsgrond", "legal_basis"),
    ("Categorieën gegevens", "data"),
    ("Categorieën personen", "people"),
    ("Ontvangers", "recipients"),
    ("Bewaartermijn", "retention"),
)


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(text), style)


def _cell(value: str | tuple[str, ...]) -> str:
    return value if isinstance(value, str) else "; ".join(value)


def render_register(register: Register, made_on: date) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title="Register van verwerkingsactiviteiten")
    story: list[Any] = [
        _p("Register van verwerkingsactiviteiten", H1),
        _p(f"AVG artikel 30 · opgemaakt op {made_on.strftime('%d/%m/%Y')} uit de instellingen."),
        _p("Verwerkingsverantwoordelijke: " + register.controller),
        Spacer(1, 4 * mm),
    ]
    for activity in register.activities:
        rows = [[_p(title), _p(_cell(getattr(activity, key)))] for title, key in ROWS]
        story += [
            _p(activity.name, H2),
            Table(rows, colWidths=[40 * mm, 130 * mm], style=GRID, hAlign="LEFT"),
        ]
    story.append(_p("Beveiligingsmaatregelen", H2))
    story += [_p("• " + line) for line in register.security]
    story.append(_p("Verwerkers", H2))
    story += [_p("• " + line) for line in register.processors]
    doc.build(story)
    return buffer.getvalue()
