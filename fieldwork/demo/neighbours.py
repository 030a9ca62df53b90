"""Demo caring neighbours in Moorslede (one paused, one waiting for confirmation, one in
Dadizele) and one signal filed by a
neighbour, routed after the demo's commit to An's queue (urgent: the "Dringend" rule). Griet
signs in at /zorgzame-buur/aanmelden with the code DEMO_CODE (printed by ``flask demo load``
and in the README)."""

from __future__ import annotations

import click
from sqlalchemy import select

from fieldwork.areas.models import Municipality
from fieldwork.auth.services import find_user_by_email
from fieldwork.extensions import db
from fieldwork.neighbours.models import CaringNeighbour
from fieldwork.neighbours.services import Intake, change_status, file_signal, join, new_code

DEMO_CODE = "BUUR-2026"
# (name, e-mail, phone, streets, what they can do, status, code)
DEMO_NEIGHBOURS = [
    (
        "Griet Desmet",
        "griet@demo.fieldwork.be",
        "0470 12 34 56",
        ["Kerkstraat", "Marktplaats"],
        ["keep_an_eye", "visit"],
        "active",
        DEMO_CODE,
    ),
    (
        "Marc Vanneste",
        "",
        "051 77 12 34",
        ["Iepersestraat"],
        ["keep_an_eye", "transport"],
        "active",
        None,
    ),
    (
        "Rita Claeys",
        "rita@demo.fieldwork.be",
        "",
        ["Beitemstraat"],
        ["errands"],
        "paused",
        None,
    ),
    (
        "Hilde Verstraete",
        "hilde@demo.fieldwork.be",
        "",
        ["Dadizeleplaats"],
        ["keep_an_eye", "odd_jobs"],
        "active",
        None,
    ),
    (  # joined on the public page: waits for the coordinator's confirmation
        "Jozef Maes",
        "jozef@demo.fieldwork.be",
        "0479 55 66 77",
        ["Marktplaats"],
        ["keep_an_eye"],
        "pending",
        None,
    ),
]


def load_demo_neighbours() -> None:
    if db.session.scalar(select(CaringNeighbour.id).limit(1)):
        return
    moorslede = db.session.scalars(select(Municipality).filter_by(code="36012")).one()
    coordinator = find_user_by_email("regisseur@demo.fieldwork.be")
    griet: CaringNeighbour | None = None
    for name, email, phone, streets, can_do, status, code in DEMO_NEIGHBOURS:
        public = status == "pending"
        neighbour = join(
            moorslede,
            Intake(
                name=name,
                email=email,
                phone=phone,
                streets=streets,
                can_do=can_do,
                data_consent=True,
            ),
            "public_form" if public else "coordinator",
            None if public else coordinator,
        )
        if not public:
            new_code(neighbour, code)
        if status not in ("active", "pending"):
            change_status(neighbour, status)
        if code == DEMO_CODE:
            griet = neighbour
    assert griet is not None
    file_signal(
        griet,
        {
            "resident": {
                "name": "Georges Lambrecht",
                "street": "Kerkstraat",
                "house_number": "14",
                "phone": "051 77 65 43",
                "birth_year": 1937,
            },
            "themes": ["veiligheid"],
            "note": "Is vorige week gevallen op de stoep; woont alleen, dochter woont ver weg.",
            "urgency": "urgent",
            "consent": "verbal",
        },
    )
    click.echo(
        f"caring neighbours: {len(DEMO_NEIGHBOURS)} (one paused, one to confirm), one signal "
        f"for An; "
        f"sign in at /zorgzame-buur/aanmelden with code {DEMO_CODE}"
    )
