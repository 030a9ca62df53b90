"""flask --app fieldwork demo load — idempotent; the passwords are in the README."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from fieldwork.areas.importer import import_municipalities
from fieldwork.areas.models import Municipality
from fieldwork.areas.resolve import resolve_address
from fieldwork.areas.services import open_fixups
from fieldwork.areas.streets import load_streets
from fieldwork.auth.services import create_user, find_user_by_email
from fieldwork.config import ROOT
from fieldwork.extensions import db

demo_cli = AppGroup("demo", help="Demo data.")

DEMO_MUNICIPALITIES = ["36012", "72037"]  # Moorslede, Hamont-Achel
DEMO_PASSWORD = "zorgzaam-2026"  # noqa: S105 - printed in the README, demo only
DEMO_USERS = [
    ("vrijwilliger@demo.fieldwork.be", "volunteer", "Maria Vandenberghe"),
    ("huisarts@demo.fieldwork.be", "referrer", "Dr. Pieter Declercq"),
    ("aanspreekpersoon@demo.fieldwork.be", "contact_person", "An Peeters"),
    ("regisseur@demo.fieldwork.be", "coordinator", "Sofie Lambrecht"),
    ("analist@demo.fieldwork.be", "analyst", "Koen Maes"),
]
DEMO_STREETS = ROOT / "data" / "demo" / "streets_moorslede_hamont-achel.csv"


@demo_cli.command("load")
def load_command() -> None:
    """Import Moorslede and Hamont-Achel, their street table and one account per role."""
    for report in import_municipalities(DEMO_MUNICIPALITIES, current_app.config["STATBEL_DIR"]):
        click.echo(report.lines()[0])
    streets = load_streets(DEMO_STREETS.read_bytes())
    click.echo(f"streets: {streets.created} new, {streets.unchanged} unchanged")
    for email, role, name in DEMO_USERS:
        if find_user_by_email(email) is None:
            create_user(email=email, role=role, password=DEMO_PASSWORD, name=name)
            click.echo(f"user {email} ({role})")
    if not open_fixups():
        # One address nobody could place, so the coordinator's fix-up list has an example.
        moorslede = db.session.query(Municipality).filter_by(code="36012").one()
        resolve_address(moorslede, street="Onbekende Dreef", house_number="3", postcode="8890",
                        source_type="demo")
    db.session.commit()
    click.echo(f"demo ready: log in with any demo e-mail and password {DEMO_PASSWORD}")
