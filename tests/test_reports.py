"""Figures per neighbourhood, the summary API and the exports (CSV, XLSX, GeoJSON)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from fieldwork.areas.models import Municipality, Neighbourhood, Sector
from fieldwork.calls.models import CallAttempt, CallCampaign, CallTarget
from fieldwork.cases.models import Case, CaseEvent
from fieldwork.extensions import db
from fieldwork.reports.figures import (
    LOCAL,
    figures_for,
    municipality_figures,
    neighbourhood_figures,
    period_bounds,
)
from fieldwork.reports.periods import last_completed_quarter
from fieldwork.signals.models import Resident, Signal
from fieldwork.signals.services import create_signals
from fieldwork.signals.vocabulary import THEME_DOMAINS, THEMES
from fieldwork.visits.models import Visit, VisitAddress, VisitRound
from fieldwork.volunteers.models import Volunteer
from tests.conftest import ROLES, api_token, bearer, import_areas, make_user


@pytest.mark.parametrize(
    ("kind", "on", "bounds"),
    [
        ("month", date(2026, 2, 14), (date(2026, 2, 1), date(2026, 2, 28))),
        ("month", date(2026, 12, 31), (date(2026, 12, 1), date(2026, 12, 31))),
        ("quarter", date(2026, 5, 2), (date(2026, 4, 1), date(2026, 6, 30))),
        ("quarter", date(2026, 11, 30), (date(2026, 10, 1), date(2026, 12, 31))),
        ("year", date(2024, 7, 1), (date(2024, 1, 1), date(2024, 12, 31))),
    ],
)
def test_period_bounds(kind, on, bounds):
    assert period_bounds(kind, on) == bounds


def test_period_bounds_refuses_an_unknown_kind():
    with pytest.raises(ValueError, match="unknown period kind"):
        period_bounds("week", date(2026, 1, 1))


def hoods(app) -> dict[str, int]:
    with app.app_context():
        return {n.name: n.id for n in db.session.scalars(select(Neighbourhood))}


def local(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL).astimezone(UTC)


def add_signals(
    app, hood: int, theme: str, count: int, when: datetime | None = None, polarity: str = "need"
) -> None:
    with app.app_context():
        for _ in range(count):
            db.session.add(
                Signal(
                    neighbourhood_id=hood,
                    theme=theme,
                    domain=THEME_DOMAINS[theme],
                    polarity=polarity,
                    source="manual",
                    created_at=when or datetime.now(UTC),
                )
            )
        db.session.commit()


# --- property: the database's counts equal an independent count in Python -----------------

DAYS = st.dates(date(2025, 12, 25), date(2026, 3, 5))
SIGNALS = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.sampled_from(sorted(THEMES)[:5]),
        st.sampled_from(["need", "strength"]),
        st.sampled_from(["visit", "call", "manual"]),
        DAYS,
        st.sampled_from([0, 1, 12, 23]),
    ),
    max_size=40,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(signals=SIGNALS, start=st.none() | DAYS, end=st.none() | DAYS, pick=st.integers(0, 2))
def test_signal_figures_match_an_independent_count(embedded_app, signals, start, end, pick):
    app = embedded_app
    with app.app_context():
        if db.session.scalar(select(Municipality.id)) is None:
            import_areas(app, "36012")
        ids = sorted(db.session.scalars(select(Neighbourhood.id)))
        municipality_id = db.session.scalar(select(Municipality.id))
        db.session.execute(delete(Signal))
        for hood, theme, polarity, source, day, hour in signals:
            db.session.add(
                Signal(
                    neighbourhood_id=ids[hood],
                    theme=theme,
                    domain=THEME_DOMAINS[theme],
                    polarity=polarity,
                    source=source,
                    created_at=local(day, hour),
                )
            )
        db.session.flush()

        def within(day: date) -> bool:
            return (start is None or day >= start) and (end is None or day <= end)

        everything = municipality_figures(municipality_id, start, end)
        for index, hood_id in enumerate(ids):
            mine = [s for s in signals if s[0] == index and within(s[4])]
            figures = neighbourhood_figures(hood_id, start, end)
            assert figures == everything[hood_id]
            got = figures["signals"]
            assert got["total"] == len(mine)
            assert {k: v for k, v in got["by_theme"].items() if v} == dict(
                Counter(s[1] for s in mine)
            )
            assert {k: v for k, v in got["by_polarity"].items() if v} == dict(
                Counter(s[2] for s in mine)
            )
            assert {k: v for k, v in got["by_source"].items() if v} == dict(
                Counter(s[3] for s in mine)
            )
            assert {k: v for k, v in got["by_domain"].items() if v} == dict(
                Counter(THEME_DOMAINS[s[1]] for s in mine)
            )
        assert sorted(everything) == ids
        assert pick in range(3)
        db.session.rollback()


# --- one worked example on both paths -------------------------------------------------------


def build_world(app) -> dict[str, int]:
    import_areas(app, "36012")
    ids = hoods(app)
    moorslede, dadizele = ids["Moorslede"], ids["Dadizele"]
    today = datetime.now(LOCAL).date()
    with app.app_context():
        municipality_id = db.session.scalar(select(Municipality.id))
        sector = db.session.scalar(
            select(Sector.code).where(Sector.neighbourhood_id == moorslede).order_by(Sector.code)
        )
        create_signals(
            {
                "resident": {
                    "name": "Niemand",
                    "street": None,
                    "house_number": None,
                    "postcode": None,
                    "birth_year": None,
                    "phone": None,
                    "lat": None,
                    "lon": None,
                    "statsec": sector,
                    "gemeente": "36012",
                    "deelgemeente": None,
                },
                "themes": ["eenzaamheid", "mobiliteit"],
                "urgency": "normal",
                "note": "geheim",
                "consent": {"given": False},
            },
            None,
            source="visit",
        )
        visit_round = VisitRound(
            municipality_id=municipality_id,
            name="Ronde",
            starts_on=today - timedelta(days=10),
            ends_on=today + timedelta(days=10),
            max_attempts=2,
        )
        db.session.add(visit_round)
        db.session.flush()
        addresses = []
        for n in range(3):
            address = VisitAddress(
                round_id=visit_round.id,
                name=f"Bewoner {n}",
                name_key=f"bewoner {n}",
                street="Kerkstraat",
                street_key="kerkstraat",
                house_number=str(n),
                postcode="8890",
                address_key=f"kerkstraat {n}",
                neighbourhood_id=moorslede,
            )
            db.session.add(address)
            addresses.append(address)
        db.session.flush()
        addresses[0].status = "visited"
        addresses[1].status, addresses[1].attempts = "not_home", 2
        db.session.add_all(
            [
                Visit(address_id=addresses[0].id, outcome="spoken"),
                Visit(address_id=addresses[1].id, outcome="not_home"),
                Visit(address_id=addresses[1].id, outcome="not_home", attempt=2),
            ]
        )
        campaign = CallCampaign(municipality_id=municipality_id, name="Belactie")
        db.session.add(campaign)
        db.session.flush()
        targets = [
            CallTarget(
                campaign_id=campaign.id,
                name=f"T{n}",
                name_key=f"t{n}",
                address_key=f"a{n}",
                phone="051000000",
                neighbourhood_id=dadizele,
            )
            for n in range(2)
        ]
        db.session.add_all(targets)
        db.session.flush()
        db.session.add_all(
            [
                CallAttempt(target_id=targets[0].id, outcome="no_answer"),
                CallAttempt(target_id=targets[0].id, outcome="reached"),
            ]
        )
        opened = datetime.now(UTC) - timedelta(days=3)
        for n, (delay, outcome) in enumerate([(1, None), (2, "helped"), (None, None)]):
            resident = Resident(
                municipality_id=municipality_id,
                name=f"R{n}",
                name_key=f"r{n}",
                address_key=f"x{n}",
                neighbourhood_id=moorslede,
            )
            db.session.add(resident)
            db.session.flush()
            case = Case(
                resident_id=resident.id,
                opened_at=opened,
                closed_at=datetime.now(UTC) if outcome else None,
                outcome=outcome,
                status="closed" if outcome else "new",
            )
            db.session.add(case)
            db.session.flush()
            if delay is not None:
                db.session.add_all(
                    [
                        CaseEvent(
                            case_id=case.id,
                            type="contact_attempt",
                            at=opened + timedelta(days=delay),
                        ),
                        CaseEvent(
                            case_id=case.id,
                            type="contact_attempt",
                            at=opened + timedelta(days=delay + 1),
                        ),
                    ]
                )
        db.session.add_all(
            [
                Volunteer(
                    municipality_id=municipality_id,
                    neighbourhood_id=dadizele,
                    name="V1",
                    status="active",
                ),
                Volunteer(
                    municipality_id=municipality_id,
                    neighbourhood_id=dadizele,
                    name="V2",
                    status="candidate",
                ),
            ]
        )
        db.session.commit()
    return ids


def test_figures_of_a_worked_example(app):
    ids = build_world(app)
    with app.app_context():
        moorslede = neighbourhood_figures(ids["Moorslede"], None, None)
        dadizele = neighbourhood_figures(ids["Dadizele"], None, None)
        assert moorslede["visits"] | {"outcomes": None} == {
            "target": 3,
            "done": 2,
            "spoken": 1,
            "reach_rate": 0.333,
            "outcomes": None,
        }
        assert moorslede["visits"]["outcomes"] == {
            "spoken": 1,
            "not_home": 2,
            "refused": 0,
            "moved": 0,
            "deceased": 0,
        }
        assert moorslede["cases"]["opened"] == 3
        assert moorslede["cases"]["contacted"] == 2
        assert moorslede["cases"]["first_contact_days"] == {"median": 1.5, "p90": 2.0}
        assert moorslede["cases"]["closed"] == 1
        assert moorslede["cases"]["outcomes"]["helped"] == 1
        assert dadizele["calls"] == {
            "targets": 2,
            "reached": 1,
            "reach_rate": 0.5,
            "attempts": {
                "reached": 1,
                "no_answer": 1,
                "voicemail": 0,
                "wrong_number": 0,
                "call_back_at": 0,
                "refused": 0,
            },
        }
        assert dadizele["volunteers"]["active"] == 1
        signals = moorslede["signals"]
        assert signals["total"] == 2
        assert signals["by_theme"]["eenzaamheid"] == signals["by_theme"]["mobiliteit"] == 1
        # the period excludes what happened before it
        later = datetime.now(LOCAL).date() + timedelta(days=1)
        assert neighbourhood_figures(ids["Moorslede"], later, None)["signals"]["total"] == 0
        assert "geheim" not in json.dumps(moorslede)
        assert "R0" not in json.dumps(moorslede)
        assert "Bewoner" not in json.dumps(moorslede)


def test_a_round_counts_its_own_visits_and_a_campaign_its_own_calls(app):
    """Chosen as the period, a visit round (call campaign) shows its own visits (calls), not
    those of another one that ran in the same days."""
    ids = build_world(app)
    today = datetime.now(LOCAL).date()
    with app.app_context():
        first_round = db.session.scalar(select(VisitRound))
        first_campaign = db.session.scalar(select(CallCampaign))
        other_round = VisitRound(
            municipality_id=first_round.municipality_id,
            name="Andere",
            starts_on=first_round.starts_on,
            ends_on=first_round.ends_on,
        )
        other_campaign = CallCampaign(
            municipality_id=first_round.municipality_id, name="Andere belactie"
        )
        db.session.add_all([other_round, other_campaign])
        db.session.flush()
        address = VisitAddress(
            round_id=other_round.id,
            name="Ander",
            name_key="ander",
            street="Kerkstraat",
            street_key="kerkstraat",
            house_number="9",
            postcode="8890",
            address_key="kerkstraat 9",
            neighbourhood_id=ids["Moorslede"],
            status="visited",
        )
        target = CallTarget(
            campaign_id=other_campaign.id,
            name="Ander",
            name_key="ander",
            address_key="elders",
            phone="051000001",
            neighbourhood_id=ids["Dadizele"],
        )
        db.session.add_all([address, target])
        db.session.flush()
        db.session.add_all(
            [
                Visit(address_id=address.id, outcome="spoken"),
                CallAttempt(target_id=target.id, outcome="reached"),
            ]
        )
        db.session.commit()
        start, end = today - timedelta(days=10), today + timedelta(days=10)
        both = figures_for([ids["Moorslede"], ids["Dadizele"]], start, end)
        own = figures_for(
            [ids["Moorslede"], ids["Dadizele"]],
            start,
            end,
            round_id=first_round.id,
            campaign_id=first_campaign.id,
        )
    assert (
        both[ids["Moorslede"]]["visits"]["target"],
        own[ids["Moorslede"]]["visits"]["target"],
    ) == (4, 3)
    assert (
        both[ids["Moorslede"]]["visits"]["spoken"],
        own[ids["Moorslede"]]["visits"]["spoken"],
    ) == (2, 1)
    assert (
        both[ids["Dadizele"]]["calls"]["targets"],
        own[ids["Dadizele"]]["calls"]["targets"],
    ) == (3, 2)
    assert (
        both[ids["Dadizele"]]["calls"]["reached"],
        own[ids["Dadizele"]]["calls"]["reached"],
    ) == (2, 1)
    assert own[ids["Moorslede"]]["signals"] == both[ids["Moorslede"]]["signals"]


# --- the API ---------------------------------------------------------------------------------


@pytest.fixture
def staff(moorslede):
    app = moorslede
    tokens = {}
    for role in ROLES:
        make_user(app, role)
        tokens[role] = api_token(app.test_client(), f"{role}@example.be")
    return tokens


def test_summary_true_for_the_coordinator_suppressed_for_the_analyst(moorslede, staff):
    app = moorslede
    hood = hoods(app)["Moorslede"]
    with app.app_context():
        quarter = last_completed_quarter()
    add_signals(app, hood, "eenzaamheid", 3, local(quarter.start + timedelta(days=40)))
    add_signals(app, hood, "mobiliteit", 8, local(quarter.start + timedelta(days=40)))
    add_signals(app, hood, "mobiliteit", 1)  # this quarter: not completed yet
    client = app.test_client()
    url = f"/api/v1/neighbourhoods/{hood}/summary"
    coordinator = client.get(url, headers=bearer(staff["coordinator"])).get_json()
    assert coordinator["suppressed"] is False
    assert coordinator["signals"]["by_theme"]["eenzaamheid"] == 3
    assert coordinator["signals"]["total"] == 12  # everything so far
    assert coordinator["name"] == "Moorslede"
    assert coordinator["gemeente"] == "36012"
    analyst = client.get(url, headers=bearer(staff["analyst"])).get_json()
    assert analyst["suppressed"] is True
    assert analyst["period"] == {
        "from": quarter.start.isoformat(),
        "until": quarter.end.isoformat(),
    }  # the default window
    assert analyst["signals"]["by_theme"]["eenzaamheid"] == "<5"
    assert analyst["signals"]["by_theme"]["mobiliteit"] == "x"  # protects the small one
    assert analyst["signals"]["total"] == 11
    asked = client.get(
        url, query_string={"suppress": "1"}, headers=bearer(staff["coordinator"])
    ).get_json()
    assert asked["signals"]["by_theme"]["eenzaamheid"] == "<5"
    assert (
        client.get(
            "/api/v1/neighbourhoods/999999/summary", headers=bearer(staff["analyst"])
        ).status_code
        == 404
    )


EXPORTS = [
    "/api/v1/exports/signals.csv",
    "/api/v1/exports/signals.xlsx",
    "/api/v1/exports/neighbourhoods.geojson",
]


def test_roles_and_tokens(moorslede, staff):
    app = moorslede
    client = app.test_client()
    urls = [f"/api/v1/neighbourhoods/{hoods(app)['Moorslede']}/summary", *EXPORTS]
    for url in urls:
        query = {"gemeente": "36012"}
        assert client.get(url, query_string=query).status_code == 401, url
        for role in ("volunteer", "contact_person", "referrer"):
            response = client.get(url, query_string=query, headers=bearer(staff[role]))
            assert response.status_code == 403, (url, role)
        for role in ("coordinator", "analyst"):
            response = client.get(url, query_string=query, headers=bearer(staff[role]))
            assert response.status_code == 200, (url, role)
            response.close()  # a streamed export: let it finish in its own context


def test_the_analyst_cannot_reach_personal_data(moorslede, staff):
    app = moorslede
    client = app.test_client()
    with app.app_context():
        municipality_id = db.session.scalar(select(Municipality.id))
        resident = Resident(
            municipality_id=municipality_id,
            name="Albert",
            name_key="albert",
            address_key="k",
            neighbourhood_id=hoods(app)["Moorslede"],
        )
        db.session.add(resident)
        db.session.flush()
        case = Case(resident_id=resident.id)
        db.session.add(case)
        db.session.commit()
        case_id = case.id
    for url in ("/api/v1/queue", f"/api/v1/cases/{case_id}", "/api/v1/volunteers"):
        response = client.get(
            url, query_string={"gemeente": "36012"}, headers=bearer(staff["analyst"])
        )
        assert response.status_code == 403, url


@pytest.mark.parametrize(
    "query",
    [
        {"from": "2026-13-01"},
        {"until": "gisteren"},
        {"gemeente": "99999"},
        {"gemeente": "abc"},
        {"from": "2026-03-01", "until": "2026-02-01"},
    ],
)
def test_bad_filters_are_a_422_with_the_field(moorslede, staff, query):
    app = moorslede
    client = app.test_client()
    field = next(iter(query)) if "until" not in query or len(query) == 1 else "until"
    for url in EXPORTS:
        response = client.get(
            url, query_string={"gemeente": "36012", **query}, headers=bearer(staff["analyst"])
        )
        assert response.status_code == 422, (url, response.get_data(as_text=True))
        assert field in response.get_json()["error"]["fields"], response.get_json()


def exported_world(app) -> dict[str, int]:
    ids = hoods(app)
    january, february = local(date(2026, 1, 15)), local(date(2026, 2, 3))
    add_signals(app, ids["Moorslede"], "eenzaamheid", 3, january)
    add_signals(app, ids["Moorslede"], "mobiliteit", 9, january)
    add_signals(app, ids["Dadizele"], "eenzaamheid", 6, january)
    add_signals(app, ids["Dadizele"], "mobiliteit", 7, january)
    add_signals(app, ids["Dadizele"], "woning", 5, february)
    return ids


def read_csv(response) -> list[dict[str, str]]:
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_signals_csv(moorslede, staff):
    app = moorslede
    exported_world(app)
    client = app.test_client()
    query = {"gemeente": "36012", "from": "2026-01-01", "until": "2026-02-28"}
    response = client.get(EXPORTS[0], query_string=query, headers=bearer(staff["coordinator"]))
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    rows = read_csv(response)
    assert list(rows[0]) == [
        "gemeente",
        "neighbourhood_id",
        "neighbourhood",
        "period",
        "theme",
        "count",
        "per_100_65plus",
        "per_100_80plus",
    ]
    counts = {(r["neighbourhood"], r["period"], r["theme"]): r["count"] for r in rows}
    assert counts == {
        ("Dadizele", "2026-01", "eenzaamheid"): "6",
        ("Dadizele", "2026-01", "mobiliteit"): "7",
        ("Moorslede", "2026-01", "eenzaamheid"): "3",
        ("Moorslede", "2026-01", "mobiliteit"): "9",
        ("Dadizele", "2026-02", "woning"): "5",
    }
    # the analyst: rows per completed quarter, small cells suppressed
    quarter = {"gemeente": "36012", "from": "2026-01-01", "until": "2026-03-31"}
    analyst = read_csv(
        client.get(EXPORTS[0], query_string=quarter, headers=bearer(staff["analyst"]))
    )
    shown = {(r["neighbourhood"], r["theme"]): r["count"] for r in analyst}
    assert {r["period"] for r in analyst} == {"2026-Q1"}
    assert shown[("Moorslede", "eenzaamheid")] == "<5"
    assert "3" not in shown.values()
    # complementary: the row and the column of the small cell each hide a second cell
    assert shown[("Moorslede", "mobiliteit")] == "x"
    assert shown[("Dadizele", "eenzaamheid")] == "x"
    hidden_in_dadizele = [t for (n, t), v in shown.items() if n == "Dadizele" and v == "x"]
    # its row total is on the dashboard: one more cell of the row hidden, the rest shown
    assert sorted(hidden_in_dadizele) == ["eenzaamheid", "mobiliteit"]
    assert shown[("Dadizele", "woning")] == "5"
    # the whole range without a period
    everything = read_csv(client.get(EXPORTS[0], headers=bearer(staff["coordinator"])))
    assert len(everything) == 5


def test_signals_xlsx(moorslede, staff):
    from openpyxl import load_workbook

    app = moorslede
    exported_world(app)
    client = app.test_client()
    response = client.get(
        EXPORTS[1], query_string={"gemeente": "36012"}, headers=bearer(staff["analyst"])
    )  # every completed quarter
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    rows = list(workbook["signalen"].iter_rows(values_only=True))
    assert rows[0] == (
        "gemeente",
        "neighbourhood_id",
        "neighbourhood",
        "period",
        "theme",
        "count",
        "per_100_65plus",
        "per_100_80plus",
    )
    cells = {(r[2], r[3], r[4]): r[5] for r in rows[1:]}
    assert cells[("Moorslede", "2026-Q1", "eenzaamheid")] == "<5", rows
    # the small cell's row and column each hide a partner, and so on until stable
    assert cells[("Moorslede", "2026-Q1", "mobiliteit")] == "x"
    assert cells[("Dadizele", "2026-Q1", "eenzaamheid")] == "x"
    assert len(rows) == 6
    monthly = client.get(
        EXPORTS[1], query_string={"gemeente": "36012"}, headers=bearer(staff["coordinator"])
    )
    rows = list(
        load_workbook(io.BytesIO(monthly.get_data()), read_only=True)["signalen"].iter_rows(
            values_only=True
        )
    )
    assert {r[3] for r in rows[1:]} == {"2026-01", "2026-02"}  # the true counts per month


def test_neighbourhoods_geojson(moorslede, staff, tmp_path):
    import pyogrio.raw
    from shapely.geometry import shape

    app = moorslede
    ids = exported_world(app)
    client = app.test_client()
    response = client.get(
        EXPORTS[2],
        query_string={"gemeente": "36012", "from": "2026-01-01", "until": "2026-03-31"},
        headers=bearer(staff["analyst"]),
    )
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    document = json.loads(response.get_data())
    assert document["type"] == "FeatureCollection"
    features = {f["properties"]["name"]: f for f in document["features"]}
    assert {"Moorslede", "Dadizele"} <= set(features)
    for name in ("Moorslede", "Dadizele"):
        geometry = shape(features[name]["geometry"])
        assert geometry.is_valid
        assert not geometry.is_empty
        west, south, east, north = geometry.bounds
        assert 2.5 < west < east < 6.5  # lon, lat order: Belgium
        assert 49.4 < south < north < 51.6
    moorslede_props = features["Moorslede"]["properties"]
    assert moorslede_props["neighbourhood_id"] == ids["Moorslede"]
    assert moorslede_props["signals_eenzaamheid"] == "<5"
    assert moorslede_props["suppressed"] is True
    text = response.get_data(as_text=True)
    assert "Kerkstraat" not in text
    path = tmp_path / "buurten.geojson"
    path.write_bytes(response.get_data())
    info = pyogrio.read_info(path)
    assert info["features"] == len(document["features"])
    assert "signals_total" in list(info["fields"])
    meta, _, geometries, fields = pyogrio.raw.read(path)
    columns = dict(zip(meta["fields"], fields, strict=True))  # as GDAL reads the file
    assert list(columns["name"]) == [f["properties"]["name"] for f in document["features"]]
    assert list(columns["neighbourhood_id"]) == [
        f["properties"]["neighbourhood_id"] for f in document["features"]
    ]
    assert len(geometries) == len(document["features"])
    coordinator = json.loads(
        client.get(
            EXPORTS[2], query_string={"gemeente": "36012"}, headers=bearer(staff["coordinator"])
        ).get_data()
    )
    props = {f["properties"]["name"]: f["properties"] for f in coordinator["features"]}
    assert props["Moorslede"]["signals_eenzaamheid"] == 3
    assert props["Dadizele"]["signals_total"] == 18


def test_rates_per_100_residents_65_and_80_plus(moorslede, staff):
    """Once the shares of 65- and 80-plussers are imported with their numerators, the
    summary, the CSV and the GeoJSON set the counts against them; a suppressed count and an
    unknown population give no rate."""
    from fieldwork.reports.indicators import import_indicators

    app = moorslede
    ids = exported_world(app)
    with app.app_context():
        import_indicators(
            b"code;indicator;year;value;numerator;denominator\n"
            b"36012A001;share_65plus;2024;;300;1200\n"
            b"36012A001;share_80plus;2024;;60;1200\n",
            "test",
        )
        db.session.commit()
    client = app.test_client()
    summary = client.get(
        f"/api/v1/neighbourhoods/{ids['Moorslede']}/summary", headers=bearer(staff["coordinator"])
    ).get_json()
    assert summary["rates"]["residents_65plus"] == 300
    assert summary["rates"]["signals_per_100_65plus"] == round(12 / 300 * 100, 2)
    assert summary["rates"]["signals_per_100_80plus"] == 20.0
    other = client.get(
        f"/api/v1/neighbourhoods/{ids['Dadizele']}/summary", headers=bearer(staff["coordinator"])
    ).get_json()
    assert other["rates"]["residents_65plus"] is None
    assert other["rates"]["signals_per_100_65plus"] is None
    rows = read_csv(
        client.get(
            EXPORTS[0], query_string={"gemeente": "36012"}, headers=bearer(staff["coordinator"])
        )
    )
    by_cell = {(r["neighbourhood"], r["theme"]): r for r in rows}
    assert by_cell[("Moorslede", "mobiliteit")]["per_100_65plus"] == "3,0"  # Belgian Excel
    assert by_cell[("Moorslede", "mobiliteit")]["per_100_80plus"] == "15,0"
    assert by_cell[("Dadizele", "mobiliteit")]["per_100_65plus"] == ""
    analyst = read_csv(
        client.get(EXPORTS[0], query_string={"gemeente": "36012"}, headers=bearer(staff["analyst"]))
    )
    small = next(
        r for r in analyst if (r["neighbourhood"], r["theme"]) == ("Moorslede", "eenzaamheid")
    )
    assert (small["count"], small["per_100_65plus"]) == ("<5", "")
    document = json.loads(
        client.get(
            EXPORTS[2], query_string={"gemeente": "36012"}, headers=bearer(staff["coordinator"])
        ).get_data()
    )
    properties = {f["properties"]["name"]: f["properties"] for f in document["features"]}
    assert properties["Moorslede"]["signals_per_100_65plus"] == 4.0
    assert properties["Moorslede"]["residents_80plus"] == 60


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        ("summary", {"from": "2026-01-01", "until": "2026-01-31"}, "until"),  # a month
        ("summary", {"from": "2026-01-01", "until": "2026-12-31"}, "until"),  # a year
        ("summary", {"from": "2026-01-02", "until": "2026-03-31"}, "from"),
        ("summary", {"from": "2026-01-01"}, "until"),
        ("summary", {"until": "2026-03-31"}, "from"),
        ("summary", {"from": "RUNNING_START", "until": "RUNNING_END"}, "until"),  # still running
        (EXPORTS[0], {"from": "2026-01-10"}, "from"),
        (EXPORTS[0], {"until": "2026-02-28"}, "until"),
        (EXPORTS[1], {"from": "2026-01-01", "until": "RUNNING_END"}, "until"),  # not completed
        (EXPORTS[1], {"from": "RUNNING_START"}, "from"),
        (EXPORTS[2], {"gemeente": "36012", "from": "2026-01-01", "until": "2026-06-30"}, "until"),
    ],
)
def test_suppressed_figures_come_per_completed_quarter(moorslede, staff, url, query, field):
    """Windows that overlap would give their difference away (a running period read on two
    days, a quarter minus two of its months): the analyst — and a coordinator asking for
    suppressed figures — gets completed quarters only."""
    ids = exported_world(moorslede)
    client = moorslede.test_client()
    with moorslede.app_context():
        running = period_bounds("quarter", datetime.now(LOCAL).date())
    query = {
        key: value.replace("RUNNING_START", running[0].isoformat()).replace(
            "RUNNING_END", running[1].isoformat()
        )
        for key, value in query.items()
    }
    if url == "summary":
        url = f"/api/v1/neighbourhoods/{ids['Moorslede']}/summary"
    refused = client.get(url, query_string=query, headers=bearer(staff["analyst"]))
    assert refused.status_code == 422
    assert field in refused.get_json()["error"]["fields"], refused.get_json()
    suppressed = client.get(
        url, query_string={**query, "suppress": "1"}, headers=bearer(staff["coordinator"])
    )
    assert suppressed.status_code == 422
    assert (
        client.get(url, query_string=query, headers=bearer(staff["coordinator"])).status_code == 200
    )


def test_the_analyst_gets_completed_quarters(moorslede, staff):
    ids = exported_world(moorslede)
    client = moorslede.test_client()
    url = f"/api/v1/neighbourhoods/{ids['Moorslede']}/summary"
    first = client.get(
        url,
        query_string={"from": "2026-01-01", "until": "2026-03-31"},
        headers=bearer(staff["analyst"]),
    )
    assert first.status_code == 200
    assert first.get_json()["signals"]["total"] == 12
    later = client.get(url, headers=bearer(staff["analyst"])).get_json()  # the last one
    assert later["period"]["until"] < datetime.now(LOCAL).date().isoformat()
    assert later["signals"]["total"] == 0


def test_every_suppressed_output_shares_one_neighbourhood_theme_table(moorslede, staff):
    """Suppressed in two patterns, a count could be worked out (one table's totals minus the
    other's exact cells): the summary, the GeoJSON and the CSV show the same cells, and no
    other breakdown of the same signals."""
    ids = exported_world(moorslede)
    client = moorslede.test_client()
    quarter = {"from": "2026-01-01", "until": "2026-03-31"}
    rows = read_csv(
        client.get(
            EXPORTS[0],
            query_string={"gemeente": "36012", **quarter},
            headers=bearer(staff["analyst"]),
        )
    )
    csv_cells = {(r["neighbourhood"], r["theme"]): r["count"] for r in rows}
    document = json.loads(
        client.get(
            EXPORTS[2],
            query_string={"gemeente": "36012", **quarter},
            headers=bearer(staff["analyst"]),
        ).get_data()
    )
    properties = {f["properties"]["name"]: f["properties"] for f in document["features"]}
    for name in ("Moorslede", "Dadizele"):
        summary = client.get(
            f"/api/v1/neighbourhoods/{ids[name]}/summary",
            query_string=quarter,
            headers=bearer(staff["analyst"]),
        ).get_json()
        assert set(summary["signals"]) == {"total", "by_theme"}
        for theme in ("eenzaamheid", "mobiliteit", "woning"):
            shown = summary["signals"]["by_theme"][theme]
            assert properties[name][f"signals_{theme}"] == str(shown)
            assert csv_cells.get((name, theme), "0") == str(shown), (name, theme)
        assert properties[name]["signals_need"] is None
    assert csv_cells[("Moorslede", "eenzaamheid")] == "<5"
