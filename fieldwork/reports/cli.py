"""flask --app fieldwork indicators … and rollups …"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from fieldwork.extensions import db
from fieldwork.reports.indicators import (
    IndicatorImportError,
    audit_indicator_import,
    import_indicators,
)

indicators_cli = AppGroup("indicators", help="Imported indicators (e.g. Provincies in Cijfers).")


@indicators_cli.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--source", default=None, help="Where the figures come from (default: the file name)."
)
@click.option("--all-or-nothing", is_flag=True, help="Import nothing when a line is rejected.")
def import_command(csv_file: Path, source: str | None, all_or_nothing: bool) -> None:
    """Import FILE.csv: code, indicator, year, value, numerator, denominator; idempotent."""
    try:
        report = import_indicators(
            csv_file.read_bytes(), source or csv_file.name, all_or_nothing=all_or_nothing
        )
    except IndicatorImportError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    for line_no, reason in report.rejected:
        click.echo(f"line {line_no}: {reason}", err=True)
    if all_or_nothing and report.rejected_count:
        db.session.rollback()
        raise click.ClickException(
            f"{report.rejected_count} line(s) rejected; nothing was imported."
        )
    audit_indicator_import(report, csv_file.name)
    db.session.commit()
    click.echo(
        f"{report.rows} rows: {report.added} added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.rejected_count} rejected."
    )


rollups_cli = AppGroup("rollups", help="The monthly counts per neighbourhood.")


@rollups_cli.command("rebuild")
def rebuild_command() -> None:
    """Count everything again from the source tables (what the nightly job does)."""
    from fieldwork.reports.rollups import rebuild

    differed = rebuild()
    db.session.commit()
    click.echo(f"Rollups rebuilt; {differed} count(s) differed.")
