"""``flask privacy erase|purge`` and ``flask backup|restore``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from fieldwork.extensions import db
from fieldwork.privacy.backup import BackupError, backup, restore
from fieldwork.privacy.erasure import ErasureError, erase_resident
from fieldwork.privacy.ledger import REASONS
from fieldwork.privacy.retention import CATEGORIES, due, purge

privacy_cli = AppGroup("privacy", help="Erasure and retention of personal data.")


@privacy_cli.command("erase")
@click.option("--resident", "resident_id", type=int, required=True, help="The resident's id.")
@click.option("--reason", type=click.Choice(REASONS), required=True, help="Why (a code).")
def erase_command(resident_id: int, reason: str) -> None:
    """Erase every personal field of one resident; the counts stay."""
    try:
        erased = erase_resident(resident_id, None, reason)
    except ErasureError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    touched = ", ".join(f"{kind}: {n}" for kind, n in sorted(erased.counts.items()))
    click.echo(f"Resident {resident_id} erased ({touched}).")


@privacy_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="Only list what would go, per category.")
def purge_command(dry_run: bool) -> None:
    """Pseudonymise the personal data past its retention period (see README, Privacy)."""
    if dry_run:
        found = due()
        for category in CATEGORIES:
            click.echo(f"{category.key}: {len(found[category.key])} ({category.label})")
        db.session.rollback()
        return
    counts = purge()
    db.session.commit()
    for category in CATEGORIES:
        click.echo(f"{category.key}: {counts[category.key]} purged")


@click.command("backup")
@with_appcontext
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Write the database and the stored files to one archive at PATH."""
    try:
        backup(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Backup written to {path}.")


@click.command("restore")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.confirmation_option(prompt="This replaces the database and the stored files. Go on?")
def restore_command(path: Path) -> None:
    """Restore the archive at PATH, then erase again every resident in the erasure ledger."""
    try:
        restored = restore(path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Restored from {path}; {restored.replayed} erased resident(s) erased again, "
        f"{restored.ledger_rows} ledger row(s) added."
    )
