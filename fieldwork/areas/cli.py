"""flask --app fieldwork areas …"""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from fieldwork.areas.importer import UnknownMunicipalityError, import_municipalities
from fieldwork.areas.streets import load_streets
from fieldwork.extensions import db

areas_cli = AppGroup("areas", help="Municipalities, sectors and neighbourhoods.")
streets_cli = AppGroup("streets", help="The street table (street → sector).")
areas_cli.add_command(streets_cli)


@areas_cli.command("import")
@click.option(
    "--municipality",
    "municipalities",
    multiple=True,
    required=True,
    help="NIS5 code, e.g. 36012 (Moorslede). Repeat for more.",
)
@click.option(
    "--data-dir",
    type=click.Path(exists=True, file_okay=False),
    default=None,
    help="Folder with the Statbel files (default: data/statbel).",
)
def import_command(municipalities: tuple[str, ...], data_dir: str | None) -> None:
    """Load municipalities, sub-municipalities, sectors and polygons; idempotent."""
    try:
        reports = import_municipalities(
            list(municipalities), data_dir or current_app.config["STATBEL_DIR"]
        )
    except UnknownMunicipalityError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    for report in reports:
        for line in report.lines():
            click.echo(line)


@streets_cli.command("load")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-invalid", is_flag=True, help="Load the valid rows even when some rows are rejected."
)
def load_streets_command(csv_file: Path, skip_invalid: bool) -> None:
    """Load FILE.csv with columns street;postcode;statsec (UTF-8 or Latin-1, ; or ,)."""
    report = load_streets(csv_file.read_bytes(), skip_invalid=skip_invalid)
    for line_no, reason in report.rejected:
        click.echo(f"line {line_no}: {reason}", err=True)
    if report.rejected and not skip_invalid:
        db.session.rollback()
        raise click.ClickException(
            f"{len(report.rejected)} row(s) rejected; nothing was loaded. "
            "Fix them, or use --skip-invalid to load the other rows."
        )
    db.session.commit()
    click.echo(
        f"{report.rows} rows: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.rejected)} rejected."
    )
