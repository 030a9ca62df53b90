"""The social map in the neighbourhood analysis: per neighbourhood the services and
associations there and the themes nothing covers; and the referrals onward — per partner,
theme and neighbourhood, acceptance rate and time to acceptance — suppressed where shown
outside the case work."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from fieldwork.areas.models import Municipality, Neighbourhood
from fieldwork.areas.services import neighbourhoods_of
from fieldwork.cases.models import Case
from fieldwork.core.suppression import (
    Shown,
    ShownTable,
    suppress_counts,
    suppress_table,
    suppress_value,
)
from fieldwork.extensions import db
from fieldwork.onward.models import OnwardReferral
from fieldwork.partners.models import Organisation, PartnerService
from fieldwork.partners.services import organisations_of, serves
from fieldwork.reports.figures import in_period
from fieldwork.signals.models import Resident
from fieldwork.signals.vocabulary import THEMES

MIN_FOR_RATE = 5  # a rate or a median over fewer answers says more about a person than a trend


@dataclass
class HoodFacilities:
    neighbourhood: Neighbourhood
    located: list[Organisation]  # whose address lies in the neighbourhood
    services: list[PartnerService]  # for the neighbourhood (its own or the whole municipality)
    themes_without: list[str]  # theme codes no active service covers here


def facilities(municipality: Municipality) -> list[HoodFacilities]:
    organisations = [o for o in organisations_of(municipality) if o.active]
    services = [s for o in organisations for s in o.services if s.active]
    found = []
    for hood in neighbourhoods_of(municipality):
        if hood.is_unlocatable:
            continue
        here = [s for s in services if serves(s, hood.id)]
        covered = {theme for s in here for theme in s.themes}
        found.append(
            HoodFacilities(
                neighbourhood=hood,
                located=[o for o in organisations if o.neighbourhood_id == hood.id],
                services=here,
                themes_without=[t for t in THEMES if t not in covered],
            )
        )
    return found


def facilities_by_hood(municipality_ids: set[int]) -> dict[int, HoodFacilities]:
    found: dict[int, HoodFacilities] = {}
    for municipality_id in sorted(municipality_ids):
        for hood in facilities(db.session.get_one(Municipality, municipality_id)):
            found[hood.neighbourhood.id] = hood
    return found


def facility_properties(hood: HoodFacilities | None) -> dict[str, Any]:
    """For the GeoJSON export: public information, nothing to suppress."""
    if hood is None:  # the unlocatable bucket: no place, no facilities
        return {"services": None, "organisations": [], "themes_without_service": []}
    return {
        "services": len(hood.services),
        "organisations": [o.name for o in hood.located],
        "themes_without_service": hood.themes_without,
    }


@dataclass
class ReferralLine:
    label: str
    waiting: Shown
    accepted: Shown  # accepted or done
    declined: Shown
    sent: Shown
    done: Shown
    acceptance: float | None  # share of the answered that were accepted, in %
    days_to_accept: float | None  # median


@dataclass
class ReferralFigures:
    by_partner: list[ReferralLine]
    by_neighbourhood: list[ReferralLine]
    by_theme: list[ReferralLine]  # a referral counts under each theme of its service
    total: ReferralLine | None


@dataclass
class _Row:
    state: str
    partner: str
    neighbourhood: str
    themes: list[str]
    days_to_accept: float | None


def _rows(municipality: Municipality, start: date | None, end: date | None) -> list[_Row]:
    query = (
        select(OnwardReferral, Organisation.name, PartnerService.themes, Neighbourhood.name)
        .join(Organisation, Organisation.id == OnwardReferral.organisation_id)
        .join(PartnerService, PartnerService.id == OnwardReferral.service_id)
        .join(Case, Case.id == OnwardReferral.case_id)
        .join(Resident, Resident.id == Case.resident_id)
        .join(Neighbourhood, Neighbourhood.id == Resident.neighbourhood_id)
        .where(Organisation.municipality_id == municipality.id)
    )
    query = query.where(in_period(OnwardReferral.created_at, start, end))
    rows = []
    for referral, partner, themes, hood in db.session.execute(query):
        waited = (
            (referral.answered_at - referral.created_at).total_seconds() / 86400
            if referral.answered_at and referral.state in ("accepted", "done")
            else None
        )
        rows.append(_Row(referral.state, partner, hood, list(themes or []), waited))
    return rows


def _split(rows: list[_Row]) -> list[int]:
    states = Counter("accepted" if r.state == "done" else r.state for r in rows)
    return [states["sent"], states["accepted"], states["declined"]]


def _rate(accepted: int, declined: int) -> float | None:
    answered = accepted + declined
    return round(100 * accepted / answered, 1) if answered >= MIN_FOR_RATE else None


def _median_days(rows: list[_Row]) -> float | None:
    waits = [r.days_to_accept for r in rows if r.days_to_accept is not None]
    return round(statistics.median(waits), 1) if len(waits) >= MIN_FOR_RATE else None


def _line(
    label: str, rows: list[_Row], shown: list[Shown], total: Shown, suppress: bool
) -> ReferralLine:
    _waiting, accepted, declined = _split(rows)
    done = sum(1 for r in rows if r.state == "done")
    return ReferralLine(
        label=label,
        waiting=shown[0],
        accepted=shown[1],
        declined=shown[2],
        sent=total,
        done=suppress_value(done) if suppress else done,
        # a rate beside a hidden count would give the count away
        acceptance=None
        if suppress and any(isinstance(v, str) for v in shown[1:3])
        else _rate(accepted, declined),
        days_to_accept=_median_days(rows),
    )


def _additive(
    groups: dict[str, list[_Row]], suppress: bool
) -> tuple[list[ReferralLine], ShownTable | None]:
    labels = sorted(groups)
    cells = [_split(groups[label]) for label in labels]
    if not suppress:
        lines = [
            _line(label, groups[label], list(cells[i]), sum(cells[i]), False)
            for i, label in enumerate(labels)
        ]
        return lines, None
    table = suppress_table(cells)
    lines = [
        _line(label, groups[label], list(table.cells[i]), table.row_totals[i], True)
        for i, label in enumerate(labels)
    ]
    return lines, table


def referral_figures(
    municipality: Municipality, start: date | None, end: date | None, suppress: bool
) -> ReferralFigures:
    """Counts by state (waiting, accepted or done, declined) per partner and per neighbourhood
    of the resident — tables whose rows add up, suppressed as one table — and per theme, where
    a referral counts under every theme of its service (rows suppressed one by one)."""
    rows = _rows(municipality, start, end)
    by_partner: dict[str, list[_Row]] = defaultdict(list)
    by_hood: dict[str, list[_Row]] = defaultdict(list)
    by_theme: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        by_partner[row.partner].append(row)
        by_hood[row.neighbourhood].append(row)
        for theme in row.themes:
            by_theme[str(THEMES.get(theme, theme))].append(row)
    partners, table = _additive(by_partner, suppress)
    hoods, _table = _additive(by_hood, suppress)
    themes = []
    for label in sorted(by_theme):
        split = _split(by_theme[label])
        if suppress:
            shown, sent = suppress_counts(dict(zip("wad", split, strict=True)))
            themes.append(_line(label, by_theme[label], list(shown.values()), sent, True))
        else:
            themes.append(_line(label, by_theme[label], list(split), sum(split), False))
    overall: ReferralLine | None = None
    if rows:
        whole = _split(rows)
        if table is not None:
            overall = _line("", rows, list(table.column_totals), table.total, True)
        else:
            overall = _line("", rows, list(whole), sum(whole), False)
    return ReferralFigures(partners, hoods, themes, overall)


def referral_rows(figures: ReferralFigures) -> Iterator[list[object]]:
    """The referral figures as CSV rows (a heading, then one row per line of each table)."""
    yield [
        "tabel",
        "regel",
        "verstuurd",
        "wacht",
        "aanvaard",
        "geweigerd",
        "afgerond",
        "aanvaard_van_beantwoord_pct",
        "dagen_tot_aanvaarding_mediaan",
    ]
    tables = (
        ("partner", figures.by_partner),
        ("buurt", figures.by_neighbourhood),
        ("thema", figures.by_theme),
    )
    for name, lines in tables:
        for line in lines:
            yield [
                name,
                line.label,
                line.sent,
                line.waiting,
                line.accepted,
                line.declined,
                line.done,
                "" if line.acceptance is None else str(line.acceptance).replace(".", ","),
                "" if line.days_to_accept is None else str(line.days_to_accept).replace(".", ","),
            ]
