"""Demo: a visit round finished last season in Moorslede and Dadizele, so that "Wat de
bewoners zeiden" on the dashboard, the neighbourhood pages, the answers CSV and the printed
report show counts of five and more beside the suppressed small ones (issue 19)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.auth.models import User
from fieldwork.extensions import db
from fieldwork.signals.identity import address_key, name_key
from fieldwork.visits.models import VisitAddress, VisitRound
from fieldwork.visits.services import Findings, create_round, record_visit, today

NAME = "Bezoekronde 75-plussers (vorig seizoen)"
MATERIAL = ["Seniorengids Moorslede", "Folder dienstencentrum"]
# (street, postcode, neighbourhood) — twelve doors in each
STREETS = [("Kerkstraat", "8890", "Moorslede"), ("Dadizeleplaats", "8890", "Dadizele")]
# what was said at the door, in turn: themes, interests, information handed out
ANSWERS = [
    ({"eenzaamheid": "concern", "mobiliteit": "ok"}, ["dorpsrestaurant"], MATERIAL[:1]),
    ({"eenzaamheid": "ok", "mobiliteit": "concern"}, ["dienstencentrum"], MATERIAL),
    ({"eenzaamheid": "ok", "woning": "ok"}, [], MATERIAL[:1]),
    ({"eenzaamheid": "concern", "vrije_tijd": "concern"}, ["verenigingen"], MATERIAL),
    ({"mobiliteit": "ok", "woning": "concern"}, ["dienstencentrum"], MATERIAL[:1]),
    ({"eenzaamheid": "ok", "veiligheid": "ok"}, ["dorpsrestaurant", "activiteiten"], []),
]


def demo_answers(volunteer: User) -> int:
    """Twelve spoken visits per neighbourhood, recorded on the days they happened (the last
    completed quarter, the analyst's period); their concerns become counted signals, as a
    visit's do. Returns how many were recorded (0 when the round is there already)."""
    if db.session.scalar(select(VisitRound.id).filter_by(name=NAME)):
        return 0
    moorslede = db.session.scalars(select(Municipality).filter_by(code="36012")).one()
    hoods = {
        hood.name: hood
        for hood in db.session.scalars(
            select(Neighbourhood).where(Neighbourhood.municipality_id == moorslede.id)
        )
    }
    first = (today().replace(day=1) - timedelta(days=100)).replace(day=1)
    visit_round = create_round(
        moorslede, NAME, [hoods[h].id for _s, _p, h in STREETS], first, first + timedelta(days=60),
        MATERIAL, 3, None,
    )  # fmt: skip
    recorded = 0
    for street, postcode, hood in STREETS:
        for number in range(1, 13):
            address = _address(visit_round, street, postcode, hoods[hood], number)
            themes, interests, info = ANSWERS[(number + len(hood)) % len(ANSWERS)]
            day = datetime.combine(first + timedelta(days=number * 4), time(10), UTC)
            visit = record_visit(
                address,
                volunteer,
                Findings(outcome="spoken", themes=themes, interests=interests, info_given=info),
                observed_at=day,
            )
            visit.created_at = day  # synced the same day
            recorded += 1
    return recorded


def _address(
    visit_round: VisitRound, street: str, postcode: str, hood: Neighbourhood, number: int
) -> VisitAddress:
    name = f"Bewoner {street} {number}"
    address = VisitAddress(
        round_id=visit_round.id,
        name=name,
        name_key=name_key(name),
        street=street,
        street_key=street.lower(),
        house_number=str(number),
        postcode=postcode,
        address_key=address_key(street, str(number), postcode),
        birth_year=today().year - 75 - number,
        neighbourhood_id=hood.id,
    )
    db.session.add(address)
    db.session.flush()
    return address
